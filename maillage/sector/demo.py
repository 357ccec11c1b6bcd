"""Demo data: last year's data year open (centres can declare it complete) and one meeting comment."""

from __future__ import annotations

from django.utils import timezone

from maillage.core.demo_context import DemoContext
from maillage.sector.models import Comment, DataYear


def load(context: DemoContext) -> None:
    year = timezone.localdate().year - 1
    DataYear.objects.get_or_create(year=year)
    author = context.accounts.get("federation_staff")
    if author is not None and not Comment.objects.filter(year=year).exists():
        Comment.objects.create(
            year=year,
            indicator="requests.theme1",
            text="Les demandes d'aide alimentaire restent la première demande dans tous les centres.",
            author=author,
        )
    context.notes.append("Sector: /sector/ (worker or coordinator), /sector/cycle/ (federation staff)")
