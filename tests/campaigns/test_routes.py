"""The campaign pages over HTTP: list, detail with chart and table, create, edit, book."""

import base64
import re
from datetime import date
from xml.dom import minidom

import pytest
from sqlalchemy import select

from supportclub.campaigns.models import Campaign
from supportclub.ledger.models import Account, Booking, BookingLine, Category, ClosedYear, Person
from tests.campaigns.helpers import book, campaign, count
from tests.factories import by_code, make_person


def booking_data(**overrides) -> dict:
    """A valid campaign booking form: 120 cards at 2,50 € and 80 € printing costs, in cash."""
    data = {
        "booking_date": "2025-12-05",
        "account_id": str(by_code(Account, "cash").id),
        "person": "",
        "text": "Kartenverkauf Adventsmarkt",
        "lines-0-category_id": str(by_code(Category, "sales").id),
        "lines-0-amount": "",
        "lines-0-quantity": "120",
        "lines-0-unit_price": "2,50",
        "lines-0-text": "Karten",
        "lines-1-category_id": str(by_code(Category, "campaign_cost").id),
        "lines-1-amount": "80,00",
        "lines-1-text": "Druck",
        "submit": "Buchung speichern",
    }
    data.update(overrides)
    return data


def row_errors(page: str) -> list[str]:
    """The field messages on a page."""
    return [
        " ".join(m.split())
        for m in re.findall(r'class="invalid-feedback d-block"[^>]*>(.*?)</div>', page, re.S)
    ]


# List --------------------------------------------------------------------------------------------


def test_list_groups_by_year_with_totals_and_filters(app, db, clients):
    cards = campaign("Weihnachtskarten", 2025)
    book(cards, ("sales", None, 120, 250), ("campaign_cost", 8000))
    hiking = campaign("Familienwandertag", 2025)
    book(hiking, ("campaign_fees", 40000))
    campaign("Familienwandertag", 2024)
    page = clients["board"].get("/aktionen").get_data(as_text=True)
    assert 'data-testid="campaigns-2025"' in page and 'data-testid="campaigns-2024"' in page
    assert "Weihnachtskarten 2025" in page and "Familienwandertag 2024" in page
    assert "300,00 €" in page and "220,00 €" in page  # card revenue and net
    assert "Summe 2025" in page and "620,00 €" in page  # 220 + 400
    assert "Neue Aktion" not in page  # the board reads only

    page = clients["treasurer"].get("/aktionen?year=2024").get_data(as_text=True)
    assert "Familienwandertag 2024" in page and "Weihnachtskarten" not in page.split("<h2")[1]
    assert "Neue Aktion" in page
    page = clients["admin"].get("/aktionen?series=Weihnachtskarten").get_data(as_text=True)
    assert "Weihnachtskarten 2025" in page and "Familienwandertag 2025</a>" not in page


def test_list_ignores_bad_filters_and_shows_an_empty_state(app, db, clients):
    response = clients["board"].get("/aktionen?year=abc&series=nix")
    assert response.status_code == 200
    assert "Keine Aktionen gefunden." in response.get_data(as_text=True)


# Detail ------------------------------------------------------------------------------------------


def test_detail_shows_result_by_category_sphere_and_bookings(app, db, clients):
    made = campaign("Familienwandertag", 2025, event_date=date(2025, 9, 14))
    person = make_person(first_name="Berta", last_name="Kasse")
    booking = book(
        made,
        ("campaign_fees", None, 80, 500),
        ("sales", 61250),
        ("campaign_cost", 23480),
        person_id=person.id,
    )
    page = clients["board"].get(f"/aktionen/{made.id}").get_data(as_text=True)
    assert "14.09.2025" in page
    assert "1.012,50 €" in page  # revenue 400 + 612,50
    assert "-234,80 €" in page
    assert "777,70 €" in page  # net
    assert "Zweckbetrieb" in page and "Wirtschaftlicher Geschäftsbetrieb" in page
    assert f'href="/buchungen/{booking.id}"' in page
    assert "Kasse, Berta" in page
    assert "Bearbeiten" not in page and "/buchung" not in page.split("<main")[1].split("<h2")[0]


def test_detail_has_the_series_chart_and_table(app, db, clients):
    for year, fees in ((2023, 30), (2024, 55), (2025, 80)):
        book(campaign("Familienwandertag", year), ("campaign_fees", None, fees, 500))
    book(campaign("Familienwandertag", 2026), ("campaign_fees", 100))  # later: not compared
    made = db.session.execute(select(Campaign).filter_by(year=2025)).scalar_one()
    page = clients["treasurer"].get(f"/aktionen/{made.id}").get_data(as_text=True)
    img = re.search(r'<img[^>]*data-testid="series-chart"[^>]*>', page, re.S).group(0)
    assert 'alt="Balkendiagramm: Einnahmen, Kosten und Ergebnis' in img
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', img).group(1)
    svg = base64.b64decode(src).decode("utf-8")
    assert minidom.parseString(svg).documentElement.tagName == "svg"
    assert all(str(year) in svg for year in (2023, 2024, 2025)) and "2026" not in svg
    table = page.split('data-testid="series-table"')[1].split("</table>")[0]
    assert [int(y) for y in re.findall(r"<td>(\d{4})", table)] == [2025, 2024, 2023]
    assert "150,00 €" in table and "275,00 €" in table and "400,00 €" in table
    assert 'class="table-active"' in table


def test_unknown_campaign_is_404(app, clients):
    assert clients["treasurer"].get("/aktionen/99999").status_code == 404
    assert clients["treasurer"].get("/aktionen/99999/buchung").status_code == 404
    assert clients["treasurer"].get("/aktionen/99999999999").status_code == 404


# Create and edit ---------------------------------------------------------------------------------


def test_create_with_the_default_name(app, db, treasurer_client):
    response = treasurer_client.post(
        "/aktionen/neu",
        data={"series": "Weihnachtskarten", "year": "2025", "name": "", "event_date": ""},
    )
    assert response.status_code == 302
    made = db.session.execute(select(Campaign)).scalar_one()
    assert made.name == "Weihnachtskarten 2025"
    assert response.headers["Location"].endswith(f"/aktionen/{made.id}")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": "Familienwandertag 2025"}, "gibt es schon"),
        ({"series": ""}, "Bitte die Reihe angeben."),
        ({"year": "1900"}, "zwischen 1990 und 2200"),
        ({"year": "zwanzig"}, "Keine gültige, ganze Zahl."),
        ({"event_date": "2024-09-14"}, "im Jahr 2025 liegen"),
    ],
)
def test_create_refuses_bad_input(app, db, treasurer_client, overrides, message):
    campaign("Familienwandertag", 2025)
    data = {"series": "Familienwandertag", "year": "2025", "name": "", "event_date": ""}
    response = treasurer_client.post("/aktionen/neu", data=data | overrides)
    assert response.status_code == 422
    assert any(message in error for error in row_errors(response.get_data(as_text=True)))
    assert count(Campaign) == 1


def test_edit_changes_the_campaign(app, db, treasurer_client):
    made = campaign("Familienwandertag", 2025)
    page = treasurer_client.get(f"/aktionen/{made.id}/bearbeiten").get_data(as_text=True)
    assert 'value="Familienwandertag 2025"' in page
    response = treasurer_client.post(
        f"/aktionen/{made.id}/bearbeiten",
        data={
            "series": "Familienwandertag",
            "year": "2025",
            "name": "Familienwandertag 2025 (Saaletal)",
            "event_date": "2025-09-14",
            "description": "Start am Paradies",
        },
    )
    assert response.status_code == 302
    db.session.refresh(made)
    assert (made.name, made.event_date, made.description) == (
        "Familienwandertag 2025 (Saaletal)",
        date(2025, 9, 14),
        "Start am Paradies",
    )


# Booking -----------------------------------------------------------------------------------------


def test_booking_form_offers_campaign_categories_and_bank_or_cash(app, db, treasurer_client):
    made = campaign("Weihnachtskarten", 2025)
    page = treasurer_client.get(f"/aktionen/{made.id}/buchung").get_data(as_text=True)
    assert '<optgroup label="Einnahmen">' in page and '<optgroup label="Kosten">' in page
    assert "Startgelder" in page and "Aktionskosten Zweckbetrieb" in page
    assert "Mitgliedsbeiträge" not in page and "Förderungen" not in page
    assert "Kasse" in page and "Stripe" not in page
    assert page.count('<fieldset class="line"') == 4
    assert "js/person-search.js" in page


def test_booking_a_sale_with_units_and_a_cost(app, db, treasurer_client):
    made = campaign("Weihnachtskarten", 2025)
    response = treasurer_client.post(f"/aktionen/{made.id}/buchung", data=booking_data())
    assert response.status_code == 302, row_errors(response.get_data(as_text=True))
    booking = db.session.execute(select(Booking)).scalar_one()
    assert booking.amount_cents == 30000 - 8000
    assert booking.account.code == "cash"
    assert [(ln.category.code, ln.amount_cents, ln.quantity, ln.text) for ln in booking.lines] == [
        ("sales", 30000, 120, "Karten"),
        ("campaign_cost", -8000, None, "Druck"),
    ]
    page = treasurer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Buchung {booking.id} für die Aktion gespeichert." in page
    assert "220,00 €" in page


def test_booking_with_a_new_person(app, db, treasurer_client):
    made = campaign("Familienwandertag", 2025)
    data = booking_data(new_last_name="Bäckerei Möller", new_person_kind="organisation")
    assert treasurer_client.post(f"/aktionen/{made.id}/buchung", data=data).status_code == 302
    booking = db.session.execute(select(Booking)).scalar_one()
    assert booking.person.last_name == "Bäckerei Möller"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"lines-0-amount": "301,00"}, "120 × 2,50 € ergibt 300,00 €, nicht 301,00 €"),
        ({"lines-0-unit_price": ""}, "Bitte Stückzahl und Stückpreis angeben."),
        ({"lines-0-quantity": "-3"}, "Bitte eine Stückzahl von 1 bis 1.000.000 angeben."),
        ({"lines-0-quantity": "3,5"}, "Keine gültige, ganze Zahl."),
        ({"lines-1-amount": "-80"}, "Der Betrag darf nicht negativ sein."),
        ({"lines-1-amount": "abc"}, "„abc“ ist kein gültiger Betrag."),
        ({"lines-1-category_id": ""}, "Bitte eine Kategorie wählen."),
        ({"lines-1-category_id": "dues"}, "Ungültige Auswahl"),
        ({"lines-1-category_id": "99999"}, "Keine gültige Auswahl."),
        ({"account_id": "99999"}, "Keine gültige Auswahl."),
        ({"booking_date": ""}, "Bitte ein gültiges Datum angeben."),
    ],
)
def test_bad_rows_get_a_message_and_nothing_is_written(
    app, db, treasurer_client, overrides, message
):
    made = campaign("Weihnachtskarten", 2025)
    data = booking_data(new_last_name="Neu Angelegt", **overrides)
    response = treasurer_client.post(f"/aktionen/{made.id}/buchung", data=data)
    assert response.status_code == 422
    errors = row_errors(response.get_data(as_text=True))
    assert len(errors) == 1 and message in errors[0], errors
    assert (count(Booking), count(BookingLine)) == (0, 0)
    assert not db.session.execute(select(Person).filter_by(last_name="Neu Angelegt")).first()


def test_a_non_campaign_category_id_is_refused(app, db, treasurer_client):
    made = campaign("Weihnachtskarten", 2025)
    dues = str(by_code(Category, "dues").id)
    response = treasurer_client.post(
        f"/aktionen/{made.id}/buchung", data=booking_data(**{"lines-1-category_id": dues})
    )
    assert response.status_code == 422
    assert count(Booking) == 0


def test_empty_form_and_zero_sum_are_refused(app, db, treasurer_client):
    made = campaign("Weihnachtskarten", 2025)
    empty = {k: v for k, v in booking_data().items() if not k.startswith("lines-")}
    page = treasurer_client.post(f"/aktionen/{made.id}/buchung", data=empty)
    assert page.status_code == 422
    assert "Bitte mindestens eine Position ausfüllen." in page.get_data(as_text=True)
    zero = booking_data(**{"lines-1-amount": "300,00"})
    page = treasurer_client.post(f"/aktionen/{made.id}/buchung", data=zero)
    assert "heben sich genau auf" in page.get_data(as_text=True)
    assert count(Booking) == 0


def test_a_closed_year_is_shown_at_the_date(app, db, treasurer_client):
    made = campaign("Weihnachtskarten", 2024)
    db.session.add(ClosedYear(year=2024))
    db.session.commit()
    response = treasurer_client.post(
        f"/aktionen/{made.id}/buchung", data=booking_data(booking_date="2024-12-05")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    date_error = re.search(r'id="booking_date-error">(.*?)</div>', page, re.S).group(1)
    assert "Das Jahr 2024 ist abgeschlossen" in date_error
    assert count(Booking) == 0


def test_add_line_button_adds_a_row_up_to_ten(app, db, treasurer_client):
    made = campaign("Weihnachtskarten", 2025)
    data = booking_data(add_line="Weitere Position")
    del data["submit"]
    page = treasurer_client.post(f"/aktionen/{made.id}/buchung", data=data).get_data(as_text=True)
    assert page.count('<fieldset class="line"') == 5
    assert 'value="120"' in page  # what was typed stays
    for index in range(10):
        data[f"lines-{index}-text"] = data.get(f"lines-{index}-text", "")
    page = treasurer_client.post(f"/aktionen/{made.id}/buchung", data=data).get_data(as_text=True)
    assert page.count('<fieldset class="line"') == 10
    assert 'name="add_line"' not in page
    assert count(Booking) == 0


def test_booking_pages_are_for_the_treasurer_only(app, db, clients):
    made = campaign("Weihnachtskarten", 2025)
    for role in ("admin", "board", "member"):
        response = clients[role].post(f"/aktionen/{made.id}/buchung", data=booking_data())
        assert response.status_code == 403
        assert (
            clients[role].post("/aktionen/neu", data={"series": "X", "year": "2025"}).status_code
            == 403
        )
    assert count(Booking) == 0 and count(Campaign) == 1
