"""The shared partition pieces: the imports' per-year refusals and the `partitions` command's home.

A test that detaches a year does it inside the test's transaction: the rollback at its end attaches it again.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest
from django.core.management import get_commands, load_command_class
from django.db import connection
from django.utils import translation

from maillage.core import partitions
from maillage.core.management.commands.partitions import Command as PartitionsCommand
from maillage.core.partitions import CASEWORK, HELPLINE, RefusalsByYear
from tests.partitioning import detach_year, refused

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")

YEAR = partitions.this_year() - 2


@postgres_only
@pytest.mark.django_db
def test_refusals_ask_the_catalogue_once_per_year_of_the_file(django_assert_num_queries) -> None:
    detach_year(CASEWORK, YEAR)
    refusal = RefusalsByYear(CASEWORK)
    with translation.override("en"):
        assert refusal(date(YEAR, 3, 1)) == refused(YEAR)
        assert refusal(date(YEAR + 1, 3, 1)) is None
        with django_assert_num_queries(0):  # both years known: the rest of the file costs no query
            assert refusal(date(YEAR, 11, 30)) == refused(YEAR)
            assert refusal(date(YEAR + 1, 1, 1)) is None


@postgres_only
@pytest.mark.django_db
def test_a_start_belongs_to_its_local_year() -> None:
    """Half past midnight on New Year's Day, local time, is still the previous year in UTC: the local year counts."""
    detach_year(HELPLINE, YEAR)
    new_year = HELPLINE.year_start(YEAR + 1).astimezone(UTC)  # as an import may read a start: in UTC
    refusal = RefusalsByYear(HELPLINE)
    with translation.override("en"):
        assert refusal(new_year - timedelta(minutes=30)) == refused(YEAR)
        assert refusal(new_year + timedelta(minutes=30)) is None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
@pytest.mark.django_db
def test_sqlite_refuses_no_year_and_asks_nothing(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert RefusalsByYear(CASEWORK)(date(1990, 1, 1)) is None
        assert RefusalsByYear(HELPLINE)(HELPLINE.year_start(1990)) is None


def test_the_command_is_core_s_and_its_former_name_runs_it() -> None:
    assert get_commands()["partitions"] == "maillage.core"
    assert isinstance(load_command_class("maillage.helpline", "helpline_partitions"), PartitionsCommand)
