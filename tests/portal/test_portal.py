"""Mein Konto: a member sees their own membership, dues and payments and edits their own data."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.dues.payments import Allocation, record_payment
from supportclub.extensions import db as _db
from supportclub.ledger.models import Account, Person
from supportclub.members.services import set_payer
from tests.conftest import login
from tests.factories import (
    by_code,
    make_booking,
    make_claim,
    make_member,
    make_membership_type,
    make_person,
    make_user,
    membership_of,
)

IBAN = "DE89370400440532013000"
OTHER_IBAN = "DE02120300000000202051"


def pay(db, person, claims_and_cents, *, payer=None, day=date(2025, 3, 1), text=""):
    """Book a bank payment by `payer` (default: the person) against claims."""
    payer = payer or person
    booking = record_payment(
        person_id=payer.id,
        booking_date=day,
        account_id=by_code(Account, "bank").id,
        amount_cents=sum(cents for _, cents in claims_and_cents),
        allocations=[Allocation(claim.id, cents) for claim, cents in claims_and_cents],
        actor=None,
        text=text,
    )
    db.session.commit()
    return booking


def portal_client(app, person):
    """A client logged in as the member login of `person`."""
    return login(app.test_client(), make_user(role="member", person_id=person.id))


def cells(page: str, attribute: str, value) -> list[str]:
    """The cell texts of the table row carrying attribute="value"."""
    match = re.search(rf'<tr {attribute}="{value}">(.*?)</tr>', page, re.S)
    assert match, f"no row {attribute}={value}"
    return [
        re.sub(r"<[^>]+>|\s+", " ", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)
    ]


def section(page: str, testid: str) -> str:
    """The html of the element carrying data-testid (it holds no element of its own kind)."""
    start = page.index(f'data-testid="{testid}"')
    tag = re.search(r"<(\w+)[^<]*$", page[:start]).group(1)
    return page[start : page.index(f"</{tag}>", start)]


@pytest.fixture
def members(db):
    """Anna (36 € a year, 2024 paid, 2025 partly paid) and Otto (48 €, nothing paid)."""
    regular = make_membership_type(name="Regulär", rates=[(date(2009, 1, 1), 3600)])
    family = make_membership_type(name="Familie", rates=[(date(2009, 1, 1), 4800)])
    anna = make_member(regular, first_name="Anna", last_name="Eigen", start_date=date(2019, 5, 1))
    otto = make_member(family, first_name="Otto", last_name="Fremd")
    claims = {
        (who, year): make_claim(person, year)
        for year in (2024, 2025)
        for who, person in (("anna", anna), ("otto", otto))
    }
    pay(db, anna, [(claims["anna", 2024], 3600)], day=date(2024, 2, 3), text="Beitrag 2024 Eigen")
    pay(db, anna, [(claims["anna", 2025], 1000)], day=date(2025, 4, 5), text="Teilzahlung")
    return {"anna": anna, "otto": otto, "claims": claims}


def test_account_shows_exact_own_amounts_and_nothing_of_another_member(app, members):
    anna, claims = members["anna"], members["claims"]
    page = portal_client(app, anna).get("/mein-konto").get_data(as_text=True)
    assert "Eigen" in page and "Regulär" in page
    assert cells(page, "data-year", 2025) == ["2025", "36,00 €", "10,00 €", "–", "26,00 €"]
    assert cells(page, "data-year", 2024) == ["2024", "36,00 €", "36,00 €", "–", "0,00 €"]
    claim_2025 = cells(page, "data-claim", claims["anna", 2025].id)
    assert claim_2025[-4:] == ["36,00 €", "10,00 €", "26,00 €", "teilweise bezahlt"]
    assert cells(page, "data-claim", claims["anna", 2024].id)[-1] == "bezahlt"
    assert "26,00 €" in section(page, "open-total")
    assert "46,00 €" in section(page, "paid-total")
    payments = section(page, "payments")
    assert "03.02.2024" in payments and "Beitrag 2024 Eigen" in payments
    assert "05.04.2025" in payments and "Teilzahlung" in payments
    # Otto's name, type, claims and amounts do not appear
    assert "Fremd" not in page and "Familie" not in page and "48,00 €" not in page
    for year in (2024, 2025):
        assert f'data-claim="{claims["otto", year].id}"' not in page
    assert str(anna.member_number) in section(page, "memberships")


def test_account_shows_own_contact_and_bank_data(app, db, members):
    anna = members["anna"]
    anna.iban, anna.phone = IBAN, "03641 123456"
    db.session.commit()
    data = section(portal_client(app, anna).get("/mein-konto").get_data(as_text=True), "own-data")
    assert "DE89 3704 0044 0532 0130 00" in data
    assert "03641 123456" in data and anna.email in data and "Hauptstraße 1" in data


def test_a_login_without_member_record_gets_a_friendly_page(app, clients):
    for path in ("/mein-konto", "/mein-konto/daten"):
        response = clients["treasurer"].get(path)
        assert response.status_code == 200
        assert "kein Mitgliedseintrag verbunden" in response.get_data(as_text=True)


def test_payment_detail_is_shown_for_own_and_403_for_anybody_elses(app, db, members):
    anna, otto = members["anna"], members["otto"]
    otto_paid = pay(db, otto, [(members["claims"]["otto", 2025], 4800)])
    donation = make_booking(2500, person_id=otto.id)
    client = portal_client(app, anna)
    own = client.get("/mein-konto").get_data(as_text=True)
    (first_id,) = re.findall(r'href="/mein-konto/zahlungen/(\d+)">', own)[:1]
    detail = client.get(f"/mein-konto/zahlungen/{first_id}")
    assert detail.status_code == 200
    assert "Mitgliedsbeiträge" in detail.get_data(as_text=True)
    for booking in (otto_paid, donation):
        assert client.get(f"/mein-konto/zahlungen/{booking.id}").status_code == 403
    assert client.get("/mein-konto/zahlungen/999999").status_code == 404
    staff = login(app.test_client(), make_user(role="treasurer"))
    assert staff.get(f"/mein-konto/zahlungen/{otto_paid.id}").status_code == 403


def test_a_payer_booking_shows_the_member_only_their_own_share(app, db):
    regular = make_membership_type(rates=[(date(2009, 1, 1), 3600)])
    parent = make_person(first_name="Paula", last_name="Zahler")
    kid, sibling = make_member(regular, last_name="Kind"), make_member(regular, last_name="Geschw")
    for child in (kid, sibling):
        set_payer(membership_of(child), payer_id=parent.id, actor=None)
    kid_claim, sibling_claim = make_claim(kid, 2025), make_claim(sibling, 2025)
    booking = pay(
        db, kid, [(kid_claim, 3600), (sibling_claim, 3600)], payer=parent, text="Beide Kinder"
    )
    client = portal_client(app, kid)
    page = client.get("/mein-konto").get_data(as_text=True)
    assert "Paula Zahler" in section(page, "memberships")
    payments = section(page, "payments")
    assert "36,00 €" in payments and "Zahlung von Paula Zahler" in payments
    assert "72,00 €" not in payments and "Beide Kinder" not in payments
    detail = client.get(f"/mein-konto/zahlungen/{booking.id}").get_data(as_text=True)
    assert "Anna Kind" in detail and "Geschw" not in detail
    assert "36,00 €" in detail and "72,00 €" not in detail
    # the parent, who made the booking, sees all of it
    parent_view = portal_client(app, parent).get(f"/mein-konto/zahlungen/{booking.id}")
    assert "72,00 €" in parent_view.get_data(as_text=True)


# Editing one's own data ---------------------------------------------------------------------------


def own_data(**changes) -> dict:
    """The edit form with Anna's current data and `changes`."""
    data = {
        "street": "Hauptstraße 1",
        "postal_code": "07743",
        "city": "Jena",
        "email": "",
        "phone": "",
        "iban": "",
    }
    data.update(changes)
    return data


def audit_entries(person) -> list[AuditEntry]:
    """Self-service audit entries of a person."""
    return list(
        _db.session.execute(
            select(AuditEntry).filter_by(
                action="persons.self_updated", target_type="Person", target_id=person.id
            )
        ).scalars()
    )


def test_self_edit_changes_the_person_and_leaves_an_audit_entry(app, db, members):
    anna = members["anna"]
    user = make_user(role="member", person_id=anna.id)
    client = login(app.test_client(), user)
    form = client.get("/mein-konto/daten").get_data(as_text=True)
    assert 'value="Hauptstraße 1"' in form and f'value="{anna.email}"' in form
    response = client.post(
        "/mein-konto/daten",
        data=own_data(
            email=anna.email,
            street="Lindenweg 7",
            postal_code="99423",
            city="Weimar",
            phone="0170 1234567",
            iban="de89 3704 0044 0532 0130 00",
        ),
    )
    assert response.status_code == 302 and response.headers["Location"] == "/mein-konto"
    db.session.expire_all()
    assert (anna.street, anna.postal_code, anna.city, anna.phone, anna.iban) == (
        "Lindenweg 7",
        "99423",
        "Weimar",
        "0170 1234567",
        IBAN,
    )
    (entry,) = audit_entries(anna)
    assert entry.actor_id == user.id
    assert entry.data["before"] == {
        "street": "Hauptstraße 1",
        "postal_code": "07743",
        "city": "Jena",
        "phone": "",
        "iban": None,
    }
    assert entry.data["after"]["city"] == "Weimar" and entry.data["after"]["iban"] == IBAN
    page = client.get("/mein-konto").get_data(as_text=True)
    assert "Ihre Daten sind gespeichert" in page and "Lindenweg 7" in page


def test_saving_unchanged_data_writes_nothing(app, db, members):
    anna = members["anna"]
    anna.iban = IBAN
    db.session.commit()
    client = portal_client(app, anna)
    data = own_data(email=anna.email.upper(), iban="DE89 3704 0044 0532 0130 00")
    response = client.post("/mein-konto/daten", data=data, follow_redirects=True)
    assert "Es gab nichts zu ändern." in response.get_data(as_text=True)
    assert audit_entries(anna) == []


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"iban": "DE89370400440532013001"}, "iban", "Prüfsumme falsch"),
        ({"email": "anna@@example"}, "email", "Die E-Mail-Adresse anna@@example ist ungültig."),
        ({"postal_code": "0774"}, "postal_code", "Die Postleitzahl 0774 hat nicht fünf Ziffern."),
    ],
)
def test_bad_input_is_refused_at_the_field_and_nothing_is_written(
    app, db, members, changes, field, message
):
    anna = members["anna"]
    client = portal_client(app, anna)
    data = own_data(email=anna.email, city="Erfurt")
    data.update(changes)
    response = client.post("/mein-konto/daten", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">(.*?)</div>', page, re.S)
    assert error and message in error.group(1)
    db.session.expire_all()
    assert anna.city == "Jena" and anna.iban is None
    assert audit_entries(anna) == []


def test_all_bad_fields_are_named_at_once(app, members):
    client = portal_client(app, members["anna"])
    page = client.post(
        "/mein-konto/daten", data=own_data(iban="DE00 1234", postal_code="abc", email="x@")
    ).get_data(as_text=True)
    for field in ("iban", "postal_code", "email"):
        assert f'id="{field}-error"' in page


def test_changing_the_e_mail_keeps_the_login_address(app, db, members):
    anna = members["anna"]
    user = make_user(role="member", email="login-anna@example.org", person_id=anna.id)
    client = login(app.test_client(), user)
    assert "Ihre Anmeldeadresse (login-anna@example.org) bleibt" in client.get(
        "/mein-konto/daten"
    ).get_data(as_text=True)
    response = client.post(
        "/mein-konto/daten", data=own_data(email="neu@example.org"), follow_redirects=True
    )
    assert "Ihre Anmeldeadresse bleibt login-anna@example.org" in response.get_data(as_text=True)
    db.session.expire_all()
    assert anna.email == "neu@example.org"
    assert user.email == "login-anna@example.org"


def test_only_self_service_fields_can_be_changed(app, db, members):
    anna = members["anna"]
    before = (anna.first_name, anna.last_name, anna.member_number, anna.kind, anna.is_active)
    memberships = db.session.execute(select(func.count()).select_from(Person)).scalar_one()
    client = portal_client(app, anna)
    client.post(
        "/mein-konto/daten",
        data=own_data(
            email=anna.email,
            city="Gera",
            first_name="Hacker",
            last_name="Niemand",
            member_number="1",
            kind="organisation",
            is_active="false",
            membership_type_id="1",
        ),
    )
    db.session.expire_all()
    assert anna.city == "Gera"
    assert (anna.first_name, anna.last_name, anna.member_number, anna.kind, anna.is_active) == (
        before
    )
    assert db.session.execute(select(func.count()).select_from(Person)).scalar_one() == (
        memberships
    )
    (entry,) = audit_entries(anna)
    assert set(entry.data["after"]) == {"city"}


def test_there_is_no_url_for_another_persons_data(app, members):
    client = portal_client(app, members["anna"])
    otto = members["otto"].id
    for path in (
        f"/mein-konto/{otto}",
        f"/mein-konto/daten/{otto}",
        f"/mein-konto?person_id={otto}",
    ):
        response = client.get(path)
        assert "Fremd" not in response.get_data(as_text=True)


def test_the_account_page_sends_as_many_statements_for_many_payers_as_for_one(app, db):
    """Payments by other persons (parents, companies) are named without a query each."""
    from tests.ledger.test_query_counts import page_statements

    def account_with_payers(count: int) -> int:
        mtype = make_membership_type(rates=[(date(2009, 1, 1), 3600)])
        child = make_member(mtype, start_date=date(2010, 1, 1))
        client = portal_client(app, child)
        for year in range(2015, 2015 + count):
            payer = make_person(first_name=f"Zahler{year}")
            set_payer(membership_of(child), payer_id=payer.id, actor=None)
            pay(db, child, [(make_claim(child, year), 3600)], payer=payer)
        return len(page_statements(db, client, "/mein-konto"))

    assert account_with_payers(1) == account_with_payers(5)
