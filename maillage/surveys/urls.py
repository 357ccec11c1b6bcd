from django.urls import path

from maillage.surveys import views

app_name = "surveys"

urlpatterns = [
    path("", views.my_surveys, name="my_surveys"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/new/", views.new_survey, name="new_survey"),
    path("manage/<int:survey_id>/", views.manage_survey, name="manage_survey"),
    path("manage/<int:survey_id>/questions/<int:question_id>/edit/", views.edit_question, name="edit_question"),
    path("manage/<int:survey_id>/questions/<int:question_id>/move/", views.move_question, name="move_question"),
    path("manage/<int:survey_id>/questions/<int:question_id>/delete/", views.delete_question, name="delete_question"),
    path("manage/<int:survey_id>/invite/", views.invite, name="invite"),
    path("manage/<int:survey_id>/remind/", views.remind, name="remind"),
    path("manage/<int:survey_id>/wave/", views.new_wave, name="new_wave"),
    path("manage/<int:survey_id>/results/", views.results_page, name="results"),
    path("manage/<int:survey_id>/answers/", views.organisation_answers, name="organisation_answers"),
    path("manage/<int:survey_id>/export.<str:fmt>", views.export, name="export"),
    path("manage/series/<int:series_id>/", views.trend, name="trend"),
    path("o/<str:token>/", views.answer_organisation, name="answer_organisation"),
    path("o/<str:token>/results/", views.shared_results, name="shared_results"),
    path("p/<str:token>/", views.answer_public, name="answer_public"),
    path("p/<str:token>/<str:resume>/", views.resume_public, name="resume_public"),
    path("w/<int:survey_id>/", views.answer_worker, name="answer_worker"),
]
