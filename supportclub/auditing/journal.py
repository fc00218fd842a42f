"""The Buchungsjournal of a year as PDF: every booking line in date order, page by page.

Drawn straight onto a reportlab canvas (no platypus story), so the rows stream from the query
onto the pages as they come and a year of many lines never builds a list of flowables. A text
too wide for its column is shortened with "…" (the full text is in buchungen.csv). The font is
the project's embedded DejaVu Sans (supportclub/pdf.py). reportlab keeps a document's pages
until it writes the file, so a very large year is written as several parts (`JournalPart`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from supportclub.i18n import _
from supportclub.money import format_cents
from supportclub.pdf import FONT, FONT_BOLD, register_fonts

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 12 * mm
ROW = 3.9 * mm
SIZE = 7.5
# (title msgid, width in mm, right-aligned)
COLUMNS = (
    ("Datum", 17, False),
    ("Buchung", 14, True),
    ("Konto", 24, False),
    ("Gegenpartei", 38, False),
    ("Text", 62, False),
    ("Kategorie", 36, False),
    ("Fonds", 36, False),
    ("Storno von", 16, True),
    ("Betrag", 22, True),
)


@lru_cache(maxsize=4096)
def _fit(text: str, width: float, font: str = FONT) -> str:
    """`text` shortened with "…" until it fits `width` points (names repeat: cached)."""
    text = " ".join((text or "").split())
    if stringWidth(text, font, SIZE) <= width:
        return text
    while text and stringWidth(text + "…", font, SIZE) > width:
        text = text[:-1]
    return text + "…"


class JournalWriter:
    """Draws journal rows onto pages with a header, column titles and "Seite n"."""

    def __init__(self, out: BinaryIO, *, association: str, title: str):
        register_fonts()
        self.title = title
        self.association = association
        self.canvas = Canvas(
            out, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1, invariant=1
        )
        self.canvas.setTitle(self.title)
        self.canvas.setAuthor(association)
        self.canvas.setCreator("supportclub")
        self.page = 0
        self.y = 0.0
        self.widths = [width * mm for _title, width, _right in COLUMNS]
        self._new_page()

    def _new_page(self) -> None:
        """Finish the current page (if any) and start the next one with its header."""
        if self.page:
            self.canvas.showPage()
        self.page += 1
        c = self.canvas
        top = PAGE_HEIGHT - MARGIN
        c.setFont(FONT_BOLD, 12)
        c.drawString(MARGIN, top - 4 * mm, self.title)
        c.setFont(FONT, 8)
        c.drawString(MARGIN, top - 9 * mm, self.association)
        c.drawRightString(PAGE_WIDTH - MARGIN, top - 4 * mm, _("Seite %(page)s", page=self.page))
        self.y = top - 16 * mm
        self._row([_(title) for title, _w, _r in COLUMNS], bold=True)
        c.setLineWidth(0.4)
        c.line(MARGIN, self.y + ROW - 1.2 * mm, PAGE_WIDTH - MARGIN, self.y + ROW - 1.2 * mm)

    def _row(self, cells: list[str], *, bold: bool = False) -> None:
        """One line of cells at the current height, as one text object (fast for many rows)."""
        font = FONT_BOLD if bold else FONT
        line = self.canvas.beginText()
        line.setFont(font, SIZE)
        x = MARGIN
        for text, width, (_title, _w, right) in zip(cells, self.widths, COLUMNS, strict=True):
            if text:
                shown = _fit(text, width - 2 * mm, font)
                left = x + width - 2 * mm - stringWidth(shown, font, SIZE) if right else x
                line.setTextOrigin(left, self.y)
                line.textOut(shown)
            x += width
        self.canvas.drawText(line)
        self.y -= ROW

    def add(self, cells: list[str], *, bold: bool = False) -> None:
        """A row; a new page first when this one is full."""
        if self.y < MARGIN + ROW:
            self._new_page()
        self._row(cells, bold=bold)

    def close(self) -> None:
        """Finish the last page and write the PDF."""
        self.canvas.showPage()
        self.canvas.save()


@dataclass
class JournalPart:
    """Which part of a journal split into several files, and the running totals."""

    number: int = 1
    of: int = 1
    count: int = 0  # rows written in the parts so far
    total_cents: int = 0

    @property
    def is_last(self) -> bool:
        """True for the part that ends with the sum."""
        return self.number >= self.of


def write_journal(
    out: BinaryIO,
    rows: Iterable[tuple],
    *,
    association: str,
    year: int,
    part: JournalPart | None = None,
) -> int:
    """Write the journal of `rows` (date, booking id, account, counterparty, text, category,
    fund, reversal-of id, amount cents) to `out`; returns the number of rows written.

    With `part`, this file is one part of several: its title says so, the running totals go on
    in `part`, and only the last part ends with the sum of all lines.
    """
    part = part or JournalPart()
    title = _("Buchungsjournal %(year)s", year=year)
    if part.of > 1:
        title += " " + _("(Teil %(number)s von %(of)s)", number=part.number, of=part.of)
    writer = JournalWriter(out, association=association, title=title)
    written = 0
    for day, bid, account, person, text, category, fund, reversal_of, cents in rows:
        writer.add(
            [
                day.strftime("%d.%m.%Y"), str(bid), account, person, text, category, fund,
                str(reversal_of or ""), format_cents(cents, symbol=False),
            ]
        )  # fmt: skip
        written += 1
        part.total_cents += cents
    part.count += written
    if part.is_last:
        if not part.count:
            writer.add(["", "", "", "", _("Keine Buchungen in diesem Jahr."), "", "", "", ""])
        writer.add(
            ["", "", "", "", _("Summe der Positionen: %(count)s", count=part.count), "", "", "",
             format_cents(part.total_cents, symbol=False)],
            bold=True,
        )  # fmt: skip
    writer.close()
    return written
