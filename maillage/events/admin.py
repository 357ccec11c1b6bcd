"""Event set-up through the admin: events with their themes, groups, sessions and questions.

Every save and deletion here writes an audit entry in the event's organisation, as the
services do for the event pages.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from maillage.core.audit import log_action
from maillage.events.models import Event, Group, Question, Session, Theme


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0


class GroupInline(admin.TabularInline):
    model = Group
    extra = 0


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title_fr", "kind", "organisation", "closes_at", "capacity", "per_organisation", "is_published")
    list_filter = ("kind", "is_published")
    prepopulated_fields = {"slug": ("title_fr",)}
    filter_horizontal = ("organisers",)
    inlines = (ThemeInline, GroupInline, SessionInline, QuestionInline)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        log_action(
            request.user,  # type: ignore[arg-type]
            "events.event.changed_in_admin",
            form.instance,
            {
                "added": not change,
                "fields": sorted(form.changed_data),
                "parts": sorted(formset.model._meta.model_name for formset in formsets if formset.has_changed()),
            },
        )

    def delete_model(self, request: HttpRequest, obj: Event) -> None:
        log_action(request.user, "events.event.deleted_in_admin", obj)  # type: ignore[arg-type]
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for event in queryset:
            log_action(request.user, "events.event.deleted_in_admin", event)  # type: ignore[arg-type]
        super().delete_queryset(request, queryset)
