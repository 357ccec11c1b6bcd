"""The printable neighbourhood sheet as an A4 PDF (fpdf2): the same rows as the HTML sheet, a QR code, a footer."""

from __future__ import annotations

import logging
from datetime import date
from io import BytesIO
from pathlib import Path

import matplotlib
import segno
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from maillage.core.models import Commune
from maillage.directory.search.results import ResultService, SearchResult
from maillage.taxonomy.models import Category

# fpdf2 ships no TTF font and the system's DejaVu is not on every machine, but matplotlib (a pinned
# dependency) always installs DejaVu Sans: Unicode, so French, Dutch and English names print as typed.
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
# fontTools logs every table it subsets at INFO: without this each sheet would add twenty lines to the log.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

MARGIN = 15.0  # mm
QR_SIZE = 32.0  # mm
GREY = 90


class _SheetDocument(FPDF):
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


def _service_lines(service: ResultService) -> list[tuple[str, str]]:
    """(style, text) lines under the service's name."""
    lines = [("I", service.organisation.name)]
    lines += [("", f"{place.address}, {place.postal_code} {place.city}") for place in service.places]
    if hours := service.hours_line:
        lines.append(("", hours))
    if phones := service.phone_numbers:
        lines.append(("B", "☎ " + " — ".join(phones)))
    return lines


def _qr_png(link: str) -> BytesIO:
    image = BytesIO()
    segno.make(link, error="m").save(image, kind="png", scale=8, border=2)
    image.seek(0)
    return image


def sheet_pdf_bytes(
    commune: Commune,
    rows: list[tuple[Category | None, list[SearchResult]]],
    link: str,
    printed_on: date,
) -> bytes:
    """The sheet in the active language: a title with the commune, per need its services, the QR code to `link`."""
    title = _("Where to go in %(commune)s?") % {"commune": commune.name}
    pdf = _SheetDocument(_("Printed on %(date)s — maillage") % {"date": date_format(printed_on, "DATE_FORMAT")})
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN + 3)
    pdf.set_title(title)
    pdf.set_creator("maillage")
    pdf.set_lang(get_language() or "fr")
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.add_page()

    # Header: the title on the left, the QR code on the right with its caption and the link under it.
    qr_x = pdf.w - MARGIN - QR_SIZE
    pdf.image(_qr_png(link), x=qr_x, y=MARGIN, w=QR_SIZE, h=QR_SIZE)
    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(qr_x - MARGIN - 5, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    title_bottom = pdf.get_y()
    pdf.set_y(max(MARGIN + QR_SIZE, title_bottom))
    pdf.set_font(FONT, "", 8)
    pdf.cell(0, 4, _("Scan for up-to-date hours"), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(GREY)
    pdf.cell(0, 4, link, align="R", link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(3)

    for need, results in rows:
        if pdf.will_page_break(35):  # a heading is not left alone at the foot of a page
            pdf.add_page()
        pdf.set_font(FONT, "B", 13)
        pdf.multi_cell(0, 7, need.label if need else _("All services"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(2)
        if not results:
            pdf.set_font(FONT, "I", 9.5)
            pdf.multi_cell(0, 5, _("No service listed."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for result in results:
            service = result.service
            # A service is never split across two pages.
            with pdf.unbreakable() as block:
                block.set_font(FONT, "B", 10.5)
                block.multi_cell(0, 5, service.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                for style, text in _service_lines(service):
                    block.set_font(FONT, style, 9.5)
                    block.multi_cell(0, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                block.ln(2.5)
        pdf.ln(2)
    return bytes(pdf.output())
