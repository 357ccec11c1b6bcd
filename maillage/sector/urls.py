from django.urls import path

from maillage.sector import views

app_name = "sector"

urlpatterns = [
    path("", views.centre_and_sector, name="centre"),
    path("year/", views.my_year, name="my_year"),
    path("year/declare/", views.declare_complete, name="declare_complete"),
    path("year/figures/", views.submit_figures, name="submit_figures"),
    path("year/template/", views.figures_template, name="figures_template"),
    path("annex/<str:token>/", views.annex, name="annex"),
    path("cycle/", views.cycle, name="cycle"),
    path("cycle/open/", views.open_year, name="open_year"),
    path("cycle/close/", views.close_year, name="close_year"),
    path("comments/", views.comments, name="comments"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:run_id>/", views.report, name="report"),
    path("reports/<int:run_id>/pdf/", views.report_pdf, name="report_pdf"),
    path("annexes/<int:link_id>/revoke/", views.annex_revoke, name="annex_revoke"),
]
