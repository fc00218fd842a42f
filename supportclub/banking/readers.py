"""One entry point for an uploaded bank statement: detect the format, read it, check the account.

``read_statement_file`` looks at the content (never only at the file name): a ZIP of camt.053
files, a camt.053 XML document, the Sparkasse CSV-CAMT export or an MT940 file. Whatever cannot be
read is refused whole with a :class:`StatementError`.
"""

import io
import lzma
import re
import zipfile
import zlib

from supportclub.banking.camt import read_camt
from supportclub.banking.statement import Statement, StatementError
from supportclub.i18n import _

__all__ = [
    "MAX_FILE_BYTES",
    "ZIP_MAX_BYTES",
    "ZIP_MAX_FILES",
    "check_one_account",
    "detect_format",
    "read_statement_file",
    "read_zip",
]

MAX_FILE_BYTES = 20 * 1024 * 1024  # an upload larger than this is refused before reading
ZIP_MAX_FILES = 50  # a month of daily statements fits comfortably
ZIP_MAX_BYTES = 50 * 1024 * 1024  # uncompressed, all files together
_CHUNK = 1024 * 1024

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CSV_CAMT_RE = re.compile(r'"?Auftragskonto"?;"?Buchungstag"?;')
_MT940_FIELD_RE = re.compile(r"(?:^|[\r\n]|\{4:)\s*:(?P<tag>20|25):")


def read_statement_file(data: bytes, filename: str = "") -> list[Statement]:
    """Read an uploaded statement file of any supported format into its statements.

    ``filename`` only sharpens the message for a file that cannot be read.
    """
    if len(data) > MAX_FILE_BYTES:
        raise StatementError(
            _(
                "Die Datei ist zu groß (höchstens %(mb)s MB).",
                mb=MAX_FILE_BYTES // (1024 * 1024),
            )
        )
    if not data.strip():
        raise StatementError(_("Die Datei ist leer."))
    kind = detect_format(data)
    if kind == "zip":
        statements = read_zip(data)
    elif kind == "camt":
        statements = read_camt(data)
    elif kind == "csv-camt":
        from supportclub.banking.csv_camt import read_csv_camt  # written alongside, read lazily

        statements = [read_csv_camt(data)]
    elif kind == "mt940":
        from supportclub.banking.mt940 import read_mt940

        statements = read_mt940(data)
    else:
        raise _unknown_format(data, filename)
    if not statements:
        raise StatementError(_("Die Datei enthält keinen Kontoauszug."))
    return statements


def detect_format(data: bytes) -> str | None:
    """Name the format of ``data`` by its content: "zip", "camt", "csv-camt", "mt940" or None."""
    if data[:4] in _ZIP_MAGIC:
        return "zip"
    head = data[:4096]
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        encoding = "utf-16"
    else:
        encoding = "cp1252"
    text = head.decode(encoding, errors="replace").lstrip("\ufeff\ufffe").lstrip()
    if text.startswith("ï»¿"):  # a UTF-8 byte order mark read as Windows-1252
        text = text[3:].lstrip()
    if text.startswith("<"):
        return "camt"
    first_line = text.split("\n", 1)[0]
    if _CSV_CAMT_RE.match(first_line):
        return "csv-camt"
    tags = {match["tag"] for match in _MT940_FIELD_RE.finditer(text)}
    if tags == {"20", "25"}:
        return "mt940"
    return None


def _unknown_format(data: bytes, filename: str) -> StatementError:
    """The message for content that is none of the supported formats, with a hint if possible."""
    supported = _(
        "Lesbar sind camt.053 (XML oder ZIP), der CSV-CAMT-Export der Sparkassen und MT940."
    )
    if data.startswith(b"%PDF"):
        problem = _("Die Datei ist ein PDF-Dokument, kein elektronischer Kontoauszug.")
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        problem = _("Die Datei ist eine Excel- oder Office-Datei, kein elektronischer Kontoauszug.")
    elif filename.lower().endswith(".csv"):
        problem = _("Die CSV-Datei hat nicht die Kopfzeile des CSV-CAMT-Formats.")
    else:
        problem = _("Das Format der Datei wurde nicht erkannt.")
    return StatementError(f"{problem} {supported}")


def read_zip(data: bytes) -> list[Statement]:
    """Read every ``*.xml`` of a ZIP (sorted by name) as camt.053; all of one account.

    Directories and ``__MACOSX`` are ignored, other files are skipped. Refused: a broken or
    encrypted ZIP, more than ``ZIP_MAX_FILES`` files or ``ZIP_MAX_BYTES`` uncompressed (a ZIP
    bomb), an Office document, a ZIP without XML files, and statements of several accounts.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise StatementError(_("Die ZIP-Datei ist beschädigt.")) from None
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir() and "__MACOSX" not in info.filename.split("/")
        ]
        _check_zip_size(members)
        if any(info.filename == "[Content_Types].xml" for info in members):
            raise StatementError(
                _(
                    "Die Datei ist ein Office-Dokument (z. B. Excel), "
                    "kein elektronischer Kontoauszug."
                )
            )
        files = sorted(
            (info for info in members if info.filename.lower().endswith(".xml")),
            key=lambda info: info.filename,
        )
        if not files:
            raise StatementError(_("Die ZIP-Datei enthält keine XML-Dateien (camt.053)."))
        statements: list[Statement] = []
        budget = ZIP_MAX_BYTES
        for number, info in enumerate(files, start=1):
            content = _read_member(archive, info, budget)
            budget -= len(content)
            try:
                statements.extend(read_camt(content))
            except StatementError as error:
                raise StatementError(
                    _(
                        "Datei %(number)s von %(count)s in der ZIP-Datei: %(problem)s",
                        number=number,
                        count=len(files),
                        problem=error.message,
                    )
                ) from None
    if len({statement.iban for statement in statements}) > 1:
        raise StatementError(_("Die ZIP-Datei enthält Auszüge mehrerer Konten."))
    return statements


def _check_zip_size(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a ZIP with too many files or too many bytes as declared in its directory."""
    if len(members) > ZIP_MAX_FILES:
        raise StatementError(
            _(
                "Die ZIP-Datei enthält zu viele Dateien (höchstens %(count)s).",
                count=ZIP_MAX_FILES,
            )
        )
    if sum(info.file_size for info in members) > ZIP_MAX_BYTES:
        raise _zip_too_large()


def _zip_too_large() -> StatementError:
    """The message for a ZIP that unpacks to more than ``ZIP_MAX_BYTES``."""
    return StatementError(
        _(
            "Die ZIP-Datei ist entpackt zu groß (höchstens %(mb)s MB).",
            mb=ZIP_MAX_BYTES // (1024 * 1024),
        )
    )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """Unpack one file, stopping as soon as it exceeds the remaining ``budget`` of bytes."""
    if info.flag_bits & 0x1:
        raise StatementError(_("Die ZIP-Datei ist verschlüsselt und kann nicht gelesen werden."))
    chunks = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > budget:
                    raise _zip_too_large()
                chunks.append(chunk)
    except RuntimeError:  # zipfile's "password required" for an encrypted member
        raise StatementError(
            _("Die ZIP-Datei ist verschlüsselt und kann nicht gelesen werden.")
        ) from None
    except NotImplementedError:
        raise StatementError(
            _("Die ZIP-Datei verwendet ein nicht unterstütztes Komprimierungsverfahren.")
        ) from None
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError):
        raise StatementError(_("Die ZIP-Datei ist beschädigt.")) from None
    return b"".join(chunks)


def check_one_account(statements: list[Statement], iban: str) -> None:
    """Refuse statements of another account than ``iban``, naming only its last four digits."""
    expected = _compact(iban)
    for statement in statements:
        found = _compact(statement.iban)
        if found != expected:
            raise StatementError(
                _("Der Auszug gehört zu einem anderen Konto (…%(last)s).", last=found[-4:])
            )


def _compact(iban: str) -> str:
    """An IBAN without spaces, in capitals, for comparing."""
    return "".join(iban.split()).upper()
