from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

ITEMS = [
    NavItem(_("Surveys"), "surveys:manage_list", frozenset({Role.FEDERATION_STAFF, Role.ADMINISTRATOR})),
    NavItem(_("My surveys"), "surveys:my_surveys", None),
]
