"""Routes of the exports prepared in the background."""

from django.urls import path

from maillage.stats import views_exports

urlpatterns: list = [
    path("helpline/calls-export/prepare/", views_exports.research_export_start, name="helpline_research_export_start"),
    path("exports/<int:run_id>/", views_exports.export_run, name="helpline_export_run"),
    path("exports/<int:run_id>/download/", views_exports.export_download, name="helpline_export_download"),
]
