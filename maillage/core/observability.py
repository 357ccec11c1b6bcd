"""What an operator reads: one log line per request, the health answer and the Prometheus metrics.

No personal data leaves through here: the request line names the URL *pattern* (never the path,
which may hold a personal link's token), the view, the status and the time; the metrics are
counts and durations.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from maillage.core import replica

request_log = logging.getLogger("maillage.request")
_INCOMING_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


class RequestLogMiddleware:
    """Gives each request an id (kept from a trusted proxy's X-Request-ID) and logs it once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        request_log.info(
            "%s %s %s %sms",
            request.method,
            match.route if match else "-",
            response.status_code,
            duration_ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "route": match.route if match else None,
                "view": match.view_name if match else None,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        response["X-Request-ID"] = request_id
        return response


# --- health ------------------------------------------------------------------------------------------


def queue_state() -> dict[str, Any]:
    """Tasks waiting in the database queue and the age of the oldest (the DB backend's table)."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(status="READY")
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "waiting": waiting.count(),
        "oldest_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
        "failed": DBTaskResult.objects.filter(status="FAILED").count(),
    }


def outbox_state() -> dict[str, int]:
    from maillage.core.models import OutboxEmail, OutboxStatus

    return {
        "due": OutboxEmail.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now()).count(),
        "failed": OutboxEmail.objects.filter(status=OutboxStatus.FAILED).count(),
    }


def health_report() -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 503 when the database does not answer; the rest is information."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return 503, {"status": "error", "database": "unreachable"}
    body: dict[str, Any] = {"status": "ok", "database": "ok", "queue": queue_state(), "outbox": outbox_state()}
    if replica.configured():
        body["replica"] = replica.status()
        if body["replica"]["state"] != "ok":
            body["status"] = "degraded"
    return 200, body


def healthz_response() -> JsonResponse:
    status, body = health_report()
    return JsonResponse(body, status=status)


# --- metrics -----------------------------------------------------------------------------------------


class MaillageCollector(Collector):
    """Read at each scrape: the queue, the outbox and the replica (request latency comes from django-prometheus)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queue = queue_state()
        outbox = outbox_state()
        yield GaugeMetricFamily("maillage_task_queue_waiting", "Tasks waiting in the queue.", value=queue["waiting"])
        yield GaugeMetricFamily(
            "maillage_task_queue_oldest_seconds", "Age of the oldest waiting task.", value=queue["oldest_seconds"]
        )
        yield GaugeMetricFamily("maillage_task_failed", "Tasks that ended in failure.", value=queue["failed"])
        yield GaugeMetricFamily("maillage_outbox_due", "Emails due to be sent.", value=outbox["due"])
        yield GaugeMetricFamily("maillage_outbox_failed", "Emails that failed for good.", value=outbox["failed"])
        if replica.configured():
            state = replica.status()
            lag = state.get("lag_seconds")
            yield GaugeMetricFamily(
                "maillage_replica_lag_seconds",
                "Seconds since the last transaction replayed on the read replica (-1: unreachable).",
                value=-1 if lag is None else lag,
            )


def metrics_text() -> bytes:
    """django-prometheus's request metrics (the default registry) followed by ours."""
    ours = CollectorRegistry(auto_describe=False)
    ours.register(MaillageCollector())
    return generate_latest(REGISTRY) + generate_latest(ours)


def metrics_allowed(request: HttpRequest) -> bool:
    """A bearer token (MAILLAGE_METRICS_TOKEN); without one configured, nobody reads the metrics."""
    token = settings.MAILLAGE_METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())
