"""A service page names its languages in the reader's language, not as codes."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db


def test_the_service_page_names_its_languages():
    service = make_service(languages=["ar", "fr"])
    client = Client()
    client.cookies["django_language"] = "fr"
    body = client.get(reverse("directory:service", args=[service.pk])).content.decode()
    assert re.search(r"<dd>([^<]*)</dd>", body[body.index("Langues") :]).group(1) == "arabe, français"
