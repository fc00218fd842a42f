"""The closing pages: the treasurer closes a year in the browser's forms, the board and the
auditors read, members get 403; refusals are shown in German and change nothing."""

from datetime import date

from sqlalchemy import func, select

from supportclub.clock import today
from supportclub.ledger.models import Booking, ClosedYear
from tests.factories import booking_form, make_booking

THIS = today().year
LAST = THIS - 1


def closed_count(db) -> int:
    """How many years are closed."""
    return db.session.execute(select(func.count()).select_from(ClosedYear)).scalar_one()


def test_treasurer_closes_a_year_after_confirming_the_hints(db, clients, users):
    make_booking(2500, booking_date=date(LAST, 3, 1))
    page = clients["treasurer"].get(f"/jahresabschluss/{LAST}").get_data(as_text=True)
    assert f"Jahresabschluss {LAST}" in page
    assert "Ich habe die Hinweise geprüft" in page  # no statement imported: a hint
    assert f"Jahr {LAST} festschreiben" in page
    response = clients["treasurer"].post(
        f"/jahresabschluss/{LAST}", data={"confirm": "y", "note": "Kassenprüfung erfolgt"}
    )
    assert response.status_code == 302
    closed = db.session.get(ClosedYear, LAST)
    assert closed.closed_by_id == users["treasurer"].id
    assert closed.note == "Kassenprüfung erfolgt"
    page = clients["treasurer"].get(response.headers["Location"]).get_data(as_text=True)
    assert f"Das Jahr {LAST} ist festgeschrieben." in page
    assert "Kassenprüfung erfolgt" in page
    assert "25,00 €" in page


def test_without_the_confirmation_nothing_is_closed(db, clients):
    response = clients["treasurer"].post(f"/jahresabschluss/{LAST}", data={"note": ""})
    assert response.status_code == 422
    assert "Bitte bestätigen Sie, dass Sie die Hinweise geprüft haben" in response.get_data(
        as_text=True
    )
    assert closed_count(db) == 0


def test_a_blocked_year_shows_why_and_offers_no_button(db, clients):
    page = clients["treasurer"].get(f"/jahresabschluss/{THIS}").get_data(as_text=True)
    assert f"Das Jahr {THIS} ist noch nicht vorbei" in page
    assert 'data-testid="blocked"' in page
    response = clients["treasurer"].post(f"/jahresabschluss/{THIS}", data={"confirm": "y"})
    assert response.status_code == 422
    assert f"Das Jahr {THIS} kann nicht abgeschlossen werden" in response.get_data(as_text=True)
    assert closed_count(db) == 0


def test_board_and_auditor_read_the_closing_but_cannot_close(db, clients):
    make_booking(2500, booking_date=date(LAST, 3, 1))
    clients["treasurer"].post(f"/jahresabschluss/{LAST}", data={"confirm": "y"})
    for role in ("board", "auditor", "admin"):
        index = clients[role].get("/jahresabschluss")
        assert index.status_code == 200
        assert "festgeschrieben" in index.get_data(as_text=True)
        page = clients[role].get(f"/jahresabschluss/{LAST}").get_data(as_text=True)
        assert "Festgeschrieben am" in page
        assert "festschreiben" not in page.replace("festgeschrieben", "")
        assert (
            clients[role].post(f"/jahresabschluss/{THIS - 2}", data={"confirm": "y"}).status_code
            == 403
        )
    assert closed_count(db) == 1


def test_items_link_to_where_they_are_fixed_for_those_who_may_fix_them(db, clients):
    from tests.banking.line_factory import make_line

    make_line(4200, booking_date=date(LAST, 12, 30))
    page = clients["treasurer"].get(f"/jahresabschluss/{LAST}").get_data(as_text=True)
    assert "1 Bankumsätze des Jahres" in page
    assert 'href="/bank/pruefen"' in page
    assert 'data-testid="blocked"' in page
    page = clients["board"].get(f"/jahresabschluss/{LAST}").get_data(as_text=True)
    assert "1 Bankumsätze des Jahres" in page
    assert 'href="/bank/pruefen"' not in page  # the board cannot open the review queue
    assert 'data-testid="close-form"' not in page


def test_members_get_403(db, clients):
    assert clients["member"].get("/jahresabschluss").status_code == 403
    assert clients["member"].get(f"/jahresabschluss/{LAST}").status_code == 403
    assert (
        clients["member"].post(f"/jahresabschluss/{LAST}", data={"confirm": "y"}).status_code == 403
    )
    assert closed_count(db) == 0


def test_an_impossible_year_is_not_found(db, clients):
    assert clients["treasurer"].get("/jahresabschluss/1000").status_code == 404
    assert clients["treasurer"].post("/jahresabschluss/99999", data={}).status_code == 404


def test_index_lists_years_with_balances(db, clients):
    make_booking(2500, booking_date=date(LAST, 3, 1))
    make_booking(700, account="cash", booking_date=date(THIS, 1, 2))
    page = clients["board"].get("/jahresabschluss").get_data(as_text=True)
    assert f'data-testid="year-{THIS}"' in page
    assert f'data-testid="year-{LAST}"' in page
    assert "vorläufig, laut Buchhaltung" in page
    assert "32,00 €" in page  # this year's accounts at 31.12.: 25,00 + 7,00


def test_a_booking_in_the_closed_year_is_refused_on_the_booking_form(db, clients):
    clients["treasurer"].post(f"/jahresabschluss/{LAST}", data={"confirm": "y"})
    assert closed_count(db) == 1
    before = db.session.execute(select(func.count(Booking.id))).scalar_one()
    response = clients["treasurer"].post(
        "/buchungen/neu", data=booking_form(booking_date=f"{LAST}-12-31")
    )
    assert f"Das Jahr {LAST} ist abgeschlossen (festgeschrieben)" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count(Booking.id))).scalar_one() == before
