from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

ITEMS = [
    NavItem(_("Home"), "core:home", frozenset()),
    NavItem(_("Audit log"), "core:audit_log", frozenset({Role.COORDINATOR, Role.FEDERATION_STAFF, Role.ADMINISTRATOR})),
]
