from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

ITEMS = [
    NavItem(_("Case files"), "casework:case_files", frozenset({Role.WORKER, Role.COORDINATOR})),
    NavItem(_("Collective activities"), "casework:activities", frozenset({Role.WORKER, Role.COORDINATOR})),
    NavItem(_("Statistics"), "stats:casework_crosstab", frozenset({Role.WORKER, Role.COORDINATOR})),
    NavItem(_("Sector extraction"), "stats:casework_sector", frozenset({Role.FEDERATION_STAFF, Role.ADMINISTRATOR})),
]
