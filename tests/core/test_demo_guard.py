"""Issue 11, hole 7: `maillage demo` never writes its published accounts into a real database."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from maillage.core.management.commands.demo import refuse_a_real_database
from maillage.core.models import Organisation, User


def test_demo_refuses_to_run_in_production_on_the_command_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILLAGE_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        MAILLAGE_ENV="production",
        MAILLAGE_SECRET_KEY="x" * 60,
        MAILLAGE_ALLOWED_HOSTS="example.org",
        MAILLAGE_EMAIL_HOST="localhost",
        MAILLAGE_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3",
    )
    result = subprocess.run(
        [sys.executable, "-m", "maillage", "demo", "--no-serve", "--reset"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    expected = (
        "CommandError: Refused: MAILLAGE_ENV=production. The demo is not for a real server"
        " (--i-know-this-is-not-production to insist)."
    )
    assert result.stderr.strip().splitlines() == [expected]
    assert not (tmp_path / "prod.sqlite3").exists()


def test_demo_refuses_production_settings_before_touching_anything(settings, db: None) -> None:  # type: ignore[no-untyped-def]
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="MAILLAGE_ENV=production"):
        call_command("demo", "--no-serve")
    assert Organisation.objects.filter(short_name="FdSS").exists() is False


def test_demo_refuses_a_postgresql_database_with_accounts(worker: User) -> None:
    with pytest.raises(CommandError) as error:
        refuse_a_real_database({"ENGINE": "django.db.backends.postgresql", "NAME": "maillage"})
    assert str(error.value) == (
        "Refused: the PostgreSQL database 'maillage' already has accounts; the demo only fills an empty one"
        " (--i-know-this-is-not-production to insist)."
    )


@pytest.mark.django_db
def test_demo_accepts_an_empty_postgresql_database_and_sqlite() -> None:
    refuse_a_real_database({"ENGINE": "django.db.backends.postgresql", "NAME": "maillage"})
    User.objects.create_user("someone@example.org", "a-long-password-1", full_name="Someone")
    refuse_a_real_database({"ENGINE": "django.db.backends.sqlite3", "NAME": "demo.sqlite3"})
