"""Every audit code of surveys and newsletters reads as words in French and Dutch (core.audit_words)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from maillage.core.audit_words import describe_code

APPS = Path(__file__).resolve().parents[2] / "maillage"
WORDS = {
    "surveys.survey.created": ("Enquête — création", "Enquête — aangemaakt"),
    "surveys.survey.changed": ("Enquête — modification", "Enquête — gewijzigd"),
    "surveys.question.created": ("Question d'enquête — création", "Enquêtevraag — aangemaakt"),
    "surveys.question.edited": ("Question d'enquête — modification", "Enquêtevraag — bewerkt"),
    "surveys.question.moved": ("Question d'enquête — déplacement", "Enquêtevraag — verplaatst"),
    "surveys.question.deleted": ("Question d'enquête — suppression", "Enquêtevraag — verwijderd"),
    "surveys.invitation.sent": ("Invitation — envoi", "Uitnodiging — verzonden"),
    "surveys.link.refused": ("Lien d'enquête — refus", "Enquêtelink — geweigerd"),
    "surveys.reminder.sent": ("Rappel — envoi", "Herinnering — verzonden"),
    "surveys.response.read": ("Réponses à une enquête — consultation", "Antwoorden op een enquête — ingezien"),
    "surveys.response.exported": ("Réponses à une enquête — export", "Antwoorden op een enquête — geëxporteerd"),
    "surveys.response.sent": ("Réponses à une enquête — envoi", "Antwoorden op een enquête — verzonden"),
    "surveys.wave.created": ("Vague d'enquête — création", "Enquêteronde — aangemaakt"),
    "newsletters.edition.saved": ("Numéro de la lettre d'information — enregistrement", "Nummer van de nieuwsbrief — opgeslagen"),
    "newsletters.edition.scheduled": ("Numéro de la lettre d'information — programmé", "Nummer van de nieuwsbrief — gepland"),
    "newsletters.edition.test_sent": ("Numéro de la lettre d'information — envoi de test", "Nummer van de nieuwsbrief — test verzonden"),
    "newsletters.edition.unscheduled": ("Numéro de la lettre d'information — annulation de l'envoi", "Nummer van de nieuwsbrief — verzending geannuleerd"),
    "newsletters.subscribers.imported": ("Abonnés à la lettre d'information — import", "Abonnees van de nieuwsbrief — geïmporteerd"),
}  # fmt: skip


def test_every_code_the_apps_log_has_its_words() -> None:
    found = set()
    for app in ("surveys", "newsletters"):
        for source in (APPS / app).rglob("*.py"):
            found |= set(re.findall(rf'"({app}\.[a-z_]+\.[a-z_]+)"', source.read_text()))
    assert found == set(WORDS)


@pytest.mark.parametrize("code", sorted(WORDS))
def test_codes_read_in_french_and_dutch(code: str) -> None:
    for language, words in zip(("fr", "nl"), WORDS[code], strict=True):
        with translation.override(language):
            assert describe_code(code) == words
