"""The operator's view: the health answer, the metrics behind a token, one log line per request."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from maillage.core.models import OutboxEmail, OutboxStatus
from maillage.replica_reports import REPORT_VIEWS

pytestmark = [
    pytest.mark.django_db,
    # With a replica configured the health answer also reads it (tests/core/test_replica.py covers that).
    pytest.mark.skipif("'replica' in __import__('django.conf').conf.settings.DATABASES", reason="replica configured"),
]


def _failed_email() -> None:
    OutboxEmail.objects.create(
        template="core/emails/invitation",
        to=["a@example.org"],
        language="fr",
        subject="s",
        body="b",
        status=OutboxStatus.FAILED,
    )


def test_health_answer_reports_database_queue_and_outbox(client, settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _failed_email()

    body = client.get(reverse("core:healthz")).json()

    assert body == {
        "status": "ok",
        "database": "ok",
        "queue": {"waiting": body["queue"]["waiting"], "oldest_seconds": body["queue"]["oldest_seconds"], "failed": 0},
        "outbox": {"due": 0, "failed": 1},
    }
    assert "replica" not in body


def test_metrics_answer_only_the_scraper_token(client, settings) -> None:
    settings.MAILLAGE_METRICS_TOKEN = "s3cret-token-for-the-scraper"
    _failed_email()

    assert client.get(reverse("core:metrics")).status_code == 404
    assert client.get(reverse("core:metrics"), HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.get(reverse("core:healthz"))
    response = client.get(reverse("core:metrics"), HTTP_AUTHORIZATION="Bearer s3cret-token-for-the-scraper")

    text = response.content.decode()
    assert response.status_code == 200
    assert "maillage_outbox_failed 1.0" in text.splitlines()
    assert 'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="core:healthz"}' in text


def test_metrics_without_a_configured_token_answer_nobody(client, settings) -> None:
    settings.MAILLAGE_METRICS_TOKEN = ""
    assert client.get(reverse("core:metrics"), HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_request_line_names_the_route_never_the_token_in_the_path(client, caplog: pytest.LogCaptureFixture) -> None:
    token = "PersonalToken0123456789abcdef"
    with caplog.at_level(logging.INFO, logger="maillage.request"):
        response = client.get(f"/events/me/{token}/", HTTP_X_REQUEST_ID="proxy-given-id-1234")

    [record] = [record for record in caplog.records if record.name == "maillage.request"]
    assert (record.route, record.view, record.status, record.request_id) == (
        "events/me/<str:token>/",
        "events:participant",
        response.status_code,
        "proxy-given-id-1234",
    )
    assert token not in record.getMessage()
    assert response["X-Request-ID"] == "proxy-given-id-1234"


def test_an_unsafe_request_id_is_replaced(client) -> None:
    response = client.get(reverse("core:healthz"), HTTP_X_REQUEST_ID="<script>")
    assert len(response["X-Request-ID"]) == 32
    assert response["X-Request-ID"] != "<script>"


def test_json_log_format_writes_one_object_per_line(settings) -> None:
    from pythonjsonlogger.json import JsonFormatter

    formatter_config = settings.LOGGING["formatters"]["json"]

    formatter = JsonFormatter(formatter_config["fmt"], rename_fields=formatter_config["rename_fields"])
    record = logging.LogRecord("maillage.request", logging.INFO, __file__, 1, "GET %s", ("x/",), None)
    record.request_id = "abc"
    line = json.loads(formatter.format(record))
    assert (line["level"], line["logger"], line["message"], line["request_id"]) == (
        "INFO",
        "maillage.request",
        "GET x/",
        "abc",
    )


def test_every_report_view_named_for_the_replica_exists() -> None:
    from django.urls import NoReverseMatch

    missing = []
    for name in sorted(REPORT_VIEWS):
        try:
            reverse(name)
        except NoReverseMatch:
            missing.append(name)
    assert missing == []
