from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class HelplineConfig(AppConfig):
    name = "maillage.helpline"
    label = "helpline"
    verbose_name = _("Helpline")

    def ready(self) -> None:
        from maillage.core.models import Commune, PostalCode, PostalRange, Province
        from maillage.helpline.services import forget_category_index, forget_postal_locations
        from maillage.taxonomy.models import Category, SchemeVersion

        # Not workflows: they only drop this process's cached lookups used when logging a call.
        receivers = [
            (forget_category_index, (SchemeVersion, Category)),
            (forget_postal_locations, (PostalCode, PostalRange, Commune, Province)),
        ]
        for receiver, models in receivers:
            for model in models:
                uid = f"helpline-forget-{model.__name__}"
                post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}-saved")
                post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}-deleted")
