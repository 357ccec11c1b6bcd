from django.urls import path

from maillage.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("organisations/<int:organisation_id>/members/", views.members, name="members"),
    path(
        "organisations/<int:organisation_id>/members/<int:membership_id>/remove/",
        views.remove_member,
        name="remove_member",
    ),
    path(
        "organisations/<int:organisation_id>/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("audit/", views.audit_log, name="audit_log"),
]
