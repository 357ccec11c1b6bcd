from django.urls import path

from maillage.casework import views

app_name = "casework"

urlpatterns = [
    path("", views.case_file_list, name="case_files"),
    path("persons/new/", views.person_create, name="person_create"),
    path("files/<int:case_file_id>/", views.case_file_detail, name="case_file"),
    path("files/<int:case_file_id>/person/", views.person_edit, name="person_edit"),
    path("files/<int:case_file_id>/followups/new/", views.followup_create, name="followup_create"),
    path("files/<int:case_file_id>/followups/request-row/", views.request_row, name="request_row"),
    path("files/<int:case_file_id>/close/", views.case_file_close, name="case_file_close"),
    path("files/<int:case_file_id>/workers/", views.case_file_workers, name="case_file_workers"),
    path("files/<int:case_file_id>/reopen/", views.case_file_reopen, name="case_file_reopen"),
    path("files/<int:case_file_id>/export/", views.person_export, name="person_export"),
    path("files/<int:case_file_id>/erase/", views.person_erase, name="person_erase"),
    path("settings/<int:organisation_id>/", views.centre_settings, name="settings"),
    path("activities/", views.activity_list, name="activities"),
    path("activities/new/", views.activity_edit, name="activity_create"),
    path("activities/<int:activity_id>/", views.activity_detail, name="activity"),
    path("activities/<int:activity_id>/edit/", views.activity_edit, name="activity_edit"),
    path("import/", views.import_start, name="import"),
    path("import/mapping/<str:kind>/", views.import_mapping, name="import_mapping"),
    path("import/runs/<int:run_id>/", views.import_run, name="import_run"),
    path("import/runs/<int:run_id>/again/", views.import_start_again, name="import_start_again"),
]
