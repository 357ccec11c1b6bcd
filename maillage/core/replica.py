"""A read replica for reports: when MAILLAGE_REPLICA_URL is set, report pages read from it.

Which pages are reports is declared by URL name in `maillage/replica_reports.py` (beside
access_policy.py, since core names no app). During such a request the router sends reads to the
"replica" database; writes always go to the primary. Someone who has just written (any POST, PUT,
PATCH or DELETE answered without a server error) reads from the primary for
MAILLAGE_REPLICA_STICKY_SECONDS, so they see their own change even if the replica lags; a replica
that is unreachable or further behind than MAILLAGE_REPLICA_MAX_LAG_SECONDS is skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_WROTE_AT = "maillage_wrote_at"
_reading_reports: ContextVar[bool] = ContextVar("maillage_reading_reports", default=False)
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# The lag is read at most once per this many seconds per process (one small query).
_LAG_CACHE_SECONDS = 2.0
_lag_cache: dict[str, Any] = {"at": 0.0, "status": None}


def configured() -> bool:
    return REPLICA in settings.DATABASES


def status(*, fresh: bool = False) -> dict[str, Any]:
    """{"state": ok | behind | unreachable, "lag_seconds": float | None}."""
    now = time.monotonic()
    if not fresh and _lag_cache["status"] is not None and now - _lag_cache["at"] < _LAG_CACHE_SECONDS:
        return dict(_lag_cache["status"])
    try:
        with connections[REPLICA].cursor() as cursor:
            # On a replica: how long ago the last replayed transaction committed on the primary; 0 when
            # nothing waits (the replay position has caught up with what was received).
            cursor.execute(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END, pg_is_in_recovery()"
            )
            lag, in_recovery = cursor.fetchone()
    except DatabaseError:
        result: dict[str, Any] = {"state": "unreachable", "lag_seconds": None}
    else:
        lag_seconds = round(float(lag or 0), 3) if in_recovery else 0.0
        behind = lag_seconds > settings.MAILLAGE_REPLICA_MAX_LAG_SECONDS
        result = {"state": "behind" if behind else "ok", "lag_seconds": lag_seconds}
    _lag_cache.update(at=now, status=result)
    return dict(result)


class ReplicaRouter:
    """Reads of a report request go to the replica; everything else to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return REPLICA if _reading_reports.get() else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both sides

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # a replica is a copy: it is never migrated


class ReplicaForReportsMiddleware:
    """Turns the router on for the report views of `maillage.replica_reports.REPORT_VIEWS`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A thread serves many requests: the switch is set in process_view and always put back here.
        token = _reading_reports.set(False)
        try:
            response = self.get_response(request)
        finally:
            _reading_reports.reset(token)
        if configured() and request.method in _WRITES and response.status_code < 500 and hasattr(request, "session"):
            request.session[_WROTE_AT] = time.time()
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        if not configured():
            return
        from maillage.replica_reports import REPORT_VIEWS

        match = request.resolver_match
        if match is None or match.view_name not in REPORT_VIEWS or request.method not in {"GET", "HEAD"}:
            return
        if _wrote_recently(request) or status()["state"] != "ok":
            return
        _reading_reports.set(True)


def _wrote_recently(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    wrote_at = session.get(_WROTE_AT) if session is not None else None
    return wrote_at is not None and time.time() - float(wrote_at) < settings.MAILLAGE_REPLICA_STICKY_SECONDS


def reading_reports() -> bool:
    return _reading_reports.get()


class reports_from_replica:  # noqa: N801 - used as a context manager, like transaction.atomic
    """For a command or a task that builds a report: its reads go to the replica when there is one."""

    def __enter__(self) -> None:
        self._token = _reading_reports.set(configured() and status()["state"] == "ok")

    def __exit__(self, *exc: object) -> None:
        _reading_reports.reset(self._token)
