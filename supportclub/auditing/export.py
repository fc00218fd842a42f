"""The year export for the auditors and the tax office (§ 147 Abs. 6 AO), as one ZIP file.

`export_year(year, actor)` writes "supportclub-<year>-export.zip" into a new temporary folder:
the year's bookings, account and fund balances, donation receipts (list and stored PDFs), dues
claims, grants and audit trail as CSV, the Kassenbericht and a Buchungsjournal as PDF, a
manifest (what, by whom, which version; per file bytes, SHA-256 and rows), a sha256sum file and
a German LIESMICH.txt. Every member is written as a stream straight into the ZIP (hashed and
counted on the way), and the large tables are read in chunks, so a year of a million booking
lines needs neither the whole file nor all rows in memory (the journal PDF is written in parts
of JOURNAL_PART_ROWS lines, since reportlab keeps a document's pages until it writes it).
"""

import csv
import hashlib
import io
import json
import math
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from types import SimpleNamespace
from zipfile import ZIP_DEFLATED, ZipFile

from sqlalchemy import func, select

from supportclub import audit
from supportclub.admin.services import get_settings
from supportclub.auditing import export_data as data
from supportclub.auditing.journal import JournalPart, write_journal
from supportclub.auditing.readme import readme_text
from supportclub.clock import today, utcnow
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, full_name_of
from supportclub.money import format_cents
from supportclub.tables import safe_text

FIRST_YEAR = 1990
MANIFEST = "manifest.json"
CHECKSUMS = "pruefsummen.sha256"
README = "LIESMICH.txt"
FORMAT_VERSION = 1
# booking lines per journal PDF: reportlab holds a document's pages until it writes the file
JOURNAL_PART_ROWS = 50_000


class ExportYearInvalid(ValidationError):
    """A year that cannot be exported."""


def check_year(year: int) -> None:
    """Refuse years before FIRST_YEAR and after the current year, in German."""
    last = today().year
    if not FIRST_YEAR <= year <= last:
        raise ExportYearInvalid(
            _(
                "Für das Jahr %(year)s gibt es keinen Export: möglich sind die Jahre %(first)s "
                "bis %(last)s.",
                year=year,
                first=FIRST_YEAR,
                last=last,
            ),
            field="year",
        )


def export_filename(year: int) -> str:
    """ "supportclub-2025-export.zip"."""
    return f"supportclub-{year}-export.zip"


@dataclass
class _Member:
    """What the manifest says about one file in the ZIP."""

    name: str
    bytes: int = 0
    sha256: str = ""
    rows: int | None = None
    note: str = ""

    def as_dict(self) -> dict:
        """The manifest entry."""
        entry = {"name": self.name, "bytes": self.bytes, "sha256": self.sha256}
        if self.rows is not None:
            entry["rows"] = self.rows
        if self.note:
            entry["note"] = self.note
        return entry


class _HashingWriter(io.RawIOBase):
    """A binary stream into a ZIP member that hashes and counts what passes through."""

    def __init__(self, target):
        super().__init__()
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        """Always writable."""
        return True

    def write(self, chunk) -> int:
        """Pass `chunk` on, hashing and counting it."""
        self.target.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)
        return len(chunk)


@dataclass
class _ZipBuilder:
    """A ZIP file being written member by member, remembering each member's facts."""

    zip: ZipFile
    members: list[_Member] = field(default_factory=list)

    def _open(self, name: str):
        """A hashing stream into a new member `name` (ZIP64, so a huge file fits)."""
        return self.zip.open(name, "w", force_zip64=True)

    def add_bytes(self, name: str, payload: bytes, *, note: str = "") -> _Member:
        """A member from bytes."""
        with self._open(name) as target:
            target.write(payload)
        member = _Member(name, len(payload), hashlib.sha256(payload).hexdigest(), note=note)
        self.members.append(member)
        return member

    def add_stream(self, name: str, writer) -> _Member:
        """A member written by `writer(stream)`; its return value (if int) is the row count."""
        with self._open(name) as target:
            stream = _HashingWriter(target)
            rows = writer(stream)
        member = _Member(name, stream.size, stream.digest.hexdigest(), rows)
        self.members.append(member)
        return member

    def add_csv(self, name: str, header: list[str], rows: Iterable[list], *, raw=False) -> _Member:
        """A CSV member (UTF-8 with BOM, ';', CRLF); amounts as cents and German decimal."""

        def write(stream) -> int:
            text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=False)
            text.write("\ufeff")
            out = csv.writer(text, delimiter=";", lineterminator="\r\n")
            out.writerow(header)
            count = 0
            for row in rows:
                out.writerow(_csv_cells(row, raw=raw))
                count += 1
            text.flush()
            text.detach()
            return count

        return self.add_stream(name, write)


def _csv_cells(row: list, *, raw: bool) -> list[str]:
    """Cell texts: amounts as two cells, dates German, text formula-safe unless `raw`."""
    cells: list[str] = []
    for value in row:
        if isinstance(value, data.Amount):
            if value.cents is None:
                cells += ["", ""]
            else:
                cells += [str(value.cents), format_cents(value.cents, symbol=False)]
        elif value is None:
            cells.append("")
        elif isinstance(value, date):
            cells.append(value.strftime("%d.%m.%Y"))
        elif isinstance(value, int):
            cells.append(str(value))
        else:
            cells.append(str(value) if raw else safe_text(str(value)))
    return cells


def _journal_rows(year: int) -> Iterator[tuple]:
    """The journal's rows from the same streamed query as buchungen.csv."""
    for (bid, day, account, _amount, kind, first, last, text, _channel, _ref, reversal_of, _lid,
         category, _sphere, fund, _claim, _campaign, _project, line_text,
         line_amount) in data._stream(data.booking_lines_select(year)):  # fmt: skip
        person = full_name_of(kind, first, last) if last is not None else ""
        shown = f"{text} / {line_text}" if line_text and line_text != text else text
        yield (day, bid, account or "", person, shown, category, fund, reversal_of, line_amount)


def _add_journal(builder: "_ZipBuilder", year: int, association: str, lines: int) -> None:
    """buchungsjournal.pdf, or buchungsjournal-teil-N.pdf when the year has more than
    JOURNAL_PART_ROWS lines (each part's pages stay in memory until it is written)."""
    rows = _journal_rows(year)
    parts = max(math.ceil(lines / JOURNAL_PART_ROWS), 1)
    part = JournalPart(of=parts)
    for number in range(1, parts + 1):
        part.number = number
        name = "buchungsjournal.pdf" if parts == 1 else f"buchungsjournal-teil-{number}.pdf"
        chunk = rows if number == parts else islice(rows, JOURNAL_PART_ROWS)
        builder.add_stream(
            name,
            lambda stream, chunk=chunk: write_journal(
                stream, chunk, association=association, year=year, part=part
            ),
        )


def _alembic_revision() -> str:
    """The database's migration revision ("" when unknown)."""
    from sqlalchemy import text

    try:
        with db.session.begin_nested():
            revision = db.session.execute(text("SELECT version_num FROM alembic_version"))
            return revision.scalar() or ""
    except Exception:  # noqa: BLE001 - a database made without migrations has no such table
        return ""


def _app_version() -> str:
    """The installed version of supportclub ("" when it is not installed as a package)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("supportclub")
    except PackageNotFoundError:
        return ""


def _add_receipts(builder: _ZipBuilder, year: int) -> tuple[_Member, list[dict]]:
    """zuwendungsbestaetigungen.csv and the stored PDFs under belege/; the problems found."""
    from supportclub.receipts.storage import ReceiptFileMissing, ReceiptFileTampered, read_pdf

    receipts = data.receipts_of_year(year)
    files: dict[str, str] = {}
    problems: list[dict] = []
    for row in receipts:
        number = row.number
        # read_pdf checks the file against the SHA-256 recorded at issue (a missing key too)
        stored = SimpleNamespace(
            number=number, storage_key=row.storage_key, pdf_sha256=row.pdf_sha256
        )
        try:
            pdf = read_pdf(stored)
        except ReceiptFileMissing:
            files[number] = _("fehlt")
            problems.append({"number": number, "problem": "missing"})
            continue
        except ReceiptFileTampered:
            files[number] = _("verändert (nicht exportiert)")
            problems.append({"number": number, "problem": "sha256_mismatch"})
            continue
        name = data.receipt_file(number)
        builder.add_bytes(name, pdf)
        files[number] = name
    member = builder.add_csv(
        "zuwendungsbestaetigungen.csv",
        data.receipt_columns(),
        data.receipt_rows(receipts, files),
    )
    return member, problems


def _write_members(builder: _ZipBuilder, year: int, *, with_audit_trail: bool) -> dict:
    """Every data file of the export; returns the facts the manifest adds about them."""
    from supportclub.reports.annual_report import annual_report_pdf

    settings = get_settings()
    builder.add_csv("buchungen.csv", data.booking_columns(), data.booking_rows(year))
    accounts, funds, closed = data.balances(year)
    builder.add_csv("konten.csv", data.balance_columns("account"), data.balance_rows(accounts))
    builder.add_csv("fonds.csv", data.balance_columns("fund"), data.balance_rows(funds))
    _member, receipt_problems = _add_receipts(builder, year)
    builder.add_csv("beitraege.csv", data.dues_columns(), data.dues_rows(year))
    builder.add_csv("foerderungen.csv", data.grant_columns(), data.grant_rows(year))
    if with_audit_trail:
        builder.add_csv("protokoll.csv", data.audit_columns(), data.audit_rows(year), raw=True)
    builder.add_bytes("kassenbericht.pdf", annual_report_pdf(year, today=today()))
    lines = next(m.rows for m in builder.members if m.name == "buchungen.csv")
    _add_journal(builder, year, settings.name or "", lines or 0)
    mismatches = [
        {"kind": kind, "code": item.code, "name": item.name}
        for kind, items in (("account", accounts), ("fund", funds))
        for item in items
        if item.matches_closing is False
    ]
    return {
        "association": settings.name or "",
        "closed": closed,
        "closed_balances_match": (not mismatches) if closed else None,
        "closed_balance_mismatches": mismatches,
        "receipt_problems": receipt_problems,
        "audit_trail_included": with_audit_trail,
    }


def _write_zip(path: Path, year: int, actor, *, with_audit_trail: bool) -> None:
    """The ZIP's members, then manifest.json and pruefsummen.sha256 over them."""
    created_at = utcnow()
    with ZipFile(path, "w", compression=ZIP_DEFLATED, compresslevel=6) as archive:
        builder = _ZipBuilder(archive)
        facts = _write_members(builder, year, with_audit_trail=with_audit_trail)
        builder.add_bytes(README, readme_text(year, with_audit_trail=with_audit_trail).encode())
        manifest = {
            "format": FORMAT_VERSION,
            "association": facts.pop("association"),
            "year": year,
            "period": {"from": f"{year}-01-01", "to": f"{year}-12-31"},
            "created_at": created_at.isoformat(),
            "created_by": getattr(actor, "email", None) or "System",
            "app_version": _app_version(),
            "alembic_revision": _alembic_revision(),
            **facts,
            "files": [member.as_dict() for member in builder.members],
        }
        payload = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        builder.add_bytes(MANIFEST, payload + b"\n")
        checksums = "".join(f"{m.sha256}  {m.name}\n" for m in builder.members)
        archive.writestr(CHECKSUMS, checksums.encode("utf-8"))


def export_year(year: int, actor, *, with_audit_trail: bool = True) -> Path:
    """Write the year's export ZIP into a new temporary folder and return its path.

    The caller owns the file (send it, move it, delete it). Leaves the audit entry
    "auditing.exported" (flushed, not committed). `with_audit_trail=False` leaves out
    protokoll.csv (for readers who may not see the audit trail).
    """
    check_year(year)
    folder = Path(tempfile.mkdtemp(prefix="supportclub-export-"))
    path = folder / export_filename(year)
    try:
        _write_zip(path, year, actor, with_audit_trail=with_audit_trail)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    audit.record(
        actor,
        "auditing.exported",
        None,
        {
            "year": year,
            "file": path.name,
            "bytes": path.stat().st_size,
            "sha256": _file_sha256(path),
            "audit_trail_included": with_audit_trail,
        },
    )
    db.session.flush()
    return path


def _file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_years() -> list[int]:
    """The years that can be exported: from the first booking's year to this year, newest first."""
    first = db.session.execute(select(func.min(Booking.booking_date))).scalar()
    current = today().year
    if isinstance(first, str):  # SQLite's min() of a date column
        first = date.fromisoformat(first[:10])
    start = max(first.year if first else current, FIRST_YEAR)
    return list(range(current, min(start, current) - 1, -1))


def discard(path: Path) -> None:
    """Remove an export made by `export_year` and its temporary folder."""
    shutil.rmtree(path.parent, ignore_errors=True)
