"""Where the reference material beside the repository is (`../shared/`: the HSDS 3.0 schema and
examples). Tests that need it skip with a clear reason when it is absent; MAILLAGE_SHARED_DIR
points elsewhere (a clone made away from its `shared` folder, as CI may do)."""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
_CANDIDATES = [
    Path(os.environ["MAILLAGE_SHARED_DIR"]) if os.environ.get("MAILLAGE_SHARED_DIR") else None,
    REPOSITORY.parent / "shared",
    Path("/work/shared"),  # this workplace's copy, for clones made elsewhere on the machine
]
SHARED = next((path for path in _CANDIDATES if path is not None and path.is_dir()), REPOSITORY.parent / "shared")
HSDS = SHARED / "hsds-3.0"
