from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from maillage.core.models import AuditEntry
from maillage.helpline.models import Call
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db


def test_purge_erases_old_comments_and_keeps_coded_data(responder, themes, settings):
    settings.MAILLAGE_HELPLINE_COMMENT_RETENTION_DAYS = 30
    old = log(responder, at=timezone.now() - timedelta(days=40), comment="Vieux commentaire")
    recent = log(responder, at=timezone.now() - timedelta(days=5), comment="Récent")
    out = StringIO()
    call_command("purge_helpline_comments", stdout=out)
    assert out.getvalue() == "1 comment(s) older than 30 days erased.\n"
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.comment, old.comment_erased_at is not None, old.requests.count()) == ("", True, 1)
    assert recent.comment == "Récent"
    assert AuditEntry.objects.get(code="helpline.comments.purged").data == {"calls": 1, "days": 30}
    call_command("purge_helpline_comments", stdout=StringIO())
    assert AuditEntry.objects.filter(code="helpline.comments.purged").count() == 1


def test_purge_days_option(responder, themes):
    log(responder, at=timezone.now() - timedelta(days=3), comment="x")
    call_command("purge_helpline_comments", "--days", "1", stdout=StringIO())
    assert Call.objects.get().comment == ""
    err = StringIO()
    call_command("purge_helpline_comments", "--days", "-1", stdout=StringIO(), stderr=err)
    assert err.getvalue() == "The retention period cannot be negative.\n"
