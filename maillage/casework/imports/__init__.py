"""CSV/XLSX imports of persons and follow-ups from another program: reading, checking, running."""

from maillage.casework.imports.checking import FIELDS, RowChecker, save_profile
from maillage.casework.imports.reading import read_rows
from maillage.casework.imports.running import give_up_stale_runs, run_import, start_again, start_import

__all__ = [
    "FIELDS",
    "RowChecker",
    "give_up_stale_runs",
    "read_rows",
    "run_import",
    "save_profile",
    "start_again",
    "start_import",
]
