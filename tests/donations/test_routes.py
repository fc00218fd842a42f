"""The donation pages over HTTP: record each kind, the donation box, the list and the donor page."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from supportclub.donations.models import DonationDetail, DonationKind, InKindOrigin
from supportclub.ledger.models import Booking, ClosedYear
from tests.donations.helpers import acc, cat, closed_project, counts, general
from tests.factories import make_campaign, make_member, make_person, make_project

DAY = "2025-06-14"


def pick(person) -> str:
    """The person field as the picker fills it."""
    return f"{person.display_name} #{person.id}"


def money_form(**overrides) -> dict:
    """A valid money donation form (100 € by bank)."""
    data = {
        "booking_date": DAY,
        "amount": "100,00",
        "account_id": str(acc("bank")),
        "person": "",
        "fund_id": "",
        "campaign_id": "",
        "text": "",
    }
    data.update(overrides)
    return data


def in_kind_form(**overrides) -> dict:
    """A valid in-kind form (a bicycle worth 80 €)."""
    data = {
        "booking_date": DAY,
        "value": "80",
        "use_category_id": str(cat("in_kind_use")),
        "description": "Kinderfahrrad, 3 Jahre alt",
        "origin": "private",
        "value_basis": "Vergleichspreise",
        "documents_present": "y",
        "fund_id": "",
        "campaign_id": "",
    }
    data.update(overrides)
    return data


def waiver_form(**overrides) -> dict:
    """A valid waiver form (travel costs of 42,50 €)."""
    data = {
        "booking_date": DAY,
        "amount": "42,50",
        "expense_category_id": str(cat("admin_cost")),
        "description": "Fahrtkosten",
        "claim_date": "2025-06-01",
        "claim_basis": "Vorstandsbeschluss vom 10.01.2025",
        "fund_id": "",
        "campaign_id": "",
    }
    data.update(overrides)
    return data


def last_booking(db) -> Booking:
    """The newest booking."""
    return db.session.execute(select(Booking).order_by(Booking.id.desc())).scalars().first()


# recording ------------------------------------------------------------------------------------


def test_treasurer_records_a_money_donation_for_a_known_person(db, treasurer_client):
    donor = make_person(first_name="Anna", last_name="Gebefreudig")
    project = make_project("Lesefest")
    response = treasurer_client.post(
        "/spenden/neu?art=geld",
        data=money_form(person=pick(donor), fund_id=str(project.fund_id), amount="1.234,56"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = last_booking(db)
    assert response.headers["Location"].endswith(f"/buchungen/{booking.id}")
    assert (booking.amount_cents, booking.person_id) == (123456, donor.id)
    assert booking.lines[0].fund_id == project.fund_id
    page = treasurer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Geldspende über 1.234,56 € von Anna Gebefreudig gespeichert" in page


def test_treasurer_records_an_anonymous_cash_donation(db, treasurer_client):
    response = treasurer_client.post(
        "/spenden/neu?art=geld", data=money_form(account_id=str(acc("cash")), amount="5")
    )
    assert response.status_code == 302
    booking = last_booking(db)
    assert (booking.amount_cents, booking.person_id, booking.account_id) == (500, None, acc("cash"))
    page = treasurer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "von anonym gespeichert" in page


def test_treasurer_records_a_donation_by_a_new_company(db, treasurer_client):
    response = treasurer_client.post(
        "/spenden/neu?art=geld",
        data=money_form(
            new_person_kind="organisation",
            new_last_name="Bäckerei Korn GmbH",
            new_street="Markt 1",
            new_postal_code="07743",
            new_city="Jena",
        ),
    )
    assert response.status_code == 302
    booking = last_booking(db)
    assert booking.person.last_name == "Bäckerei Korn GmbH"


def test_treasurer_records_an_in_kind_donation(db, treasurer_client):
    donor = make_person()
    response = treasurer_client.post("/spenden/neu?art=sach", data=in_kind_form(person=pick(donor)))
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = last_booking(db)
    assert booking.amount_cents == 0 and booking.account_id is None
    assert [line.amount_cents for line in booking.lines] == [8000, -8000]
    detail = db.session.execute(select(DonationDetail)).scalar_one()
    assert (detail.kind, detail.origin) == (DonationKind.IN_KIND, InKindOrigin.PRIVATE)
    assert detail.documents_present is True


def test_treasurer_records_a_waiver(db, treasurer_client):
    donor = make_person()
    response = treasurer_client.post(
        "/spenden/neu?art=aufwand", data=waiver_form(person=pick(donor))
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    booking = last_booking(db)
    assert [(line.category_id, line.amount_cents) for line in booking.lines] == [
        (cat("donation"), 4250),
        (cat("admin_cost"), -4250),
    ]
    detail = db.session.execute(select(DonationDetail)).scalar_one()
    assert detail.claim_date == date(2025, 6, 1)


@pytest.mark.parametrize(
    "art, form, overrides, message",
    [
        ("sach", in_kind_form, {"description": ""}, "Bitte die Sache genau bezeichnen"),
        ("sach", in_kind_form, {"value_basis": ""}, "worauf der Wert beruht"),
        ("sach", in_kind_form, {"value": "0"}, "größer als 0"),
        ("sach", in_kind_form, {"value": "12,345"}, "zwei Nachkommastellen"),
        ("sach", in_kind_form, {"person": ""}, "Bitte den Spender angeben"),
        ("aufwand", waiver_form, {"claim_date": "2025-07-01"}, "liegt nach dem Buchungsdatum"),
        ("aufwand", waiver_form, {"claim_basis": ""}, "Satzung, Vertrag oder Vorstandsbeschluss"),
        ("aufwand", waiver_form, {"expense_category_id": ""}, "Ausgabenkategorie"),
        ("geld", money_form, {"person": ""}, "anonym sind nur Bargeldspenden"),
        ("geld", money_form, {"amount": "abc"}, "Betrag"),
        ("geld", money_form, {"booking_date": ""}, "gültiges Datum"),
        ("geld", money_form, {"person": "Niemand Unbekannt"}, "Keine Person gefunden"),
    ],
)
def test_bad_input_is_shown_at_the_form_and_nothing_is_written(
    db, treasurer_client, art, form, overrides, message
):
    donor = make_person()
    data = form(person=pick(donor))
    data.update(overrides)
    before = counts(db)
    response = treasurer_client.post(f"/spenden/neu?art={art}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert counts(db) == before


def test_earmark_to_a_closed_project_is_refused_at_the_field(db, treasurer_client):
    project = closed_project(db, "Spielplatz")
    donor = make_person()
    before = counts(db)
    response = treasurer_client.post(
        "/spenden/neu?art=geld", data=money_form(person=pick(donor), fund_id=str(project.fund_id))
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Das Projekt „Spielplatz“ ist abgeschlossen" in page
    assert counts(db) == before


def test_new_person_is_not_kept_when_the_donation_fails(db, treasurer_client):
    before = counts(db)
    response = treasurer_client.post(
        "/spenden/neu?art=sach", data=in_kind_form(new_last_name="Neu", description="")
    )
    assert response.status_code == 422
    assert counts(db) == before


def test_closed_year_message_at_the_date(db, treasurer_client):
    db.session.add(ClosedYear(year=2024))
    db.session.commit()
    donor = make_person()
    response = treasurer_client.post(
        "/spenden/neu?art=geld", data=money_form(person=pick(donor), booking_date="2024-12-30")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="booking_date-error">[^<]*2024 ist abgeschlossen', page)


def test_earmark_select_lists_only_projects_taking_donations(db, treasurer_client):
    make_project("Offenes Projekt")
    closed_project(db, "Altes Projekt")
    page = treasurer_client.get("/spenden/neu").get_data(as_text=True)
    select_html = page[
        page.index('name="fund_id"') : page.index("</select>", page.index('name="fund_id"'))
    ]
    options = re.findall(r"<option[^>]*>([^<]*)</option>", select_html)
    assert options == ["frei (allgemeiner Fonds)", "Offenes Projekt"]


@pytest.mark.parametrize("art", ["geld", "sach", "aufwand"])
def test_each_kind_has_its_own_page_without_javascript(treasurer_client, art):
    page = treasurer_client.get(f"/spenden/neu?art={art}").get_data(as_text=True)
    assert f'href="/spenden/neu?art={art}"' in page
    assert re.search(
        rf'class="nav-link active" aria-current="page" href="/spenden/neu\?art={art}"', page
    )
    assert f'action="/spenden/neu?art={art}"' in page


def test_unknown_kind_is_404(treasurer_client):
    assert treasurer_client.get("/spenden/neu?art=gold").status_code == 404


def test_board_reads_but_does_not_record(db, clients):
    donor = make_person()
    board = clients["board"]
    assert board.get("/spenden").status_code == 200
    assert board.get(f"/spenden/spender/{donor.id}").status_code == 200
    assert board.get("/spenden/neu").status_code == 403
    assert board.post("/spenden/neu?art=geld", data=money_form()).status_code == 403
    assert board.get("/spenden/sammelbuchung").status_code == 403
    page = board.get("/spenden").get_data(as_text=True)
    assert "Spende erfassen" not in page and "/spenden/sammelbuchung" not in page


def test_csrf_is_required(app, db, treasurer_client):
    app.config["WTF_CSRF_ENABLED"] = True  # the app fixture switches it off again
    before = counts(db)
    response = treasurer_client.post(
        "/spenden/neu?art=geld", data=money_form(account_id=str(acc("cash")))
    )
    assert response.status_code == 400
    assert counts(db) == before


# the donation box -----------------------------------------------------------------------------


def batch_form(amounts, **overrides) -> dict:
    """The batch form with `amounts` in the first rows."""
    data = {"booking_date": DAY, "campaign_id": "", "fund_id": "", "text": ""}
    for i, amount in enumerate(amounts):
        data[f"rows-{i}-amount"] = amount
        data[f"rows-{i}-text"] = ""
    data.update(overrides)
    return data


AMOUNTS = [
    "2",
    "0,50",
    "10",
    "2,35",
    "0,05",
    "1,20",
    "1,01",
    "2,02",
    "3,03",
    "4,04",
    "5,05",
    "6,06",
]


def test_batch_check_shows_the_total_then_books_one_booking(db, treasurer_client):
    campaign = make_campaign()
    data = batch_form(AMOUNTS, campaign_id=str(campaign.id), check="Prüfen")
    before = counts(db)
    response = treasurer_client.post("/spenden/sammelbuchung", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'data-testid="batch-total">\s*<span class="amount">37,31\s€', page)
    assert "12 Beträge" in page
    assert counts(db) == before  # checking writes nothing
    assert 'name="checked_cents" type="hidden" value="3731"' in page
    data.pop("check")
    response = treasurer_client.post(
        "/spenden/sammelbuchung", data={**data, "checked_cents": "3731", "book": "Buchen"}
    )
    assert response.status_code == 302
    booking = last_booking(db)
    assert booking.amount_cents == 3731 and len(booking.lines) == 12
    assert booking.account_id == acc("cash")
    assert {line.campaign_id for line in booking.lines} == {campaign.id}
    page = treasurer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sammelbuchung über 37,31 € (12 Spenden) gespeichert" in page


def test_batch_changed_after_check_is_checked_again(db, treasurer_client):
    data = batch_form(["1", "2"], checked_cents="300", book="Buchen")
    data["rows-2-amount"] = "5"
    before = counts(db)
    response = treasurer_client.post("/spenden/sammelbuchung", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "nach dem Prüfen geändert" in page
    assert 'value="800"' in page
    assert counts(db) == before


@pytest.mark.parametrize(
    "amounts, extra, message",
    [
        ([], {}, "Bitte mindestens einen Betrag eintragen."),
        (["1", "x"], {}, "Betrag"),
        (
            ["1"],
            {"rows-1-text": "ohne Betrag"},
            "Bitte einen Betrag angeben oder die Zeile leeren.",
        ),
        (["1"], {"booking_date": "1980-01-01"}, "zu weit in der Vergangenheit"),
    ],
)
def test_batch_bad_input(db, treasurer_client, amounts, extra, message):
    before = counts(db)
    response = treasurer_client.post(
        "/spenden/sammelbuchung", data={**batch_form(amounts, check="Prüfen"), **extra}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert counts(db) == before


def test_batch_to_a_closed_project_is_refused_before_the_check(db, treasurer_client):
    project = closed_project(db, "Zu")
    response = treasurer_client.post(
        "/spenden/sammelbuchung",
        data=batch_form(["1"], fund_id=str(project.fund_id), check="Prüfen"),
    )
    assert response.status_code == 422
    assert "Das Projekt „Zu“ ist abgeschlossen" in response.get_data(as_text=True)


# list and donor page --------------------------------------------------------------------------


def _record_some(treasurer_client, db):
    """A member's money, in-kind and waiver donations, and an anonymous one."""
    member = make_member(first_name="Maria", last_name="Mitglied")
    for art, form in (("geld", money_form), ("sach", in_kind_form), ("aufwand", waiver_form)):
        response = treasurer_client.post(f"/spenden/neu?art={art}", data=form(person=pick(member)))
        assert response.status_code == 302
    treasurer_client.post(
        "/spenden/neu?art=geld", data=money_form(account_id=str(acc("cash")), amount="7")
    )
    return member


def test_list_shows_kinds_details_and_totals(db, clients):
    _record_some(clients["treasurer"], db)
    page = clients["board"].get("/spenden?year=2025").get_data(as_text=True)
    assert re.search(r'data-testid="total-amount"><span class="amount">229,50\s€', page)
    assert re.search(r'data-testid="total-in_kind"><span class="amount">80,00\s€', page)
    assert "Kinderfahrrad, 3 Jahre alt" in page
    assert "Herkunft: aus dem Privatvermögen" in page
    assert "Unterlagen liegen vor" in page
    assert "Anspruch vom 01.06.2025" in page
    assert "anonym" in page
    assert page.count('data-kind="money"') == 2


def test_list_filters_by_kind_and_ignores_garbage(db, clients):
    _record_some(clients["treasurer"], db)
    page = clients["board"].get("/spenden?kind=waiver").get_data(as_text=True)
    assert page.count("<tr data-booking=") == 1
    page = clients["board"].get("/spenden?kind=gold&year=abc&fund_id=x").get_data(as_text=True)
    assert page.count("<tr data-booking=") == 4


def test_list_filters_by_donor_from_the_picker(db, clients):
    member = _record_some(clients["treasurer"], db)
    page = clients["board"].get("/spenden", query_string={"person": pick(member)})
    assert page.get_data(as_text=True).count("<tr data-booking=") == 3


def test_donor_page_links_to_the_member_page(db, clients):
    member = _record_some(clients["treasurer"], db)
    page = clients["board"].get(f"/spenden/spender/{member.id}").get_data(as_text=True)
    assert f'href="/mitglieder/{member.id}"' in page
    assert re.search(r'data-testid="total-donations"><span class="amount">222,50\s€', page)
    assert "Kinderfahrrad" in page and "Vorstandsbeschluss vom 10.01.2025" in page
    other = make_person()
    page = clients["board"].get(f"/spenden/spender/{other.id}").get_data(as_text=True)
    assert "/mitglieder/" not in page.split("<main", 1)[1]
    assert clients["board"].get("/spenden/spender/999999").status_code == 404


def test_general_fund_in_the_per_fund_table(db, clients):
    _record_some(clients["treasurer"], db)
    page = clients["board"].get("/spenden").get_data(as_text=True)
    assert f"fund_id={general()}" in page
