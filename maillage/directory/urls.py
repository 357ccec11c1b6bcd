from django.urls import path

from maillage.directory import views, views_map, views_people, views_records
from maillage.directory.api import api
from maillage.directory.search import page as search_page

app_name = "directory"

urlpatterns = [
    path("", search_page.public_search, name="search"),
    path("pro/", search_page.professional_search, name="pro"),
    path("services/new/", views.service_edit, name="service_new"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/hours/", views.schedule_add, name="hours"),
    path("services/<int:pk>/hours/<int:schedule_pk>/delete/", views.schedule_delete, name="schedule_delete"),
    path("services/<int:pk>/closures/", views.closure_add, name="closure_add"),
    path("services/<int:pk>/contacts/", views.contacts, name="contacts"),
    path("services/<int:pk>/status/", views.status_edit, name="status"),
    path("services/<int:pk>/verify/", views.verify, name="verify"),
    path("services/<int:pk>/workers/new/", views.worker_edit, name="worker_new"),
    path("services/<int:pk>/workers/<int:worker_pk>/", views.worker_edit, name="worker_edit"),
    path("services/<int:pk>/history/", views.history, name="history"),
    path("locations/<int:pk>/hours/", views.location_hours, name="location_hours"),
    path(
        "locations/<int:pk>/hours/<int:schedule_pk>/delete/",
        views.location_schedule_delete,
        name="location_schedule_delete",
    ),
    path("locations/<int:pk>/closures/", views.location_closure_add, name="location_closure_add"),
    path("status/", views.status_board, name="status_board"),
    path("changes/", views.changes, name="changes"),
    path("changes/follow/", views.subscribe, name="subscribe"),
    path("changes/follow/<int:pk>/stop/", views.unsubscribe, name="unsubscribe"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/new/", views.organisation_edit, name="organisation_new"),
    path("organisations/<int:pk>/", views.organisation_edit, name="organisation_edit"),
    path("changes/feed/", views.ChangesFeed(), name="feed"),
    path("sheet/", views.sheet, name="sheet"),
    path("sheet.pdf", views.sheet_pdf, name="sheet_pdf"),
    path("export/hsds.json", views.export_json, name="export_json"),
    path("export/datapackage.zip", views.export_datapackage, name="export_datapackage"),
    path("import/", views.import_view, name="import"),
    path("people/", views_people.people_search, name="people"),
    path("people/me/", views_people.my_card, name="my_card"),
    path("people/to-confirm/", views_people.stale_card_list, name="stale_cards"),
    path("people/<int:pk>/", views_people.worker_card, name="worker_card"),
    path("networks/<int:pk>/", views_people.network_detail, name="network"),
    path("quartier/", views_people.quartier_presence, name="quartier"),
    path("map/", views_map.map_page, name="map"),
    path("map/data.json", views_map.map_data, name="map_data"),
    path("map/pro/data.json", views_map.map_pro_data, name="map_pro_data"),
    path("services/<int:pk>/suggest/", views_records.suggest, name="suggest"),
    path("services/<int:pk>/suggestions/", views_records.suggestions, name="suggestions"),
    path("services/<int:pk>/suggestions/<int:suggestion_pk>/moderate/", views_records.moderate, name="moderate"),
    path("api/", api.urls),
]
