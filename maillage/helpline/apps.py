from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class HelplineConfig(AppConfig):
    name = "maillage.helpline"
    label = "helpline"
    verbose_name = _("Helpline")

    def ready(self) -> None:
        from maillage.helpline.services import forget_category_index
        from maillage.taxonomy.models import Category, SchemeVersion

        # Not a workflow: it only drops this process's cached category index used when logging a call.
        for model in (SchemeVersion, Category):
            uid = f"helpline-forget-{model.__name__}"
            post_save.connect(forget_category_index, sender=model, weak=False, dispatch_uid=f"{uid}-saved")
            post_delete.connect(forget_category_index, sender=model, weak=False, dispatch_uid=f"{uid}-deleted")
        from maillage.helpline import follow_taxonomy
        from maillage.taxonomy.signals import version_published

        version_published.connect(follow_taxonomy.follow, dispatch_uid="helpline-follow-taxonomy")
        from maillage.helpline.partitions import group_by_every_selected_column

        # The journal's keys include the partition key on PostgreSQL: aggregates must group by every column.
        group_by_every_selected_column()
