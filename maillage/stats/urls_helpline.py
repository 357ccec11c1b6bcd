"""Routes of the helpline reports (weekly synthesis, bilan, exports)."""

from django.urls import path

from maillage.stats import views_helpline

urlpatterns: list = [
    path("helpline/", views_helpline.index, name="helpline_index"),
    path("helpline/weekly/", views_helpline.weekly, name="helpline_weekly"),
    path("helpline/bilan/", views_helpline.bilan, name="helpline_bilan"),
    path("helpline/calls-export/", views_helpline.research_export, name="helpline_research_export"),
]
