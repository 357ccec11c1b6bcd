"""The book of recommendations as an A4 PDF (fpdf2, the directory sheet's library and font)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from maillage.directory.sheet_pdf import FONT, FONT_DIR, GREY, MARGIN
from maillage.events.models import Event
from maillage.events.services.book import chapters


class _BookDocument(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-MARGIN + 3)
        self.set_font(FONT, size=8)
        self.set_text_color(GREY)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"{self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


def book_pdf_bytes(event: Event, link: str) -> bytes:
    """The cover (title, organisers, address of the public book), then each theme's recommendations."""
    title = _("Book of recommendations")
    published = event.book_published_at or timezone.now()
    pdf = _BookDocument(
        _("%(title)s — published on %(date)s — %(link)s")
        % {"title": event.title, "date": date_format(timezone.localtime(published), "DATE_FORMAT"), "link": link}
    )
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN + 3)
    pdf.set_title(f"{title} · {event.title}")
    pdf.set_creator("maillage")
    pdf.set_lang(get_language() or "fr")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.add_page()
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(GREY)
    pdf.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(0, 9, event.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    organisers = " · ".join(organisation.name for organisation in event.organisers.all())
    pdf.multi_cell(0, 5, organisers, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    book = chapters(event)
    if not book:
        pdf.set_font(FONT, "I", 10)
        pdf.multi_cell(0, 5, _("No recommendation yet."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for theme, items in book:
        if pdf.will_page_break(40):
            pdf.add_page()
        pdf.set_font(FONT, "B", 14)
        pdf.multi_cell(0, 7, getattr(theme, "title", "") or _("Across themes"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(2)
        for number, (recommendation, sources) in enumerate(items, start=1):
            pdf.set_font(FONT, "B", 11)
            pdf.multi_cell(0, 5.5, f"{number}. {recommendation.recommendation}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            lines = [(_("Diagnosis"), recommendation.diagnosis)]
            if recommendation.implementation:
                lines.append((_("How to implement it"), recommendation.implementation))
            if recommendation.addressed_to:
                lines.append((_("Addressed to"), recommendation.addressed_to))
            lines.append((_("Status"), recommendation.get_follow_status_display()))
            for label, text in lines:
                pdf.set_font(FONT, "B", 9.5)
                pdf.multi_cell(0, 4.5, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.set_font(FONT, "", 9.5)
                pdf.multi_cell(0, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            if sources:
                pdf.set_font(FONT, "B", 9.5)
                pdf.multi_cell(0, 4.5, _("From the groups"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.set_font(FONT, "I", 9)
                for source in sources:
                    pdf.multi_cell(
                        0, 4.5, f"— {source.text} ({', '.join(source.groups)})", new_x=XPos.LMARGIN, new_y=YPos.NEXT
                    )
            pdf.ln(3)
    return bytes(pdf.output())
