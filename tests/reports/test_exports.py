"""Exports of bookings, donations and grants: CSV and Excel parse back to the exact figures."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from supportclub.donations.models import InKindOrigin
from supportclub.donations.services import record_in_kind
from supportclub.extensions import db
from supportclub.ledger.models import PersonKind
from supportclub.money import parse_amount
from supportclub.reports.exports import export
from tests.factories import make_booking, make_person
from tests.reports.book import small_book

PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


def read_csv(body: bytes) -> list[list[str]]:
    """The rows of an exported CSV (BOM checked and removed)."""
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:]), delimiter=";"))


def read_xlsx(body: bytes) -> list[list]:
    """The rows of the first sheet of an exported workbook."""
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def cents(value) -> int:
    """An exported amount (German text or an Excel number) as exact cents."""
    if isinstance(value, str):
        return parse_amount(value, allow_negative=True, allow_zero=True)
    return int(Decimal(str(value)) * 100)


def test_bookings_csv_one_row_per_line_summing_exactly(app):
    """Every line of the period, amounts in German format, sum = booked sum."""
    small_book()
    make_booking(9999, category="donation", booking_date=date(2024, 12, 31))  # outside
    filename, mimetype, body = export("bookings", "csv", *PERIOD)
    assert filename == "buchungen-2025-01-01-bis-2025-12-31.csv"
    assert mimetype == "text/csv; charset=utf-8"
    header, *rows = read_csv(body)
    assert header[:3] == ["Datum", "Buchung", "Konto"] and header[-2:] == [
        "Betrag",
        "Storno von Buchung",
    ]
    amounts = [cents(row[11]) for row in rows]
    # 12 lines: dues, 2 donations, reversal, 3 campaign, interest, office, 2 allocation, payout
    assert len(rows) == 12
    assert sum(amounts) == 64100 - 30000  # allocations net to zero
    reversal = [row for row in rows if row[12]]
    assert len(reversal) == 1 and cents(reversal[0][11]) == -5000
    campaign_rows = [row for row in rows if row[9] == "Familienwandertag 2025"]
    assert sorted(cents(r[11]) for r in campaign_rows) == [-8000, 20000, 30000]
    assert {r[7] for r in campaign_rows} == {"Zweckbetrieb", "Wirtschaftlicher Geschäftsbetrieb"}
    payout = next(row for row in rows if row[10] == "Lesefest" and cents(row[11]) == -20000)
    assert payout[0] == "01.09.2025" and payout[8] == "Projekt: Lesefest"


def test_bookings_xlsx_numbers_and_dates_are_typed(app):
    """Excel: amounts are numbers in € format, dates are dates; same rows as the CSV."""
    small_book()
    _name, mimetype, body = export("bookings", "xlsx", *PERIOD)
    assert mimetype.endswith("spreadsheetml.sheet")
    header, *rows = read_xlsx(body)
    assert header[11] == "Betrag"
    assert all(isinstance(row[0], datetime) for row in rows)
    assert all(isinstance(row[11], int | float) for row in rows)
    assert sum(cents(row[11]) for row in rows) == 34100
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    assert sheet.cell(row=2, column=12).number_format == '#,##0.00 "€"'


def test_text_that_looks_like_a_formula_is_defused(app):
    """A booking text starting with "=" stays text in CSV and Excel."""
    make_booking(1000, category="donation", booking_date=date(2025, 2, 1), text="=HYPERLINK(1)")
    row = read_csv(export("bookings", "csv", *PERIOD)[2])[1]
    assert row[4] == "'=HYPERLINK(1)"
    xrow = read_xlsx(export("bookings", "xlsx", *PERIOD)[2])[1]
    assert xrow[4] == "=HYPERLINK(1)"
    sheet = load_workbook(io.BytesIO(export("bookings", "xlsx", *PERIOD)[2])).worksheets[0]
    assert sheet.cell(row=2, column=5).data_type == "s"


def test_donations_with_donor_address_kind_and_reversal(app):
    """Donor name and address, kind (money, in kind), the earmark, reversal marked."""
    small_book()
    anna = make_person(first_name="Anna", last_name="Spenderin", street="Am Markt 3", city="Jena")
    make_booking(
        4200, category="donation", fund="general", person_id=anna.id, booking_date=date(2025, 4, 2)
    )
    record_in_kind(
        booking_date=date(2025, 4, 3),
        person_id=anna.id,
        value_cents=2500,
        description="Zehn Kinderbücher, neu",
        origin=InKindOrigin.PRIVATE,
        value_basis="Kaufbeleg",
        actor=None,
    )
    db.session.commit()
    header, *rows = read_csv(export("donations", "csv", *PERIOD)[2])
    assert header == [
        "Datum", "Buchung", "Spender", "Straße", "PLZ", "Ort", "Art", "Fonds / Projekt",
        "Betrag", "Text", "Storno von Buchung",
    ]  # fmt: skip
    anna_row = next(row for row in rows if row[2] == "Spenderin, Anna")
    assert anna_row[3:9] == [
        "Am Markt 3",
        "07743",
        "Jena",
        "Geldspende",
        "Allgemeiner Fonds (frei)",
        "42,00",
    ]
    assert next(row for row in rows if cents(row[8]) == 2500)[6] == "Sachspende"
    assert [row[6] for row in rows if row[10]] == ["Storno"]
    assert len(rows) == 5  # small book: 100,00 €, 50,00 € and its reversal
    assert sum(cents(row[8]) for row in rows) == 10000 + 4200 + 2500
    xrows = read_xlsx(export("donations", "xlsx", *PERIOD)[2])[1:]
    assert sum(cents(row[8]) for row in xrows) == 16700


def test_grants_per_project_in_the_period(app):
    """Project, applicant, resolution date, approved and paid in the period, status."""
    small_book()
    header, *rows = read_csv(export("grants", "csv", *PERIOD)[2])
    assert header == [
        "Projekt",
        "Antragsteller",
        "Beschluss vom",
        "Bewilligt",
        "Ausgezahlt",
        "Status",
    ]
    assert rows == [
        ["Lesefest", "Kita Sonnenschein", "01.08.2025", "500,00", "200,00", "teilweise ausgezahlt"]
    ]
    assert read_csv(export("grants", "csv", date(2024, 1, 1), date(2024, 12, 31))[2]) == [header]
    xrows = read_xlsx(export("grants", "xlsx", *PERIOD)[2])
    assert xrows[1][2] == datetime(2025, 8, 1) and cents(xrows[1][3]) == 50000


def test_private_applicant_is_named_in_the_internal_export(app):
    """The export is for the board, not the public: a private applicant is named there."""
    from supportclub.projects.services import approve_project
    from tests.factories import make_project

    make_booking(100000, category="donation", booking_date=date(2025, 1, 5))
    person = make_person(kind=PersonKind.PRIVATE, first_name="Eva", last_name="Privat")
    project = make_project("Nachbarschaftsfest", applicant=person)
    approve_project(project, resolution_date=date(2025, 3, 1), amount_cents=1000, actor=None)
    db.session.commit()
    rows = read_csv(export("grants", "csv", *PERIOD)[2])
    assert rows[1][:2] == ["Nachbarschaftsfest", "Privat, Eva"]
