"""The project list (filters, totals, free money) and the grants total since founding."""

from datetime import date

import pytest

from supportclub.admin.services import get_settings
from supportclub.ledger.models import PersonKind
from supportclub.projects.services import (
    allocate_funds,
    record_payout,
    reject_project,
    revoke_grant,
)
from tests.factories import make_grant, make_person, make_project
from tests.projects.helpers import bank_id, fund_general, money, section


def _paid(project, approved: int, paid: int, day: date = date(2025, 4, 1)) -> None:
    """Approve, allocate and pay out part of it."""
    make_grant(project, approved)
    allocate_funds(project, amount_cents=approved, booking_date=date(2025, 3, 5), actor=None)
    record_payout(project, amount_cents=paid, booking_date=day, account_id=bank_id(), actor=None)


@pytest.fixture
def projects(db):
    """Five projects in different stages and years; 10.000 € in the general fund."""
    fund_general(1_000_000)
    kita = make_person(kind=PersonKind.ORGANISATION, first_name="", last_name="Kita Regenbogen")
    applied = make_project("Lesefest", requested_cents=50000, applicant=kita)
    approved = make_project("Spielplatz", requested_cents=300000)
    make_grant(approved, 200000)
    partly = make_project("Theaterfahrt", requested_cents=80000, applicant=kita)
    _paid(partly, 80000, 30000)
    paid = make_project("Ferienlager", requested_cents=120000, applied_on=date(2024, 11, 5))
    _paid(paid, 100000, 100000)
    rejected = make_project("Abgelehnt 2024", requested_cents=9999, applied_on=date(2024, 3, 1))
    reject_project(rejected, decided_on=date(2024, 4, 1), actor=None)
    db.session.commit()
    return {p.title: p for p in (applied, approved, partly, paid, rejected)}


def _titles(page: str) -> list[str]:
    """Project titles in the list, in order."""
    table = section(page, "projects")
    return [
        part.split(">", 1)[1].split("<", 1)[0] for part in table.split('<a href="/projekte/')[1:]
    ]


def test_the_list_shows_every_project_with_its_sums_and_totals(clients, projects):
    page = clients["board"].get("/projekte").get_data(as_text=True)
    assert _titles(page) == [  # newest application first
        "Theaterfahrt",
        "Spielplatz",
        "Lesefest",
        "Ferienlager",
        "Abgelehnt 2024",
    ]
    totals = section(page, "totals")
    # requested 500 + 3.000 + 800 + 1.200 + 99,99; approved 2.000 + 800 + 1.000; paid 300 + 1.000
    for shown in ("5.599,99 €", "3.800,00 €", "1.300,00 €", "500,00 €"):
        assert shown in totals
    assert "Summe (alle 5 gefundenen Projekte)" in totals
    # general fund: 10.000 - 1.800 allocated = 8.200; open: 2.000 + 500; uncovered: 2.000
    assert money(page, "general") == "8.200,00 €"
    assert money(page, "open") == "2.500,00 €"
    assert money(page, "commitments") == "2.000,00 €"
    assert money(page, "free") == "6.200,00 €"
    for stage in ("applied", "approved", "partly_paid", "paid", "rejected"):
        assert f'data-stage="{stage}"' in page


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("stage=applied", ["Lesefest"]),
        ("stage=approved", ["Spielplatz"]),
        ("stage=partly_paid", ["Theaterfahrt"]),
        ("stage=paid", ["Ferienlager"]),
        ("stage=rejected", ["Abgelehnt 2024"]),
        ("stage=closed", []),
        ("year=2024", ["Ferienlager", "Abgelehnt 2024"]),
        ("q=regenbogen", ["Theaterfahrt", "Lesefest"]),
        ("q=FERIEN", ["Ferienlager"]),
        ("q=50%25", []),
        ("stage=unsinn&year=abc", None),  # invalid filters are ignored
    ],
)
def test_the_list_filters(clients, projects, query, titles):
    response = clients["board"].get(f"/projekte?{query}")
    assert response.status_code == 200
    expected = titles if titles is not None else _titles(clients["board"].get("/projekte").text)
    assert _titles(response.get_data(as_text=True)) == expected


def test_the_filtered_totals_cover_only_the_filtered_projects(clients, projects):
    page = clients["board"].get("/projekte?q=regenbogen").get_data(as_text=True)
    totals = section(page, "totals")
    assert "1.300,00 €" in totals and "800,00 €" in totals and "300,00 €" in totals


def test_the_grants_total_page(db, clients):
    settings = get_settings()
    settings.grants_before_cents = 9_876_543
    settings.grants_before_until_year = 2023
    db.session.commit()
    fund_general(2_000_000)
    first = make_project("A", applied_on=date(2024, 1, 1))
    make_grant(first, 123456, resolution_date=date(2024, 5, 1))
    make_grant(
        make_project("B", applied_on=date(2024, 1, 1)), 50000, resolution_date=date(2024, 9, 1)
    )
    third = make_project("C", applied_on=date(2024, 1, 1))
    make_grant(third, 77701, resolution_date=date(2025, 3, 1))
    allocate_funds(third, amount_cents=30000, booking_date=date(2025, 3, 2), actor=None)
    record_payout(
        third, amount_cents=30000, booking_date=date(2025, 4, 1), account_id=bank_id(), actor=None
    )
    revoked = make_grant(make_project("Z", applied_on=date(2024, 1, 1)), 99999)
    revoke_grant(revoked, revoked_on=date(2025, 3, 2), reason="doppelt erfasst", actor=None)
    db.session.commit()
    page = clients["board"].get("/projekte/foerdersumme").get_data(as_text=True)
    assert "Seit Gründung bewilligt" in page
    assert money(page, "total") == "101.277,00 €"  # 98.765,43 + 1.234,56 + 500 + 777,01
    assert money(page, "paid") == "300,00 €"
    years = section(page, "years")
    rows = [row for row in years.split("<tr")[2:]]
    assert "bis 2023" in rows[0] and rows[0].count("98.765,43 €") == 2
    assert 'data-year="2024"' in rows[1]
    assert "1.734,56 €" in rows[1] and "100.499,99 €" in rows[1]
    assert 'data-year="2025"' in rows[2]
    assert "777,01 €" in rows[2] and "300,00 €" in rows[2] and "101.277,00 €" in rows[2]
    assert "Gesamt" in rows[3] and "101.277,00 €" in rows[3]
