from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

LINE = frozenset({Role.RESPONDER, Role.FEDERATION_STAFF, Role.ADMINISTRATOR})

ITEMS = [
    NavItem(_("Log a call"), "helpline:call_new", LINE),
    NavItem(_("My shift"), "helpline:my_shift", frozenset({Role.RESPONDER})),
    NavItem(_("Call journal"), "helpline:calls", LINE),
]
