"""Event set-up through the admin: events with their themes, groups, sessions and questions."""

from django.contrib import admin

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
