from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "maillage.casework"
    label = "casework"
    verbose_name = _("Case files")

    def ready(self) -> None:
        from maillage.casework import follow_taxonomy
        from maillage.taxonomy.signals import version_published

        version_published.connect(follow_taxonomy.follow, dispatch_uid="casework-follow-taxonomy")
