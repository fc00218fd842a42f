"""The reconciliation of a year: receipts against booked donations and dues, per donor and in
total; what is open, what is receipted twice, receipts whose booking was reversed; the CSV; a
fixed number of queries however many donors there are."""

import csv
import io
from datetime import date

import pytest

from supportclub.extensions import db
from supportclub.ledger.services import reverse_booking
from supportclub.receipts import services
from supportclub.receipts.report import reconcile
from tests.factories import make_booking
from tests.ledger.test_query_counts import page_statements, tally
from tests.receipts.ui_helpers import (
    donation_line,
    issue,
    make_contribution,
    make_person,
    make_receipt_settings,
)


@pytest.fixture
def year(app):
    """A 2025 with three donors: all receipted, partly open, and a reversal after receipting.

    Anna: 50 € + 48 € dues, both on a Sammelbestätigung (98 €).
    Bernd: 20 € receipted, 30 € and an in-kind 450 € open.
    Carla: 70 € receipted, then the booking reversed.
    Plus 2024 money (another year) and a booking without payer (not receiptable).
    """
    make_receipt_settings()
    anna = make_person(first_name="Anna", last_name="Albers")
    bernd = make_person(first_name="Bernd", last_name="Brandt")
    carla = make_person(first_name="Carla", last_name="Conrad")
    make_contribution(anna, 5000, booking_date=date(2025, 2, 1))
    make_contribution(anna, 4800, kind="dues", booking_date=date(2025, 3, 1))
    services.issue_collective(anna, 2025, actor=None)
    db.session.commit()
    issue(bernd, 2000, day=date(2025, 4, 1))
    make_contribution(bernd, 3000, booking_date=date(2025, 5, 1))
    make_contribution(bernd, 45000, kind="in_kind", booking_date=date(2025, 6, 1))
    booking = make_contribution(carla, 7000, booking_date=date(2025, 7, 1))
    carla_receipt = services.issue_single(donation_line(booking).id, actor=None)
    db.session.commit()
    reverse_booking(booking, "Rücklastschrift", actor=None)
    make_contribution(anna, 9900, booking_date=date(2024, 12, 31))
    make_booking(1234, booking_date=date(2025, 8, 1))  # a donation without payer
    db.session.commit()
    return {"anna": anna, "bernd": bernd, "carla": carla, "carla_receipt": carla_receipt}


def test_per_donor_and_total(year):
    report = reconcile(2025, dues_deductible=True)
    rows = {row.name: row for row in report.donors}
    assert list(rows) == ["Albers, Anna", "Brandt, Bernd", "Conrad, Carla"]
    anna, bernd, carla = rows.values()
    assert (anna.booked_cents, anna.receipted_cents, anna.open_cents) == (9800, 9800, 0)
    assert anna.receipts == 1 and anna.difference_cents == 0
    assert (bernd.booked_cents, bernd.receipted_cents, bernd.open_cents) == (50000, 2000, 48000)
    assert bernd.open_count == 2 and bernd.difference_cents == 0
    assert (carla.booked_cents, carla.receipted_cents, carla.open_cents) == (0, 7000, 0)
    assert carla.reversed_cents == 7000 and carla.difference_cents == 7000
    total = report.total
    assert (total.booked_cents, total.receipted_cents, total.open_cents) == (59800, 18800, 48000)
    assert total.receipts == 3 and total.difference_cents == 7000
    assert not report.ok


def test_lists_open_twice_and_reversed(year):
    report = reconcile(2025, dues_deductible=True)
    assert [(line.name, line.amount_cents, line.in_kind) for line in report.open_lines] == [
        ("Brandt, Bernd", 3000, False),
        ("Brandt, Bernd", 45000, True),
    ]
    assert report.twice == []
    assert [(r.number, r.name, r.amount_cents) for r in report.reversed] == [
        (year["carla_receipt"].number, "Carla Conrad", 7000)
    ]
    assert report.reversed[0].reversal_id is not None


def test_revoking_the_wrong_receipt_and_receipting_the_rest_settles_the_year(year):
    services.revoke(year["carla_receipt"], "Buchung storniert", actor=None)
    services.issue_collective(year["bernd"], 2025, actor=None)
    line = reconcile(2025, dues_deductible=True).open_lines[0]
    services.issue_single(line.line_id, actor=None)
    db.session.commit()
    report = reconcile(2025, dues_deductible=True)
    assert report.ok
    assert report.total.difference_cents == 0
    assert report.total.booked_cents == report.total.receipted_cents == 59800


def test_dues_do_not_count_when_not_deductible(app):
    make_receipt_settings(dues_deductible=False)
    person = make_person()
    make_contribution(person, 4800, kind="dues")
    make_contribution(person, 1000, booking_date=date(2025, 4, 1))
    report = reconcile(2025, dues_deductible=False)
    assert report.total.booked_cents == 1000 and report.total.open_cents == 1000


def test_page_and_csv(year, clients):
    page = clients["board"].get("/zuwendungsbestaetigungen/abgleich?jahr=2025")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Abgleich 2025" in html
    assert "598,00 €" in html and "188,00 €" in html and "480,00 €" in html
    reversed_part = html[html.index('data-testid="report-reversed"') :]
    assert year["carla_receipt"].number in reversed_part
    response = clients["board"].get("/zuwendungsbestaetigungen/abgleich?jahr=2025&format=csv")
    assert response.mimetype == "text/csv"
    assert "abgleich-2025.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == [
        "Personennummer",
        "Zuwendender",
        "Gebucht",
        "Bestätigt",
        "Nicht bestätigt",
    ]
    assert [row[1] for row in rows[1:]] == [
        "Albers, Anna",
        "Brandt, Bernd",
        "Conrad, Carla",
        "Summe",
    ]
    assert rows[-1][2:5] == ["598,00", "188,00", "480,00"]
    assert rows[-1][-1] == "70,00"


def test_empty_year_and_bad_year(clients, app):
    page = clients["treasurer"].get("/zuwendungsbestaetigungen/abgleich?jahr=1999")
    assert "In diesem Jahr gibt es keine Zuwendungen." in page.get_data(as_text=True)
    assert clients["treasurer"].get("/zuwendungsbestaetigungen/abgleich?jahr=x").status_code == 200


def _donors(n: int, start: int) -> None:
    """n donors with two contributions each, half of them receipted."""
    for i in range(n):
        person = make_person(last_name=f"Viel{start + i}")
        make_contribution(person, 1000 + i, booking_date=date(2025, 1 + i % 12, 1), commit=False)
        make_contribution(person, 500, kind="dues", booking_date=date(2025, 3, 2), commit=False)
        db.session.commit()
        if i % 2:
            services.issue_collective(person, 2025, actor=None)
            db.session.commit()


@pytest.mark.parametrize(
    "url",
    [
        "/zuwendungsbestaetigungen/abgleich?jahr=2025",
        "/zuwendungsbestaetigungen/abgleich?jahr=2025&format=csv",
        "/zuwendungsbestaetigungen?jahr=2025",
    ],
)
def test_query_count_does_not_grow_with_donors(app, db, clients, url):
    make_receipt_settings()
    _donors(2, 0)
    few = page_statements(db, clients["board"], url)
    _donors(12, 100)
    many = page_statements(db, clients["board"], url)
    assert len(many) == len(few), tally(many)
    assert len(many) <= 12, tally(many)
