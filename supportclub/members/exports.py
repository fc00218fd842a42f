"""The (filtered) member register as CSV for Excel and as an Excel workbook."""

import csv
import io
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from supportclub.i18n import N_, _
from supportclub.ledger.models import PersonKind
from supportclub.members.queries import RegisterFilter, RegisterRow, register_rows
from supportclub.money import cents_to_decimal, format_cents

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EURO_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "DD.MM.YYYY"

COLUMNS = (
    N_("Mitgliedsnummer"),
    N_("Name"),
    N_("Vorname"),
    N_("Art"),
    N_("Straße"),
    N_("PLZ"),
    N_("Ort"),
    N_("E-Mail"),
    N_("Telefon"),
    N_("Mitgliedsart"),
    N_("Eintritt"),
    N_("Austritt"),
    N_("Zahler"),
    N_("Mandatsreferenz"),
    N_("Offene Beiträge"),
)
KIND_LABELS = {PersonKind.PRIVATE: N_("Privatperson"), PersonKind.ORGANISATION: N_("Organisation")}


@dataclass(frozen=True)
class Cents:
    """An amount in a row; written as a number (Excel) or as German text (CSV)."""

    cents: int


def row_values(row: RegisterRow) -> list:
    """One member as a list of cell values: text, int, date or Cents."""
    person = row.person
    return [
        person.member_number,
        person.last_name,
        person.first_name,
        _(KIND_LABELS[person.kind]),
        person.street,
        person.postal_code,
        person.city,
        person.email or "",
        person.phone,
        row.types_label,
        row.joined_on,
        row.left_on,
        ", ".join(row.payer_names),
        ", ".join(row.mandate_references),
        Cents(row.open_cents),
    ]


def safe_text(value: str) -> str:
    """Text that a spreadsheet shows as text: a leading apostrophe defuses formulas."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Cents):
        return format_cents(value.cents, symbol=False)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, int):
        return str(value)
    return safe_text(str(value))


def register_csv(flt: RegisterFilter) -> bytes:
    """The filtered register as CSV: UTF-8 with BOM, ';' separated, German dates and amounts."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_(title) for title in COLUMNS])
    for row in register_rows(flt):
        writer.writerow([_csv_cell(value) for value in row_values(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_cell(sheet, value):
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


def register_xlsx(flt: RegisterFilter) -> bytes:
    """The filtered register as an Excel workbook (amounts as numbers, dates as dates)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Mitglieder"))
    widths = (10, 24, 18, 14, 28, 8, 20, 30, 18, 22, 12, 12, 24, 22, 14)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for title in COLUMNS:
        cell = WriteOnlyCell(sheet, value=_(title))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in register_rows(flt):
        sheet.append([_xlsx_cell(sheet, value) for value in row_values(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
