"""Letters as PDF (DIN 5008, form B, for window envelopes), with the embedded DejaVu font.

A `Letter` holds what is printed; `render()` returns the PDF bytes. `render_letters()` puts many
letters into one PDF (one font embedding, each letter starting on a new page), so a treasurer
prints a whole batch at once. Subclasses add their own flowables (receipts: tables, signature)
by overriding `Letter.flowables()`.

Layout (form B, measured from the top left corner of an A4 page):
letterhead at 15 mm; address field 20 mm from the left, 45 mm from the top, 85 x 45 mm, with
the small sender line at its top and the recipient from 62.7 mm (Anschriftzone); the date
right-aligned below it; subject (bold) and text from 103.5 mm; fold marks at 105 and 210 mm,
the punch mark at 148.5 mm; a footer with the association's name, address, register and bank.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

# Binary streams for every PDF the app makes (every reader handles them): ASCII85 only helps 7-bit
# transports, and its pure-Python encoder was a fifth of a receipt's rendering time.
rl_config.useA85 = 0

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = 25 * mm  # text starts 25 mm from the left edge (DIN 5008)
RIGHT = 20 * mm
ADDRESS_LEFT = 20 * mm
ADDRESS_TOP = 45 * mm
ADDRESS_WIDTH = 85 * mm
ADDRESS_HEIGHT = 45 * mm
RECIPIENT_TOP = 62.7 * mm  # the Anschriftzone below the 17.7 mm Zusatz- und Vermerkzone
ADDRESS_PADDING = 5 * mm
DATE_TOP = 98 * mm
TEXT_TOP = 103.5 * mm
LATER_TOP = 20 * mm
BOTTOM = 28 * mm  # the footer sits below this
MAX_ADDRESS_LINES = 6


def register_fonts() -> None:
    """Register DejaVu Sans (regular and bold) with reportlab, once per process."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


def _top(distance: float) -> float:
    """The reportlab y coordinate of a point `distance` below the top edge."""
    return PAGE_HEIGHT - distance


@dataclass(frozen=True)
class Sender:
    """The association as it appears on its letters (letterhead, sender line, footer)."""

    name: str
    street: str = ""
    postal_code: str = ""
    city: str = ""
    register: str = ""  # "Amtsgericht Jena VR 1234"
    iban: str = ""  # already grouped for display
    bank_label: str = "IBAN"

    @property
    def place(self) -> str:
        """ "07743 Jena"."""
        return f"{self.postal_code} {self.city}".strip()

    @property
    def sender_line(self) -> str:
        """The one small line above the recipient: "Verein · Straße · PLZ Ort"."""
        return " · ".join(part for part in (self.name, self.street, self.place) if part)

    @property
    def footer_columns(self) -> list[list[str]]:
        """The footer's columns: address, register, bank."""
        columns = [[line for line in (self.name, self.street, self.place) if line]]
        if self.register:
            columns.append([self.register])
        if self.iban:
            columns.append([f"{self.bank_label} {self.iban}"])
        return columns


@dataclass
class Letter:
    """One letter: sender, recipient address lines (name first), date, subject and text.

    The text is split into paragraphs at blank lines; single line breaks are kept.
    """

    sender: Sender
    recipient: list[str]
    subject: str
    body: str
    letter_date: date
    styles: dict[str, ParagraphStyle] = field(default_factory=lambda: letter_styles())

    def flowables(self) -> list[Flowable]:
        """What flows in the text area: the subject in bold, then the paragraphs."""
        items: list[Flowable] = [
            Paragraph(_markup(self.subject), self.styles["subject"]),
            Spacer(0, 4 * mm),
        ]
        for paragraph in _paragraphs(self.body):
            items.append(Paragraph(_markup(paragraph), self.styles["body"]))
        return items

    def render(self) -> bytes:
        """The letter as PDF bytes."""
        return render_letters([self])


def letter_styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles of a letter (DejaVu Sans, 10 pt)."""
    register_fonts()
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=10, leading=13.5, spaceAfter=9, allowWidows=0
    )
    return {
        "body": body,
        "subject": ParagraphStyle("subject", parent=body, fontName=FONT_BOLD, spaceAfter=0),
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10),
    }


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of `text`: split at blank lines, trailing spaces removed."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _markup(text: str) -> str:
    """Plain text as reportlab paragraph markup: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br/>")


class _StartLetter(Flowable):
    """An invisible marker: from here on the pages belong to `letter`."""

    def __init__(self, letter: Letter):
        super().__init__()
        self.letter = letter

    def wrap(self, available_width, available_height):
        """Takes no space."""
        return 0, 0

    def draw(self):
        """Draws nothing; the document reads the marker in afterFlowable."""


class _LetterDocument(BaseDocTemplate):
    """A document of one or more letters; page furniture drawn per letter at page end."""

    def __init__(self, buffer: BytesIO, **kwargs):
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=LEFT,
            rightMargin=RIGHT,
            topMargin=LATER_TOP,
            bottomMargin=BOTTOM,
            invariant=True,  # the same letter gives the same bytes (no timestamp, fixed id)
            initialFontName=FONT,  # never fall back to Helvetica (no €, not embedded)
            initialFontSize=10,
            **kwargs,
        )
        width = PAGE_WIDTH - LEFT - RIGHT
        first = Frame(LEFT, BOTTOM, width, _top(TEXT_TOP) - BOTTOM, id="first", **_NO_PADDING)
        later = Frame(LEFT, BOTTOM, width, _top(LATER_TOP) - BOTTOM, id="later", **_NO_PADDING)
        self.addPageTemplates(
            [
                PageTemplate(
                    "first", [first], onPageEnd=self._first_page, autoNextPageTemplate="later"
                ),
                PageTemplate("later", [later], onPageEnd=self._later_page),
            ]
        )
        self.letter: Letter | None = None
        self.page_in_letter = 0

    def afterFlowable(self, flowable):  # noqa: N802 (reportlab hook name)
        """Remember which letter the following pages belong to."""
        if isinstance(flowable, _StartLetter):
            self.letter = flowable.letter
            self.page_in_letter = 1

    def _first_page(self, canvas, doc) -> None:
        """Letterhead, address field, date, marks and footer of a letter's first page."""
        letter = self.letter
        if letter is None:
            return
        sender = letter.sender
        canvas.saveState()
        canvas.setFont(FONT_BOLD, 13)
        canvas.drawString(LEFT, _top(18 * mm), sender.name)
        canvas.setFont(FONT, 8.5)
        address = " · ".join(part for part in (sender.street, sender.place) if part)
        canvas.drawString(LEFT, _top(23 * mm), address)
        # sender line, small and underlined, at the top of the address field (shows in the window)
        x = ADDRESS_LEFT + ADDRESS_PADDING
        canvas.setFont(FONT, 7)
        line = sender.sender_line
        canvas.drawString(x, _top(ADDRESS_TOP + 5 * mm), line)
        line_width = pdfmetrics.stringWidth(line, FONT, 7)
        canvas.setLineWidth(0.3)
        canvas.line(x, _top(ADDRESS_TOP + 5.8 * mm), x + line_width, _top(ADDRESS_TOP + 5.8 * mm))
        canvas.setFont(FONT, 10)
        y = _top(RECIPIENT_TOP) - 10
        for address_line in letter.recipient[:MAX_ADDRESS_LINES]:
            canvas.drawString(x, y, address_line)
            y -= 12.5
        place = f"{sender.city}, " if sender.city else ""
        canvas.drawRightString(
            PAGE_WIDTH - RIGHT, _top(DATE_TOP), place + letter.letter_date.strftime("%d.%m.%Y")
        )
        self._marks(canvas)
        canvas.restoreState()
        self._footer(canvas, sender)

    def _later_page(self, canvas, doc) -> None:
        """Page number and footer of a continuation page."""
        if self.letter is None:
            return
        self.page_in_letter += 1
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawRightString(PAGE_WIDTH - RIGHT, _top(12 * mm), f"Seite {self.page_in_letter}")
        canvas.restoreState()
        self._footer(canvas, self.letter.sender)

    @staticmethod
    def _marks(canvas) -> None:
        """Fold marks (105 and 210 mm) and the punch mark (148.5 mm) at the left edge."""
        canvas.setLineWidth(0.3)
        for distance, length in ((105 * mm, 5 * mm), (210 * mm, 5 * mm), (148.5 * mm, 8 * mm)):
            canvas.line(3 * mm, _top(distance), 3 * mm + length, _top(distance))

    @staticmethod
    def _footer(canvas, sender: Sender) -> None:
        """The association's name and address, register and bank, in small type."""
        canvas.saveState()
        canvas.setLineWidth(0.3)
        canvas.line(LEFT, 20 * mm, PAGE_WIDTH - RIGHT, 20 * mm)
        canvas.setFont(FONT, 7.5)
        columns = sender.footer_columns
        width = (PAGE_WIDTH - LEFT - RIGHT) / max(len(columns), 1)
        for index, column in enumerate(columns):
            y = 16 * mm
            for line in column:
                canvas.drawString(LEFT + index * width, y, line)
                y -= 9.5
        canvas.restoreState()


_NO_PADDING = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}


def render_letters(letters: Iterable[Letter], *, title: str = "") -> bytes:
    """Many letters in one PDF, each starting on a new page (with its own first page)."""
    register_fonts()
    letters = list(letters)
    if not letters:
        raise ValueError("render_letters needs at least one letter")
    buffer = BytesIO()
    doc = _LetterDocument(
        buffer,
        title=title or letters[0].subject,
        author=letters[0].sender.name,
        creator="supportclub",
        lang="de-DE",
    )
    story: list[Flowable] = []
    for index, letter in enumerate(letters):
        if index:
            story += [NextPageTemplate("first"), PageBreak()]
        story.append(_StartLetter(letter))
        story += letter.flowables()
    doc.build(story)
    return buffer.getvalue()
