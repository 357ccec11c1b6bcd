"""A survey built in the browser, answered by two organisations through their links (one on a phone,
by keyboard), and its results read: table, chart, shared results; a question edited and moved while the
survey is a draft; every page passes axe."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from maillage.core.models import OutboxEmail, Role
from maillage.surveys.models import Response
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.conftest import give_totp, totp_code
from tests.factories import PASSWORD, OrganisationFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _link(address: str) -> str:
    body = next(e.body for e in OutboxEmail.objects.order_by("pk") if address in e.to)
    return re.search(r"/surveys/o/[^/\s]+/", body).group(0)  # type: ignore[union-attr]


@pytest.mark.slow(seconds=10)
def test_build_answer_as_two_organisations_and_read_results(page, phone_page) -> None:  # type: ignore[no-untyped-def]
    staff = member(Role.FEDERATION_STAFF, OrganisationFactory(short_name="FdSS", sector="federation"), language="fr")
    centres = [
        OrganisationFactory(short_name=name, name_fr=name, sector=sector)
        for name, sector in (("CASG Nord", "casg"), ("CPAS Sud", "cpas"))
    ]
    for n, centre in enumerate(centres):
        member(Role.COORDINATOR, centre, email=f"coord{n}@example.org", language="fr")
    give_totp(staff)
    sign_in(page, staff.email, PASSWORD)
    page.fill("input[name=code]", totp_code())
    page.press("input[name=code]", "Enter")
    page.wait_for_url("**/")

    # Build.
    page.goto("/surveys/manage/new/")
    page.fill("input[name=title_fr]", "Matériel de protection")
    page.fill("input[name=title_nl]", "Beschermingsmateriaal")
    page.select_option("select[name=audience]", "organisations")
    now = timezone.localtime()
    page.fill("input[name=opens_at]", (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=closes_at]", (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state()
    add = page.locator("section[aria-labelledby=add-title] form")
    add.locator("select[name=kind]").select_option("single")
    add.locator("input[name=text_fr]").fill("Avez-vous besoin de masques ?")
    add.locator("input[name=required]").check()
    add.locator("textarea[name=choices]").fill("Oui | Ja\nNon | Nee")
    add.locator("button[type=submit]").click()
    page.wait_for_load_state()
    add = page.locator("section[aria-labelledby=add-title] form")
    add.locator("select[name=kind]").select_option("number")
    add.locator("input[name=text_fr]").fill("Combien de masques ?")
    add.locator("input[name=minimum]").fill("0")
    add.locator("select[name=condition]").select_option(label="Avez-vous besoin de masques ? → Oui")
    add.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("section[aria-labelledby=questions-title] li strong").all_inner_texts() == [
        "Avez-vous besoin de masques ?", "Combien de masques ?",
    ]  # fmt: skip
    assert_no_axe_violations(page)
    manage_url = page.url
    # Edit the first question (its Dutch text), then move it down and back up, as a draft allows.
    page.get_by_role("link", name="Modifier la question q1").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page)
    page.locator("input[name=text_nl]").fill("Hebt u mondmaskers nodig?")
    page.get_by_role("button", name="Enregistrer la question").click()
    page.wait_for_load_state()
    assert page.locator(".messages").inner_text() == "Question enregistrée."
    page.get_by_role("button", name="Descendre la question q1").click()
    page.wait_for_load_state()
    assert page.locator("section[aria-labelledby=questions-title] li strong").all_inner_texts() == [
        "Combien de masques ?", "Avez-vous besoin de masques ?",
    ]  # fmt: skip
    page.get_by_role("button", name="Monter la question q1").click()
    page.wait_for_load_state()
    assert page.locator("section[aria-labelledby=questions-title] li strong").all_inner_texts() == [
        "Avez-vous besoin de masques ?", "Combien de masques ?",
    ]  # fmt: skip
    page.goto(manage_url + "invite/")
    for centre in centres:
        page.get_by_label(str(centre)).check()
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state()

    # Answer: the first on a phone, by keyboard only.
    phone_page.goto(_link("coord0@example.org"))
    assert_no_axe_violations(phone_page)
    phone_page.get_by_label("Oui").focus()
    phone_page.keyboard.press("Space")
    phone_page.locator("input[name=q_q2]").focus()
    phone_page.keyboard.type("250")
    phone_page.locator("button[value=send]").focus()
    phone_page.keyboard.press("Enter")
    phone_page.wait_for_load_state()
    assert phone_page.locator("h1").inner_text() == "Matériel de protection"
    # The second leaves a required question empty first: a translated error, then sends.
    other = page.context.browser.new_context(base_url=page.url.split("/surveys")[0], locale="fr-BE").new_page()
    other.goto(_link("coord1@example.org"))
    other.locator("button[value=send]").click()
    other.wait_for_load_state()
    assert other.locator("[role=alert]").first.is_visible()
    other.get_by_label("Non").check()
    other.locator("button[value=send]").click()
    other.wait_for_load_state()
    other.context.close()
    sent = Response.objects.filter(submitted_at__isnull=False).order_by("organisation__short_name")
    assert [(r.organisation.short_name, r.answers) for r in sent] == [
        ("CASG Nord", {"q1": "1", "q2": 250}),
        ("CPAS Sud", {"q1": "2"}),
    ]

    # Read the results.
    survey_id = sent[0].survey_id
    page.goto(f"/surveys/manage/{survey_id}/results/")
    first = page.locator("section.card").nth(0)
    assert first.locator("tbody tr").all_inner_texts() == ["Oui\t1\t50,0", "Non\t1\t50,0"]
    assert first.locator("figure img").get_attribute("alt").endswith("Oui 1; Non 1")
    assert_no_axe_violations(page)
    page.goto(f"/surveys/manage/{survey_id}/answers/")
    assert page.locator("tbody tr").count() == 2
    # Shared back to the organisations asked: two answers, so every count is under the disclosure rule.
    phone_page.goto(_link("coord0@example.org") + "results/")
    assert phone_page.locator("main p", has_text="Organisations qui ont répondu").inner_text() == (
        "Organisations qui ont répondu : <5"
    )
    assert_no_axe_violations(phone_page)
