from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

ITEMS = [
    NavItem(_("My centre and the sector"), "sector:centre", frozenset({Role.WORKER, Role.COORDINATOR})),
    NavItem(_("Sector report"), "sector:cycle", frozenset({Role.FEDERATION_STAFF, Role.ADMINISTRATOR})),
]
