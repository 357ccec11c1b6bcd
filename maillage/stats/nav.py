from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

ITEMS = [
    NavItem(_("Helpline figures"), "stats:helpline_index", frozenset({Role.FEDERATION_STAFF, Role.ADMINISTRATOR})),
]
