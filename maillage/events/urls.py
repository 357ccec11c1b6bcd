from django.urls import path

from maillage.events import views, views_followup, views_setup

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("me/<str:token>/", views.participant_page, name="participant"),
    path("me/<str:token>/register/", views.participant_register, name="participant_register"),
    path("me/<str:token>/<int:registration_id>/cancel/", views.participant_cancel, name="participant_cancel"),
    path("me/<str:token>/<int:registration_id>/accept/", views.participant_accept, name="participant_accept"),
    path("me/<str:token>/<int:registration_id>/certificate/", views.certificate, name="certificate"),
    path("checkin/<str:token>/", views.checkin_scan, name="checkin_scan"),
    path("rapporteur/<str:token>/", views.rapporteur, name="rapporteur"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/new/", views_setup.edit_event, name="new_event"),
    path("manage/<int:event_id>/", views.manage_event, name="manage_event"),
    path("manage/<int:event_id>/edit/", views_setup.edit_event, name="edit_event"),
    path("manage/<int:event_id>/edit/<slug:kind>/<int:part_id>/", views_setup.edit_part, name="edit_part"),
    path("manage/<int:event_id>/edit/<slug:kind>/<int:part_id>/remove/", views_setup.remove_part, name="remove_part"),
    path(
        "manage/<int:event_id>/registrations/<int:registration_id>/<slug:action>/",
        views.manage_registration,
        name="manage_registration",
    ),
    path("manage/<int:event_id>/groups/", views.manage_groups, name="manage_groups"),
    path("manage/<int:event_id>/groups/move/<int:registration_id>/", views.move_registration, name="move_registration"),
    path("manage/<int:event_id>/sessions/<int:session_id>/door/", views.door, name="door"),
    path("manage/<int:event_id>/attendance.csv", views.attendance_csv, name="attendance_csv"),
    path(
        "manage/<int:event_id>/certificates/<int:registration_id>/",
        views.manage_certificate,
        name="manage_certificate",
    ),
    path("manage/<int:event_id>/message/", views.send_message, name="message"),
    path("manage/<int:event_id>/invitations/", views.send_invitations, name="send_invitations"),
    path("manage/<int:event_id>/notes/", views.notes, name="notes"),
    path("manage/<int:event_id>/synthesis/", views.synthesis, name="synthesis"),
    path("manage/<int:event_id>/synthesis/<int:point_id>/", views.synthesis_point, name="synthesis_point"),
    path("manage/<int:event_id>/recommendations/", views.recommendations, name="recommendations"),
    path(
        "manage/<int:event_id>/recommendations/<int:recommendation_id>/",
        views.recommendations,
        name="recommendation",
    ),
    path("manage/<int:event_id>/book/", views.book, name="book"),
    path("manage/<int:event_id>/book.pdf", views_followup.book_pdf, name="book_pdf"),
    path("manage/<int:event_id>/book/publish/", views_followup.publish_book, name="publish_book"),
    path(
        "manage/<int:event_id>/recommendations/<int:recommendation_id>/follow-up/",
        views_followup.follow_up,
        name="follow_up",
    ),
    path("manage/<int:event_id>/sessions/<int:session_id>/move/", views_followup.move_session, name="move_session"),
    path(
        "manage/<int:event_id>/sessions/<int:session_id>/cancel/",
        views_followup.cancel_session,
        name="cancel_session",
    ),
    path(
        "manage/<int:event_id>/scheduled/<int:message_id>/withdraw/",
        views_followup.cancel_scheduled,
        name="cancel_scheduled",
    ),
    path("manage/<int:event_id>/attendance/", views_followup.attendance, name="attendance"),
    path("outbox/", views_followup.outbox, name="outbox"),
    path("<slug:slug>/", views.event_detail, name="event"),
    path("<slug:slug>/registered/", views.registered, name="registered"),
    path("<slug:slug>/book/", views_followup.public_book, name="public_book"),
    path("<slug:slug>/book.pdf", views_followup.public_book_pdf, name="public_book_pdf"),
    path("<slug:slug>/book/follow-up/", views_followup.public_follow_up, name="public_follow_up"),
]
