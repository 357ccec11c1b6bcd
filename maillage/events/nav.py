from django.utils.translation import gettext_lazy as _

from maillage.core.models import Role
from maillage.core.navigation import NavItem

ITEMS = [
    NavItem(_("Events"), "events:list", frozenset()),
    NavItem(_("Organise events"), "events:manage_list", frozenset({Role.ORGANISER, Role.FEDERATION_STAFF})),
    NavItem(_("Emails sent"), "events:outbox", frozenset({Role.FEDERATION_STAFF, Role.ADMINISTRATOR})),
]
