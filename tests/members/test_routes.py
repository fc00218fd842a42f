"""The member pages over HTTP: register, member page, forms, bad input (types: test_type_routes)."""

import re
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.dues.models import DuesClaim, Reminder, ReminderChannel
from supportclub.dues.payments import Allocation, record_payment, waive_claim
from supportclub.dues.services import run_dues
from supportclub.ledger.models import Account, Booking, Person
from supportclub.members.models import Membership, MembershipType
from supportclub.members.services import join, leave, set_payer, update_person
from tests.factories import by_code, make_member, make_membership_type, make_person, membership_of
from tests.ledger.test_query_counts import page_statements, tally

GOOD_IBAN = "DE89370400440532013000"
BAD_IBAN = "DE89370400440532013001"  # checksum wrong


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def text(response) -> str:
    return response.get_data(as_text=True)


def error_at(page: str, field: str) -> str:
    """The error message shown next to a form field ("" when there is none)."""
    match = re.search(rf'id="{field}-error">(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


def claim_of(db, person, year=2025) -> DuesClaim:
    return db.session.execute(
        select(DuesClaim).filter_by(membership_id=membership_of(person).id, year=year)
    ).scalar_one()


def pay(db, person, claim, cents, day=date(2025, 3, 1)):
    booking = record_payment(
        person_id=person.id,
        booking_date=day,
        account_id=by_code(Account, "bank").id,
        amount_cents=cents,
        allocations=[Allocation(claim.id, cents)],
        actor=None,
    )
    db.session.commit()
    return booking


@dataclass
class Club:
    regular: MembershipType
    family: MembershipType
    anna: Person  # regular, Jena, 2025 unpaid: late
    bernd: Person  # regular, Weimar, 2025 paid
    clara: Person  # family, left at the end of 2024
    dora: Person  # organisation, family, 2025 partly paid: late


def make_club(db) -> Club:
    """Four members, dues for 2025, one payment in full and one in part."""
    regular = make_membership_type("regular", name="Regulär")
    family = make_membership_type("family", name="Familie", rates=((date(2009, 1, 1), 6000),))
    anna = make_member(
        regular,
        start_date=date(2020, 3, 1),
        first_name="Anna",
        last_name="Albrecht",
        city="Jena",
        email="anna.albrecht@example.org",
    )
    bernd = make_member(
        regular,
        start_date=date(2021, 1, 1),
        first_name="Bernd",
        last_name="Bauer",
        city="Weimar",
        email="bernd@example.org",
    )
    clara = make_member(
        family,
        start_date=date(2019, 1, 1),
        first_name="Clara",
        last_name="Clausen",
        city="Erfurt",
        email="clara@example.org",
    )
    leave(membership_of(clara), end_date=date(2024, 12, 31), actor=None, reason="Umzug")
    dora = make_member(
        family,
        start_date=date(2022, 6, 1),
        kind="organisation",
        first_name="",
        last_name="Druckerei Dietz GmbH",
        city="Jena",
        email="info@dietz.example",
    )
    run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    db.session.commit()
    pay(db, bernd, claim_of(db, bernd), 3600)
    pay(db, dora, claim_of(db, dora), 2000)
    return Club(regular, family, anna, bernd, clara, dora)


@pytest.fixture
def club(db) -> Club:
    """The four members of make_club()."""
    return make_club(db)


def names_in(page: str) -> list[str]:
    """Member names in register order."""
    return re.findall(r'<a href="/mitglieder/\d+">([^<]+)</a>', page)


# the register ---------------------------------------------------------------------------------


def test_the_register_lists_active_members_with_open_dues(club, treasurer_client):
    page = text(treasurer_client.get("/mitglieder"))
    assert names_in(page) == ["Albrecht, Anna", "Bauer, Bernd", "Druckerei Dietz GmbH"]
    assert "3 Mitglieder gefunden" in page
    row = page[page.index(f'data-member="{club.dora.member_number}"') :]
    row = row[: row.index("</tr>")]
    assert "40,00 €" in row and "verspätet" in row and "Familie" in row
    row = page[page.index(f'data-member="{club.bernd.member_number}"') :]
    assert "verspätet" not in row[: row.index("</tr>")]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("anna.albrecht@", ["Albrecht, Anna"]),
        ("jena", ["Albrecht, Anna", "Druckerei Dietz GmbH"]),
        ("WEIMAR", ["Bauer, Bernd"]),
        ("anna albrecht", ["Albrecht, Anna"]),
        ("dietz gmbh", ["Druckerei Dietz GmbH"]),
        ("niemand", []),
        ("100%", []),
    ],
)
def test_search_by_name_email_and_city(club, treasurer_client, query, expected):
    page = text(treasurer_client.get("/mitglieder", query_string={"q": query, "status": "alle"}))
    assert names_in(page) == expected


def test_search_by_member_number_exact_and_prefix(club, treasurer_client):
    number = str(club.bernd.member_number)
    page = text(treasurer_client.get("/mitglieder", query_string={"q": number}))
    assert names_in(page) == ["Bauer, Bernd"]
    prefix = number[:-1]  # 100 matches 1001..1009
    page = text(treasurer_client.get("/mitglieder", query_string={"q": prefix, "status": "alle"}))
    assert names_in(page) == [
        "Albrecht, Anna",
        "Bauer, Bernd",
        "Clausen, Clara",
        "Druckerei Dietz GmbH",
    ]


@pytest.mark.parametrize(
    "args, expected",
    [
        ({}, ["Albrecht, Anna", "Bauer, Bernd", "Druckerei Dietz GmbH"]),
        ({"status": "ausgetreten"}, ["Clausen, Clara"]),
        ({"status": "verspaetet"}, ["Albrecht, Anna", "Druckerei Dietz GmbH"]),
        (
            {"status": "alle"},
            ["Albrecht, Anna", "Bauer, Bernd", "Clausen, Clara", "Druckerei Dietz GmbH"],
        ),
        ({"status": "unsinn"}, ["Albrecht, Anna", "Bauer, Bernd", "Druckerei Dietz GmbH"]),
    ],
)
def test_status_filter(club, treasurer_client, args, expected):
    assert names_in(text(treasurer_client.get("/mitglieder", query_string=args))) == expected


def test_membership_type_filter(club, treasurer_client):
    family = {"membership_type_id": club.family.id}
    page = text(treasurer_client.get("/mitglieder", query_string=family))
    assert names_in(page) == ["Druckerei Dietz GmbH"]
    page = text(treasurer_client.get("/mitglieder", query_string={**family, "status": "alle"}))
    assert names_in(page) == ["Clausen, Clara", "Druckerei Dietz GmbH"]
    page = text(treasurer_client.get("/mitglieder", query_string={"membership_type_id": "x"}))
    assert len(names_in(page)) == 3  # junk is ignored, not a 500


NAMES = {
    "A": "Albrecht, Anna",
    "B": "Bauer, Bernd",
    "C": "Clausen, Clara",
    "D": "Druckerei Dietz GmbH",
}


@pytest.mark.parametrize(
    "sort, direction, expected",
    [
        ("name", "asc", "ABCD"),
        ("name", "desc", "DCBA"),
        ("ort", "asc", "CADB"),  # Erfurt, Jena (Albrecht, Druckerei), Weimar
        ("ort", "desc", "BDAC"),
        ("eintritt", "asc", "CABD"),  # 2019, 2020, 2021, 2022
        ("eintritt", "desc", "DBAC"),
        ("nummer", "asc", "ABCD"),
        ("nummer", "desc", "DCBA"),
    ],
)
def test_sorting(club, treasurer_client, sort, direction, expected):
    args = {"status": "alle", "sort": sort, "direction": direction}
    page = text(treasurer_client.get("/mitglieder", query_string=args))
    assert names_in(page) == [NAMES[letter] for letter in expected]


def test_paging_shows_fifty_and_the_total(db, treasurer_client):
    mtype = make_membership_type()
    for i in range(52):
        person = make_person(last_name=f"Person{i:02d}", first_name="", email=None)
        join(person, membership_type_id=mtype.id, start_date=date(2024, 1, 1), actor=None)
    db.session.commit()
    first = text(treasurer_client.get("/mitglieder"))
    assert "52 Mitglieder gefunden" in first and "Seite 1 von 2" in first
    assert len(names_in(first)) == 50
    second = text(treasurer_client.get("/mitglieder", query_string={"seite": 2}))
    assert names_in(second) == ["Person50", "Person51"]
    beyond = text(treasurer_client.get("/mitglieder", query_string={"seite": 99}))
    assert names_in(beyond) == ["Person50", "Person51"]


def test_board_and_admin_read_the_register_without_edit_buttons(club, clients):
    for role in ("board", "admin"):
        page = text(clients[role].get("/mitglieder"))
        assert "Albrecht, Anna" in page
        assert "Neues Mitglied" not in page
        detail = text(clients[role].get(f"/mitglieder/{club.anna.id}"))
        assert "36,00 €" in detail
        for button in ("Bearbeiten", "Mitgliedschaft hinzufügen", "Austritt", "Deaktivieren"):
            assert f">{button}<" not in detail, (role, button)
    page = text(clients["treasurer"].get("/mitglieder"))
    assert "Neues Mitglied" in page


def test_register_statement_count_does_not_grow_with_the_members(db, users, clients):
    """Same number of SQL statements for 3 and for 40 members (no query per row)."""
    client = clients["treasurer"]
    # ids only: page_statements() empties the session, which detaches loaded objects
    regular = make_membership_type("regular").id
    family = make_membership_type("family", rates=((date(2009, 1, 1), 6000),)).id
    payer = make_person(last_name="Zahler").id

    def add_members(n: int, offset: int) -> None:
        for i in range(offset, offset + n):
            person = make_person(last_name=f"Mitglied{i:03d}", city=f"Ort{i % 5}")
            type_id = regular if i % 2 else family
            membership = join(
                person,
                membership_type_id=type_id,
                start_date=date(2020 + i % 4, 1, 1),
                payer_id=payer if i % 3 == 0 else None,
                actor=None,
            )
            if i % 4 == 0:  # a second membership of the other type
                other = family if type_id == regular else regular
                join(person, membership_type_id=other, start_date=date(2024, 1, 1), actor=None)
            if i % 7 == 0:
                leave(membership, end_date=date(2024, 12, 31), actor=None)
        db.session.commit()

    add_members(3, 0)
    run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    db.session.commit()
    urls = [
        "/mitglieder",
        "/mitglieder?status=alle&sort=eintritt",
        "/mitglieder?status=verspaetet",
        f"/mitglieder?membership_type_id={family}&q=mitglied",
    ]
    few = {url: page_statements(db, client, url) for url in urls}
    add_members(37, 3)
    run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    db.session.commit()
    many = {url: page_statements(db, client, url) for url in urls}
    assert min(len(s) for s in few.values()) >= 3
    for url in urls:
        assert len(many[url]) == len(few[url]), (url, tally(many[url]))
    page = text(client.get("/mitglieder?status=alle"))
    assert len(names_in(page)) == 40


# creating a member ----------------------------------------------------------------------------


def member_form(mtype, **overrides) -> dict:
    data = {
        "kind": "private",
        "first_name": "Erika",
        "last_name": "Mustermann",
        "street": "Löbdergraben 1",
        "postal_code": "07743",
        "city": "Jena",
        "country": "DE",
        "email": "Erika@Example.org",
        "phone": "03641 123456",
        "iban": "DE89 3704 0044 0532 0130 00",
        "membership_type_id": str(mtype.id),
        "start_date": "2025-04-01",
        "payer": "",
        "mandate_reference": "",
        "mandate_date": "",
        "mandate_iban": "",
    }
    data.update(overrides)
    return data


def test_create_a_member_with_mandate(db, treasurer_client):
    mtype = make_membership_type("regular", name="Regulär")
    response = treasurer_client.post(
        "/mitglieder/neu", data=member_form(mtype, mandate_date="2025-03-20")
    )
    assert response.status_code == 302, text(response)[:2000]
    person = db.session.execute(select(Person).filter_by(last_name="Mustermann")).scalar_one()
    assert response.headers["Location"].endswith(f"/mitglieder/{person.id}")
    assert person.email == "erika@example.org"
    assert person.iban == GOOD_IBAN and person.phone == "03641 123456"
    assert person.member_number is not None
    membership = membership_of(person)
    assert membership.start_date == date(2025, 4, 1)
    assert membership.mandate_reference == f"M-{person.member_number}-{membership.id}"
    assert membership.mandate_iban == GOOD_IBAN
    assert membership.mandate_date == date(2025, 3, 20)
    detail = text(treasurer_client.get(response.headers["Location"]))
    assert "DE89 3704 0044 0532 0130 00" in detail
    assert f"Mitgliedsnummer {person.member_number}" in detail
    assert "Mitgliedschaft begonnen" in detail and "Regulär ab 01.04.2025" in detail
    register = text(treasurer_client.get("/mitglieder", query_string={"q": "erika@example"}))
    assert names_in(register) == ["Mustermann, Erika"]


def test_create_a_member_with_a_payer(db, treasurer_client):
    mtype = make_membership_type()
    parent = make_person(first_name="Paul", last_name="Vater")
    data = member_form(mtype, payer=f"Vater, Paul (Jena) #{parent.id}")
    assert treasurer_client.post("/mitglieder/neu", data=data).status_code == 302
    person = db.session.execute(select(Person).filter_by(last_name="Mustermann")).scalar_one()
    assert membership_of(person).payer_id == parent.id


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"iban": BAD_IBAN}, "iban", "Prüfsumme falsch"),
        ({"membership_type_id": "999999"}, "membership_type_id", "Mitgliedsart ist unbekannt"),
        ({"membership_type_id": ""}, "membership_type_id", "Bitte eine Mitgliedsart wählen"),
        ({"last_name": ""}, "last_name", "Bitte einen Namen angeben"),
        ({"email": "kein-at-zeichen"}, "email", "E-Mail-Adresse kein-at-zeichen ist ungültig"),
        ({"postal_code": "1234"}, "postal_code", "nicht fünf Ziffern"),
        ({"start_date": ""}, "start_date", "Bitte ein gültiges Datum angeben"),
        ({"payer": "Niemand Unbekannt"}, "payer", "Keine Person mit diesem Namen"),
        (
            {"mandate_reference": "R" * 36, "mandate_date": "2025-03-01"},
            "mandate_reference",
            "36 Zeichen lang; erlaubt sind höchstens 35",
        ),
        (
            {"mandate_reference": "Müller & Co", "mandate_date": "2025-03-01"},
            "mandate_reference",
            "nicht erlaubt sind: Leerzeichen &amp; ü",
        ),
        ({"mandate_reference": "ABC-1"}, "mandate_date", "Datum der Unterschrift"),
        (
            {"mandate_date": "2025-03-01", "mandate_iban": BAD_IBAN},
            "mandate_iban",
            "Prüfsumme falsch",
        ),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(
    db, treasurer_client, overrides, field, message
):
    mtype = make_membership_type()
    persons, audits = count(db, Person), count(db, AuditEntry)
    response = treasurer_client.post("/mitglieder/neu", data=member_form(mtype, **overrides))
    assert response.status_code == 422
    assert message in error_at(text(response), field)
    assert count(db, Person) == persons
    assert count(db, Membership) == 0
    assert count(db, AuditEntry) == audits


# a member's page ------------------------------------------------------------------------------


def test_member_page_shows_claims_payments_and_history(db, club, treasurer_client):
    dora = club.dora
    claim = claim_of(db, dora)
    page = text(treasurer_client.get(f"/mitglieder/{dora.id}"))
    row = page[page.index(f'data-claim="{claim.id}"') :]
    row = row[: row.index("</tr>")]
    # amount 60,00, paid 20,00, nothing written off, 40,00 open, partly paid and overdue
    assert re.findall(r"-?[\d.]+,\d\d €", row) == ["60,00 €", "20,00 €", "0,00 €", "40,00 €"]
    assert "teilweise bezahlt" in row and "überfällig" in row
    assert 'data-testid="balance-open"><span class="amount">40,00 €' in page
    booking = db.session.execute(select(Booking).where(Booking.person_id == dora.id)).scalar_one()
    payments = page[page.index('data-testid="payments"') :]
    assert f'href="/buchungen/{booking.id}"' in payments and "20,00 €" in payments
    history = page[page.index('data-testid="history"') :]
    assert "Zahlung erfasst" in history and "20,00 €" in history
    assert "Mitgliedschaft begonnen" in history and "Familie ab 01.06.2022" in history


def test_claim_actions_for_the_treasurer(app, db, club, treasurer_client):
    claim = claim_of(db, club.anna)
    page = text(treasurer_client.get(f"/mitglieder/{club.anna.id}"))
    row = page[page.index(f'data-claim="{claim.id}"') :]
    row = row[: row.index("</tr>")]
    if "dues.claim_waive" in app.view_functions:
        assert f"/beitraege/forderungen/{claim.id}/erlassen" in row
    if "dues.payment_new" in app.view_functions:
        assert f"claim_id={claim.id}" in row
    paid = claim_of(db, club.bernd)
    page = text(treasurer_client.get(f"/mitglieder/{club.bernd.id}"))
    row = page[page.index(f'data-claim="{paid.id}"') :]
    assert "erlassen</a>" not in row[: row.index("</tr>")]


def test_waived_and_paid_claims_show_their_status(db, club, treasurer_client):
    waive_claim(claim_of(db, club.anna), reason="Härtefall", actor=None)
    db.session.commit()
    page = text(treasurer_client.get(f"/mitglieder/{club.anna.id}"))
    claims = page[page.index('data-testid="claims"') :]
    assert "erlassen" in claims
    assert "Forderung erlassen" in page[page.index('data-testid="history"') :]
    assert "Beitrag 2025: 36,00 €" in page and "Grund: Härtefall" in page
    paid = text(treasurer_client.get(f"/mitglieder/{club.bernd.id}"))
    assert ">bezahlt<" in paid[paid.index('data-testid="claims"') :]


def test_the_payers_page_shows_the_claims_they_pay(db, club, treasurer_client):
    parent = make_person(first_name="Paul", last_name="Vater")
    set_payer(membership_of(club.anna), payer_id=parent.id, actor=None)
    db.session.commit()
    page = text(treasurer_client.get(f"/mitglieder/{parent.id}"))
    claims = page[page.index('data-testid="claims"') :]
    assert "für Albrecht, Anna" in claims and "36,00 €" in claims
    assert "Keine Mitgliedschaft." in page
    member_page = text(treasurer_client.get(f"/mitglieder/{club.anna.id}"))
    assert f'href="/mitglieder/{parent.id}">Vater, Paul</a>' in member_page


def test_member_page_shows_reminders(db, club, treasurer_client):
    claim = claim_of(db, club.anna)
    db.session.add(
        Reminder(
            person_id=club.anna.id,
            member_id=club.anna.id,
            level=2,
            channel=ReminderChannel.EMAIL,
            email=club.anna.email,
            open_cents=3600,
            claim_ids=[claim.id],
            subject="Mahnung",
            body="Bitte zahlen",
        )
    )
    db.session.commit()
    page = text(treasurer_client.get(f"/mitglieder/{club.anna.id}"))
    reminders = page[page.index('data-testid="reminders"') :]
    reminders = reminders[: reminders.index("</table>")]
    assert "Mahnung" in reminders and "E-Mail" in reminders and "36,00 €" in reminders


def test_unknown_member_is_404(club, treasurer_client):
    assert treasurer_client.get("/mitglieder/999999").status_code == 404


HUGE = "9" * 23  # more than any INTEGER column holds


@pytest.mark.parametrize(
    "url, status",
    [
        (f"/mitglieder/{HUGE}", 404),
        (f"/mitglieder/{HUGE}/bearbeiten", 404),
        (f"/mitglieder/mitgliedschaft/{HUGE}/mandat", 404),
        (f"/mitglieder/arten/{HUGE}", 404),
        (f"/mitglieder?q={HUGE}", 200),
        (f"/mitglieder?membership_type_id={HUGE}", 200),
        (f"/mitglieder?seite={HUGE}", 200),
        (f"/mitglieder/export.csv?q={HUGE}", 200),
    ],
)
def test_numbers_beyond_the_database_range_are_no_server_error(club, treasurer_client, url, status):
    assert treasurer_client.get(url).status_code == status


@pytest.mark.parametrize("payer", [HUGE, f"Niemand #{HUGE}"])
def test_a_huge_payer_number_is_a_message_not_an_error(db, club, treasurer_client, payer):
    membership = membership_of(club.anna)
    response = treasurer_client.post(
        f"/mitglieder/mitgliedschaft/{membership.id}/zahler", data={"payer": payer}
    )
    assert response.status_code == 422
    assert "Keine Person mit diesem Namen" in error_at(text(response), "payer")


def test_self_service_changes_are_labelled_in_the_history(db, club, treasurer_client):
    update_person(
        club.anna,
        actor=None,
        action="persons.self_updated",
        email="anna.neu@example.org",
        street="Neue Straße 5",
    )
    db.session.commit()
    page = text(treasurer_client.get(f"/mitglieder/{club.anna.id}"))
    history = page[page.index('data-testid="history"') :]
    assert "vom Mitglied geändert" in history
    assert "E-Mail: anna.albrecht@example.org → anna.neu@example.org" in history
    assert "Straße: Hauptstraße 1 → Neue Straße 5" in history


def test_invite_button_only_for_members_with_email_and_no_login(app, db, club, clients):
    if "auth.invite_member" not in app.view_functions:
        pytest.skip("auth.invite_member is not there yet")
    from tests.factories import make_user

    client = clients["treasurer"]
    assert "Zum Mitgliederportal einladen" in text(client.get(f"/mitglieder/{club.anna.id}"))
    make_user(role="member", email="anna.login@example.org", person_id=club.anna.id)
    assert "Zum Mitgliederportal einladen" not in text(client.get(f"/mitglieder/{club.anna.id}"))


# editing --------------------------------------------------------------------------------------


def person_form(person, **overrides) -> dict:
    data = {
        "kind": person.kind.value,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "street": person.street,
        "postal_code": person.postal_code,
        "city": person.city,
        "country": person.country,
        "email": person.email or "",
        "phone": person.phone,
        "iban": person.iban or "",
    }
    data.update(overrides)
    return data


def test_edit_a_person_and_see_the_change_in_the_history(db, club, treasurer_client):
    anna = club.anna
    form = text(treasurer_client.get(f"/mitglieder/{anna.id}/bearbeiten"))
    assert 'value="anna.albrecht@example.org"' in form
    response = treasurer_client.post(
        f"/mitglieder/{anna.id}/bearbeiten",
        data=person_form(anna, email="anna@neu.example", iban=GOOD_IBAN),
    )
    assert response.status_code == 302
    db.session.refresh(anna)
    assert anna.email == "anna@neu.example" and anna.iban == GOOD_IBAN
    page = text(treasurer_client.get(f"/mitglieder/{anna.id}"))
    history = page[page.index('data-testid="history"') :]
    assert "Daten geändert" in history
    assert "E-Mail: anna.albrecht@example.org → anna@neu.example" in history
    assert "IBAN: – → DE89 3704 0044 0532 0130 00" in history


def test_edit_refuses_a_bad_iban_and_changes_nothing(db, club, treasurer_client):
    anna = club.anna
    audits = count(db, AuditEntry)
    response = treasurer_client.post(
        f"/mitglieder/{anna.id}/bearbeiten",
        data=person_form(anna, iban=BAD_IBAN, city="Gera"),
    )
    assert response.status_code == 422
    page = text(response)
    assert "Prüfsumme falsch" in error_at(page, "iban")
    db.session.refresh(anna)
    assert anna.iban is None and anna.city == "Jena"
    assert count(db, AuditEntry) == audits


# memberships: join, leave, mandate, payer -----------------------------------------------------


def test_a_second_membership_of_another_type(db, club, treasurer_client):
    response = treasurer_client.post(
        f"/mitglieder/{club.anna.id}/mitgliedschaft/neu",
        data={"membership_type_id": club.family.id, "start_date": "2025-07-01", "payer": ""},
    )
    assert response.status_code == 302
    types = {m.membership_type.code for m in club.anna.memberships}
    assert types == {"regular", "family"}


@pytest.mark.parametrize(
    "membership_type, message",
    [
        ("regular", "eine zweite derselben Art kann nicht gleichzeitig laufen"),
        ("999999", "Die Mitgliedsart ist unbekannt"),
    ],
)
def test_join_refuses_a_second_running_membership_or_an_unknown_type(
    db, club, treasurer_client, membership_type, message
):
    type_id = club.regular.id if membership_type == "regular" else membership_type
    before = count(db, Membership)
    response = treasurer_client.post(
        f"/mitglieder/{club.anna.id}/mitgliedschaft/neu",
        data={"membership_type_id": type_id, "start_date": "2025-07-01", "payer": ""},
    )
    assert response.status_code == 422
    page = text(response)
    assert message in error_at(page, "membership_type_id")
    assert count(db, Membership) == before


def test_leave_and_the_end_date_check(db, club, treasurer_client):
    membership = membership_of(club.anna)
    url = f"/mitglieder/mitgliedschaft/{membership.id}/austritt"
    response = treasurer_client.post(url, data={"end_date": "2019-12-31", "reason": ""})
    assert response.status_code == 422
    page = text(response)
    assert "nicht vor dem Beginn (01.03.2020)" in error_at(page, "end_date")
    db.session.refresh(membership)
    assert membership.end_date is None
    response = treasurer_client.post(url, data={"end_date": "2025-12-31", "reason": "Wegzug"})
    assert response.status_code == 302
    db.session.refresh(membership)
    assert membership.end_date == date(2025, 12, 31) and membership.leave_reason == "Wegzug"
    page = text(treasurer_client.get(f"/mitglieder/{club.anna.id}"))
    assert "Austritt eingetragen" in page and "zum 31.12.2025" in page and "Grund: Wegzug" in page


def test_set_and_remove_a_mandate(db, club, treasurer_client):
    membership = membership_of(club.bernd)
    update_person(club.bernd, actor=None, iban=GOOD_IBAN)
    db.session.commit()
    url = f"/mitglieder/mitgliedschaft/{membership.id}/mandat"
    form = text(treasurer_client.get(url))
    assert f'value="M-{club.bernd.member_number}-{membership.id}"' in form
    assert 'value="DE89 3704 0044 0532 0130 00"' in form
    data = {
        "mandate_reference": "BAUER-2025/1",
        "mandate_date": "2025-02-01",
        "mandate_iban": GOOD_IBAN,
        "submit": "Mandat speichern",
    }
    assert treasurer_client.post(url, data=data).status_code == 302
    db.session.refresh(membership)
    assert membership.mandate_reference == "BAUER-2025/1"
    page = text(treasurer_client.get(f"/mitglieder/{club.bernd.id}"))
    assert "SEPA-Mandat geändert" in page and "Mandatsreferenz: – → BAUER-2025/1" in page
    response = treasurer_client.post(url, data={"remove": "Mandat entfernen"})
    assert response.status_code == 302
    db.session.refresh(membership)
    assert membership.mandate_reference is None and membership.mandate_iban is None


@pytest.mark.parametrize(
    "reference, iban, field, message",
    [
        ("R" * 36, GOOD_IBAN, "mandate_reference", "36 Zeichen lang; erlaubt sind höchstens 35"),
        ("Bauer & Sohn", GOOD_IBAN, "mandate_reference", "nicht erlaubt sind: Leerzeichen &amp;"),
        ("Bäcker-1", GOOD_IBAN, "mandate_reference", "nicht erlaubt sind: ä"),
        ("BAUER-1", BAD_IBAN, "mandate_iban", "Prüfsumme falsch"),
    ],
)
def test_bad_mandates_are_refused(db, club, treasurer_client, reference, iban, field, message):
    membership = membership_of(club.bernd)
    audits = count(db, AuditEntry)
    data = {"mandate_reference": reference, "mandate_date": "2025-02-01", "mandate_iban": iban}
    response = treasurer_client.post(
        f"/mitglieder/mitgliedschaft/{membership.id}/mandat", data=data
    )
    assert response.status_code == 422
    page = text(response)
    assert message in error_at(page, field)
    db.session.refresh(membership)
    assert membership.mandate_reference is None
    assert count(db, AuditEntry) == audits


def test_set_and_clear_a_payer(db, club, treasurer_client):
    membership = membership_of(club.anna)
    url = f"/mitglieder/mitgliedschaft/{membership.id}/zahler"
    response = treasurer_client.post(url, data={"payer": "Niemand Unbekannt"})
    assert response.status_code == 422
    assert "Keine Person mit diesem Namen" in text(response)
    response = treasurer_client.post(url, data={"payer": f"Bauer, Bernd #{club.bernd.id}"})
    assert response.status_code == 302
    db.session.refresh(membership)
    assert membership.payer_id == club.bernd.id
    page = text(treasurer_client.get(f"/mitglieder/{club.anna.id}"))
    assert "Zahler: das Mitglied selbst → Bauer, Bernd" in page
    register = text(treasurer_client.get("/mitglieder"))
    assert "zahlt:</span>" not in register and "Bauer, Bernd</div>" in register
    assert treasurer_client.post(url, data={"payer": ""}).status_code == 302
    db.session.refresh(membership)
    assert membership.payer_id is None


def test_deactivate_only_after_leaving(db, club, treasurer_client):
    response = treasurer_client.post(f"/mitglieder/{club.anna.id}/deaktivieren")
    assert response.status_code == 302
    page = text(treasurer_client.get(response.headers["Location"]))
    assert "Bitte zuerst den Austritt eintragen" in page
    db.session.refresh(club.anna)
    assert club.anna.is_active
    response = treasurer_client.post(f"/mitglieder/{club.clara.id}/deaktivieren")
    assert response.status_code == 302
    db.session.refresh(club.clara)
    assert not club.clara.is_active
    assert db.session.get(Person, club.clara.id) is not None
