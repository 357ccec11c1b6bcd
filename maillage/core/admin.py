from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from maillage.core.admin_site import FederationStaffCanManage, FederationStaffCanView
from maillage.core.models import AuditEntry, Commune, Membership, Organisation, PostalCode, User


class MembershipInline(FederationStaffCanManage, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(FederationStaffCanManage, admin.ModelAdmin):
    list_display = ["short_name", "name_fr", "sector", "region", "commune", "is_member"]
    list_filter = ["sector", "region", "is_member"]
    search_fields = ["short_name", "name_fr", "name_nl"]
    inlines = [MembershipInline]


@admin.register(User)
class UserAdmin(FederationStaffCanView, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name", "language")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    inlines = [MembershipInline]


@admin.register(Commune)
class CommuneAdmin(FederationStaffCanView, admin.ModelAdmin):
    list_display = ["name_fr", "name_nl", "nis_code"]


@admin.register(PostalCode)
class PostalCodeAdmin(FederationStaffCanView, admin.ModelAdmin):
    list_display = ["code", "commune", "locality_fr", "locality_nl"]


@admin.register(AuditEntry)
class AuditEntryAdmin(FederationStaffCanView, admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["created_at", "actor", "organisation", "code", "target_repr"]
    list_filter = ["code"]
    search_fields = ["code", "target_repr", "target_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
