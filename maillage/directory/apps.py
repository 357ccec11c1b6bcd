from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "maillage.directory"
    label = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from maillage.core.models import Commune, PostalCode, PostalRange, Province
        from maillage.directory.forms import forget_postal_locations

        # Not a workflow: it only drops this process's cached postal code lookups of the search form.
        for model in (PostalCode, PostalRange, Commune, Province):
            uid = f"directory-forget-{model.__name__}"
            post_save.connect(forget_postal_locations, sender=model, weak=False, dispatch_uid=f"{uid}-saved")
            post_delete.connect(forget_postal_locations, sender=model, weak=False, dispatch_uid=f"{uid}-deleted")
