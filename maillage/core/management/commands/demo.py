"""`maillage demo`: migrate, load the demo data once, print the accounts, start the server."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from maillage.core.demo_context import DEMO_PASSWORD, DemoContext
from maillage.core.models import Organisation


class Command(BaseCommand):
    help = "Set up a demo database with realistic data and start the server on 127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete the demo database first.")
        parser.add_argument("--no-serve", action="store_true", help="Load the data and stop.")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where the server listens.")
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Run even with MAILLAGE_ENV=production or on a PostgreSQL database that has accounts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        database = settings.DATABASES["default"]
        if not options["not_production"]:
            refuse_a_real_database(database)
        if options["reset"]:
            if database["ENGINE"] != "django.db.backends.sqlite3":
                raise CommandError(
                    "--reset only deletes the SQLite demo database; drop a PostgreSQL database yourself."
                )
            # A new file, so reference data of the migrations (communes, postal codes) comes back too.
            connection.close()
            Path(database["NAME"]).unlink(missing_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if Organisation.objects.exists() and not options["reset"]:
            self.stdout.write("Demo data already there: kept as it is (use --reset to start again).")
            context = None
        else:
            context = load_demo_data()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_accounts(context)
        # Emailed links point at the address this demo serves (unless MAILLAGE_SITE_URL says otherwise).
        if not os.environ.get("MAILLAGE_SITE_URL"):
            settings.SITE_URL = site_url_for(options["addrport"])
        self.stdout.write(mail_note())
        if not options["no_serve"]:
            call_command("runserver", options["addrport"], use_reloader=False)

    def _print_accounts(self, context: DemoContext | None) -> None:
        from maillage.core.demo import ACCOUNTS

        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for key, full_name, email, roles in ACCOUNTS:
            where = ", ".join(f"{role.label} @ {short}" for short, role in roles)
            self.stdout.write(f"  {email:<40} {full_name:<20} {where}  [{key}]")
        if context:
            for note in context.notes:
                self.stdout.write(f"  {note}")
        if settings.MAILLAGE_REQUIRE_2FA:
            self.stdout.write(
                "\nCoordinators, federation staff and administrators must set up two-factor authentication"
                " at their first sign-in (any TOTP app). Set MAILLAGE_REQUIRE_2FA=false to skip it in a demo."
            )


def site_url_for(addrport: str) -> str:
    """'127.0.0.1:8123' → 'http://127.0.0.1:8123'; '8123' or '0.0.0.0:8123' → 'http://127.0.0.1:8123'."""
    host, _sep, port = addrport.rpartition(":")
    if not _sep:
        host, port = "", addrport
    if host in ("", "0.0.0.0", "[::]", "::"):  # noqa: S104 (a listening address, not a bind)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def mail_note() -> str:
    """Where the demo's emails go, and where federation staff list them."""
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        where = "printed in this terminal (no email leaves; set MAILLAGE_EMAIL_HOST to send them)"
    elif settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"):
        where = f"sent through the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    else:
        where = f"handed to {settings.EMAIL_BACKEND}"
    return (
        f"\nEmails: {where}. Their links start with {settings.SITE_URL}."
        f"\nFederation staff list every email sent at {settings.SITE_URL}/events/outbox/."
    )


def refuse_a_real_database(database: Mapping[str, Any]) -> None:
    """The demo writes known accounts with a published password: never into a real database."""
    flag = "--i-know-this-is-not-production"
    if settings.PRODUCTION:
        raise CommandError(f"Refused: MAILLAGE_ENV=production. The demo is not for a real server ({flag} to insist).")
    if database["ENGINE"] == "django.db.backends.postgresql" and _has_accounts_of_its_own():
        raise CommandError(
            f"Refused: the PostgreSQL database {database.get('NAME', '')!r} already has accounts; "
            f"the demo only fills an empty one ({flag} to insist)."
        )


def _has_accounts_of_its_own() -> bool:
    """Accounts, and not the demo's own: running the demo again on its own database keeps working."""
    from maillage.core.demo import ACCOUNTS
    from maillage.core.models import User

    if User._meta.db_table not in connection.introspection.table_names():
        return False
    if User.objects.filter(email__in=[account[2] for account in ACCOUNTS]).exists():
        return False
    return User.objects.exists()


def load_demo_data() -> DemoContext:
    """Each app's demo.load(context), in the order of settings.MAILLAGE_APPS, in one transaction."""
    context = DemoContext()
    with transaction.atomic():
        for app in settings.MAILLAGE_APPS:
            try:
                module = importlib.import_module(f"maillage.{app}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"maillage.{app}.demo":
                    raise
                continue
            module.load(context)
    return context
