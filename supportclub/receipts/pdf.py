"""A receipt as PDF: Anlage 3, 4 or 14 of the BMF templates, or the simplified slip.

`render_receipt(content)` is a pure function of a `ReceiptContent` snapshot (no Flask, no
database), so worker processes can render a year's receipts in parallel. The binding wording is
in the constants below: it is the legal text of the templates, printed in German whatever the
user's language, so it is deliberately not passed to `_()`.

Page 1 is the receipt itself and always fits one A4 page: when names, addresses or purposes are
long, the body is set smaller (`SCALES`), and as a last resort shrunk as a whole. The
Sammelbestätigung's list follows on page 2 and later pages, its column heads repeated.

Layout (from the top left corner, DIN 5008 form B like `supportclub.pdf`): the issuer box at
12 mm; the donor's address in the window field 45 mm from the top; the receipt number right of
the window; the body from 95 mm; no footer (nothing but the template belongs on the receipt).

Speed (a year's receipts are rendered in one go): paragraphs that are the same on every receipt
of an association (notices, exemption passage, purposes) are laid out once and reused; the frames
and the list are drawn straight onto the canvas instead of through platypus tables; streams are
stored binary (no ASCII85, which costs time in pure Python and makes files larger).
"""

import copy
from collections.abc import Callable
from functools import cache, lru_cache
from io import BytesIO
from xml.sax.saxutils import escape

from PIL import Image
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepInFrame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from supportclub.money import amount_in_words, format_cents
from supportclub.pdf import (
    ADDRESS_LEFT,
    ADDRESS_PADDING,
    ADDRESS_TOP,
    ADDRESS_WIDTH,
    FONT,
    FONT_BOLD,
    LEFT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RECIPIENT_TOP,
    RIGHT,
    register_fonts,
)
from supportclub.receipts.content import (
    ReceiptContent,
    ReceiptKind,
)
from supportclub.receipts.texts import (  # noqa: F401 (the benchmark reads them here too)
    AMOUNT_LABELS,
    COLLECTIVE_NO_OTHER,
    COLLECTIVE_WAIVER,
    DOCUMENT_TITLE,
    DOCUMENTS,
    DONOR_LABEL,
    DUES,
    EXEMPTION_A,
    EXEMPTION_B,
    IN_KIND_LABEL,
    ISSUER_HEADING,
    LIST_COLUMNS,
    LIST_DONOR,
    LIST_HEADING,
    LIST_KINDS,
    LIST_PERIOD,
    MACHINE_NOTICE,
    NO,
    NOTICE_HEADING,
    NOTICES,
    ORIGINS,
    PURPOSE,
    SIGNATURE_CAPTION,
    SLIP_KINDS,
    SLIP_VALIDITY,
    SUBTITLE,
    SUBTITLE_SLIP,
    TICKED,
    TITLES,
    TOTAL,
    UNTICKED,
    WAIVER,
    YES,
    exemption_passage,
)

__all__ = ["render_receipt"]

WIDTH = PAGE_WIDTH - LEFT - RIGHT
BODY_TOP = 95 * mm  # below the window field (45 + 45 mm)
LIST_TOP = 38 * mm  # the list pages: below their heading
BOTTOM = 12 * mm
ISSUER_TOP = 12 * mm
INFO_LEFT = 125 * mm  # the number, right of the window field
SCALES = (1.0, 0.92, 0.84, 0.76)  # body sizes tried, largest first, until page 1 fits
GRID = colors.HexColor("#6c757d")
SHADE = colors.HexColor("#eef0f2")
NO_PADDING = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}
CELL_PAD_X = 2 * mm
CELL_PAD_Y = 1.6 * mm
FACSIMILE_PIXELS = (720, 180)  # 60 x 15 mm at 300 dpi


def render_receipt(content: ReceiptContent, *, facsimile_image: bytes | None = None) -> bytes:
    """The receipt as PDF bytes (deterministic: the same content gives the same bytes).

    The facsimile signature is drawn only when `content.facsimile` is set and an image is given.
    """
    _check(content)
    register_fonts()
    image = None
    if content.facsimile and facsimile_image:
        image = ImageReader(BytesIO(_facsimile_jpeg(facsimile_image)))
    buffer = BytesIO()
    document = _ReceiptDocument(buffer, content)
    story: list[Flowable] = [_OnePage(lambda styles: _body(content, styles, image))]
    if content.kind == ReceiptKind.COLLECTIVE:
        story += [NextPageTemplate("list"), PageBreak(), *_attachment(content)]
    document.build(story)
    return buffer.getvalue()


@lru_cache(maxsize=8)
def _facsimile_jpeg(data: bytes) -> bytes:
    """The signature image as a JPEG on white, at most FACSIMILE_PIXELS: prepared once.

    A JPEG goes into the PDF as it is; any other image would be decoded and compressed again
    for every receipt (a fifth of the rendering time for a scanned signature).
    """
    with Image.open(BytesIO(data)) as source:
        source.load()
        image = source.convert("RGBA")
    image.thumbnail(FACSIMILE_PIXELS)
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    buffer = BytesIO()
    flat.save(buffer, format="JPEG", quality=95, subsampling=0)
    return buffer.getvalue()


def _check(content: ReceiptContent) -> None:
    """Refuse content that cannot make a correct receipt (a programming error upstream)."""
    if content.kind == ReceiptKind.COLLECTIVE:
        if not content.items or content.period_start is None or content.period_end is None:
            raise ValueError("a Sammelbestätigung needs its items and its period")
        if sum(item.amount_cents for item in content.items) != content.total_cents:
            raise ValueError("the items of a Sammelbestätigung must add up to its total")
    elif content.contribution_date is None:
        raise ValueError(f"a {content.kind.value} receipt needs the contribution's date")
    if content.kind == ReceiptKind.IN_KIND and content.origin is None:
        raise ValueError("a Sachzuwendung needs its origin (Herkunft)")


def _date(day) -> str:
    """TT.MM.JJJJ."""
    return day.strftime("%d.%m.%Y")


def _period(content: ReceiptContent) -> str:
    """The collective receipt's period: "01.01.2025 - 31.12.2025"."""
    return f"{_date(content.period_start)} - {_date(content.period_end)}"


def _top(distance: float) -> float:
    """The reportlab y coordinate of a point `distance` below the top edge."""
    return PAGE_HEIGHT - distance


# Styles and paragraphs ------------------------------------------------------------------------


@cache
def _styles(scale: float) -> dict[str, ParagraphStyle]:
    """The paragraph styles at `scale` (1.0 = normal; smaller when page 1 would overflow)."""
    register_fonts()

    def style(name, size, leading, *, font=FONT, after=0.0, **extra) -> ParagraphStyle:
        return ParagraphStyle(
            f"{name}@{scale}",
            fontName=font,
            fontSize=size * scale,
            leading=leading * scale,
            spaceAfter=after * scale * scale,  # spacing shrinks faster than the type
            **extra,
        )

    return {
        "scale": scale,
        "title": style("title", 13, 16, font=FONT_BOLD, after=2),
        "subtitle": style("subtitle", 8.5, 10.5, after=7),
        "label": style("label", 6.5, 8),
        "value": style("value", 10, 12.5),
        "body": style("body", 9, 11.5, after=6),
        "small": style("small", 7.5, 9.3, after=2.5),
        "notice_heading": style("notice_heading", 7.5, 9.3, font=FONT_BOLD, after=2.5),
    }


class _Para(Paragraph):
    """A paragraph that keeps its layout for the width it was last wrapped at."""

    _wrapped: tuple[float, tuple[float, float]] | None = None

    def wrap(self, available_width, available_height):
        """Lay out once per width (a copy of a cached paragraph is not laid out again)."""
        wrapped = self._wrapped
        if wrapped and abs(wrapped[0] - available_width) < 0.01 and hasattr(self, "blPara"):
            return wrapped[1]  # (a split drops blPara: then lay out again)
        size = super().wrap(available_width, available_height)
        self._wrapped = (available_width, size)
        return size


@lru_cache(maxsize=1024)
def _laid_out(text: str, style: ParagraphStyle, width: float) -> _Para:
    """`text` parsed and wrapped at `width`, once per process (never drawn itself)."""
    paragraph = _Para(escape(text), style)
    paragraph.wrap(width, PAGE_HEIGHT)
    return paragraph


def _para(text: str, style: ParagraphStyle, width: float = WIDTH) -> _Para:
    """A paragraph of plain `text`, ready laid out at `width` (a copy of the cached one)."""
    return copy.copy(_laid_out(text, style, width))


def _fitting(style: ParagraphStyle, text: str, width: float) -> ParagraphStyle:
    """`style`, or a smaller one when the longest word of `text` would not fit `width`."""
    longest = max(stringWidth(word, style.fontName, style.fontSize) for word in text.split())
    if longest <= width:
        return style
    return _smaller(style, round(width / longest, 3))


@lru_cache(maxsize=64)
def _smaller(style: ParagraphStyle, factor: float) -> ParagraphStyle:
    """A copy of `style` with its size and leading times `factor`."""
    return ParagraphStyle(
        f"{style.name}*{factor}",
        parent=style,
        fontSize=style.fontSize * factor,
        leading=style.leading * factor,
    )


def _fit_size(text: str, font: str, size: float, width: float, smallest: float = 6) -> float:
    """`size`, or smaller so that `text` fits `width` (not below `smallest`)."""
    needed = stringWidth(text, font, size)
    if needed <= width:
        return size
    return max(smallest, size * width / needed)


# Page 1 ---------------------------------------------------------------------------------------


def _body(content: ReceiptContent, styles: dict, image: ImageReader | None) -> list[Flowable]:
    """The receipt's body, passage by passage in the template's order."""
    kind, body, scale = content.kind, styles["body"], styles["scale"]
    items: list[Flowable] = [
        _para(TITLES[kind], styles["title"]),
        _para(SUBTITLE_SLIP if kind == ReceiptKind.SLIP else SUBTITLE, styles["subtitle"]),
        _Grid([(DONOR_LABEL, ", ".join([content.donor_name, *content.donor_address]))], styles),
        Spacer(0, 3 * mm * scale),
        _amount_grid(content, styles),
        Spacer(0, 3 * mm * scale),
    ]
    if kind == ReceiptKind.SINGLE:
        items.append(_WaiverLine(content.waiver, body))
    elif kind == ReceiptKind.IN_KIND:
        items += [
            _Grid([(IN_KIND_LABEL, content.in_kind_description)], styles),
            Spacer(0, 3 * mm * scale),
            _para(ORIGINS[content.origin], body),
        ]
        if content.documents_present:
            items.append(_para(DOCUMENTS, body))
    elif kind == ReceiptKind.SLIP:
        items.append(_para(SLIP_KINDS[content.contribution_kind], body))
    items.append(_para(exemption_passage(content), body))
    items.append(_para(PURPOSE.format(purposes=content.purposes), body))
    if content.dues_block and kind != ReceiptKind.IN_KIND:
        items.append(_para(DUES, body))
    if kind == ReceiptKind.COLLECTIVE:
        items += [_para(COLLECTIVE_NO_OTHER, body), _para(COLLECTIVE_WAIVER, body)]
    if kind == ReceiptKind.SLIP:
        items.append(_para(SLIP_VALIDITY, body))
    items.append(_Signature(content, scale, image))
    if content.machine_notice:
        items.append(_para(MACHINE_NOTICE.format(tax_office=content.tax_office), styles["small"]))
    items.append(Spacer(0, 2 * mm * scale))
    items.append(_para(NOTICE_HEADING, styles["notice_heading"]))
    items += [_para(sentence, styles["small"]) for sentence in NOTICES]
    return items


def _amount_grid(content: ReceiptContent, styles: dict) -> "_Grid":
    """Amount in figures and words, and the date (or the collective's period)."""
    if content.kind == ReceiptKind.COLLECTIVE:
        when = _period(content)
    else:
        when = _date(content.contribution_date)
    values = [format_cents(content.total_cents), amount_in_words(content.total_cents), when]
    widths = (54 * mm, WIDTH - 102 * mm, 48 * mm)
    return _Grid(list(zip(AMOUNT_LABELS[content.kind], values, strict=True)), styles, widths)


class _Grid(Flowable):
    """A row of framed cells, each a small label over its value (the official form's boxes).

    The labels come laid out from the cache; the values (names, amounts) are set per receipt,
    a little smaller when a long word (an amount in words) would not fit its cell.
    """

    def __init__(self, cells: list[tuple[str, str]], styles: dict, widths=(WIDTH,)):
        """Cells of (label, value), one per width in `widths`."""
        super().__init__()
        self.widths = widths
        self.cells = []
        for (label, value), width in zip(cells, widths, strict=True):
            inner = width - 2 * CELL_PAD_X
            style = _fitting(styles["value"], value or "-", inner)
            self.cells.append((_para(label, styles["label"], inner), _Para(escape(value), style)))
        self.pad_y = CELL_PAD_Y * styles["scale"]
        self.gap = 0.8 * mm * styles["scale"]  # between label and value

    def wrap(self, available_width, available_height):
        """As high as the highest cell."""
        height = 0.0
        for (label, value), width in zip(self.cells, self.widths, strict=True):
            inner = width - 2 * CELL_PAD_X
            label_height = label.wrap(inner, PAGE_HEIGHT)[1]
            height = max(height, label_height + self.gap + value.wrap(inner, PAGE_HEIGHT)[1])
        self.width, self.height = sum(self.widths), height + 2 * self.pad_y
        return self.width, self.height

    def draw(self):
        """The cells, then the frame and the lines between them."""
        canvas = self.canv
        x = 0.0
        for (label, value), width in zip(self.cells, self.widths, strict=True):
            y = self.height - self.pad_y - label.height
            label.drawOn(canvas, x + CELL_PAD_X, y)
            value.drawOn(canvas, x + CELL_PAD_X, y - self.gap - value.height)
            x += width
        canvas.saveState()
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.6)
        canvas.rect(0, 0, self.width, self.height)
        canvas.setLineWidth(0.4)
        x = 0.0
        for width in self.widths[:-1]:
            x += width
            canvas.line(x, 0, x, self.height)
        canvas.restoreState()


class _WaiverLine(Flowable):
    """`Es handelt sich um den Verzicht ... Ja ☐ Nein ☒`: exactly one box ticked."""

    def __init__(self, waiver: bool, style: ParagraphStyle):
        """Tick `Ja` when `waiver`, else `Nein`."""
        super().__init__()
        self.waiver = waiver
        self.style = style

    def wrap(self, available_width, available_height):
        """One line."""
        self.width, self.height = available_width, self.style.leading * 1.2
        return self.width, self.height

    def getSpaceAfter(self):  # noqa: N802 (reportlab's name)
        """The same space after as a body paragraph."""
        return self.style.spaceAfter

    def draw(self):
        """The sentence, then `Ja` and `Nein` with their boxes, the boxes set a little larger."""
        canvas, size = self.canv, self.style.fontSize
        y = self.height - self.style.leading
        canvas.setFont(FONT, size)
        canvas.drawString(0, y, WAIVER)
        x = stringWidth(WAIVER, FONT, size) + 8 * mm
        for word, ticked in (("Ja", self.waiver), ("Nein", not self.waiver)):
            text = word + " "
            canvas.setFont(FONT, size)
            canvas.drawString(x, y, text)
            x += stringWidth(text, FONT, size)
            canvas.setFont(FONT, size * 1.3)
            canvas.drawString(x, y, TICKED if ticked else UNTICKED)
            x += 10 * mm


class _Signature(Flowable):
    """Place and date, room for the signature (or the facsimile), the line and its caption."""

    def __init__(self, content: ReceiptContent, scale: float, image: ImageReader | None):
        """The block for `content`, with the facsimile `image` if one is to be drawn."""
        super().__init__()
        self.scale = scale
        self.place_date = f"{content.place}, {_date(content.issued_on)}"
        self.signatory = content.signatory
        self.image = image
        self.room = 15 * mm * scale  # above the line: place/date and the signature

    def wrap(self, available_width, available_height):
        """Fixed height: the room above the line, the caption and the signatory below."""
        below = (8.5 + (9.5 if self.signatory else 0)) * self.scale
        self.width, self.height = available_width, self.room + below + 4 * mm * self.scale
        return self.width, self.height

    def draw(self):
        """Place/date, the image (if any), the line, the caption, the signatory."""
        canvas, scale = self.canv, self.scale
        line_y = self.height - self.room
        canvas.setFont(FONT, 9.5 * scale)
        canvas.drawString(0, line_y + 1.5 * mm * scale, self.place_date)
        if self.image is not None:
            width, height = self.image.getSize()
            factor = min(60 * mm * scale / width, (self.room - 1 * mm) / height)
            canvas.drawImage(
                self.image, 55 * mm, line_y + 0.5 * mm, width * factor, height * factor, mask="auto"
            )
        canvas.setLineWidth(0.5)
        canvas.line(0, line_y, 120 * mm, line_y)
        canvas.setFont(FONT, 7 * scale)
        canvas.drawString(0, line_y - 8 * scale, SIGNATURE_CAPTION)
        if self.signatory:
            canvas.setFont(FONT, 8.5 * scale)
            canvas.drawString(0, line_y - 17.5 * scale, self.signatory)


class _OnePage(Flowable):
    """Page 1's body: built at the largest scale that fits, never split over two pages."""

    def __init__(self, build: Callable[[dict], list[Flowable]]):
        """`build(styles)` makes the body's flowables in the given styles."""
        super().__init__()
        self.build = build
        self.placed: list[tuple[Flowable, float, float]] = []
        self.fallback: KeepInFrame | None = None

    def wrap(self, available_width, available_height):
        """Try each scale; the first whose stacked height fits is kept."""
        if self.placed and self.width == available_width and self.height <= available_height:
            return self.width, self.height  # asked again by the frame: nothing changed
        content: list[Flowable] = []
        for scale in SCALES:
            content = self.build(_styles(scale))
            placed, height = _stack(content, available_width)
            if height <= available_height:
                self.placed, self.fallback = placed, None
                self.width, self.height = available_width, height
                return self.width, self.height
        # still too long: shrink everything together (KeepInFrame scales the drawing)
        self.fallback = KeepInFrame(available_width, available_height, content, mode="shrink")
        self.width, self.height = self.fallback.wrapOn(self.canv, available_width, available_height)
        return self.width, self.height

    def draw(self):
        """Draw the kept flowables top down (or the shrunk fallback)."""
        if self.fallback is not None:
            self.fallback.drawOn(self.canv, 0, 0)
            return
        y = self.height
        for flowable, height, after in self.placed:
            y -= height
            flowable.drawOn(self.canv, 0, y)
            y -= after


def _stack(content: list[Flowable], width: float) -> tuple[list, float]:
    """Wrap each flowable at `width`; their places and the total height."""
    placed, total = [], 0.0
    for flowable in content:
        _, height = flowable.wrap(width, PAGE_HEIGHT)
        after = flowable.getSpaceAfter()
        placed.append((flowable, height, after))
        total += height + after
    return placed, total


# The Sammelbestätigung's list -----------------------------------------------------------------

LIST_WIDTHS = (28 * mm, 62 * mm, 45 * mm, WIDTH - 135 * mm)
LIST_SIZE = 8.5
LIST_ROW = 5.6 * mm
LIST_WORDS = 9 * mm  # below the table: the Gesamtsumme in words


def _attachment(content: ReceiptContent) -> list[Flowable]:
    """Every contribution (date, kind, waiver, amount), the Gesamtsumme, and it in words."""
    rows = [
        (
            _date(item.date),
            LIST_KINDS[item.kind],
            YES if item.waiver else NO,
            format_cents(item.amount_cents),
        )
        for item in content.items
    ]
    words = f"{TOTAL} in Buchstaben: {amount_in_words(content.total_cents)}"
    return [_ListTable(rows, (format_cents(content.total_cents), words))]


@cache
def _list_head() -> tuple[list[list[str]], float]:
    """The column heads, broken into lines, and their height."""
    lines = [
        simpleSplit(label, FONT_BOLD, LIST_SIZE - 0.5, width - 2 * CELL_PAD_X)
        for label, width in zip(LIST_COLUMNS, LIST_WIDTHS, strict=True)
    ]
    return lines, max(len(column) for column in lines) * 10 + 2 * CELL_PAD_Y


class _ListTable(Flowable):
    """The list's rows under the column heads; split over pages with the heads repeated.

    `total` is the Gesamtsumme in figures and in words, printed after the last row only (a
    part made by `split` that does not end the list has none, and the last part always keeps
    at least one row).
    """

    def __init__(self, rows: list[tuple[str, str, str, str]], total: tuple[str, str] | None):
        """Rows of (date, kind, waiver, amount); the total (figures, words) on the last part."""
        super().__init__()
        self.rows = rows
        self.total = total

    def _tail(self) -> float:
        """The height of the total row and the words below the table."""
        return LIST_ROW + LIST_WORDS if self.total is not None else 0.0

    def wrap(self, available_width, available_height):
        """Heads, rows and total."""
        self.width = WIDTH
        self.height = _list_head()[1] + len(self.rows) * LIST_ROW + self._tail()
        return self.width, self.height

    def split(self, available_width, available_height):
        """The rows that fit here, and the rest (with the total) for the next page."""
        room = available_height - _list_head()[1]
        if len(self.rows) * LIST_ROW + self._tail() <= room:
            return [self]
        fit = int(room // LIST_ROW)
        if self.total is not None:
            fit = min(fit, len(self.rows) - 1)
        if fit < 1:
            return []
        return [_ListTable(self.rows[:fit], None), _ListTable(self.rows[fit:], self.total)]

    def draw(self):
        """Shaded heads, the rows with a hairline between them, the total in bold."""
        canvas = self.canv
        heads, head_height = _list_head()
        top = self.height
        canvas.saveState()
        canvas.setFillColor(SHADE)
        canvas.rect(0, top - head_height, WIDTH, head_height, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        canvas.setFont(FONT_BOLD, LIST_SIZE - 0.5)
        x = 0.0
        for index, (lines, width) in enumerate(zip(heads, LIST_WIDTHS, strict=True)):
            y = top - head_height + CELL_PAD_Y + (len(lines) - 1) * 10 + 1
            for line in lines:
                if index == 3:
                    canvas.drawRightString(x + width - CELL_PAD_X, y, line)
                else:
                    canvas.drawString(x + CELL_PAD_X, y, line)
                y -= 10
            x += width
        y = top - head_height
        canvas.setFont(FONT, LIST_SIZE)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.25)
        for row in self.rows:
            self._row(canvas, y, row)
            y -= LIST_ROW
            canvas.line(0, y, WIDTH, y)
        if self.total is not None:
            figures, words = self.total
            canvas.setFont(FONT_BOLD, LIST_SIZE)
            self._row(canvas, y, (TOTAL, "", "", figures))
            canvas.setLineWidth(0.8)
            canvas.line(0, y, WIDTH, y)
            y -= LIST_ROW
            canvas.setFont(FONT, _fit_size(words, FONT, 9, WIDTH))
            canvas.drawRightString(WIDTH, y - LIST_WORDS + 2 * mm, words)
        canvas.setLineWidth(0.6)
        canvas.line(0, top - head_height, WIDTH, top - head_height)
        canvas.rect(0, y, WIDTH, top - y)
        canvas.restoreState()

    @staticmethod
    def _row(canvas, y: float, row) -> None:
        """One row's texts (the amount right-aligned)."""
        baseline = y - LIST_ROW + 1.9 * mm
        x = CELL_PAD_X
        for text, width in zip(row[:3], LIST_WIDTHS, strict=False):
            canvas.drawString(x, baseline, text)
            x += width
        canvas.drawRightString(WIDTH - CELL_PAD_X, baseline, row[3])


# The document ---------------------------------------------------------------------------------


class _ReceiptDocument(BaseDocTemplate):
    """Page 1 with the issuer box, window address and number; list pages with their heading."""

    def __init__(self, buffer: BytesIO, content: ReceiptContent):
        """A document for `content`, written to `buffer`."""
        super().__init__(
            buffer,
            pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
            leftMargin=LEFT,
            rightMargin=RIGHT,
            topMargin=BODY_TOP,
            bottomMargin=BOTTOM,
            invariant=True,  # the same content gives the same bytes (no timestamp, fixed id)
            initialFontName=FONT,  # never Helvetica: not embedded, no ☒
            initialFontSize=9,
            title=f"{DOCUMENT_TITLE} {content.number}",
            author=content.issuer_name,
            subject=TITLES[content.kind],
            creator="supportclub",
            lang="de-DE",
        )
        self.content = content
        body = Frame(LEFT, BOTTOM, WIDTH, _top(BODY_TOP) - BOTTOM, id="body", **NO_PADDING)
        listing = Frame(LEFT, BOTTOM, WIDTH, _top(LIST_TOP) - BOTTOM, id="list", **NO_PADDING)
        self.addPageTemplates(
            [
                PageTemplate("receipt", [body], onPage=self._receipt_page),
                PageTemplate("list", [listing], onPage=self._list_page),
            ]
        )

    def _receipt_page(self, canvas, doc) -> None:
        """Issuer box, the donor in the window field, the receipt number."""
        canvas.saveState()
        _draw_issuer(canvas, self.content)
        _draw_window(canvas, self.content)
        canvas.setFont(FONT_BOLD, 11)
        canvas.drawString(INFO_LEFT, _top(ADDRESS_TOP + 10 * mm), f"Nr. {self.content.number}")
        canvas.restoreState()

    def _list_page(self, canvas, doc) -> None:
        """The attachment's heading on every list page: date, number, donor, period, page."""
        content = self.content
        canvas.saveState()
        canvas.setFont(FONT_BOLD, 12)
        canvas.drawString(LEFT, _top(20 * mm), LIST_HEADING.format(date=_date(content.issued_on)))
        canvas.setFont(FONT, 9)
        canvas.drawRightString(PAGE_WIDTH - RIGHT, _top(20 * mm), f"Nr. {content.number}")
        donor = f"{LIST_DONOR} {content.donor_name}"
        canvas.setFont(FONT, _fit_size(donor, FONT, 9, WIDTH - 25 * mm))
        canvas.drawString(LEFT, _top(26 * mm), donor)
        canvas.setFont(FONT, 9)
        canvas.drawString(LEFT, _top(31 * mm), f"{LIST_PERIOD} {_period(content)}")
        canvas.setFont(FONT, 8)
        canvas.drawRightString(PAGE_WIDTH - RIGHT, _top(31 * mm), f"Seite {canvas.getPageNumber()}")
        canvas.restoreState()


def _draw_issuer(canvas, content: ReceiptContent) -> None:
    """The framed `Aussteller (...)` box with the association's name and address."""
    top, x, inner = ISSUER_TOP, LEFT + 3 * mm, WIDTH - 6 * mm
    address = ", ".join(content.issuer_address)
    canvas.setFont(FONT, 7)
    canvas.drawString(x, _top(top + 4 * mm), ISSUER_HEADING)
    canvas.setFont(FONT_BOLD, _fit_size(content.issuer_name, FONT_BOLD, 11, inner))
    canvas.drawString(x, _top(top + 10 * mm), content.issuer_name)
    canvas.setFont(FONT, _fit_size(address, FONT, 9, inner))
    canvas.drawString(x, _top(top + 15 * mm), address)
    canvas.setStrokeColor(GRID)
    canvas.setLineWidth(0.6)
    canvas.rect(LEFT, _top(top + 18 * mm), WIDTH, 18 * mm)


def _draw_window(canvas, content: ReceiptContent) -> None:
    """The small sender line and the donor's address in the window field (form B)."""
    x = ADDRESS_LEFT + ADDRESS_PADDING
    width = ADDRESS_WIDTH - 2 * ADDRESS_PADDING
    sender = " · ".join([content.issuer_name, *content.issuer_address])
    canvas.setFont(FONT, _fit_size(sender, FONT, 7, width, smallest=5))
    canvas.drawString(x, _top(ADDRESS_TOP + 5 * mm), sender)
    lines = [content.donor_name, *content.donor_address][:9]
    size, leading = (10, 12.5) if len(lines) <= 5 else (8.5, 10)
    y = _top(RECIPIENT_TOP) - size
    for line in lines:
        canvas.setFont(FONT, _fit_size(line, FONT, size, width))
        canvas.drawString(x, y, line)
        y -= leading
