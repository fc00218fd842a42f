"""Donation exports: CSV for Excel (BOM, ';', German numbers, formula-safe) and typed XLSX."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from supportclub.clock import today
from supportclub.donations.exports import COLUMNS, export_donations
from supportclub.donations.queries import DonationFilter
from supportclub.donations.services import (
    record_cash_batch,
    record_donation,
    record_in_kind,
    record_waiver,
)
from tests.donations.helpers import acc, cat, reverse
from tests.factories import make_person, make_project


def book(db):
    """A money donation (earmarked, reversed), one in kind, a waiver and a donation box."""
    anna = make_person(first_name="Anna", last_name="=HYPERLINK(1)")
    project = make_project("Lesefest")
    money = record_donation(
        booking_date=date(2025, 2, 1),
        account_id=acc("bank"),
        amount_cents=123456,
        person_id=anna.id,
        fund_id=project.fund_id,
        text="-Überweisung",
        actor=None,
    )
    record_in_kind(
        booking_date=date(2025, 3, 1),
        person_id=anna.id,
        value_cents=8000,
        description="Kinderfahrrad",
        origin="business",
        value_basis="Rechnung",
        documents_present=True,
        actor=None,
    )
    record_waiver(
        booking_date=date(2025, 4, 1),
        person_id=anna.id,
        amount_cents=4250,
        description="Fahrtkosten",
        claim_date=date(2025, 3, 20),
        claim_basis="Satzung § 7",
        expense_category_id=cat("admin_cost"),
        actor=None,
    )
    record_cash_batch(booking_date=date(2025, 5, 1), items=[(150, ""), (250, "")], actor=None)
    db.session.commit()
    reverse(db, money, date(2025, 6, 1))
    return anna, project, money


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def cents(value) -> int:
    """An Excel number of euros as exact cents."""
    return int(Decimal(str(value)) * 100)


def test_csv_parses_back_with_every_kind_and_the_reversal(db):
    anna, project, money = book(db)
    filename, mimetype, body = export_donations(DonationFilter(), "csv", stamp=date(2025, 7, 1))
    assert (filename, mimetype) == ("spenden-2025-07-01.csv", "text/csv; charset=utf-8")
    header, *rows = csv_rows(body)
    assert header == list(COLUMNS)
    assert len(rows) == 5
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    original = by_id[str(money.id)]
    assert original["Datum"] == "01.02.2025"
    assert original["Spender"] == "'=HYPERLINK(1), Anna"  # a formula is defused
    assert original["Buchungstext"] == "'-Überweisung"
    assert original["Zweck"] == "Projekt: Lesefest"
    assert original["Betrag"] == "1.234,56"
    assert original["Art"] == "Geldspende"
    assert original["Storno"].startswith("storniert durch Buchung")
    reversal = next(row for row in by_id.values() if row["Storno"].startswith("Storno von"))
    assert reversal["Betrag"] == "-1.234,56"
    in_kind = next(row for row in by_id.values() if row["Art"] == "Sachspende")
    assert (in_kind["Herkunft"], in_kind["Grundlage der Bewertung"]) == (
        "Betriebsvermögen",
        "Rechnung",
    )
    assert in_kind["Unterlagen liegen vor"] == "ja"
    assert in_kind["Betrag"] == "80,00"
    waiver = next(row for row in by_id.values() if row["Art"] == "Aufwandsspende")
    assert (waiver["Anspruch vom"], waiver["Grundlage des Anspruchs"]) == (
        "20.03.2025",
        "Satzung § 7",
    )
    box = next(row for row in by_id.values() if row["Spender"] == "anonym")
    assert box["Betrag"] == "4,00"
    total = sum(
        cents(Decimal(row["Betrag"].replace(".", "").replace(",", "."))) for row in by_id.values()
    )
    assert total == 8000 + 4250 + 400


def test_xlsx_has_typed_numbers_and_dates(db):
    _anna, _project, money = book(db)
    filename, mimetype, body = export_donations(
        DonationFilter(kind="in_kind"), "xlsx", stamp=date(2025, 7, 1)
    )
    assert filename == "spenden-2025-07-01.xlsx"
    assert mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(body)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert list(header) == list(COLUMNS)
    [row] = rows
    values = dict(zip(header, row, strict=True))
    assert values["Datum"] == datetime(2025, 3, 1)
    assert cents(values["Betrag"]) == 8000
    assert values["Spender"] == "=HYPERLINK(1), Anna"  # stored as text, not as a formula
    assert sheet.cell(row=2, column=4).data_type == "s"
    assert sheet.cell(row=2, column=len(COLUMNS)).number_format == '#,##0.00 "€"'


def test_export_route_uses_the_list_filters(db, clients):
    _anna, project, _money = book(db)
    response = clients["board"].get(f"/spenden/export.csv?fund_id={project.fund_id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        f'filename="spenden-{today().isoformat()}.csv"' in response.headers["Content-Disposition"]
    )
    _header, *rows = csv_rows(response.get_data())
    assert [row[-1] for row in rows] == ["-1.234,56", "1.234,56"]
    response = clients["board"].get("/spenden/export.xlsx?year=2025")
    assert response.status_code == 200
    assert len(list(load_workbook(io.BytesIO(response.get_data())).active.iter_rows())) == 6
    assert clients["member"].get("/spenden/export.csv").status_code == 403
    assert clients["treasurer"].get("/spenden/export.pdf").status_code == 404
