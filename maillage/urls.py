from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("maillage.core.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("categories/", include("maillage.taxonomy.urls")),
    path("directory/", include("maillage.directory.urls")),
    path("helpline/", include("maillage.helpline.urls")),
    path("casework/", include("maillage.casework.urls")),
    path("events/", include("maillage.events.urls")),
    path("surveys/", include("maillage.surveys.urls")),
    path("newsletters/", include("maillage.newsletters.urls")),
    path("stats/", include("maillage.stats.urls")),
    path("sector/", include("maillage.sector.urls")),
]

# Translated error pages with a way back, also when DEBUG is off in the demo (maillage/core/errors.py).
handler400 = "maillage.core.errors.bad_request_page"
handler403 = "maillage.core.errors.permission_denied_page"
handler404 = "maillage.core.errors.page_not_found_page"
handler500 = "maillage.core.errors.server_error_page"
