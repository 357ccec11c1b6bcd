"""Every change of state of the helpline: one function each, owning its transaction and audit entry.

One module per workflow; this package gives their public names in one place.
"""

from maillage.helpline.services.calls import (
    CALL_FIELDS,
    DEFAULT_CALLBACK_DELAY,
    MAX_DURATION_MINUTES,
    CleanCall,
    CleanRequest,
    clean_call_data,
    line_for_responder,
    log_call,
    mark_callback_done,
    record_call_read,
    update_call,
)
from maillage.helpline.services.categories import find_category, find_service, forget_category_index
from maillage.helpline.services.privacy import comment_retention_days, purge_comments
from maillage.helpline.services.shifts import create_shift, set_opening_hours, write_debriefing, write_weekly_note

__all__ = [
    "CALL_FIELDS",
    "DEFAULT_CALLBACK_DELAY",
    "MAX_DURATION_MINUTES",
    "CleanCall",
    "CleanRequest",
    "clean_call_data",
    "comment_retention_days",
    "create_shift",
    "find_category",
    "find_service",
    "forget_category_index",
    "line_for_responder",
    "log_call",
    "mark_callback_done",
    "purge_comments",
    "record_call_read",
    "set_opening_hours",
    "update_call",
    "write_debriefing",
    "write_weekly_note",
]
