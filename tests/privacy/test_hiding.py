"""A locked (erased) person is hidden from everyday views: the member register and its export,
the person search and picker, the open-dues search, reminder runs, direct debit planning and
bank matching. Their bookings still count and still show their name in the books; their page
shows the lock to treasurer and admin only."""

from datetime import date

import pytest

from supportclub.banking.matching import match_lines
from supportclub.banking.models import KnownIban, MatchKind, StatementLine
from supportclub.clock import utcnow
from supportclub.dues.queries import OpenClaimsFilter, open_claims_select, rows
from supportclub.dues.reminders import plan_reminders
from supportclub.extensions import db
from supportclub.ledger.models import Account, Fund
from supportclub.ledger.services import find_persons
from supportclub.members.queries import RegisterFilter, register_rows
from supportclub.privacy.erasure import erase_person
from tests.banking.test_collections import (  # noqa: F401  (the club fixture)
    YEAR,
    cdate,
    club,
    mandated_member,
    run_year,
)
from tests.factories import by_code, make_claim, make_member, make_person
from tests.privacy.helpers import former_member, ledger_sums

TODAY = date(2026, 11, 25)


@pytest.fixture
def erased(app):
    """Erika (a former member), erased and locked; Lena, another former member, is not."""
    former = former_member()
    other = former_member(first_name="Lena", last_name="Ehemalig", login=False, receipt=False)
    erase_person(former.person, actor=None, reason="Antrag", on=TODAY)
    db.session.commit()
    return former.person, other.person


def lock(person):
    """Lock a person directly (as if erased), whatever they still owe: the views must hide them."""
    person.locked_at = utcnow()
    person.retain_until = date(2036, 12, 31)
    db.session.commit()


def test_hidden_from_the_member_register_and_its_export(erased, clients):
    person, other = erased
    names = [row.person.id for row in register_rows(RegisterFilter(q="Ehemalig", status="alle"))]
    assert names == [other.id]
    page = clients["treasurer"].get("/mitglieder?status=alle&q=Ehemalig").get_data(as_text=True)
    assert "Lena" in page and "Erika" not in page
    csv = clients["treasurer"].get("/mitglieder/export.csv?status=alle").get_data(as_text=True)
    assert "Lena" in csv and "Erika" not in csv


def test_hidden_from_the_person_search_and_picker(erased, clients):
    person, other = erased
    assert [p.id for p in find_persons("Ehemalig")] == [other.id]
    assert find_persons(str(person.id)) == []
    assert [p.id for p in find_persons(str(other.id))] == [other.id]
    answer = clients["treasurer"].get("/personen/suche?q=Ehemalig").get_data(as_text=True)
    assert "Lena" in answer and "Erika" not in answer


def test_a_locked_person_cannot_be_picked_by_id(erased, clients):
    person, _other = erased
    before = ledger_sums()
    response = clients["treasurer"].post(
        "/spenden/neu",
        data={
            "booking_date": "2026-11-02",
            "amount": "10,00",
            "account_id": str(by_code(Account, "bank").id),
            "fund_id": str(by_code(Fund, "general").id),
            "person": f"Ehemalig, Erika #{person.id}",
            "text": "Spende",
        },
    )
    assert response.status_code == 422
    assert "Keine Person gefunden" in response.get_data(as_text=True)
    assert ledger_sums() == before


def test_hidden_from_the_open_dues_search_and_reminders(app):
    person = make_member(first_name="Olga", last_name="Offen")
    make_claim(person, 2025)
    visible = rows(open_claims_select(OpenClaimsFilter(query="Offen")))
    assert [r.membership.person_id for r in visible] == [person.id]
    assert [item.member.id for item in plan_reminders(year=2025, overdue_only=False).planned] == [
        person.id
    ]
    lock(person)
    assert rows(open_claims_select(OpenClaimsFilter(query="Offen"))) == []
    plan = plan_reminders(year=2025, overdue_only=False)
    assert (plan.planned, plan.skipped) == ([], [])


def test_skipped_by_direct_debit_planning(db, club):  # noqa: F811
    from supportclub.banking.collections import plan_collection

    member = mandated_member(first_name="Lars", last_name="Lastschrift")
    run_year()
    assert plan_collection(year=YEAR, collection_date=cdate()).count == 1
    lock(member)
    plan = plan_collection(year=YEAR, collection_date=cdate())
    assert (plan.count, plan.included, plan.skipped) == (0, [], [])


def test_not_matched_by_name_or_iban(app):
    person = make_person(first_name="Ida", last_name="Ibanski")
    person.iban = "DE02120300000000202051"
    db.session.add(KnownIban(iban="DE02500105170137075030", person_id=person.id))
    db.session.commit()

    def matched(iban):
        line = StatementLine(
            amount_cents=2000,
            booking_date=date(2026, 3, 3),
            counterparty_name="Ida Ibanski",
            counterparty_iban=iban,
            purpose="Spende",
            bank_fee_cents=0,
        )
        match_lines([line])
        return line.match_kind, line.match_person_id

    assert matched("DE02120300000000202051") == (MatchKind.IBAN, person.id)
    assert matched("DE02500105170137075030") == (MatchKind.IBAN, person.id)
    lock(person)
    assert matched("DE02120300000000202051") == (MatchKind.NONE, None)
    assert matched("DE02500105170137075030") == (MatchKind.NONE, None)


def test_books_unchanged_and_the_name_stays_in_the_booking_list(app, clients):
    former = former_member()
    before = ledger_sums()
    balance_before = clients["treasurer"].get("/buchungen").get_data(as_text=True).count("Ehemalig")
    erase_person(former.person, actor=None, reason="Antrag", on=TODAY)
    db.session.commit()
    assert ledger_sums() == before
    page = clients["treasurer"].get("/buchungen").get_data(as_text=True)
    assert balance_before > 0 and page.count("Ehemalig") == balance_before


@pytest.mark.parametrize(
    ("role", "shown"),
    [("treasurer", True), ("admin", True), ("board", False), ("auditor", False)],
)
def test_the_lock_banner_for_treasurer_and_admin_only(erased, clients, role, shown):
    person, _other = erased
    page = clients[role].get(f"/mitglieder/{person.id}").get_data(as_text=True)
    assert ("Gesperrt (DSGVO) bis 31.12.2036" in page) is shown


def test_a_locked_person_offers_no_changes_and_refuses_them(erased, clients):
    """The page of a locked person has no edit, payment or reminder buttons, and a typed-in
    edit is refused with a message; nothing changes."""
    person, _other = erased
    client = clients["treasurer"]
    page = client.get(f"/mitglieder/{person.id}").get_data(as_text=True)
    assert f"/mitglieder/{person.id}/bearbeiten" not in page
    assert "Zahlung erfassen" not in page and "Spenden und Beiträge" in page
    response = client.post(
        f"/mitglieder/{person.id}/bearbeiten",
        data={
            "kind": "private",
            "first_name": "Erika",
            "last_name": "Neu",
            "street": "Weg 1",
            "postal_code": "07743",
            "city": "Jena",
            "country": "DE",
            "email": "neu@example.org",
        },
    )
    assert "sind nach einer Löschung gesperrt (DSGVO)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert person.last_name != "Neu" and person.email is None
