from argparse import ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.stats import helpline_rollup


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ArgumentTypeError(f"Not a date (YYYY-MM-DD): {text!r}") from error


class Command(BaseCommand):
    help = (
        "Recount the bilan's daily roll-up from the helpline journal: all of it (and put back its triggers, "
        "then the bilan reads it again), or the local days --first..--last (e.g. after partitions were moved)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--first", type=_day, help="first local day to recount (YYYY-MM-DD)")
        parser.add_argument("--last", type=_day, help="last local day to recount (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = options["first"], options["last"]
        if first and last and first > last:
            raise CommandError("--first comes after --last.")
        requests, calls = helpline_rollup.rebuild(first, last)
        state = "complete" if helpline_rollup.is_complete() else "not complete (run it without --first/--last)"
        self.stdout.write(f"{requests} category rows and {calls} category-set rows written; the roll-up is {state}.")
