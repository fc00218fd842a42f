"""The treasurer's booking pages over HTTP: forms, messages, nothing half-saved."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from supportclub.clock import today
from supportclub.ledger.models import Booking, Category, ClosedYear, Fund, Person
from tests.factories import booking_form, by_code, make_booking, make_person


def bookings_count(db) -> int:
    """Number of bookings."""
    return db.session.execute(select(func.count(Booking.id))).scalar_one()


def test_single_line_income(app, db, treasurer_client):
    response = treasurer_client.post("/buchungen/neu", data=booking_form())
    assert response.status_code == 302
    booking = db.session.execute(select(Booking)).scalar_one()
    assert booking.amount_cents == 123456
    assert [(ln.category.code, ln.fund.code, ln.amount_cents) for ln in booking.lines] == [
        ("donation", "general", 123456)
    ]
    page = treasurer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1.234,56 €" in page
    assert "Spende Sommerfest" in page


def test_expense_is_negative(app, db, treasurer_client):
    data = booking_form(
        kind="expense",
        amount="80",
        **{"lines-0-category_id": str(by_code(Category, "admin_cost").id)},
    )
    assert treasurer_client.post("/buchungen/neu", data=data).status_code == 302
    assert db.session.execute(select(Booking.amount_cents)).scalar_one() == -8000


def test_split_into_several_lines(app, db, treasurer_client):
    data = booking_form(
        amount="60,00",
        **{
            "lines-0-category_id": str(by_code(Category, "dues").id),
            "lines-0-amount": "36",
            "lines-1-category_id": str(by_code(Category, "donation").id),
            "lines-1-fund_id": str(by_code(Fund, "general").id),
            "lines-1-amount": "24,00",
        },
    )
    assert treasurer_client.post("/buchungen/neu", data=data).status_code == 302
    booking = db.session.execute(select(Booking)).scalar_one()
    assert sorted(ln.amount_cents for ln in booking.lines) == [2400, 3600]


def test_add_line_button_shows_a_second_line(app, db, treasurer_client):
    response = treasurer_client.post(
        "/buchungen/neu", data=booking_form(add_line="Weitere Position", submit=None)
    )
    page = response.get_data(as_text=True)
    assert "Position 2" in page
    assert 'name="lines-1-category_id"' in page
    assert bookings_count(db) == 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"amount": "12,345"}, "Höchstens zwei Nachkommastellen"),
        ({"amount": "abc"}, "kein gültiger Betrag"),
        ({"amount": ""}, "Bitte einen Betrag eingeben"),
        ({"amount": "-5"}, "nicht negativ"),
        ({"booking_date": (today() + timedelta(days=400)).isoformat()}, "zu weit in der Zukunft"),
        ({"booking_date": "31.02.2025"}, "gültiges Datum"),
        ({"account_id": "999999"}, "Konto"),
        ({"lines-0-fund_id": "999999"}, "Fonds"),
        ({"lines-0-amount": "1.000,00"}, "Die Positionen ergeben 1.000,00 €"),
        ({"lines-0-category_id": ""}, "Bitte eine Kategorie wählen"),
        ({"person": "Niemand Unbekannt"}, "Keine Person gefunden"),
        ({"new_first_name": "Ohne"}, "Bitte einen Namen angeben"),
    ],
)
def test_bad_input_shows_a_message_and_saves_nothing(app, db, treasurer_client, overrides, message):
    persons_before = db.session.execute(select(func.count(Person.id))).scalar_one()
    response = treasurer_client.post("/buchungen/neu", data=booking_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert bookings_count(db) == 0
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == persons_before


def test_closed_year_is_refused(app, db, treasurer_client):
    db.session.add(ClosedYear(year=2023))
    db.session.commit()
    response = treasurer_client.post("/buchungen/neu", data=booking_form(booking_date="2023-06-01"))
    assert "Das Jahr 2023 ist abgeschlossen" in response.get_data(as_text=True)
    assert bookings_count(db) == 0


def test_new_person_inline_and_rollback_when_booking_fails(app, db, treasurer_client):
    person_fields = {
        "new_person_kind": "private",
        "new_first_name": "Erika",
        "new_last_name": "Mustermann",
        "new_street": "Löbdergraben 1",
        "new_postal_code": "07743",
        "new_city": "Jena",
    }
    # the booking fails (lines do not add up): the new person must not be saved either
    bad = booking_form(**person_fields, **{"lines-0-amount": "1,00"})
    assert "Die Positionen ergeben" in treasurer_client.post("/buchungen/neu", data=bad).get_data(
        as_text=True
    )
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == 0
    assert (
        treasurer_client.post("/buchungen/neu", data=booking_form(**person_fields)).status_code
        == 302
    )
    booking = db.session.execute(select(Booking)).scalar_one()
    assert booking.person.full_name == "Erika Mustermann"
    assert booking.person.city == "Jena"


def test_pick_existing_person_by_search_label(app, db, treasurer_client):
    person = make_person(first_name="Jonas", last_name="Schreiber")
    found = treasurer_client.get("/personen/suche?q=schreib").get_json()
    assert found == [{"id": person.id, "label": f"Schreiber, Jonas (Jena) #{person.id}"}]
    response = treasurer_client.post("/buchungen/neu", data=booking_form(person=found[0]["label"]))
    assert response.status_code == 302
    assert db.session.execute(select(Booking.person_id)).scalar_one() == person.id


def test_list_filters_and_totals(app, db, clients):
    make_booking(123456, booking_date=date(2025, 5, 2))
    make_booking(5000, booking_date=date(2024, 5, 2), category="dues")
    make_booking(-1500, booking_date=date(2025, 6, 2), category="bank_fees")
    page = clients["board"].get("/buchungen?year=2025").get_data(as_text=True)
    assert 'data-testid="total-count">2<' in page
    assert "1.234,56 €" in page and "-15,00 €" in page
    assert "50,00 €" not in page
    dues = by_code(Category, "dues").id
    page = clients["board"].get(f"/buchungen?category_id={dues}").get_data(as_text=True)
    assert 'data-testid="total-count">1<' in page
    assert "1.234,56 €" not in page
    # nonsense filter values are ignored, not a crash
    assert clients["board"].get("/buchungen?year=abc&fund_id=x&seite=-3").status_code == 200


def test_list_is_paginated(app, db, treasurer_client, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKINGS_PER_PAGE", 2)
    for day in range(1, 6):
        make_booking(100 * day, booking_date=date(2025, 1, day))
    page1 = treasurer_client.get("/buchungen").get_data(as_text=True)
    five, one = '"amount">5,00 €<', '"amount">1,00 €<'
    assert "Seite 1 von 3" in page1 and five in page1 and one not in page1
    page3 = treasurer_client.get("/buchungen?seite=3").get_data(as_text=True)
    assert one in page3 and five not in page3


def test_reverse_through_the_page(app, db, treasurer_client):
    booking = make_booking(123456)
    response = treasurer_client.post(
        f"/buchungen/{booking.id}/stornieren", data={"reason": "Doppelt erfasst"}
    )
    assert response.status_code == 302
    reversal = db.session.execute(
        select(Booking).where(Booking.reversal_of_id == booking.id)
    ).scalar_one()
    assert reversal.amount_cents == -123456
    page = treasurer_client.get(f"/buchungen/{booking.id}").get_data(as_text=True)
    assert "Storniert durch" in page and "Doppelt erfasst" in page
    assert "Buchung stornieren" not in page  # no second reversal offered
    again = treasurer_client.post(f"/buchungen/{booking.id}/stornieren", data={"reason": "x2x"})
    assert again.status_code == 422
    assert "bereits storniert" in again.get_data(as_text=True)
    of_reversal = treasurer_client.post(
        f"/buchungen/{reversal.id}/stornieren", data={"reason": "zurück"}
    )
    assert "Stornobuchung kann nicht storniert" in of_reversal.get_data(as_text=True)
    missing_reason = treasurer_client.post(
        f"/buchungen/{make_booking(100).id}/stornieren", data={"reason": ""}
    )
    assert "Bitte einen Grund" in missing_reason.get_data(as_text=True)
    assert bookings_count(db) == 3


def test_board_reads_but_cannot_write(app, db, clients):
    booking = make_booking(1000)
    page = clients["board"].get(f"/buchungen/{booking.id}").get_data(as_text=True)
    assert "Buchung stornieren" not in page
    assert clients["board"].post("/buchungen/neu", data=booking_form()).status_code == 403
    assert (
        clients["board"]
        .post(f"/buchungen/{booking.id}/stornieren", data={"reason": "nein"})
        .status_code
        == 403
    )
    assert bookings_count(db) == 1


def test_balances_and_year_overview_pages(app, db, clients):
    make_booking(123456, booking_date=date(2025, 5, 2))
    make_booking(-2000, booking_date=date(2025, 5, 3), account="cash", category="campaign_cost")
    page = clients["board"].get("/salden").get_data(as_text=True)
    assert "1.234,56 €" in page and "-20,00 €" in page and "1.214,56 €" in page
    page = clients["board"].get("/salden?stichtag=2025-05-02").get_data(as_text=True)
    assert "-20,00 €" not in page
    assert "gültiges Datum" in clients["board"].get("/salden?stichtag=kaputt").get_data(
        as_text=True
    )
    page = clients["board"].get("/jahresuebersicht?jahr=2025").get_data(as_text=True)
    assert "Wirtschaftlicher Geschäftsbetrieb" in page and "Aktionskosten" in page
    assert "1.234,56 €" in page
    assert "Ergebnisneutrale Bewegungen" not in page  # no transfers booked


def test_unknown_booking_is_404(app, clients):
    response = clients["treasurer"].get("/buchungen/999999")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)
