from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

ITEMS = [
    NavItem(_("Newsletters"), "newsletters:subscribe", frozenset()),
    NavItem(_("Send newsletters"), "newsletters:manage", frozenset({Role.FEDERATION_STAFF, Role.ADMINISTRATOR})),
]
