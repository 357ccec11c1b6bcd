"""A call dated in a year without partition (PostgreSQL) is refused with a clear line, nothing saved.

The test detaches a year inside its transaction: the rollback at its end attaches it again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation

from maillage.core import partitions
from maillage.core.partitions import HELPLINE
from maillage.helpline.models import Call, JournalImport, Request
from tests.helpline.test_import import HEADER
from tests.helpline.test_views import _post_data
from tests.partitioning import detach_year, refused

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's"),
]

YEAR = partitions.this_year() - 2


def test_the_call_form_says_so_next_to_the_start(responder_client, responder, themes) -> None:
    detach_year(HELPLINE, YEAR)
    responder.language = "en"
    responder.save()
    with translation.override("en"):
        response = responder_client.post(reverse("helpline:call_new"), _post_data(started_at=f"{YEAR}-03-04T10:00"))
    assert response.status_code == 200
    assert response.context["form"].errors["started_at"] == [refused(YEAR)]
    assert Call.objects.count() == 0


def test_the_message_is_translated(themes) -> None:
    detach_year(HELPLINE, YEAR)
    moment = HELPLINE.year_start(YEAR) + timedelta(days=40)
    with translation.override("fr"):
        french = partitions.refusal(HELPLINE, moment)
    with translation.override("nl"):
        dutch = partitions.refusal(HELPLINE, moment)
    assert (french or "").startswith(f"Rien de daté de {YEAR} ne peut être enregistré")
    assert (dutch or "").startswith(f"Niets gedateerd in {YEAR} kan worden opgeslagen")
    assert partitions.refusal(HELPLINE, HELPLINE.year_start(YEAR + 1)) is None


def test_an_import_row_of_that_year_is_a_line_and_nothing_is_imported(staff_client, themes, federation_staff) -> None:
    federation_staff.language = "en"
    federation_staff.save()
    detach_year(HELPLINE, YEAR)
    content = (
        HEADER
        + f"C1,{YEAR + 1}-01-04 09:15,8,fr,woman,1070,concerned,,,FOOD.PARCEL,information,,\n"
        + f"C2,{YEAR}-05-04 09:15,8,fr,woman,1070,concerned,,,FOOD.PARCEL,information,,\n"
        + f"C2,{YEAR}-05-04 09:15,8,fr,woman,1070,concerned,,,FOOD.PARCEL,referral,,\n"
    )
    staff_client.post(reverse("helpline:import"), {"file": SimpleUploadedFile("j.csv", content.encode())})
    run = JournalImport.objects.get()
    assert run.status == JournalImport.Status.FAILED
    assert run.errors == [{"line": 3, "column": "started_at", "message": refused(YEAR)}]
    assert (Call.objects.count(), Request.objects.count()) == (0, 0)


def test_a_check_violation_is_not_taken_for_a_missing_partition() -> None:
    from django.db import IntegrityError, transaction

    def refusal_of(statement: str) -> IntegrityError:
        with pytest.raises(IntegrityError) as raised, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
        return raised.value

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lc_messages TO 'C'")
        cursor.execute("CREATE TEMPORARY TABLE checked (n integer CONSTRAINT n_positive CHECK (n > 0))")
        cursor.execute("CREATE TEMPORARY TABLE yearly (n integer) PARTITION BY RANGE (n)")
    # A CHECK constraint's violation has the same SQL state (23514) but names its constraint: not a partition.
    assert not partitions.is_missing_partition(refusal_of("INSERT INTO checked VALUES (-1)"))
    # No partition at all: the state and no constraint name, read from the error's fields (not its English text).
    missing = refusal_of("INSERT INTO yearly VALUES (2020)")
    assert "no partition of relation" in str(missing)
    assert partitions.is_missing_partition(missing)
