"""The (filtered) donations list as CSV for Excel and as an Excel workbook.

Written by supportclub.tables: CSV in UTF-8 with BOM, ';' separated, formula-safe text; XLSX
with typed amounts and dates.
"""

from datetime import date

from supportclub.donations.labels import KIND_LABELS
from supportclub.donations.models import DonationKind, InKindOrigin
from supportclub.donations.queries import DonationFilter, DonationRow, donation_rows
from supportclub.i18n import N_, _
from supportclub.tables import XLSX_MIMETYPE, Cents, csv_bytes, xlsx_bytes

COLUMNS = (
    N_("Buchung"),
    N_("Datum"),
    N_("Personennummer"),
    N_("Spender"),
    N_("Art"),
    N_("Zweck"),
    N_("Aktion"),
    N_("Buchungstext"),
    N_("Bezeichnung / Aufwendungen"),
    N_("Herkunft"),
    N_("Grundlage der Bewertung"),
    N_("Unterlagen liegen vor"),
    N_("Anspruch vom"),
    N_("Grundlage des Anspruchs"),
    N_("Storno"),
    N_("Betrag"),
)
WIDTHS = (9, 11, 10, 26, 15, 24, 22, 30, 36, 22, 30, 10, 12, 26, 24, 12)
ORIGIN_NAMES = {
    InKindOrigin.BUSINESS: N_("Betriebsvermögen"),
    InKindOrigin.PRIVATE: N_("Privatvermögen"),
    InKindOrigin.UNKNOWN: N_("keine Angabe"),
}


def _reversal_note(row: DonationRow) -> str:
    """ "Storno von Buchung 7", "storniert durch Buchung 9", or nothing."""
    booking = row.booking
    if booking.reversal_of_id is not None:
        return _("Storno von Buchung %(id)s", id=booking.reversal_of_id)
    if booking.reversed_by is not None:
        return _("storniert durch Buchung %(id)s", id=booking.reversed_by.id)
    return ""


def row_values(row: DonationRow) -> list:
    """One donation booking as a list of cell values: text, int, date, bool or Cents."""
    booking, detail = row.booking, row.detail
    person = booking.person
    in_kind = detail is not None and detail.kind == DonationKind.IN_KIND
    waiver = detail is not None and detail.kind == DonationKind.WAIVER
    return [
        booking.id,
        booking.booking_date,
        person.id if person else None,
        person.display_name if person else _("anonym"),
        str(KIND_LABELS[row.kind]),
        ", ".join(dict.fromkeys(share.fund_name for share in row.shares)),
        ", ".join(dict.fromkeys(s.campaign_name for s in row.shares if s.campaign_name)),
        booking.text,
        detail.description if detail else "",
        _(ORIGIN_NAMES[detail.origin]) if in_kind and detail.origin else "",
        detail.value_basis if in_kind else "",
        (_("ja") if detail.documents_present else _("nein")) if in_kind else "",
        detail.claim_date if waiver else None,
        detail.claim_basis if waiver else "",
        _reversal_note(row),
        Cents(row.amount_cents),
    ]


def donations_csv(flt: DonationFilter) -> bytes:
    """The filtered donations as CSV: UTF-8 with BOM, ';' separated, German dates and amounts."""
    return csv_bytes(COLUMNS, (row_values(row) for row in donation_rows(flt, per_page=None)))


def donations_xlsx(flt: DonationFilter) -> bytes:
    """The filtered donations as an Excel workbook (amounts as numbers, dates as dates)."""
    rows = (row_values(row) for row in donation_rows(flt, per_page=None))
    return xlsx_bytes(N_("Spenden"), COLUMNS, WIDTHS, rows)


def export_donations(flt: DonationFilter, fmt: str, *, stamp: date) -> tuple[str, str, bytes]:
    """(filename, mimetype, bytes) of the filtered donations as "csv" or "xlsx"."""
    if fmt == "csv":
        return f"spenden-{stamp.isoformat()}.csv", "text/csv; charset=utf-8", donations_csv(flt)
    if fmt == "xlsx":
        return f"spenden-{stamp.isoformat()}.xlsx", XLSX_MIMETYPE, donations_xlsx(flt)
    raise ValueError(f"unknown export format {fmt!r}")
