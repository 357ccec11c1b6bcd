"""The project's URLs plus one view nobody declared: the access test must name it."""

from django.http import HttpResponse
from django.urls import include, path

from maillage.urls import urlpatterns as project_patterns


def undeclared_view(request: object) -> HttpResponse:
    return HttpResponse("no policy")


probe_patterns = ([path("new/<int:pk>/", undeclared_view, name="new_view")], "access_probe")

urlpatterns = [*project_patterns, path("probe/", include(probe_patterns)), path("bare/", undeclared_view)]
