from django.contrib.admin.apps import AdminConfig


class MaillageAdminConfig(AdminConfig):
    """Django's admin with our site, which lets federation staff in."""

    default_site = "maillage.core.admin_site.MaillageAdminSite"
