"""Routes of the case-work statistics (cross-tab builder, saved reports, sector extractions)."""

from django.urls import path

from maillage.stats import casework_views

urlpatterns: list = [
    path("casework/", casework_views.crosstab, name="casework_crosstab"),
    path("casework/reports/save/", casework_views.save_report, name="casework_report_save"),
    path("casework/reports/<int:report_id>/delete/", casework_views.delete_report, name="casework_report_delete"),
    path("casework/sector/", casework_views.sector, name="casework_sector"),
]
