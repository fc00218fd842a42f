"""Member import, step 1: reading the uploaded file, and keeping it until the import.

``parse_file`` reads an upload (format found by content, CSV encoding chosen by the user,
separator guessed) into a header row and data rows, refusing unusable files with a specific
message. Uploads wait in ``instance/imports/`` (``store_upload`` / ``load_upload``), owned by the
user who uploaded them, for at most a day.
"""

import csv
import io
import json
import re
import secrets
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from supportclub import uploads
from supportclub.clock import utcnow
from supportclub.errors import DomainError
from supportclub.i18n import _
from supportclub.members.import_mapping import ImportOptions, guess_mapping

# Limits (module constants so tests can lower them)
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 200
MAX_EMPTY_ROWS = 1_000  # an Excel sheet "formatted to the end" stops here
UPLOAD_MAX_AGE = timedelta(hours=24)
PREVIEW_ROWS = 10

# The encodings a user may choose, and the codec that reads each (a UTF-8 BOM is fine).
ENCODINGS = {"UTF-8": "utf-8-sig", "Windows-1252": "cp1252"}
DEFAULT_ENCODING = "UTF-8"


class ImportFileError(DomainError):
    """The uploaded file cannot be read as a member list (the message says why)."""

    def __init__(self, message: str):
        super().__init__(message, field="file")


@dataclass
class ParsedFile:
    """A table read from a file: unique header names and the non-empty data rows."""

    kind: str  # "csv" or "xlsx"
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as in the file, cell values)
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    warnings: list[str] = field(default_factory=list)


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def sniff_format(data: bytes) -> str:
    """ "csv" or "xlsx", decided by the file's content (supportclub.uploads); refuse the rest."""
    if not data.replace(b"\xef\xbb\xbf", b"").strip():
        raise ImportFileError(_("Die Datei ist leer."))
    kind = uploads.sniff(data)
    if kind == uploads.XLSX:
        return "xlsx"
    if kind == uploads.TEXT:
        return "csv"
    if kind == uploads.ZIP and data.startswith(b"PK\x03\x04"):
        try:
            zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError) as error:
            raise ImportFileError(
                _("Die Excel-Datei ist beschädigt und kann nicht gelesen werden.")
            ) from error
    if kind == uploads.ODS:
        raise ImportFileError(
            _(
                "OpenDocument-Tabellen (.ods) werden nicht unterstützt. Bitte die Datei "
                "als .xlsx oder als CSV speichern."
            )
        )
    if kind == uploads.OLE:
        raise ImportFileError(
            _(
                "Das alte Excel-Format (.xls) oder eine verschlüsselte Datei wird nicht "
                "unterstützt. Bitte die Datei ohne Kennwort als .xlsx oder als CSV speichern."
            )
        )
    if kind == uploads.UTF16:
        raise ImportFileError(
            _("Die Datei ist UTF-16-kodiert. Bitte die Datei als CSV (UTF-8) speichern.")
        )
    raise _not_a_table(_(kind.label))


def _not_a_table(what: str) -> ImportFileError:
    return ImportFileError(
        _(
            "Die Datei ist keine CSV- oder Excel-Datei (erkannt: %(what)s). Bitte eine "
            ".csv- oder .xlsx-Datei hochladen.",
            what=what,
        )
    )


def parse_file(
    data: bytes, *, encoding: str = DEFAULT_ENCODING, sheet: str | None = None
) -> ParsedFile:
    """Read an uploaded CSV or XLSX file into headers and rows; refuse unusable files."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(
            _(
                "Die Datei ist größer als %(limit)s MB. Bitte teilen Sie sie auf.",
                limit=MAX_FILE_BYTES // (1024 * 1024),
            )
        )
    kind = sniff_format(data)
    if kind == "xlsx":
        return _parse_xlsx(data, sheet)
    return _parse_csv(data, encoding)


def _decode(data: bytes, encoding: str) -> str:
    """The file's text in the chosen encoding; refuse it with the line where it goes wrong."""
    if encoding not in ENCODINGS:
        raise ImportFileError(_("Bitte eine Kodierung wählen (UTF-8 oder Windows-1252)."))
    try:
        text = data.decode(ENCODINGS[encoding])
    except UnicodeDecodeError as error:
        raise _wrong_encoding(encoding, data[: error.start].count(b"\n") + 1) from error
    if encoding == "Windows-1252" and not data.isascii():
        # Valid UTF-8 with umlauts is almost never meant as Windows-1252 ("Ã¼" instead of "ü").
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return text
        first = next(i for i, byte in enumerate(data) if byte > 127)
        raise _wrong_encoding(encoding, data[:first].count(b"\n") + 1)
    return text


def _wrong_encoding(encoding: str, line: int) -> ImportFileError:
    return ImportFileError(
        _(
            "Die Datei ist nicht %(encoding)s-kodiert (Zeile %(line)s) – bitte die andere "
            "Kodierung wählen oder die Datei als UTF-8 speichern.",
            encoding=encoding,
            line=line,
        )
    )


# "Ã¼" for "ü", "â‚¬" for "€", "Â " for a non-breaking space: UTF-8 read once too often as Latin-1
MOJIBAKE_RE = re.compile(
    "Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2013\u2014\u2018-\u201e"
    "\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|â‚¬|Â[\u00a0-\u00bf]"
)


def _mojibake_warning(text: str) -> str | None:
    match = MOJIBAKE_RE.search(text)
    if match is None:
        return None
    return _(
        "Zeile %(line)s enthält „%(sample)s“ – das sieht nach falsch umgewandelten Umlauten "
        "aus (z. B. „Ã¼“ statt „ü“). Bitte prüfen Sie die Vorschau und speichern Sie die "
        "Datei gegebenenfalls neu als UTF-8.",
        line=text[: match.start()].count("\n") + 1,
        sample=match.group(0),
    )


def detect_delimiter(text: str) -> str:
    """The separator (; , or tab) found most often outside quotes in the header line."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(";\t,", 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: counts[c])  # ties: ; before tab before ,
    return best if counts[best] else ";"


def _parse_csv(data: bytes, encoding: str) -> ParsedFile:
    text = _decode(data, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text))
    try:
        headers, rows = _table(enumerate(reader, start=1))
    except csv.Error as error:
        raise ImportFileError(
            _(
                "Die CSV-Datei ist fehlerhaft (Zeile %(line)s): %(reason)s",
                line=reader.line_num,
                reason=str(error),
            )
        ) from error
    parsed = ParsedFile(kind="csv", headers=headers, rows=rows)
    warning = _mojibake_warning(text)
    if warning:
        parsed.warnings.append(warning)
    return parsed


def _parse_xlsx(data: bytes, sheet: str | None) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it does not know
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(
            _("Die Excel-Datei ist beschädigt und kann nicht gelesen werden.")
        ) from error
    try:
        sheets = [worksheet.title for worksheet in book.worksheets]  # no chart sheets
        if sheet is not None and sheet not in sheets:
            raise ImportFileError(_("Das Tabellenblatt „%(sheet)s“ gibt es nicht.", sheet=sheet))
        # without a choice: the first sheet that holds anything (a cover sheet may be empty)
        for name in [sheet] if sheet else sheets:
            try:
                headers, rows = _read_sheet(book[name])
                break
            except _NoData:
                if sheet or name == sheets[-1]:
                    raise
    finally:
        book.close()
    return ParsedFile(kind="xlsx", headers=headers, rows=rows, sheets=sheets, sheet=name)


def _read_sheet(worksheet):
    worksheet.reset_dimensions()  # some programs write a wrong sheet size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _table(enumerate(worksheet.iter_rows(values_only=True), start=1))


class _NoData(ImportFileError):
    """Only empty rows."""


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


LOOKS_LIKE_DATA = re.compile(
    r"^(\d+([.,]\d+)?|\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}-\d{2}-\d{2}|[^@\s]+@[^@\s]+\.\w+|"
    r"[A-Z]{2}\d{2}[A-Z0-9 ]{10,})$"
)


def _table(numbered_rows) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Header names and non-empty data rows; refuse a file without usable header or data."""
    header_number, header, rows, empty_run = None, None, [], 0
    for number, cells in numbered_rows:
        cells = list(cells)
        if all(_is_empty(cell) for cell in cells):
            empty_run += 1
            if empty_run > MAX_EMPTY_ROWS and header is not None:
                break
            continue
        empty_run = 0
        if header is None:
            header_number, header = number, cells
            continue
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(
                _(
                    "Die Datei hat mehr als %(limit)s Datenzeilen. Bitte teilen Sie sie in "
                    "mehrere Dateien auf.",
                    limit=_thousands(MAX_ROWS),
                )
            )
    if header is None:
        raise _NoData(_("Die Datei enthält keine Daten (nur leere Zeilen)."))
    width = max(_last_filled(cells) for cells in [header] + [cells for _, cells in rows])
    if width > MAX_COLUMNS:
        raise ImportFileError(_("Die Datei hat mehr als %(limit)s Spalten.", limit=MAX_COLUMNS))
    headers = _header_names(header_number, header, width)
    if not rows:
        raise ImportFileError(_("Die Datei enthält nur die Kopfzeile, aber keine Datenzeilen."))
    return headers, [(number, list(cells[:width])) for number, cells in rows]


def _last_filled(cells: list[Any]) -> int:
    for index in range(len(cells), 0, -1):
        if not _is_empty(cells[index - 1]):
            return index
    return 0


def _header_names(number: int, header: list[Any], width: int) -> list[str]:
    """Unique, non-empty column names; refuse a first row that holds data, or duplicates."""
    names, seen = [], {}
    for index in range(width):
        value = header[index] if index < len(header) else None
        if isinstance(value, datetime | date | int | float) or (
            isinstance(value, str) and LOOKS_LIKE_DATA.match(value.strip())
        ):
            raise ImportFileError(
                _(
                    "Die erste Zeile (Zeile %(line)s) enthält keine Spaltenüberschriften, "
                    "sondern Daten („%(value)s“). Bitte eine Kopfzeile mit den Spaltennamen "
                    "einfügen.",
                    line=number,
                    value=cell_text(value),
                )
            )
        name = cell_text(value) or _("Spalte %(number)s", number=index + 1)
        key = name.casefold()
        if key in seen:
            raise ImportFileError(
                _(
                    "Die Spaltenüberschrift „%(name)s“ kommt mehrfach vor (Spalten %(first)s "
                    "und %(second)s). Bitte jede Spalte eindeutig benennen.",
                    name=name,
                    first=seen[key] + 1,
                    second=index + 1,
                )
            )
        seen[key] = index
        names.append(name)
    return names


def cell_text(value: Any) -> str:
    """A cell as text: dates as dd.mm.yyyy, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Uploads waiting for the next step ---------------------------------------------------------------

UPLOAD_ID_RE = re.compile(r"[0-9a-f]{32}")


@dataclass
class Upload:
    """An uploaded file waiting in the import folder, with the choices made so far."""

    id: str
    owner_id: int
    filename: str
    kind: str
    encoding: str
    created_at: str
    sheet: str | None = None
    mapping: dict[str, str | None] | None = None
    options: dict | None = None
    result: dict | None = None

    def data_path(self, base: Path) -> Path:
        """Where the file itself lies: <id>.csv or <id>.xlsx."""
        return Path(base) / f"{self.id}.{self.kind}"

    @property
    def import_options(self) -> ImportOptions:
        """The stored options."""
        return ImportOptions.from_json(self.options)


def cleanup_uploads(base: Path, now: datetime | None = None) -> int:
    """Delete uploads older than a day; return how many files went."""
    limit = (now or utcnow()).timestamp() - UPLOAD_MAX_AGE.total_seconds()
    removed = 0
    for path in Path(base).glob("*"):
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def store_upload(
    base: Path, data: bytes, parsed: ParsedFile, *, filename: str, owner_id: int, encoding: str
) -> Upload:
    """Keep an uploaded (already parsed) file for the next steps; clear out old uploads."""
    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    cleanup_uploads(base)
    upload = Upload(
        id=secrets.token_hex(16),
        owner_id=owner_id,
        filename=Path(filename or "").name[:200],
        kind=parsed.kind,
        encoding=encoding,
        created_at=utcnow().isoformat(),
        sheet=parsed.sheet,
        mapping=guess_mapping(parsed.headers),
    )
    upload.data_path(base).write_bytes(data)
    save_upload(base, upload)
    return upload


def save_upload(base: Path, upload: Upload) -> None:
    """Write the upload's state (owner, file name, mapping, options, result)."""
    path = Path(base) / f"{upload.id}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(upload), ensure_ascii=False), encoding="utf-8")
    temporary.replace(path)


def load_upload(base: Path, upload_id: str, owner_id: int) -> Upload | None:
    """The upload if it exists, belongs to `owner_id` and is less than a day old; else None."""
    if not UPLOAD_ID_RE.fullmatch(upload_id or ""):
        return None
    path = Path(base) / f"{upload_id}.json"
    try:
        upload = Upload(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if upload.owner_id != owner_id:
        return None
    if utcnow() - datetime.fromisoformat(upload.created_at) > UPLOAD_MAX_AGE:
        return None
    return upload


def read_upload(base: Path, upload: Upload) -> ParsedFile:
    """Parse the stored file again (with the sheet chosen since)."""
    try:
        data = upload.data_path(base).read_bytes()
    except OSError as error:
        raise ImportFileError(
            _("Die hochgeladene Datei ist nicht mehr vorhanden. Bitte erneut hochladen.")
        ) from error
    return parse_file(data, encoding=upload.encoding, sheet=upload.sheet)


def discard_upload_data(base: Path, upload: Upload) -> None:
    """Delete the file itself after the import (its state with the result stays)."""
    upload.data_path(base).unlink(missing_ok=True)
