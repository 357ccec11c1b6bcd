"""Partnerships and local networks are kept by federation staff in the admin; quartiers come from
`manage.py import_quartiers` and are only looked at here."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin

from maillage.core.admin_site import FederationStaffCanManage, FederationStaffCanView
from maillage.directory.models import Network, Quartier


@admin.register(Network)
class NetworkAdmin(FederationStaffCanManage, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name_fr", "kind")
    list_filter = ("kind",)
    search_fields = ("name_fr", "name_nl")
    filter_horizontal = ("communes",)
    # Thousands of services and workers: members are given by id (with the admin's lookup).
    raw_id_fields = ("services", "workers")
    fields: ClassVar = ["name_fr", "name_nl", "kind", "description", "communes", "services", "workers"]


@admin.register(Quartier)
class QuartierAdmin(FederationStaffCanView, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name_fr", "name_nl")
    search_fields = ("code", "name_fr", "name_nl")
    readonly_fields = ("code", "name_fr", "name_nl", "communes")
