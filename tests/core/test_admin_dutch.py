"""The Django admin is complete in Dutch: no string falls back to French (our LANGUAGE_CODE)."""

from __future__ import annotations

from pathlib import Path

import django
import polib
import pytest
from django.utils import translation
from django.views.i18n import JavaScriptCatalog

from tests.conftest import client_for

DJANGO = Path(django.__file__).parent
CATALOGUES = [
    (DJANGO / "contrib/admin/locale", "django"),
    (DJANGO / "contrib/auth/locale", "django"),
    (DJANGO / "conf/locale", "django"),
]


@pytest.mark.parametrize(("root", "domain"), CATALOGUES)
def test_every_french_string_of_django_reads_in_dutch(root: Path, domain: str):
    french = [entry for entry in polib.pofile(str(root / f"fr/LC_MESSAGES/{domain}.po")) if entry.translated()]
    in_french = []
    with translation.override("nl"):
        for entry in french:
            if entry.msgid_plural or entry.msgctxt:
                continue
            if translation.gettext(entry.msgid) == entry.msgstr != entry.msgid:
                in_french.append(entry.msgid)
    assert in_french == []


def test_the_admin_javascript_catalogue_is_dutch(rf):
    request = rf.get("/admin/jsi18n/")
    with translation.override("nl"):
        response = JavaScriptCatalog.as_view(packages=["django.contrib.admin"])(request)
    body = response.content.decode()
    assert '"Choose all %s": "Alle %s kiezen"' in body


@pytest.mark.django_db
def test_the_admin_index_has_no_french_in_dutch(federation_staff):
    client = client_for(federation_staff)
    client.cookies["django_language"] = "nl"
    body = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Modelnaam" in body
    assert "Nom du modèle" not in body
