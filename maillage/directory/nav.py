from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

ITEMS = [
    NavItem(_("Directory"), "directory:search", frozenset()),
    NavItem(_("Import HSDS data"), "directory:import", frozenset({Role.FEDERATION_STAFF, Role.ADMINISTRATOR})),
]
