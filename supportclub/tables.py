"""Tables for spreadsheets: one writer for CSV (for Excel) and one for XLSX, used by every export.

A row is a list of cell values: text, int, date, None or `Cents`. CSV is UTF-8 with BOM,
';'-separated, CRLF, with German dates and amounts and formula-safe text. XLSX is a write-only
workbook (rows go out as they come): amounts are numbers in € format, dates are dates, and text
that looks like a formula stays text.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from supportclub.i18n import _
from supportclub.money import cents_to_decimal, format_cents

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EURO_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "DD.MM.YYYY"


@dataclass(frozen=True)
class Cents:
    """An amount in a row; written as a number (Excel) or as German text (CSV)."""

    cents: int


def safe_text(value: str) -> str:
    """Text that a spreadsheet shows as text: a leading apostrophe defuses formulas."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_cell(value) -> str:
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


def csv_bytes(titles: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """The table as CSV for Excel; `titles` are msgids, translated here."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_(title) for title in titles])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def xlsx_cell(sheet, value):
    """A value for a write-only sheet: amounts and dates as formatted cells, text that would
    start a formula as a text cell, everything else plain (a cell object per value is slow)."""
    if isinstance(value, Cents):
        cell = WriteOnlyCell(sheet, value=cents_to_decimal(value.cents))
        cell.number_format = EURO_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would store "=..." as a formula
        return cell
    return value


def xlsx_bytes(
    title: str, titles: Sequence[str], widths: Sequence[int], rows: Iterable[Sequence]
) -> bytes:
    """The table as a workbook with one sheet `title`; bold header row, frozen below it."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_(title))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for column in titles:
        cell = WriteOnlyCell(sheet, value=_(column))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
