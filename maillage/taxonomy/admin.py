"""Read-only in the admin: categories change through /categories/, where drafts, freezing and the audit log apply."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from maillage.core.tenancy import is_federation_staff
from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion

SEARCH_MAX_CHARS = 200


class ReadOnlyAdmin(admin.ModelAdmin):
    """Federation staff and superusers may look; nobody changes categories here."""

    def _may_look(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or is_federation_staff(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_look(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._may_look(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> tuple[Any, bool]:
        # SQLite refuses a LIKE pattern over 50,000 bytes ("pattern too complex"); no label is over 200.
        return super().get_search_results(request, queryset, search_term[:SEARCH_MAX_CHARS])


@admin.register(Scheme)
class SchemeAdmin(ReadOnlyAdmin):
    list_display = ["code", "label_fr", "label_nl"]


@admin.register(SchemeVersion)
class SchemeVersionAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "number", "status", "published_at"]
    list_filter = ["scheme", "status"]


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["code", "label_fr", "label_nl", "level", "version", "is_active"]
    list_filter = ["version", "level", "is_active"]
    search_fields = ["code", "label_fr", "label_nl", "label_en"]
    list_select_related = ["version__scheme"]


@admin.register(CategoryMapping)
class CategoryMappingAdmin(ReadOnlyAdmin):
    list_display = ["source", "target"]
    list_select_related = ["source", "target"]
