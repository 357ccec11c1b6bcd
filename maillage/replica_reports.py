"""The report pages and exports that read from the replica when MAILLAGE_REPLICA_URL is set.

Beside access_policy.py for the same reason (core names no app). Only pages that read
aggregates belong here: a page that writes, or that a person reads right after writing, does not.
"""

from __future__ import annotations

REPORT_VIEWS: frozenset[str] = frozenset(
    {
        "stats:helpline_bilan",
        "stats:helpline_weekly",
        "stats:helpline_research_export",
        "stats:casework_crosstab",
        "stats:casework_sector",
    }
)
