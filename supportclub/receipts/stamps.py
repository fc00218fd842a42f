"""Stamps on stored receipts (DUPLIKAT, STORNIERT) and many receipts joined into one PDF.

An issued receipt is never changed (receipts.md, rule 8): a reprint or a revoked receipt is the
stored PDF with a red stamp laid over every page (`stamp_pdf`); the original text stays in the
file and stays extractable. `merge_pdfs` joins stored receipts into one file for printing, one
source at a time: it writes each page's objects straight to the output and keeps only their
offsets, so a year's receipts never have to be in memory at once.
"""

import math
import textwrap
from collections.abc import Iterable
from io import BytesIO
from os import PathLike
from typing import BinaryIO

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
)
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from supportclub.pdf import FONT, FONT_BOLD, register_fonts

__all__ = ["merge_pdfs", "stamp_pdf"]

STAMP_RED = colors.Color(0.78, 0.07, 0.07, alpha=0.6)  # the receipt stays readable
ANGLE = 30  # degrees, counter-clockwise


def stamp_pdf(pdf: bytes, lines: list[str]) -> bytes:
    """`pdf` with `lines` as a large red stamp across every page (first line biggest).

    Example: ``stamp_pdf(stored, ["DUPLIKAT"])`` or
    ``stamp_pdf(stored, ["STORNIERT am 03.02.2026", "Grund: falscher Betrag"])``.
    """
    if not lines or not any(line.strip() for line in lines):
        raise ValueError("a stamp needs at least one line of text")
    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    overlays: dict[tuple[float, float], object] = {}
    for page in writer.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        if size not in overlays:
            overlays[size] = PdfReader(BytesIO(_overlay(size, lines))).pages[0]
        page.merge_page(overlays[size])
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _overlay(size: tuple[float, float], lines: list[str]) -> bytes:
    """One page of `size` with the stamp: the lines in a frame, turned by ANGLE, centred."""
    register_fonts()
    width, height = size
    rows = [(lines[0], FONT_BOLD, 1.0)]
    rows += [(part, FONT, 0.4) for line in lines[1:] for part in textwrap.wrap(line, 60) or [""]]
    # the box at a first-line size of 1 pt, then scaled to fit the page when turned by ANGLE
    box_width = max(stringWidth(text, font, 1) * share for text, font, share in rows) + 0.6
    box_height = sum(1.25 * share for _, _, share in rows) + 0.4
    turn = math.radians(ANGLE)
    span_x = box_width * math.cos(turn) + box_height * math.sin(turn)
    span_y = box_width * math.sin(turn) + box_height * math.cos(turn)
    big = min(64.0, 0.85 * width / span_x, 0.85 * height / span_y)
    box_width, box_height = box_width * big, box_height * big

    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=size, invariant=True, initialFontName=FONT)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(ANGLE)
    canvas.setStrokeColor(STAMP_RED)
    canvas.setFillColor(STAMP_RED)
    canvas.setLineWidth(max(2.0, big / 14))
    canvas.roundRect(-box_width / 2, -box_height / 2, box_width, box_height, big / 5)
    y = box_height / 2 - big * 0.2
    for text, font, share in rows:
        font_size = big * share
        y -= font_size
        canvas.setFont(font, font_size)
        canvas.drawCentredString(0, y, text)
        y -= font_size * 0.25
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# Merging ---------------------------------------------------------------------------------------

Source = bytes | str | PathLike | BinaryIO


def merge_pdfs(sources: Iterable[Source], out: BinaryIO) -> int:
    """Write the pages of every source PDF (paths, bytes or binary files), in order, to `out`.

    Sources are read one at a time and their pages written at once; `out` only needs
    `write` (no seeking), e.g. an open file or a response stream. Returns the page count.
    """
    writer = _StreamingWriter(out)
    for source in sources:
        if isinstance(source, bytes | bytearray):
            source = BytesIO(source)
        reader = PdfReader(source)
        copier = _Copier(writer, reader)
        for page in reader.pages:
            copier.add_page(page)
        del reader, copier  # done with this source before the next one is opened
    return writer.finish()


class _StreamingWriter:
    """A PDF written object by object: the page tree and the cross-reference table come last."""

    CATALOG, PAGES = 1, 2  # object numbers kept for the end

    def __init__(self, out: BinaryIO):
        """Start the file: header line and a binary comment."""
        self.out = out
        self.position = 0
        self.offsets: dict[int, int] = {}
        self.next_number = 3
        self.pages: list[int] = []
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        """Write `data`, counting the bytes (the offsets go into the xref table)."""
        self.out.write(data)
        self.position += len(data)

    def reserve(self) -> int:
        """A new object number."""
        number = self.next_number
        self.next_number += 1
        return number

    def write_object(self, number: int, obj: PdfObject) -> None:
        """Write `obj` as indirect object `number`."""
        buffer = BytesIO()
        obj.write_to_stream(buffer)
        self.offsets[number] = self.position
        self._write(b"%d 0 obj\n" % number + buffer.getvalue() + b"\nendobj\n")

    def finish(self) -> int:
        """The page tree, the catalog, the cross-reference table and the trailer."""
        tree = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Pages"),
                NameObject("/Kids"): ArrayObject(_ref(n) for n in self.pages),
                NameObject("/Count"): NumberObject(len(self.pages)),
            }
        )
        self.write_object(self.PAGES, tree)
        catalog = DictionaryObject(
            {NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): _ref(self.PAGES)}
        )
        self.write_object(self.CATALOG, catalog)
        start = self.position
        lines = [b"xref\n0 %d\n" % self.next_number, b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % self.offsets[n] for n in range(1, self.next_number)]
        self._write(b"".join(lines))
        self._write(
            b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (self.next_number, start)
        )
        return len(self.pages)


def _ref(number: int) -> IndirectObject:
    """A reference to object `number` in the output (no reader behind it)."""
    return IndirectObject(number, 0, None)  # type: ignore[arg-type]


class _Copier:
    """Copies pages of one source with everything they reference, renumbered for the output.

    The source's objects are renumbered in place (the reader is thrown away afterwards); each
    source object is written once, however many pages share it (fonts, images).
    """

    def __init__(self, writer: _StreamingWriter, reader: PdfReader):
        """Copy from `reader` into `writer`."""
        self.writer = writer
        self.reader = reader
        self.numbers: dict[tuple[int, int], int] = {}
        self.pending: list[tuple[int, PdfObject]] = []

    def add_page(self, page) -> None:
        """Write `page` (its /Parent now the output's page tree) and what it refers to."""
        number = self._number_for(page.indirect_reference)
        page[NameObject("/Parent")] = _ref(_StreamingWriter.PAGES)
        self._renumber(page)
        self.writer.write_object(number, page)
        self.writer.pages.append(number)
        while self.pending:
            number, obj = self.pending.pop()
            self._renumber(obj)
            self.writer.write_object(number, obj)

    def _number_for(self, reference: IndirectObject) -> int:
        """The output number of a source object (queued for writing when first met)."""
        key = (reference.idnum, reference.generation)
        if key not in self.numbers:
            self.numbers[key] = self.writer.reserve()
            obj = reference.get_object()
            if not _is_page(obj):  # a page is written by add_page, with its new parent
                self.pending.append((self.numbers[key], obj))
        return self.numbers[key]

    def _renumber(self, obj: PdfObject) -> None:
        """Point every reference inside `obj` (not into referenced objects) at the output."""
        stack = [obj]
        while stack:
            current = stack.pop()
            if isinstance(current, DictionaryObject):  # also streams
                items = list(dict.items(current))
                for key, value in items:
                    if key == "/Parent" and _is_page(current):
                        continue
                    if isinstance(value, IndirectObject):
                        dict.__setitem__(current, key, _ref(self._number_for(value)))
                    else:
                        stack.append(value)
            elif isinstance(current, ArrayObject):
                for index, value in enumerate(current):
                    if isinstance(value, IndirectObject):
                        list.__setitem__(current, index, _ref(self._number_for(value)))
                    else:
                        stack.append(value)


def _is_page(obj: PdfObject) -> bool:
    """True for a page dictionary."""
    return isinstance(obj, DictionaryObject) and dict.get(obj, "/Type") == "/Page"
