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
    path("stats/", include("maillage.stats.urls")),
]
