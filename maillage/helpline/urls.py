from django.urls import path

from maillage.helpline import views

app_name = "helpline"

urlpatterns = [
    path("", views.home_redirect, name="home"),
    path("calls/", views.call_list, name="calls"),
    path("calls/new/", views.call_new, name="call_new"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("calls/request-row/", views.request_row, name="request_row"),
    path("options/categories/", views.category_options, name="category_options"),
    path("options/postal-codes/", views.postal_options, name="postal_options"),
    path("options/services/", views.referral_options, name="referral_options"),
    path("calls/<int:pk>/reference/", views.reference_give, name="reference_give"),
    path("references/", views.reference_lookup, name="reference_lookup"),
    path("rota/<str:month>/", views.rota_month, name="rota_month"),
    path("rota/<str:month>/coverage/", views.rota_coverage, name="rota_coverage"),
    path("rota-generate/", views.rota_generate, name="rota_generate"),
    path("rota-take/", views.rota_take, name="rota_take"),
    path("rota-changes/", views.rota_changes, name="rota_changes"),
    path("rota-now/", views.rota_now, name="rota_now"),
    path("rota-feeds/", views.rota_feed_new, name="rota_feed_new"),
    path("rota-feeds/<int:pk>/revoke/", views.rota_feed_revoke, name="rota_feed_revoke"),
    path("rota-feed/<str:token>.ics", views.rota_feed, name="rota_feed"),
    path("thermometer/", views.line_thermometer, name="thermometer"),
    path("unanswered-needs/", views.unmet_needs, name="unmet_needs"),
    path("callbacks/", views.callback_list, name="callbacks"),
    path("callbacks/<int:pk>/done/", views.callback_done, name="callback_done"),
    path("shifts/", views.shift_list, name="shifts"),
    path("my-shift/", views.my_shift, name="my_shift"),
    path("shifts/<int:pk>/debriefing/", views.debriefing, name="debriefing"),
    path("debriefings/", views.debriefing_week, name="debriefings"),
    path("hours/", views.opening_hours, name="hours"),
    path("calendar/", views.line_calendar, name="calendar"),
    path("import/", views.import_journal, name="import"),
    path("import/<int:pk>/", views.import_status, name="import_status"),
    path("import/<int:pk>/restart/", views.import_restart, name="import_restart"),
]
