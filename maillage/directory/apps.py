from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "maillage.directory"
    label = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from maillage.directory import signals

        signals.connect()
        from maillage.directory import follow_taxonomy
        from maillage.taxonomy.signals import version_published

        version_published.connect(follow_taxonomy.follow, dispatch_uid="directory-follow-taxonomy")
