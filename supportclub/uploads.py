"""Uploads recognised by their content, never by their name or the browser's content type.

``sniff(data)`` names what a file's bytes are (PDF, PNG, JPEG, WebP, XLSX, CSV/text, XML, and
the usual impostors: HTML, programs, ZIP, old Office files, binary data). ``check_upload`` is
the gate every upload field passes: the field names the kinds it takes and its size limit; an
empty file, a too large one, a file of another kind, an image whose header lies about its
structure, or (where asked) a PDF that carries JavaScript is refused with a German message at
the field, before anything is stored.
"""

import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from werkzeug.datastructures import FileStorage

from supportclub.errors import ValidationError
from supportclub.i18n import N_, _


@dataclass(frozen=True)
class Kind:
    """What a file's content is: a short name for messages, a label, how it is served."""

    code: str
    short: str  # "PDF" in "kein PDF-, PNG- oder JPEG-Dokument"
    label: str  # msgid: "PDF-Dokument" in "(erkannt: PDF-Dokument)"
    content_type: str = "application/octet-stream"
    extension: str = ""

    @property
    def is_image(self) -> bool:
        """True for PNG, JPEG and WebP (safe to show inline)."""
        return self.content_type.startswith("image/")

    @property
    def inline(self) -> bool:
        """PDFs and images may be shown in the browser; everything else is an attachment."""
        return self.is_image or self.content_type == "application/pdf"


PDF = Kind("pdf", "PDF", N_("PDF-Dokument"), "application/pdf", ".pdf")
PNG = Kind("png", "PNG", N_("PNG-Bild"), "image/png", ".png")
JPEG = Kind("jpeg", "JPEG", N_("JPEG-Bild"), "image/jpeg", ".jpg")
WEBP = Kind("webp", "WebP", N_("WebP-Bild"), "image/webp", ".webp")
XLSX = Kind(
    "xlsx",
    "XLSX",
    N_("Excel-Datei (XLSX)"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsx",
)
TEXT = Kind("text", "CSV", N_("Textdatei (CSV)"), "text/csv", ".csv")
XML = Kind("xml", "XML", N_("XML-Dokument"), "application/xml", ".xml")
# Kinds no field takes; recognised so the message can say what the file is.
GIF = Kind("gif", "GIF", N_("GIF-Bild"))
HTML = Kind("html", "HTML", N_("HTML-Dokument"))
SVG = Kind("svg", "SVG", N_("SVG-Grafik"))
EXE = Kind("exe", "EXE", N_("Programmdatei"))
ZIP = Kind("zip", "ZIP", N_("ZIP-Archiv oder Office-Dokument"))
ODS = Kind("ods", "ODS", N_("OpenDocument-Datei"))
OLE = Kind("ole", "XLS", N_("altes Office-Dokument (z. B. .xls oder .doc)"))
UTF16 = Kind("utf16", "UTF-16", N_("UTF-16-Textdatei"))
BINARY = Kind("binary", "BIN", N_("Binärdatei"))
EMPTY = Kind("empty", "", N_("leere Datei"))

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SNIFF_BYTES = 64 * 1024  # text or binary is decided on the start of the file
_HTML_RE = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|iframe|object|embed|meta|a\s|img|div|form|"
    rb"style|title|link)",
    re.IGNORECASE,
)
# (a DOS/Windows program starts with "MZ" and has NUL bytes in its header; a CSV may start "MZ")
_EXE_MAGIC = (b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")


def sniff(data: bytes) -> Kind:
    """The kind of file the bytes are, by their first bytes (and, for ZIPs, their contents)."""
    if not data:
        return EMPTY
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(PNG_MAGIC):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return OLE
    if data.startswith(_EXE_MAGIC) or (data.startswith(b"MZ") and b"\x00" in data[:64]):
        return EXE
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return UTF16
    return _text_kind(data[:_SNIFF_BYTES])


def _zip_kind(data: bytes) -> Kind:
    """XLSX when the archive holds [Content_Types].xml and an xl/ folder, else ODS or ZIP."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return ZIP
    if "[Content_Types].xml" in names and any(name.startswith("xl/") for name in names):
        return XLSX
    if "content.xml" in names and "mimetype" in names:
        return ODS
    return ZIP


def _decodes(head: bytes) -> bool:
    """True when the bytes read as UTF-8 (a cut character at the end is fine) or cp1252."""
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3 and error.reason == "unexpected end of data":
            return True
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _text_kind(head: bytes) -> Kind:
    """Text (CSV), XML, HTML or SVG, or binary data (NUL bytes, undecodable)."""
    if b"\x00" in head or not _decodes(head):
        return BINARY
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text.startswith(b"<"):
        return TEXT
    if _HTML_RE.search(head[:4096]):
        return HTML
    if re.search(rb"<\s*svg[\s>]", head[:4096], re.IGNORECASE):
        return SVG
    return XML


# Structure checks -------------------------------------------------------------------------


def png_intact(data: bytes) -> bool:
    """True when the signature is followed by a 13-byte IHDR chunk (the first chunk, always)."""
    return len(data) >= 33 and data[8:16] == b"\x00\x00\x00\x0dIHDR"


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def jpeg_intact(data: bytes, limit: int = 1024 * 1024) -> bool:
    """True when the JPEG's segments, walked from SOI, reach a frame header (SOF) before SOS."""
    pos, end = 2, min(len(data), limit)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _SOF:
            return pos + 10 <= len(data)
        if marker in (0xD9, 0xDA):  # end of image or start of scan without a frame
            return False
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return False
        pos += 2 + length
    return False


def webp_intact(data: bytes) -> bool:
    """True when the RIFF container names a VP8/VP8L/VP8X chunk."""
    return len(data) >= 16 and data[12:16] in (b"VP8 ", b"VP8L", b"VP8X")


_INTACT = {PNG: png_intact, JPEG: jpeg_intact, WEBP: webp_intact}


# Scripts in PDFs ----------------------------------------------------------------------------

# Names that run code when a PDF is opened or used. A plain /OpenAction (jump to a page, as
# Word writes it) is harmless; it runs code only through one of these.
_ACTIVE_NAMES = {b"JS", b"JavaScript", b"Launch"}
_NAME_RE = re.compile(rb"/([^\s/<>\[\]()%{}]+)")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM_RE = re.compile(rb"(?<!end)stream\r?\n")
_INFLATE_BUDGET = 32 * 1024 * 1024  # decompressed bytes looked at, all streams together


def _has_active_name(chunk: bytes) -> bool:
    """True when a name in the chunk (with #xx escapes undone) is one that runs code."""
    for match in _NAME_RE.finditer(chunk):
        name = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in _ACTIVE_NAMES:
            return True
    return False


def _outside_streams(data: bytes):
    """The PDF's parts between streams (dictionaries, objects), and each stream's dictionary
    with its raw body: image data is not searched for names (random bytes would match)."""
    pos = 0
    for match in _STREAM_RE.finditer(data):
        if match.start() < pos:
            continue
        finish = data.find(b"endstream", match.end())
        finish = len(data) if finish == -1 else finish
        yield (
            data[pos : match.start()],
            data[max(pos, match.start() - 512) : match.start()],
            data[match.end() : finish],
        )
        pos = finish
    yield data[pos:], b"", b""


def pdf_has_scripts(data: bytes) -> bool:
    """True when the PDF names JavaScript or a launch action, in its objects or
    inside compressed object streams (where the catalog's /OpenAction may hide)."""
    budget = _INFLATE_BUDGET
    for between, dictionary, body in _outside_streams(data):
        if _has_active_name(between):
            return True
        if not body or b"/ObjStm" not in dictionary:
            continue
        if b"/Filter" not in dictionary:
            if _has_active_name(body):
                return True
            continue
        if budget <= 0:
            return True  # too much hidden content to look through: refuse rather than guess
        try:
            inflated = zlib.decompressobj().decompress(body, budget)
        except zlib.error:
            return True  # an object stream we cannot read might hide anything
        budget -= len(inflated)
        if _has_active_name(inflated):
            return True
    return False


# The gate -----------------------------------------------------------------------------------


# One whole sentence per number of kinds a field takes (translators see the sentence).
_WRONG_KIND = {
    1: N_("Die Datei ist kein %(a)s-Dokument (erkannt: %(found)s)."),
    2: N_("Die Datei ist kein %(a)s- oder %(b)s-Dokument (erkannt: %(found)s)."),
    3: N_("Die Datei ist kein %(a)s-, %(b)s- oder %(c)s-Dokument (erkannt: %(found)s)."),
    4: N_("Die Datei ist kein %(a)s-, %(b)s-, %(c)s- oder %(d)s-Dokument (erkannt: %(found)s)."),
}


def wrong_kind_message(accepted: Iterable[Kind], found: Kind) -> str:
    """ "Die Datei ist kein PDF-, PNG- oder JPEG-Dokument (erkannt: HTML-Dokument)." """
    shorts = [kind.short for kind in accepted]
    if len(shorts) not in _WRONG_KIND:
        return _(
            "Die Datei ist von keiner der erlaubten Arten (%(kinds)s; erkannt: %(found)s).",
            kinds=", ".join(shorts),
            found=_(found.label),
        )
    names = dict(zip("abcd", shorts, strict=False))
    return _(_WRONG_KIND[len(shorts)], found=_(found.label), **names)


def too_large_message(max_bytes: int) -> str:
    """The message for a file over the field's limit, in MB (or KB for small limits)."""
    if max_bytes >= 1024 * 1024:
        size = _("%(mb)s MB", mb=max_bytes // (1024 * 1024))
    else:
        size = _("%(kb)s KB", kb=max(max_bytes // 1024, 1))
    return _("Die Datei ist größer als %(size)s. Bitte eine kleinere Datei hochladen.", size=size)


def check_upload(
    data: bytes | None,
    accepted: Iterable[Kind],
    *,
    max_bytes: int,
    field: str = "file",
    hint: str = "",
    refuse_pdf_scripts: bool = False,
) -> Kind:
    """The kind of an acceptable upload; else a ValidationError at `field` (nothing stored).

    `hint` (already translated) follows the wrong-kind message, e.g. what the field is for.
    """
    accepted = tuple(accepted)
    if not data:
        raise ValidationError(_("Die Datei ist leer."), field=field)
    if len(data) > max_bytes:
        raise ValidationError(too_large_message(max_bytes), field=field)
    kind = sniff(data)
    if kind not in accepted:
        message = wrong_kind_message(accepted, kind)
        raise ValidationError(f"{message} {hint}".strip(), field=field)
    intact = _INTACT.get(kind)
    if intact is not None and not intact(data):
        raise ValidationError(
            _(
                "Die Datei gibt sich als %(found)s aus, ist aber beschädigt oder kein echtes Bild.",
                found=_(kind.label),
            ),
            field=field,
        )
    if refuse_pdf_scripts and kind == PDF and pdf_has_scripts(data):
        raise ValidationError(
            _(
                "Das PDF enthält JavaScript oder automatische Aktionen und wird deshalb nicht "
                "angenommen. Bitte das Dokument ohne aktive Inhalte speichern (z. B. "
                "„Drucken als PDF“)."
            ),
            field=field,
        )
    return kind


def read_limited(file: FileStorage | None, max_bytes: int) -> bytes | None:
    """At most `max_bytes` + 1 bytes of an upload (enough to know it is too large), or None."""
    if file is None or not isinstance(file, FileStorage) or not file:
        return None
    return file.stream.read(max_bytes + 1)
