from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SectorConfig(AppConfig):
    name = "maillage.sector"
    label = "sector"
    verbose_name = _("Sector report")
