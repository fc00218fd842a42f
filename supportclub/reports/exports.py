"""Exports for a period: bookings (one row per line), donations, grants; CSV and Excel.

Each export returns (filename, mimetype, bytes). Rows are read with `yield_per` (a server-side
cursor on PostgreSQL) and written row by row: CSV for Excel (UTF-8 with BOM, ';', German dates
and amounts, formula-safe text) or a write-only workbook (amounts as numbers in € format, dates
as dates), so a period of a million lines never builds ORM objects or a whole sheet in memory.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from supportclub.i18n import _
from supportclub.members.exports import DATE_FORMAT, EURO_FORMAT, Cents, safe_text
from supportclub.money import cents_to_decimal, format_cents
from supportclub.reports import export_rows as rows

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _csv_cell(value) -> str:
    """A value as CSV text: German dates and amounts, formula-safe text."""
    if value is None:
        return ""
    if isinstance(value, Cents):
        return format_cents(value.cents, symbol=False)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, int):
        return str(value)
    return safe_text(str(value))


def write_csv(sheet: Sheet, values: Iterator[list]) -> bytes:
    """The rows as CSV for Excel: UTF-8 with BOM, ';' separated, CRLF."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_(title) for title, _width in sheet.columns])
    for row in values:
        writer.writerow([_csv_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def _xlsx_cell(book_sheet, value):
    """A value for a write-only sheet: amounts and dates formatted, text never a formula."""
    if isinstance(value, Cents):
        cell = WriteOnlyCell(book_sheet, value=cents_to_decimal(value.cents))
        cell.number_format = EURO_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(book_sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(book_sheet, value=value)
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        return cell
    return value


def write_xlsx(sheet: Sheet, values: Iterator[list]) -> bytes:
    """The rows as an Excel workbook (write-only: rows go to disk as they come)."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(_(sheet.title))
    for index, (_title, width) in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    header = []
    for title, _width in sheet.columns:
        cell = WriteOnlyCell(ws, value=_(title))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for row in values:
        ws.append([_xlsx_cell(ws, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(kind: str, fmt: str, date_from: date, date_to: date) -> tuple[str, str, bytes]:
    """(filename, mimetype, bytes) of the export `kind` for the period, as csv or xlsx."""
    sheet = SHEETS[kind]
    values = iter(sheet.rows(date_from, date_to))
    filename = f"{sheet.stem}-{date_from.isoformat()}-bis-{date_to.isoformat()}.{fmt}"
    if fmt == "csv":
        return filename, CSV_MIMETYPE, write_csv(sheet, values)
    if fmt == "xlsx":
        return filename, XLSX_MIMETYPE, write_xlsx(sheet, values)
    raise ValueError(f"unknown export format {fmt!r}")
