"""Sector documents as A4 PDF (fpdf2, DejaVu from matplotlib as in directory/sheet_pdf.py): a title, what the
figures are (period, filters, category versions, disclosure rule), then each indicator's table with its
shares drawn as bars."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)
MARGIN = 14.0
ACCENT = (11, 94, 122)
SECOND = (182, 200, 209)


@dataclass
class Section:
    heading: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    # (label, first share, second share) drawn as pairs of bars; None where a share is hidden
    bars: Sequence[tuple[str, float | None, float | None]] = ()
    notes: Sequence[str] = field(default_factory=list)
    new_page: bool = False


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-MARGIN + 4)
        self.set_font(FONT, size=7)
        self.set_text_color(90)
        self.cell(0, 4, self.footer_text[:150], align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"{self.page_no()}/{{nb}}", align="R")
        self.set_text_color(0)


def _widths(columns: int, width: float) -> list[float]:
    first = min(70.0, width * 0.4)
    rest = (width - first) / max(1, columns - 1)
    return [first] + [rest] * (columns - 1)


def _table(pdf: _Document, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    width = pdf.w - 2 * MARGIN
    widths = _widths(len(header), width)
    pdf.set_font(FONT, "B", 7)
    pdf.set_fill_color(235, 240, 243)
    for text, w in zip(header, widths, strict=False):
        pdf.cell(w, 5, str(text)[:40], border=1, fill=True)
    pdf.ln(5)
    pdf.set_font(FONT, "", 7)
    for row in rows:
        if pdf.get_y() > pdf.h - 25:
            pdf.add_page()
        for index, (text, w) in enumerate(zip(row, widths, strict=False)):
            limit = 48 if index == 0 else 24
            pdf.cell(w, 4.5, str(text)[:limit], border=1, align="L" if index == 0 else "R")
        pdf.ln(4.5)


def _bars(pdf: _Document, bars: Sequence[tuple[str, float | None, float | None]], legend: tuple[str, str]) -> None:
    if not bars:
        return
    label_width, scale_width = 60.0, pdf.w - 2 * MARGIN - 75.0
    top = max([b for _l, a, c in bars for b in (a, c) if b is not None] or [1.0]) or 1.0
    pdf.set_font(FONT, "", 6.5)
    pdf.ln(2)
    for colour, text in ((ACCENT, legend[0]), (SECOND, legend[1])):
        pdf.set_fill_color(*colour)
        pdf.rect(pdf.get_x(), pdf.get_y() + 1, 3, 2.5, style="F")
        pdf.set_x(pdf.get_x() + 4)
        pdf.cell(45, 4, text)
    pdf.ln(5)
    for label, first, second in bars[:20]:
        if pdf.get_y() > pdf.h - 25:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(MARGIN, y)
        pdf.cell(label_width, 5, str(label)[:40])
        for offset, value, colour in ((0.3, first, ACCENT), (2.6, second, SECOND)):
            x = MARGIN + label_width
            if value is None:
                continue
            pdf.set_fill_color(*colour)
            pdf.rect(x, y + offset, max(0.3, scale_width * value / top), 2.1, style="F")
        text = " / ".join("—" if v is None else f"{v:.1f}%" for v in (first, second))
        pdf.set_xy(MARGIN + label_width + scale_width + 1, y)
        pdf.cell(14, 5, text)
        pdf.ln(5)


def document_pdf(
    title: str,
    about: Sequence[tuple[str, str]],
    sections: Sequence[Section],
    *,
    footer: str,
    legend: tuple[str, str] = ("", ""),
) -> bytes:
    pdf = _Document(footer)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN + 4)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for label, value in about:
        pdf.set_font(FONT, "B", 8)
        pdf.cell(45, 4.5, label)
        pdf.set_font(FONT, "", 8)
        pdf.multi_cell(0, 4.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in sections:
        if section.new_page or pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(0, 6, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if section.header:
            _table(pdf, section.header, section.rows)
        else:
            pdf.set_font(FONT, "", 8)
            for row in section.rows:
                pdf.multi_cell(0, 4.5, " ".join(str(cell) for cell in row), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _bars(pdf, section.bars, legend)
        for note in section.notes:
            pdf.set_font(FONT, "I", 7.5)
            pdf.multi_cell(0, 4, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
