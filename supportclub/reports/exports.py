"""Exports for a period: bookings (one row per line), donations, grants; CSV and Excel.

Each export returns (filename, mimetype, bytes). Rows are read with `yield_per` (a server-side
cursor on PostgreSQL) and written row by row: CSV for Excel (UTF-8 with BOM, ';', German dates
and amounts, formula-safe text) or a write-only workbook (amounts as numbers in € format, dates
as dates), so a period of a million lines never builds ORM objects or a whole sheet in memory.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from supportclub.reports import export_rows as rows
from supportclub.tables import CSV_MIMETYPE, XLSX_MIMETYPE, csv_bytes, xlsx_bytes


@dataclass(frozen=True)
class Sheet:
    """What an export writes: file stem, sheet title, columns (msgids, widths) and rows."""

    stem: str
    title: str
    columns: tuple[tuple[str, int], ...]
    rows: Callable[[date, date], Iterable[list]]


SHEETS = {
    "bookings": Sheet("buchungen", rows.BOOKINGS_TITLE, rows.BOOKING_COLUMNS, rows.booking_rows),
    "donations": Sheet("spenden", rows.DONATIONS_TITLE, rows.DONATION_COLUMNS, rows.donation_rows),
    "grants": Sheet("foerderungen", rows.GRANTS_TITLE, rows.GRANT_COLUMNS, rows.grant_rows),
}


def export(kind: str, fmt: str, date_from: date, date_to: date) -> tuple[str, str, bytes]:
    """(filename, mimetype, bytes) of the export `kind` for the period, as csv or xlsx."""
    sheet = SHEETS[kind]
    values = sheet.rows(date_from, date_to)
    titles = [title for title, _width in sheet.columns]
    filename = f"{sheet.stem}-{date_from.isoformat()}-bis-{date_to.isoformat()}.{fmt}"
    if fmt == "csv":
        return filename, CSV_MIMETYPE, csv_bytes(titles, values)
    if fmt == "xlsx":
        widths = [width for _title, width in sheet.columns]
        return filename, XLSX_MIMETYPE, xlsx_bytes(sheet.title, titles, widths, values)
    raise ValueError(f"unknown export format {fmt!r}")
