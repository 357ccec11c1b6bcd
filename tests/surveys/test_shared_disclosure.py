"""Results shared back to respondents go through the statistics' disclosure engine: attempts to single out
one organisation's answer — by subtracting filtered views, by removing one's own answer, by the complement of
a multiple choice, by subtracting sums — are checked with the engine's own LP audit over everything the
pages give, as an attacker would gather it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from maillage.core.models import Region, Sector
from maillage.stats.disclosure import TOTAL, DisclosureRefused, audit_figures
from maillage.surveys import services
from maillage.surveys.models import Invitation, Kind, Survey
from maillage.surveys.sharing import ANSWERED, BLANK, survey_rule
from tests.factories import OrganisationFactory
from tests.surveys.conftest import items, make_survey

pytestmark = pytest.mark.django_db

SECTORS = [Sector.CASG.value, Sector.CAW.value, Sector.CPAS.value]
REGIONS = [Region.BRUSSELS.value, Region.FLANDERS.value, Region.WALLONIA.value]
# Eleven CASG in Brussels, twelve CAW in Flanders, and one CPAS alone in Wallonia: the one to single out.
WORLD = [(Sector.CASG, Region.BRUSSELS, n < 6) for n in range(11)] + [
    (Sector.CAW, Region.FLANDERS, n < 6) for n in range(12)
]
LONE_NUMBER = 1000


@pytest.fixture
def survey(staff):  # type: ignore[no-untyped-def]
    survey = make_survey(staff)
    services.add_question(staff, survey, {"kind": Kind.SINGLE, "text_fr": "Masques ?", "choices": items("Oui", "Non")})
    services.add_question(
        staff, survey, {"kind": Kind.MULTIPLE, "text_fr": "Matériel", "choices": items("Gants", "Gel")}
    )
    services.add_question(staff, survey, {"kind": Kind.NUMBER, "text_fr": "Demandes ?", "minimum": 0})
    services.add_question(staff, survey, {"kind": Kind.LONG_TEXT, "text_fr": "Commentaire"})
    organisations = []
    for sector, region, yes in WORLD:
        organisation = OrganisationFactory(sector=sector, region=region)
        organisations.append(organisation)
        answers = {"q1": "1" if yes else "2", "q2": ["1", "2"], "q3": 10, "q4": "Un texte"}
        services.save_answers(services.sheet_for_organisation(survey, organisation), answers, finish=True)
    lone = OrganisationFactory(sector=Sector.CPAS, region=Region.WALLONIA)
    # The lone one answers "Non", is the only one without gloves, and has a very different number.
    lone_answers = {"q1": "2", "q2": ["2"], "q3": LONE_NUMBER, "q4": "Secret"}
    services.save_answers(services.sheet_for_organisation(survey, lone), lone_answers, finish=True)
    services.invite_organisations(staff, survey, [*organisations, lone])
    return survey


def _true_count(cells: Sequence[tuple[str, str, str]]) -> int:
    """The single-choice question's true counts in WORLD (and the lone one's "Non")."""
    truth = {("1", "casg", "brussels"): 6, ("2", "casg", "brussels"): 5, ("1", "caw", "flanders"): 6,
             ("2", "caw", "flanders"): 6, ("2", "cpas", "wallonia"): 1}  # fmt: skip
    return sum(truth.get(cell, 0) for cell in cells)


def _number(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _views(client: Any, survey: Survey, organisation_sector: str, organisation_region: str) -> dict:  # type: ignore[type-arg]
    invitation = Invitation.objects.filter(
        survey=survey, organisation__sector=organisation_sector, organisation__region=organisation_region
    ).first()
    assert invitation is not None
    url = reverse("surveys:shared_results", args=[invitation.token])
    views = {}
    for sector in ["", *SECTORS]:
        for region in ["", *REGIONS]:
            page = client.get(url, {name: value for name, value in (("sector", sector), ("region", region)) if value})
            assert page.status_code == 200
            views[(sector or TOTAL, region or TOTAL)] = page.context["shared"]
    return views


def _cells(category: str, sector: str, region: str, categories: Sequence[str]) -> list[tuple[str, str, str]]:
    return [
        (c, s, r)
        for c in (categories if category == TOTAL else [category])
        for s in (SECTORS if sector == TOTAL else [sector])
        for r in (REGIONS if region == TOTAL else [region])
    ]


def _figures(views: dict, question: int, labels: dict[str, str], categories: Sequence[str]) -> list:  # type: ignore[type-arg]
    """Everything the pages print of one family: each figure with the base cells it sums."""
    figures = []
    for (sector, region), shared in views.items():
        figures.append((_cells(TOTAL, sector, region, categories), _number(shared.respondents)))
        for label, text, _percent in shared.results[question].rows:
            if label in labels:
                figures.append((_cells(labels[label], sector, region, categories), _number(text)))
    return figures


@pytest.mark.parametrize("reader", [(Sector.CASG, Region.BRUSSELS), (Sector.CAW, Region.FLANDERS)])
def test_no_subtraction_of_views_singles_out_an_answer(client, survey, reader) -> None:  # type: ignore[no-untyped-def]
    views = _views(client, survey, *reader)
    rule = survey_rule()  # what the shared results keep: the width of the interval (Rule.two_sided)
    # The reader's own answer ("Oui": the first six of each group) is known to them.
    own = {("1", reader[0].value, reader[1].value): 1}
    single = _figures(views, 0, {"Oui": "1", "Non": "2", "Pas de réponse": BLANK}, ["1", "2", BLANK])
    hidden = {cells[0] for cells, value in single if len(cells) == 1 and not isinstance(value, int)}
    assert ("2", "cpas", "wallonia") in hidden  # the lone one's "Non" is among the hidden figures
    # Every hidden count keeps its protection interval; the lone one's zeros ("Oui", no answer) are hidden too,
    # and together they could hold its answer: nobody can tell it answered "Non".
    lone_other_answers = ([("1", "cpas", "wallonia"), (BLANK, "cpas", "wallonia")], None)
    *intervals, others = audit_figures([*single, lone_other_answers], rule=rule, lower=own, refuse=False)
    counts = [_true_count(cells) for cells, value in single if not isinstance(value, int)]
    assert len(counts) == len(intervals)
    assert all(interval.holds(rule) for interval, count in zip(intervals, counts, strict=True) if count > 0)
    assert others.upper >= 1
    # The naive attack: all − CASG − CAW in the "Non" row; at least one of the three is not given.
    non = {key: next(t for label, t, _p in shared.results[0].rows if label == "Non") for key, shared in views.items()}
    attack = [non[(TOTAL, TOTAL)], non[("casg", TOTAL)], non[("caw", TOTAL)]]
    assert not all(text.isdigit() for text in attack), attack
    # Something is still shared: the count of all the answers of the two large groups together.
    assert views[(TOTAL, TOTAL)].results[0].rows != []
    assert any(text.isdigit() and int(text) > 0 for _label, text, _p in views[(TOTAL, TOTAL)].results[0].rows)

    # Multiple choice: "Gants" chosen by all but the lone one, so "not chosen" (answered − chosen) would be that
    # one. Against a reader who uses what "<5" means, the engine protects it by hiding more (it used to refuse
    # the question): "Gants" is never a count nor "<5" in any view, and everything the pages print of the
    # question — both choices, the blanks they share, the respondents — checked together by the LP audit,
    # with the reader's own choices known, leaves every hidden count its protection interval.
    with translation.override("fr"):
        refusal = DisclosureRefused().message
    assert refusal.startswith("Ce tableau n'est pas affiché")
    printed = []
    for choice in ("Gants", "Gel"):
        cells = [f"{choice}:chosen", f"{choice}:not", BLANK]
        printed += _figures(views, 1, {choice: cells[0], "Pas de réponse": BLANK}, cells)
    for shared in views.values():
        result = shared.results[1]
        assert result.refused in ("", refusal)
        gants = [text for label, text, _p in result.rows if label == "Gants"]
        assert gants in (["x"], []) or (gants == ["0"] and shared.respondents == "0"), (gants, shared.respondents)
    own_choices = {(f"{choice}:chosen", reader[0].value, reader[1].value): 1 for choice in ("Gants", "Gel")}
    audit_figures(printed, rule=rule, lower=own_choices)

    # Numbers: the sum of a view is printed only where its count of answers is, so sums cannot be subtracted
    # more than counts can.
    answers = _figures(views, 2, {"Réponses": ANSWERED, "Pas de réponse": BLANK}, [ANSWERED, BLANK])
    audit_figures(answers, rule=rule, lower={(ANSWERED, reader[0].value, reader[1].value): 1})
    for shared in views.values():
        result = shared.results[2]
        count = next(text for label, text, _p in result.rows if label == "Réponses")
        assert (result.figures != []) == (count.isdigit() and count != "0")
    totals = [views[key].results[2].figures for key in ((TOTAL, TOTAL), ("casg", TOTAL), ("caw", TOTAL))]
    assert not all(totals), totals
    # Free text is never shared.
    assert all(shared.results[3].not_shared for shared in views.values())


def test_the_page_prints_the_rule_and_hidden_cells(client, survey) -> None:  # type: ignore[no-untyped-def]
    invitation = Invitation.objects.filter(survey=survey, organisation__sector=Sector.CASG).first()
    page = client.get(reverse("surveys:shared_results", args=[invitation.token]), {"sector": "cpas"})
    body = page.content.decode()
    assert page["Cache-Control"] == "no-store"
    assert "Secret" not in body
    assert str(LONE_NUMBER) not in body
    shared = page.context["shared"]
    # The lone CPAS: fewer than five, its "Non" hidden and the zeros beside it too (they would tell that the
    # few CPAS all answered "Non"); its number not summed.
    assert shared.respondents == "<5"
    assert [(label, text) for label, text, _p in shared.results[0].rows] == [
        ("Oui", "x"), ("Non", "<5"), ("Pas de réponse", "x"),
    ]  # fmt: skip
    assert [(label, text) for label, text, _p in shared.results[2].rows] == [
        ("Réponses", "<5"),
        ("Pas de réponse", "x"),
    ]
    assert shared.results[2].figures == []
    assert "Les nombres de 1 à 4 sont affichés « &lt;5 »" in body  # the statistics' rule, written with it
    everyone = client.get(reverse("surveys:shared_results", args=[invitation.token])).context["shared"]
    assert everyone.respondents == "24"
    assert [(label, text, p) for label, text, p in everyone.results[0].rows] == [
        ("Oui", "12", 50.0), ("Non", "12", 50.0), ("Pas de réponse", "0", 0.0),
    ]  # fmt: skip
    assert client.get(reverse("surveys:shared_results", args=[invitation.token]), {"region": "mars"}).status_code == 400


def test_a_shared_view_keeps_its_x_out_of_reach_of_the_labels_beside_it() -> None:
    # One question's answers 2 · 5 · 6 · 9: the "2" shown "<5" needs a partner, and the 5 alone as its "x" would
    # be 7 − (1..4) = 3..6 to a reader who knows what "<5" means — too narrow; that reader (who gave one of the
    # "d" answers) must not narrow any "x" below p wide.
    from maillage.stats.disclosure import Dimension
    from maillage.surveys.sharing import _family
    from tests.stats.test_disclosure_labels import reader_interval

    counts = {("a",): 2, ("b",): 5, ("c",): 6, ("d",): 9}
    rule = survey_rule()
    family = _family(counts, [Dimension("answer")], name="test:labels", known={("d",): 1}, fixed={}, rule=rule)
    assert not family.refused
    answers = [key[0] for key in counts]
    printed = [
        (answers if key == (TOTAL,) else [key[0]], value if value is not None else family.texts[key])
        for key, value in family.values.items()
    ]
    assert [state for _cells, state in printed if state == "x"]
    for cells, state in printed:
        if state == "x":
            low, high = reader_interval(printed, cells, rule, own={"d": 1})
            needed = rule.protection_interval(sum(counts[(cell,)] for cell in cells), own=int(cells == ["d"]))
            assert low <= needed[0] + 1e-6, (cells, (low, high), needed)
            assert high >= needed[1] - 1e-6, (cells, (low, high), needed)
