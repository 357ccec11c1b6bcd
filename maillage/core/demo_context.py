"""What the demo loaders share: a seeded random source, the organisations and the demo accounts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from maillage.core.models import Organisation, User

DEMO_PASSWORD = "maillage-demo-2026"


@dataclass
class DemoContext:
    rng: random.Random = field(default_factory=lambda: random.Random(20200330))
    organisations: dict[str, Organisation] = field(default_factory=dict)
    # role or purpose → account, e.g. "worker", "coordinator", "responder"
    accounts: dict[str, User] = field(default_factory=dict)
    # Lines printed at the end: what to try with which account.
    notes: list[str] = field(default_factory=list)
