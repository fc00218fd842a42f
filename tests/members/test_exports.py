"""Register exports: CSV for Excel (BOM, ';', German numbers) and XLSX, filtered, all pages."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from supportclub.clock import today
from supportclub.members.services import join, set_mandate, set_payer, update_person
from tests.factories import make_membership_type, make_person, membership_of
from tests.members.test_routes import make_club

HEADER = [
    "Mitgliedsnummer",
    "Name",
    "Vorname",
    "Art",
    "Straße",
    "PLZ",
    "Ort",
    "E-Mail",
    "Telefon",
    "Mitgliedsart",
    "Eintritt",
    "Austritt",
    "Zahler",
    "Mandatsreferenz",
    "Offene Beiträge",
]
GOOD_IBAN = "DE89370400440532013000"


@pytest.fixture
def club(db):
    return make_club(db)


def csv_rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(response.get_data()))
    return list(book.active.iter_rows(values_only=True))


def cents(value) -> int:
    """An Excel number of euros as exact cents."""
    return int(Decimal(str(value)) * 100)


def test_csv_has_the_active_members_with_german_dates_and_amounts(club, treasurer_client):
    response = treasurer_client.get("/mitglieder/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert f'filename="mitglieder-{today().isoformat()}.csv"' in disposition
    rows = csv_rows(response)
    assert rows[0] == HEADER
    by_name = {row[1]: row for row in rows[1:]}
    assert sorted(by_name) == ["Albrecht", "Bauer", "Druckerei Dietz GmbH"]
    assert by_name["Albrecht"] == [
        str(club.anna.member_number),
        "Albrecht",
        "Anna",
        "Privatperson",
        "Hauptstraße 1",
        "07743",
        "Jena",
        "anna.albrecht@example.org",
        "",
        "Regulär",
        "01.03.2020",
        "",
        "",
        "",
        "36,00",
    ]
    assert by_name["Druckerei Dietz GmbH"][3] == "Organisation"
    assert by_name["Druckerei Dietz GmbH"][-1] == "40,00"
    assert by_name["Bauer"][-1] == "0,00"


def test_csv_follows_the_filter(club, treasurer_client):
    response = treasurer_client.get(
        "/mitglieder/export.csv", query_string={"status": "verspaetet", "q": "jena"}
    )
    assert [row[1] for row in csv_rows(response)[1:]] == ["Albrecht", "Druckerei Dietz GmbH"]
    left = csv_rows(treasurer_client.get("/mitglieder/export.csv?status=ausgetreten"))[1:]
    assert len(left) == 1
    assert left[0][1] == "Clausen"
    assert left[0][9:12] == ["Familie", "01.01.2019", "31.12.2024"]
    by_number = treasurer_client.get(
        "/mitglieder/export.csv", query_string={"q": str(club.bernd.member_number)}
    )
    assert [row[1] for row in csv_rows(by_number)[1:]] == ["Bauer"]
    sorted_desc = treasurer_client.get("/mitglieder/export.csv?sort=name&direction=desc")
    assert [row[1] for row in csv_rows(sorted_desc)[1:]] == [
        "Druckerei Dietz GmbH",
        "Bauer",
        "Albrecht",
    ]


def test_payer_and_mandate_columns(db, club, treasurer_client):
    membership = membership_of(club.anna)
    set_payer(membership, payer_id=club.bernd.id, actor=None)
    set_mandate(
        membership, reference="ANNA-1", signed_on=date(2025, 1, 2), iban=GOOD_IBAN, actor=None
    )
    db.session.commit()
    rows = csv_rows(treasurer_client.get("/mitglieder/export.csv?q=albrecht"))
    assert rows[1][12:14] == ["Bauer, Bernd", "ANNA-1"]


def test_the_export_has_every_page(db, treasurer_client):
    mtype = make_membership_type()
    for i in range(53):
        person = make_person(last_name=f"Person{i:02d}", email=None)
        join(person, membership_type_id=mtype.id, start_date=date(2024, 1, 1), actor=None)
    db.session.commit()
    assert len(csv_rows(treasurer_client.get("/mitglieder/export.csv"))) == 1 + 53
    assert len(xlsx_rows(treasurer_client.get("/mitglieder/export.xlsx"))) == 1 + 53


def test_xlsx_has_numbers_and_dates(club, treasurer_client):
    response = treasurer_client.get("/mitglieder/export.xlsx?status=alle")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    disposition = response.headers["Content-Disposition"]
    assert f'filename="mitglieder-{today().isoformat()}.xlsx"' in disposition
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    by_name = {row[1]: row for row in rows[1:]}
    assert sorted(by_name) == ["Albrecht", "Bauer", "Clausen", "Druckerei Dietz GmbH"]
    anna = by_name["Albrecht"]
    assert anna[0] == club.anna.member_number
    assert anna[10] == datetime(2020, 3, 1)
    assert cents(anna[14]) == 3600
    assert cents(by_name["Druckerei Dietz GmbH"][14]) == 4000
    assert cents(by_name["Bauer"][14]) == 0
    assert by_name["Clausen"][11] == datetime(2024, 12, 31)
    amount_cell = sheet.cell(row=2, column=15)
    assert amount_cell.data_type == "n" and "€" in amount_cell.number_format
    assert sheet.cell(row=2, column=11).number_format == "DD.MM.YYYY"


def test_formula_injection_is_defused(db, treasurer_client):
    mtype = make_membership_type()
    person = make_person(first_name="-1+2", last_name='=HYPERLINK("http://evil.example")')
    update_person(person, actor=None, phone="+49 3641 1234", city="@SUM(A1)")
    join(person, membership_type_id=mtype.id, start_date=date(2024, 1, 1), actor=None)
    db.session.commit()
    row = csv_rows(treasurer_client.get("/mitglieder/export.csv"))[1]
    assert row[1] == '\'=HYPERLINK("http://evil.example")'
    assert row[2] == "'-1+2"
    assert row[6] == "'@SUM(A1)"
    assert row[8] == "'+49 3641 1234"
    response = treasurer_client.get("/mitglieder/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    name = sheet.cell(row=2, column=2)
    assert name.data_type == "s", "text must not become a formula"
    assert name.value == '=HYPERLINK("http://evil.example")'


def test_unknown_format_is_404(treasurer_client):
    assert treasurer_client.get("/mitglieder/export.pdf").status_code == 404
