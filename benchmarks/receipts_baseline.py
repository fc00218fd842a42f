"""Bare reportlab: the receipt pages drawn straight onto a canvas, the yardstick of the batch.

`draw_receipt(content)` puts the same text on the same pages as `receipts.pdf.render_receipt`
(the binding passages, the donor, the amount in figures and words, the signature block with
the facsimile, the notices; for a Sammelbestätigung the list with every contribution, its
header repeated on each list page, and the Gesamtsumme), with the same embedded DejaVu fonts,
but with nothing of our own: `canvas.drawString` line by line, lines broken with reportlab's
`simpleSplit`, no platypus, no fitting; the facsimile made into a JPEG once and embedded as
it is. One PDF per receipt; the bytes are returned and discarded by the caller.

`time_renderers` times this baseline and our renderer alone on the same contents in one
process (one core), alternating, and returns the medians in receipts per second.
"""

import gc
import statistics
import time
from functools import lru_cache
from io import BytesIO

from PIL import Image
from reportlab.lib.colors import HexColor, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from supportclub.money import amount_in_words, format_cents
from supportclub.pdf import FONT_DIR
from supportclub.receipts import pdf as texts  # the binding wording only, none of its drawing
from supportclub.receipts.content import ReceiptContent, ReceiptKind

FONT, BOLD = "BaselineDejaVu", "BaselineDejaVu-Bold"  # own registration, same TTF files
WIDTH, HEIGHT = A4
LEFT, RIGHT, BOTTOM = 25 * mm, 20 * mm, 12 * mm
TEXT_WIDTH = WIDTH - LEFT - RIGHT
LIST_COLUMNS_X = (0, 28 * mm, 90 * mm, 135 * mm)
SHADE = HexColor("#eef0f2")


def register_fonts() -> None:
    """Embed DejaVu Sans regular and bold (the files the app ships)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))


def _top(distance: float) -> float:
    """The y coordinate `distance` below the top edge."""
    return HEIGHT - distance


def _date(day) -> str:
    """TT.MM.JJJJ."""
    return day.strftime("%d.%m.%Y")


class _Writer:
    """A canvas and a cursor going down the page."""

    def __init__(self, canvas: Canvas, y: float):
        self.canvas, self.y = canvas, y

    def text(self, text: str, size: float, *, font: str = FONT, width: float = TEXT_WIDTH,
             x: float = LEFT, after: float = 0.0) -> None:  # fmt: skip
        """Draw `text` broken into lines of `width`."""
        self.canvas.setFont(font, size)
        for line in simpleSplit(text, font, size, width):
            self.y -= size * 1.25
            self.canvas.drawString(x, self.y, line)
        self.y -= after


def _page_one(c: Canvas, content: ReceiptContent, image) -> None:
    """Issuer box, window address, number, and the body passage by passage."""
    c.setFont(FONT, 7)
    c.drawString(LEFT + 3 * mm, _top(16 * mm), texts.ISSUER_HEADING)
    c.setFont(BOLD, 11)
    c.drawString(LEFT + 3 * mm, _top(22 * mm), content.issuer_name)
    c.setFont(FONT, 9)
    c.drawString(LEFT + 3 * mm, _top(27 * mm), ", ".join(content.issuer_address))
    c.rect(LEFT, _top(30 * mm), TEXT_WIDTH, 18 * mm)
    c.setFont(FONT, 7)
    c.drawString(25 * mm, _top(50 * mm), " · ".join([content.issuer_name, *content.issuer_address]))
    c.setFont(FONT, 10)
    for number, line in enumerate([content.donor_name, *content.donor_address]):
        c.drawString(25 * mm, _top(66 * mm + number * 12.5), line)
    c.setFont(BOLD, 11)
    c.drawString(125 * mm, _top(55 * mm), f"Nr. {content.number}")
    w = _Writer(c, _top(95 * mm))
    w.text(texts.TITLES[content.kind], 13, font=BOLD, after=2)
    w.text(texts.SUBTITLE, 8.5, after=7)
    box_top = w.y
    w.text(texts.DONOR_LABEL, 6.5, x=LEFT + 2 * mm)
    w.text(", ".join([content.donor_name, *content.donor_address]), 10, x=LEFT + 2 * mm)
    c.rect(LEFT, w.y - 3, TEXT_WIDTH, box_top - w.y + 3)
    _amounts(w, content)
    body = []
    if content.kind == ReceiptKind.SINGLE:
        ja, nein = ("☒", "☐") if content.waiver else ("☐", "☒")
        body.append(f"{texts.WAIVER}      Ja {ja}      Nein {nein}")
    body += [texts.exemption_passage(content), texts.PURPOSE.format(purposes=content.purposes)]
    if content.dues_block:
        body.append(texts.DUES)
    if content.kind == ReceiptKind.COLLECTIVE:
        body += [texts.COLLECTIVE_NO_OTHER, texts.COLLECTIVE_WAIVER]
    for passage in body:
        w.text(passage, 9, after=6)
    _signature(w, content, image)
    if content.machine_notice:
        w.text(texts.MACHINE_NOTICE.format(tax_office=content.tax_office), 7.5, after=2.5)
    w.text("Hinweis:", 7.5, font=BOLD)
    for sentence in texts.NOTICES:
        w.text(sentence, 7.5, after=2.5)


def _amounts(w: _Writer, content: ReceiptContent) -> None:
    """Three framed cells: the amount in figures, in words, and the date or period."""
    c = w.canvas
    labels = texts.AMOUNT_LABELS[content.kind]
    if content.kind == ReceiptKind.COLLECTIVE:
        when = f"{_date(content.period_start)} - {_date(content.period_end)}"
    else:
        when = _date(content.contribution_date)
    values = (format_cents(content.total_cents), amount_in_words(content.total_cents), when)
    widths = (54 * mm, TEXT_WIDTH - 102 * mm, 48 * mm)
    xs = (LEFT, LEFT + widths[0], LEFT + TEXT_WIDTH - widths[2])
    top = w.y - 8
    c.setFillColor(SHADE)
    c.rect(LEFT, top - 12, TEXT_WIDTH, 12, stroke=0, fill=1)
    c.setFillColor(black)
    lowest = top
    for x, width, label, value in zip(xs, widths, labels, values, strict=True):
        c.setFont(FONT, 6.5)
        c.drawString(x + 2 * mm, top - 8, label)
        longest = max(stringWidth(word, FONT, 10) for word in value.split())
        size = min(10.0, 10 * (width - 4 * mm) / longest)  # a long number word: smaller
        c.setFont(FONT, size)
        y = top - 12
        for line in simpleSplit(value, FONT, size, width - 4 * mm):
            y -= size * 1.25
            c.drawString(x + 2 * mm, y, line)
        lowest = min(lowest, y)
    for x, width in zip(xs, widths, strict=True):
        c.rect(x, lowest - 4, width, top - lowest + 4)
    w.y = lowest - 12


def _signature(w: _Writer, content: ReceiptContent, image) -> None:
    """Place and date, the facsimile, the line, its caption and the signatory."""
    c = w.canvas
    line_y = w.y - 15 * mm
    c.setFont(FONT, 9.5)
    c.drawString(LEFT, line_y + 1.5 * mm, f"{content.place}, {_date(content.issued_on)}")
    if image is not None:
        width, height = image.getSize()
        factor = min(60 * mm / width, 14 * mm / height)
        c.drawImage(image, LEFT + 55 * mm, line_y + 0.5 * mm, width * factor, height * factor,
                    mask="auto")  # fmt: skip
    c.line(LEFT, line_y, LEFT + 120 * mm, line_y)
    c.setFont(FONT, 7)
    c.drawString(LEFT, line_y - 8, texts.SIGNATURE_CAPTION)
    c.setFont(FONT, 8.5)
    c.drawString(LEFT, line_y - 17.5, content.signatory)
    w.y = line_y - 30


def _list_pages(c: Canvas, content: ReceiptContent) -> None:
    """The Sammelbestätigung's list: heading per page, header row repeated, rows, the total."""
    period = f"{_date(content.period_start)} - {_date(content.period_end)}"
    rows = [
        (_date(item.date), texts.LIST_KINDS[item.kind], texts.YES if item.waiver else texts.NO,
         format_cents(item.amount_cents))
        for item in content.items
    ]  # fmt: skip
    rows.append((texts.TOTAL, "", "", format_cents(content.total_cents)))
    page = 1
    while True:
        page += 1
        c.setFont(BOLD, 12)
        c.drawString(LEFT, _top(20 * mm), texts.LIST_HEADING.format(date=_date(content.issued_on)))
        c.setFont(FONT, 9)
        c.drawRightString(WIDTH - RIGHT, _top(20 * mm), f"Nr. {content.number}")
        c.drawString(LEFT, _top(26 * mm), f"{texts.LIST_DONOR} {content.donor_name}")
        c.drawString(LEFT, _top(31 * mm), f"{texts.LIST_PERIOD} {period}")
        c.setFont(FONT, 8)
        c.drawRightString(WIDTH - RIGHT, _top(31 * mm), f"Seite {page}")
        y = _top(40 * mm)
        c.setFillColor(SHADE)
        c.rect(LEFT, y - 34, TEXT_WIDTH, 34, stroke=0, fill=1)
        c.setFillColor(black)
        c.setFont(BOLD, 8)
        for x, label, width in zip(
            LIST_COLUMNS_X, texts.LIST_COLUMNS, (28, 62, 45, 30), strict=True
        ):
            for number, line in enumerate(simpleSplit(label, BOLD, 8, width * mm - 4)):
                c.drawString(LEFT + x + 2, y - 10 - number * 10, line)
        y -= 34
        c.line(LEFT, y, LEFT + TEXT_WIDTH, y)
        while rows and y > BOTTOM + 30:
            row = rows.pop(0)
            c.setFont(BOLD if not rows else FONT, 8.5)
            y -= 13
            for x, value in zip(LIST_COLUMNS_X[:3], row[:3], strict=True):
                c.drawString(LEFT + x + 2, y + 3, value)
            c.drawRightString(LEFT + TEXT_WIDTH - 2, y + 3, row[3])
            c.line(LEFT, y, LEFT + TEXT_WIDTH, y)
        c.rect(LEFT, y, TEXT_WIDTH, _top(40 * mm) - y)
        if not rows:
            c.setFont(FONT, 8.5)
            words = f"{texts.TOTAL} in Buchstaben: {amount_in_words(content.total_cents)}"
            c.drawRightString(LEFT + TEXT_WIDTH, y - 20, words)
            c.showPage()
            return
        c.showPage()


@lru_cache(maxsize=4)
def _as_jpeg(data: bytes) -> bytes:
    """The signature flattened onto white as a JPEG, once per process.

    reportlab embeds a JPEG as it is, while a PNG is decoded and compressed again for every
    document; the cheapest way to put the same picture on every receipt.
    """
    with Image.open(BytesIO(data)) as source:
        image = source.convert("RGBA")
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    buffer = BytesIO()
    flat.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def draw_receipt(content: ReceiptContent, facsimile_image: bytes | None = None) -> bytes:
    """The receipt's pages, drawn with the bare canvas; the PDF bytes."""
    register_fonts()
    buffer = BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=1)
    image = None
    if content.facsimile and facsimile_image:
        image = ImageReader(BytesIO(_as_jpeg(facsimile_image)))
    _page_one(c, content, image)
    c.showPage()
    if content.kind == ReceiptKind.COLLECTIVE:
        _list_pages(c, content)
    c.save()
    return buffer.getvalue()


def _rate(render, contents, image) -> tuple[float, int]:
    """Receipts per second of `render` over `contents` in this process; total bytes made."""
    gc.collect()
    size = 0
    start = time.perf_counter()
    for content in contents:
        size += len(render(content, facsimile_image=image))
    return len(contents) / (time.perf_counter() - start), size


def time_renderers(
    contents: list[ReceiptContent],
    image: bytes | None,
    runs: int,
    sides: tuple[str, ...] = ("baseline", "renderer"),
) -> dict:
    """Median receipts/s of the bare canvas and of `render_receipt`, alternating, one core."""
    from supportclub.receipts.pdf import render_receipt

    renderers = {"baseline": draw_receipt, "renderer": render_receipt}
    for name in sides:  # warm-up: font loading, caches
        for content in contents[:20]:
            renderers[name](content, facsimile_image=image)
    rates: dict[str, list[float]] = {name: [] for name in sides}
    sizes: dict[str, int] = {}
    for run in range(runs):
        for name in sides if run % 2 == 0 else reversed(sides):
            rate, sizes[name] = _rate(renderers[name], contents, image)
            rates[name].append(rate)
    return {
        name: {"rate": statistics.median(values), "runs": values, "bytes": sizes[name]}
        for name, values in rates.items()
    }
