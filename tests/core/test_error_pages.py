"""Error pages people can read: translated, with a way back, no traceback; control characters refused at the edge.

This module is also the URL configuration of most of its tests: views that fail on purpose, the
core and account URLs the layout links to, and the error handlers maillage/urls.py names (kept
small so these tests do not depend on every app's URLs; one test goes through the real ones).
"""

from __future__ import annotations

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from maillage.core.parsing import bad_parameters_answer_400, parse_date


def _explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("internal detail")


@bad_parameters_answer_400
def _dated(request: HttpRequest) -> HttpResponse:
    day = parse_date(request.GET.get("day"), name="day")
    return HttpResponse(str(day))


def _echo(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok:" + ",".join(sorted(request.POST)) + ":" + ",".join(sorted(request.FILES)))


urlpatterns = [
    path("test-errors/explode/", _explode),
    path("test-errors/forbidden/", _forbidden),
    path("test-errors/dated/", _dated),
    path("test-errors/echo/", _echo),
    path("", include("maillage.core.urls")),
    path("accounts/", include("allauth.urls")),
]
HANDLERS = {
    "handler400": "maillage.core.errors.bad_request_page",
    "handler403": "maillage.core.errors.permission_denied_page",
    "handler404": "maillage.core.errors.page_not_found_page",
    "handler500": "maillage.core.errors.server_error_page",
}
handler400, handler403, handler404, handler500 = HANDLERS.values()

TITLES = {
    404: {"fr": "Page introuvable", "nl": "Pagina niet gevonden", "en": "Page not found"},
    403: {"fr": "Accès refusé", "nl": "Toegang geweigerd", "en": "Access denied"},
    500: {"fr": "Une erreur s'est produite", "nl": "Er is iets misgegaan", "en": "Something went wrong"},
    400: {
        "fr": "La demande n'a pas pu être utilisée",
        "nl": "Het verzoek kon niet worden gebruikt",
        "en": "The request could not be used",
    },
}
HOME = {"fr": "Page d'accueil", "nl": "Startpagina", "en": "Home page"}
URLS = {404: "/no-such-page/", 403: "/test-errors/forbidden/", 500: "/test-errors/explode/"}


@pytest.fixture
def client(settings) -> Client:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    return Client(raise_request_exception=False)


def _title(html: str) -> str:
    return unescape(html.split("<h1>", 1)[1].split("</h1>", 1)[0])


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
@pytest.mark.parametrize("status", [404, 403, 500])
def test_error_page_is_translated_with_a_way_home(client: Client, status: int, language: str) -> None:
    response = client.get(URLS[status], HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == status
    assert _title(html) == TITLES[status][language]
    assert f'<a class="button" href="/">{HOME[language]}</a>' in unescape(html)
    assert f'<html lang="{language}">' in html
    assert "Traceback" not in html
    assert "internal detail" not in html
    assert "a bug" not in html


def test_project_urls_use_these_handlers_and_answer_a_translated_404(settings) -> None:  # type: ignore[no-untyped-def]
    import maillage.urls

    settings.DEBUG = False
    assert {name: getattr(maillage.urls, name) for name in HANDLERS} == HANDLERS
    response = Client().get("/directory/no-such-page/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 404
    assert _title(response.content.decode()) == TITLES[404]["nl"]


def test_error_page_offers_back_when_coming_from_our_site(client: Client) -> None:
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/directory/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<a class="button button--quiet" href="http://testserver/directory/">Back</a>' in response.content.decode()
    elsewhere = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/", HTTP_ACCEPT_LANGUAGE="en")
    assert "evil.example" not in elsewhere.content.decode()


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_bad_parameter_gives_a_translated_400_naming_the_problem(client: Client, language: str) -> None:
    response = client.get("/test-errors/dated/", {"day": "9999-12-31"}, HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 400
    assert _title(html) == TITLES[400][language]
    message = {
        "fr": "L'année doit être comprise entre 1900 et 2100.",
        "nl": "Het jaar moet tussen 1900 en 2100 liggen.",
        "en": "The year must be between 1900 and 2100.",
    }[language]
    assert f"<p>{message}</p>" in unescape(html)


@pytest.mark.parametrize(
    "url",
    ["/directory/?q=soup%00", "/directory/?q=a%1Bb", "/no%00where/", "/directory/?%00=1", "/?q=" + "a" * 5000],
)
def test_control_characters_and_long_queries_answer_400(client: Client, url: str) -> None:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 400
    assert _title(response.content.decode()) == TITLES[400]["nl"]


def test_posted_text_may_hold_line_breaks_but_not_nul(client: Client) -> None:
    ok = client.post("/test-errors/echo/", {"comment": "line one\r\n\tline two"})
    assert (ok.status_code, ok.content) == (200, b"ok:comment:")
    refused = client.post("/test-errors/echo/", {"comment": "a\x00b"})
    assert refused.status_code == 400
    tab_in_query = client.get("/test-errors/dated/?day=%09")
    assert tab_in_query.status_code == 400


def test_multipart_file_uploads_pass_whatever_their_bytes(client: Client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    upload = tmp_path / "journal.bin"
    upload.write_bytes(b"\x00\x01\x1b binary \x00")
    with upload.open("rb") as handle:
        response = client.post("/test-errors/echo/", {"note": "fine", "file": handle})
    assert (response.status_code, response.content) == (200, b"ok:note:file")
