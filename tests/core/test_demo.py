from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from maillage.core.demo import ACCOUNTS
from maillage.core.demo_context import DEMO_PASSWORD
from maillage.core.models import Membership, Organisation, User
from maillage.taxonomy.models import Category, VersionStatus


@pytest.mark.slow(seconds=7)
@pytest.mark.django_db(transaction=True)
def test_demo_loads_once_and_keeps_data_when_run_again() -> None:
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    assert "Demo data loaded." in out.getvalue()
    assert Organisation.objects.filter(sector="federation").get().short_name == "FdSS"
    assert User.objects.filter(email__in=[account[2] for account in ACCOUNTS]).count() == len(ACCOUNTS)
    for key, _name, email, roles in ACCOUNTS:
        user = User.objects.get(email=email)
        assert user.check_password(DEMO_PASSWORD), key
        assert sorted(Membership.objects.filter(user=user).values_list("organisation__short_name", "role")) == sorted(
            (short, str(role)) for short, role in roles
        )
        assert email in out.getvalue()
    themes = Category.objects.filter(version__scheme__code="request-themes", version__status=VersionStatus.PUBLISHED)
    assert themes.filter(level=1).count() == 14
    again = StringIO()
    User.objects.filter(email=ACCOUNTS[0][2]).update(full_name="Renamed")
    call_command("demo", "--no-serve", stdout=again)
    assert "Demo data already there: kept as it is" in again.getvalue()
    assert User.objects.get(email=ACCOUNTS[0][2]).full_name == "Renamed"


@pytest.mark.slow(seconds=28)
def test_demo_reset_starts_again_from_a_new_sqlite_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import sqlite3
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAILLAGE_", "DATABASE_URL", "DJANGO_"))}
    env["MAILLAGE_VAR_DIR"] = str(tmp_path)
    env["MAILLAGE_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    # An earlier demo's file, standing for whatever a newcomer changed in it (one run of the demo is enough: the
    # first load is the other test's).
    database = tmp_path / "maillage.sqlite3"
    with sqlite3.connect(database) as earlier:
        earlier.execute("CREATE TABLE left_from_before (note TEXT)")
    command = [sys.executable, "-m", "maillage", "demo", "--no-serve", "--reset"]
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0, again.stderr
    assert "Demo data loaded." in again.stdout
    with sqlite3.connect(database) as fresh:
        tables = {name for (name,) in fresh.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        (federations,) = fresh.execute("SELECT count(*) FROM core_organisation WHERE sector = 'federation'").fetchone()
    assert "left_from_before" not in tables
    assert federations == 1
