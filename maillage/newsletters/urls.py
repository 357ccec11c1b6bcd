from django.urls import path

from maillage.newsletters import views

app_name = "newsletters"

urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("archive/", views.archive, name="archive"),
    path("archive/<int:edition_id>/", views.archived_edition, name="archived_edition"),
    path("manage/", views.manage, name="manage"),
    path("manage/lists/<int:list_id>/import/", views.import_subscribers, name="import"),
    path("manage/editions/new/", views.new_edition, name="new_edition"),
    path("manage/editions/<int:edition_id>/", views.edition, name="edition"),
    path("manage/editions/<int:edition_id>/preview/<str:language>/", views.preview, name="preview"),
]
