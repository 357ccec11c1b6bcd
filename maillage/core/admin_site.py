"""The Django admin, opened to federation staff (who manage organisations there) as well as to is_staff accounts."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from maillage.core.tenancy import is_federation_staff


class MaillageAdminSite(admin.AdminSite):
    site_header = _("maillage administration")
    site_title = "maillage"

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Everyone signs in through allauth (password and second factor), never the admin's own form."""
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"), reverse("account_login"))

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and (user.is_staff or is_federation_staff(user)))


class FederationStaffCanManage:
    """ModelAdmin mixin: federation staff get full rights on this model, without Django permissions."""

    def _allowed(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or is_federation_staff(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)


class FederationStaffCanView(FederationStaffCanManage):
    """ModelAdmin mixin: federation staff may look, only superusers change."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)
