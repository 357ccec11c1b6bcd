from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from maillage.core import services
from maillage.core.admin_site import FederationStaffCanManage, FederationStaffCanView
from maillage.core.audit import log_action
from maillage.core.models import AuditEntry, Commune, Membership, Organisation, PostalCode, User


class MembershipInline(FederationStaffCanView, admin.TabularInline):
    """Read-only: a role is granted or removed in "Memberships", through the audited services.

    Nobody edits them here, not even a superuser: Django ignores the forms of a formset
    its user may neither add nor change, so a forged post writes nothing.
    """

    model = Membership
    extra = 0
    fields = ("user", "organisation", "role", "is_active", "created_at")
    readonly_fields = ("user", "organisation", "role", "is_active", "created_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GrantRoleForm(forms.ModelForm):
    """The admin's "grant a role": the service decides whether the person asking may."""

    class Meta:
        model = Membership
        fields = ["user", "organisation", "role", "emergency_reason"]
        help_texts = {
            "emergency_reason": _(
                "Only to open a centre to yourself in an emergency: the access ends by itself after a few hours"
                " and the centre's coordinators read this reason."
            )
        }

    request: HttpRequest

    def validate_unique(self) -> None:
        """A removed role may be granted again: the service re-activates it."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user, organisation, role = cleaned.get("user"), cleaned.get("organisation"), cleaned.get("role")
        reason = cleaned.get("emergency_reason", "")
        if user and organisation and role:
            try:
                if user == self.request.user and reason:
                    services.check_emergency_access(user, organisation, role, reason)
                else:
                    services.check_may_grant(self.request.user, user, organisation, role)  # type: ignore[arg-type]
            except ValidationError as error:
                log_action(
                    self.request.user,  # type: ignore[arg-type]
                    "core.membership.grant_refused",
                    user,
                    {"role": role, "user_id": user.pk, "via": "admin"},
                    organisation=organisation,
                )
                raise error
        return cleaned


@admin.register(Membership)
class MembershipAdmin(FederationStaffCanManage, admin.ModelAdmin):
    """Grant a role (services.grant_role) or remove one (services.remove_member); never edited in place."""

    list_display = ["user", "organisation", "role", "is_active", "expires_at", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__full_name", "organisation__short_name"]
    autocomplete_fields = ["user", "organisation"]
    form = GrantRoleForm
    actions = ["remove_roles"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return ["user", "organisation", "role", "is_active", "expires_at", "emergency_reason", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if data["user"] == request.user and data.get("emergency_reason"):
            membership = services.grant_emergency_access(
                request.user,  # type: ignore[arg-type]
                data["organisation"],
                data["role"],
                data["emergency_reason"],
            )
            obj.pk, obj.is_active, obj.created_at = membership.pk, membership.is_active, membership.created_at
            return
        membership = services.grant_role(
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["user"],
            form.cleaned_data["organisation"],
            form.cleaned_data["role"],
            via="admin",
        )
        obj.pk, obj.is_active, obj.created_at = membership.pk, membership.is_active, membership.created_at

    @admin.action(description=_("Remove the selected roles (the people are signed out)"))
    def remove_roles(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        removed = 0
        for membership in queryset.filter(is_active=True).select_related("user", "organisation"):
            services.remove_member(request.user, membership, via="admin")  # type: ignore[arg-type]
            removed += 1
        self.message_user(request, _("%(count)d roles removed.") % {"count": removed}, messages.SUCCESS)


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
