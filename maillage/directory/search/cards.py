"""The result cards of the directory search and the people search's lines: the one place where result
HTML is written by hand.

A template loop over ~20 lookups per result cost more than the search itself, so each result's
<li> is prepared as a ResultCard and written here; tests/directory/test_search_fragment.py pins the
exact HTML (golden test). Every value is escaped here; fixed labels are escaped once per page.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape  # Django's escape() without its lazy-string wrapper: same output, called ~200 times a page

from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.directory.models import CrisisStatus, Modality, Worker, translated
from maillage.directory.people import Person
from maillage.directory.search.results import SearchResult


@dataclass
class ResultCard:
    """One search result as the page prints it, prepared here so the template only writes strings."""

    url: str
    name: str
    organisation: str
    is_open: bool
    open_until: str
    serves_area: bool
    crisis: str
    next_opening: datetime | None
    next_opening_text: str
    modalities: str
    addresses: list[str]
    phones: list[tuple[str, str]]
    workers: list[Worker]
    html: SafeString = field(default_factory=SafeString)


def build_cards(rows: list[tuple[SearchResult, list[Worker]]], *, professional: bool) -> list[ResultCard]:
    url = reverse("directory:service", args=[0])[:-2]  # ".../services/0/" → ".../services/"
    labels = _CardLabels()
    language = get_language()
    today = timezone.localdate()
    cards = []
    for result, service_workers in rows:
        service = result.service
        # Only a closed result prints its next opening, only an open one its closing time.
        upcoming = timezone.localtime(result.next_opening) if result.next_opening and not result.is_open else None
        until = result.open_until if result.is_open else None
        card = ResultCard(
            url=f"{url}{service.pk}/",
            name=translated(service.name_fr, service.name_nl, language),
            organisation=translated(service.organisation.name_fr, service.organisation.name_nl, language),
            is_open=result.is_open,
            open_until=timezone.localtime(until).strftime("%H:%M") if until else "",
            serves_area=result.serves_area,
            crisis=service.get_crisis_status_display()
            if service.crisis_status != CrisisStatus.USUAL
            and (service.crisis_until is None or service.crisis_until >= today)
            else "",
            next_opening=upcoming,
            next_opening_text=dateformat.format(upcoming, "l j F, H:i") if upcoming else "",
            modalities=", ".join(labels.modalities[m] for m in service.modalities.split() if m in labels.modalities),
            addresses=[f"{place.address}, {place.postal_code} {place.city}" for place in service.places],
            phones=[(number.replace(" ", ""), number) for number in service.phone_numbers],
            workers=service_workers if professional else [],
        )
        card.html = card_html(card, labels)
        cards.append(card)
    return cards


class _CardLabels:
    """The card's fixed words, translated once per page rather than once per result."""

    def __init__(self) -> None:
        self.open_now = escape(_("Open now"))
        self.closed_now = escape(_("Closed now"))
        self.serves = escape(_("Serves this area"))
        self.next_label = escape(_("Next opening:"))
        self.how = escape(_("How to get in:"))
        self.until = _("until %(time)s")  # not escaped, as {% blocktranslate %} does
        self.workers = escape(_("Workers"))
        self.modalities = {str(value): str(label) for value, label in Modality.choices}


def card_html(card: ResultCard, labels: _CardLabels) -> SafeString:
    """One result's <li>, written in Python: the template loop over ~20 lookups per result cost more
    than the search itself. Every value is escaped here; the labels are escaped once in _CardLabels."""
    if card.is_open:
        # As {% blocktranslate %}: the translation as it is, the value escaped.
        until = f" · {labels.until % {'time': escape(card.open_until)}}" if card.open_until else ""
        badges = f'<span class="badge badge--ok">{labels.open_now}{until}</span>'
    else:
        badges = f'<span class="badge">{labels.closed_now}</span>'
    if card.serves_area:
        badges += f'<span class="badge">{labels.serves}</span>'
    if card.crisis:
        badges += f'<span class="badge badge--warn">{escape(card.crisis)}</span>'
    parts = [
        f'<li class="card directory-result"><h3><a href="{escape(card.url)}">{escape(card.name)}</a></h3>',
        f'<p class="meta">{escape(card.organisation)}</p><p>{badges}</p>',
    ]
    if card.next_opening and not card.is_open:
        parts.append(
            f'<p>{labels.next_label} <time datetime="{card.next_opening.isoformat()}">'
            f"{escape(card.next_opening_text)}</time></p>"
        )
    if card.modalities:
        parts.append(f"<p>{labels.how} {escape(card.modalities)}</p>")
    parts.extend(f"<p>{escape(address)}</p>" for address in card.addresses)
    parts.extend(f'<p><a href="tel:{escape(tel)}">{escape(number)}</a></p>' for tel, number in card.phones)
    if card.workers:
        parts.append(f'<h4>{labels.workers}</h4><ul class="directory-workers">')
        for worker in card.workers:
            line = f"{escape(worker.full_name)} — {escape(worker.function)}"
            if worker.phone and worker.show_phone:
                line += f' · <a href="tel:{escape(worker.phone.replace(" ", ""))}">{escape(worker.phone)}</a>'
            if worker.email and worker.show_email:
                line += f' · <a href="mailto:{escape(worker.email)}">{escape(worker.email)}</a>'
            parts.append(f"<li>{line}</li>")
        parts.append("</ul>")
    parts.append("</li>")
    return SafeString("".join(parts))


def people_lines(workers: Iterable[Person | Worker], stale: Collection[int]) -> SafeString:
    """The people search's result lines, the same HTML as directory/_worker_line.html writes (the golden
    test pins them equal): fifty includes of that template cost more than the search itself."""
    url = reverse("directory:worker_card", args=[0])[:-2]  # ".../people/0/" → ".../people/"
    stale_badge = f' <span class="badge badge--warn">{escape(_("Card not confirmed recently"))}</span>'
    language = get_language()  # once, not three times a line (the names' properties ask each time)
    lines = []
    for worker in workers:
        service = worker.service
        organisation = service.organisation
        function = translated(worker.function_fr, worker.function_nl, language)
        line = (
            f'<li class="directory-person"><a class="directory-person-name" href="{url}{worker.pk}/">'
            f"{escape(worker.full_name)}</a> — {escape(function)}"
            f" · {escape(translated(service.name_fr, service.name_nl, language))}"
            f" ({escape(translated(organisation.name_fr, organisation.name_nl, language))})"
        )
        if worker.shown_phone:
            line += f' · <a href="tel:{escape(worker.phone.replace(" ", ""))}">{escape(worker.phone)}</a>'
        if worker.shown_email:
            line += f' · <a href="mailto:{escape(worker.email)}">{escape(worker.email)}</a>'
        if worker.pk in stale:
            line += stale_badge
        lines.append(line + "</li>")
    return SafeString("".join(lines))
