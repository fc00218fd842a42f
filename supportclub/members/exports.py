"""The (filtered) member register as CSV for Excel and as an Excel workbook."""

from supportclub.i18n import N_, _
from supportclub.ledger.models import PersonKind
from supportclub.members.queries import RegisterFilter, RegisterRow, register_rows
from supportclub.tables import Cents, csv_bytes, xlsx_bytes

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
WIDTHS = (10, 24, 18, 14, 28, 8, 20, 30, 18, 22, 12, 12, 24, 22, 14)
KIND_LABELS = {PersonKind.PRIVATE: N_("Privatperson"), PersonKind.ORGANISATION: N_("Organisation")}


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


def register_csv(flt: RegisterFilter) -> bytes:
    """The filtered register as CSV: UTF-8 with BOM, ';' separated, German dates and amounts."""
    return csv_bytes(COLUMNS, (row_values(row) for row in register_rows(flt)))


def register_xlsx(flt: RegisterFilter) -> bytes:
    """The filtered register as an Excel workbook (amounts as numbers, dates as dates)."""
    rows = (row_values(row) for row in register_rows(flt))
    return xlsx_bytes(N_("Mitglieder"), COLUMNS, WIDTHS, rows)
