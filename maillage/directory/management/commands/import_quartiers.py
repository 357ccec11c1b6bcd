"""Load the Brussels quartiers from a file (see maillage/directory/quartiers.py for the shapes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.directory.quartiers import SAMPLE, load_quartiers, parse_quartiers


class Command(BaseCommand):
    help = (
        "Load the Brussels quartiers (Monitoring des Quartiers, IBSA/BISA) from a CSV or GeoJSON file "
        f"downloaded from the official source. The demo's sample (our own derived data): {SAMPLE}"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV (code;name_fr;name_nl;communes) or GeoJSON FeatureCollection")
        parser.add_argument(
            "--fields",
            default="",
            help="GeoJSON property names, e.g. code=MDRC,name_fr=NAME_FRE,name_nl=NAME_DUT,communes=NIS",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        mapping = dict(pair.split("=", 1) for pair in options["fields"].split(",") if "=" in pair)
        try:
            rows = parse_quartiers(path.read_bytes(), mapping)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        created, updated = load_quartiers(rows)
        self.stdout.write(f"{created} quartiers created, {updated} updated.")
