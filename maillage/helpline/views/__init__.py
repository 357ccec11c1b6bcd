"""Views of the helpline, one module per workflow: thin — parse, call a service, render."""

from maillage.helpline.views.calendar import line_calendar
from maillage.helpline.views.calls import (
    call_detail,
    call_edit,
    call_list,
    call_new,
    category_options,
    postal_options,
    referral_options,
    request_row,
)
from maillage.helpline.views.journal import import_journal, import_restart, import_status
from maillage.helpline.views.references import reference_give, reference_lookup
from maillage.helpline.views.rota import (
    rota_changes,
    rota_coverage,
    rota_feed,
    rota_feed_new,
    rota_feed_revoke,
    rota_generate,
    rota_month,
    rota_now,
    rota_take,
)
from maillage.helpline.views.shifts import (
    callback_done,
    callback_list,
    debriefing,
    debriefing_week,
    home_redirect,
    my_shift,
    opening_hours,
    shift_list,
)
from maillage.helpline.views.thermometer import line_thermometer
from maillage.helpline.views.unmet import unmet_needs

__all__ = [
    "call_detail",
    "call_edit",
    "call_list",
    "call_new",
    "callback_done",
    "callback_list",
    "category_options",
    "debriefing",
    "debriefing_week",
    "home_redirect",
    "import_journal",
    "import_restart",
    "import_status",
    "line_calendar",
    "line_thermometer",
    "my_shift",
    "opening_hours",
    "postal_options",
    "reference_give",
    "reference_lookup",
    "referral_options",
    "request_row",
    "rota_changes",
    "rota_coverage",
    "rota_feed",
    "rota_feed_new",
    "rota_feed_revoke",
    "rota_generate",
    "rota_month",
    "rota_now",
    "rota_take",
    "shift_list",
    "unmet_needs",
]
