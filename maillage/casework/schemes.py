"""The two starter schemes case work adds to request themes: institution concerned and stage of the request."""

from __future__ import annotations

from pathlib import Path

from maillage.taxonomy.models import Scheme

DATA = Path(__file__).resolve().parent / "data"

# scheme code, labels fr/nl/en, CSV file (relative to the taxonomy data folder, as ensure_scheme expects)
CASEWORK_SCHEMES = [
    (
        "institution-concerned",
        "Institution concernée",
        "Betrokken instelling",
        "Institution concerned",
        str(Path("..", "..", "casework", "data", "institutions_concerned.csv")),
    ),
    (
        "request-stage",
        "Étape de la demande",
        "Fase van de vraag",
        "Stage of the request",
        str(Path("..", "..", "casework", "data", "request_stages.csv")),
    ),
]


def ensure_casework_schemes() -> list[Scheme]:
    """Request themes plus the two case-work schemes, created and published once."""
    from maillage.taxonomy.demo import STARTER_SCHEMES, ensure_scheme

    return [ensure_scheme(*STARTER_SCHEMES[0]), *(ensure_scheme(*spec) for spec in CASEWORK_SCHEMES)]
