"""Events in the admin: looked at only, never changed.

Every change of an event goes through the organisers' set-up page (`events:edit_event`) and the events
services, which check what publishing needs, tell participants when a session moves and write the audit
entries. An admin form saving the models directly would bypass all of that, so nothing here can add,
change or delete; each event links to its set-up page instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from maillage.events.models import Event, Group, Question, Session, Theme


class ReadOnly:
    """Admin mixin: viewing allowed (to whoever may view), adding, changing and deleting refused."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ThemeInline(ReadOnly, admin.TabularInline):
    model = Theme
    extra = 0


class GroupInline(ReadOnly, admin.TabularInline):
    model = Group
    extra = 0


class SessionInline(ReadOnly, admin.TabularInline):
    model = Session
    extra = 0


class QuestionInline(ReadOnly, admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Event)
class EventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = (
        "title_fr",
        "kind",
        "organisation",
        "closes_at",
        "capacity",
        "per_organisation",
        "is_published",
        "set_up_link",
    )
    list_filter = ("kind", "is_published")
    inlines = (ThemeInline, GroupInline, SessionInline, QuestionInline)
    actions = None

    @admin.display(description=_("Set up"))
    def set_up_link(self, event: Event) -> str:
        return format_html('<a href="{}">{}</a>', reverse("events:edit_event", args=[event.pk]), _("Set up"))
