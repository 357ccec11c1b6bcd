"""Loading the reference table of Brussels quartiers (Monitoring des Quartiers, IBSA/BISA).

Nothing is fetched at run time: `manage.py import_quartiers <file>` reads a file the federation
downloaded from the official source (https://monitoringdesquartiers.brussels/, the "Monitoring
District" layer of UrbIS), in one of two shapes:

- CSV (`;` or `,`): columns `code`, `name_fr`, `name_nl`, `communes` (NIS codes of the communes the
  quartier lies in, separated by spaces or `|`); lines starting with `#` are comments.
- GeoJSON FeatureCollection: each feature's properties hold the same values; other property names
  are mapped with `--fields code=MDRC,name_fr=NAME_FRE,name_nl=NAME_DUT,communes=MUNICIPALITY_NIS`.

A quartier that already exists (same code) is updated, so loading a newer file again is safe. The
whole file is checked before anything is written: a row without a code or a name, or naming a
commune that does not exist, refuses the file with the line and the reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from maillage.core.models import Commune
from maillage.directory.models import Quartier

FIELDS = ("code", "name_fr", "name_nl", "communes")
SAMPLE = Path(__file__).resolve().parent / "data" / "quartiers_sample.csv"
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class QuartierRow:
    code: str
    name_fr: str
    name_nl: str
    communes: tuple[str, ...]


def _rows_from_csv(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return []
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    return list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter))


def _rows_from_geojson(data: object, mapping: dict[str, str]) -> list[dict[str, str]]:
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ValidationError(_("The file is not a GeoJSON FeatureCollection of quartiers."), code="quartier_shape")
    rows = []
    for feature in data["features"]:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            raise ValidationError(_("A feature of the file has no properties."), code="quartier_shape")
        rows.append({field: str(properties.get(mapping.get(field, field), "") or "") for field in FIELDS})
    return rows


def parse_quartiers(content: bytes, mapping: dict[str, str] | None = None) -> list[QuartierRow]:
    """The quartiers of a CSV or GeoJSON file, checked (ValidationError naming the line otherwise)."""
    if len(content) > MAX_BYTES:
        raise ValidationError(_("The file is too large."), code="quartier_size")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text."), code="quartier_encoding") from None
    if text.lstrip().startswith("{"):
        try:
            raw = _rows_from_geojson(json.loads(text), mapping or {})
        except json.JSONDecodeError:
            raise ValidationError(_("The file is not valid JSON."), code="quartier_json") from None
    else:
        raw = _rows_from_csv(text)
        if raw and not set(FIELDS) <= set(raw[0]):
            raise ValidationError(
                _("The file needs the columns %(columns)s."),
                code="quartier_columns",
                params={"columns": ", ".join(FIELDS)},
            )
    known = set(Commune.objects.values_list("nis_code", flat=True))
    rows, errors = [], []
    for number, row in enumerate(raw, start=1):
        code, name_fr, name_nl = (row.get(name, "").strip() for name in ("code", "name_fr", "name_nl"))
        communes = tuple(part for part in re.split(r"[\s|,]+", row.get("communes", "").strip()) if part)
        if not code or not (name_fr or name_nl):
            errors.append(_("Quartier %(number)d: a code and a name are needed.") % {"number": number})
            continue
        unknown = [nis for nis in communes if nis not in known]
        if not communes or unknown:
            errors.append(
                _("Quartier %(code)s: unknown commune NIS code(s) %(codes)s.")
                % {"code": code, "codes": ", ".join(unknown) or "—"}
            )
            continue
        rows.append(QuartierRow(code[:10], name_fr[:150] or name_nl[:150], name_nl[:150] or name_fr[:150], communes))
    if not rows and not errors:
        errors.append(_("The file holds no quartier."))
    if errors:
        raise ValidationError(errors, code="quartier_rows")
    return rows


def load_quartiers(rows: list[QuartierRow]) -> tuple[int, int]:
    """Create or update the quartiers (by code) in one transaction: (created, updated)."""
    communes = {commune.nis_code: commune for commune in Commune.objects.all()}
    created = updated = 0
    with transaction.atomic():
        for row in rows:
            quartier, is_new = Quartier.objects.update_or_create(
                code=row.code, defaults={"name_fr": row.name_fr, "name_nl": row.name_nl}
            )
            quartier.communes.set([communes[nis] for nis in row.communes])
            created += is_new
            updated += not is_new
    return created, updated


def find_quartier(code: str) -> Quartier:
    """A quartier by its code, or a translated ValidationError."""
    quartier = Quartier.objects.filter(code=code).first()
    if quartier is None:
        raise ValidationError(_("This quartier does not exist."), code="unknown_quartier")
    return quartier
