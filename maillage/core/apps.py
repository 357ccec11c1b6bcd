from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "maillage.core"
    label = "core"
    verbose_name = _("Organisations and people")

    def ready(self) -> None:
        from maillage.core.geography import forget_postal_locations
        from maillage.core.models import Commune, PostalCode, PostalRange, Province

        # Not a workflow: it only drops this process's cached postal code lookups.
        for model in (PostalCode, PostalRange, Commune, Province):
            uid = f"core-forget-{model.__name__}"
            post_save.connect(forget_postal_locations, sender=model, weak=False, dispatch_uid=f"{uid}-saved")
            post_delete.connect(forget_postal_locations, sender=model, weak=False, dispatch_uid=f"{uid}-deleted")
