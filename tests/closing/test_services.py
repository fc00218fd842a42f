"""Year-end closing services: the checklist with real data, closing with its stored balances,
the in-order rule, and what a closed year refuses afterwards."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.banking.models import BankImport
from supportclub.clock import today
from supportclub.closing.checklist import State, checklist
from supportclub.closing.services import carried_balances, close_year
from supportclub.errors import ClosedPeriodError, DomainError, ValidationError
from supportclub.ledger.bulk import BookingSpec, record_bookings
from supportclub.ledger.models import (
    Account,
    Booking,
    Category,
    ClosedYear,
    ClosedYearBalance,
    Fund,
)
from supportclub.ledger.services import LineInput, create_fund, record_booking, reverse_booking
from tests.banking.line_factory import make_debit, make_import, make_line
from tests.factories import by_code, make_booking, make_claim, make_contribution, make_member

THIS = today().year
LAST = THIS - 1
PREV = THIS - 2
CLOSED_MESSAGE = (
    f"Das Jahr {LAST} ist abgeschlossen (festgeschrieben); darin kann nicht mehr gebucht werden."
)


def items(year: int) -> dict:
    """The checklist items of `year` by key."""
    return {item.key: item for item in checklist(year).items}


def closed_count(db) -> int:
    """How many years are closed."""
    return db.session.execute(select(func.count()).select_from(ClosedYear)).scalar_one()


def figures(item) -> dict:
    """An item's figures: label -> cents or number."""
    return {f.label: f.cents if f.cents is not None else f.number for f in item.figures}


def stored(year: int) -> dict:
    """The stored balances of a closed year: ("account"|"fund", code) -> (opening, closing)."""
    from supportclub.extensions import db

    accounts = dict(db.session.execute(select(Account.id, Account.code)).all())
    funds = dict(db.session.execute(select(Fund.id, Fund.code)).all())
    result = {}
    balances = select(ClosedYearBalance).filter_by(year=year)
    for b in db.session.execute(balances).scalars():
        key = ("account", accounts[b.account_id]) if b.account_id else ("fund", funds[b.fund_id])
        result[key] = (b.opening_cents, b.closing_cents)
    return result


def test_an_empty_past_year_has_only_the_missing_statement_as_a_hint(db):
    found = items(LAST)
    assert found["year_over"].state == State.OK
    assert found["predecessor"].state == State.OK  # no bookings before: the first year
    assert found["bank_lines"].state == State.OK
    assert found["bank_balance"].state == State.WARNING
    expected = f"Kein Kontoauszug bis zum 31.12.{LAST} importiert"
    assert found["bank_balance"].text.startswith(expected)
    assert found["receipts"].state == State.OK
    assert found["claims"].state == State.OK
    assert found["debits"].state == State.OK
    assert found["accounts"].state == State.INFO
    assert [i.key for i in checklist(LAST).warnings] == ["bank_balance"]
    assert checklist(LAST).blocking == []


def test_the_running_year_cannot_be_closed(db):
    assert items(THIS)["year_over"].state == State.BLOCKING
    with pytest.raises(ClosedPeriodError, match=f"Das Jahr {THIS} ist noch nicht vorbei"):
        close_year(THIS, None, confirm_warnings=True)
    assert db.session.get(ClosedYear, THIS) is None


def test_years_are_closed_in_order(db):
    make_booking(1000, booking_date=date(PREV, 5, 1))
    make_booking(2000, booking_date=date(LAST, 5, 1))
    item = items(LAST)["predecessor"]
    assert item.state == State.BLOCKING
    assert f"Das Jahr {PREV} ist noch nicht abgeschlossen" in item.text
    with pytest.raises(ClosedPeriodError, match=f"bitte zuerst {PREV} abschließen"):
        close_year(LAST, None, confirm_warnings=True)
    db.session.rollback()
    assert db.session.get(ClosedYear, LAST) is None
    close_year(PREV, None, confirm_warnings=True)
    db.session.commit()
    assert items(LAST)["predecessor"].state == State.OK
    close_year(LAST, None, confirm_warnings=True)
    db.session.commit()
    assert db.session.get(ClosedYear, LAST) is not None


def test_open_bank_lines_of_the_year_block_with_count_and_sum(db):
    make_line(4200, booking_date=date(LAST, 12, 30))
    make_line(-1234, booking_date=date(LAST, 1, 2))
    make_line(999, booking_date=date(THIS, 1, 2))  # next year: not counted
    item = items(LAST)["bank_lines"]
    assert item.state == State.BLOCKING
    assert figures(item) == {"Umsätze": 2, "Summe": 2966}
    assert item.endpoint == "banking.review"
    with pytest.raises(ClosedPeriodError, match="2 Bankumsätze des Jahres"):
        close_year(LAST, None, confirm_warnings=True)


def _statement(db, closing_cents: int) -> BankImport:
    """A kept statement import for the bank account ending on 31.12. of LAST."""
    statement = make_import()
    statement.period_start = date(LAST, 12, 1)
    statement.period_end = date(LAST, 12, 31)
    statement.opening_cents = 0
    statement.closing_cents = closing_cents
    db.session.commit()
    return statement


def test_bank_balance_agrees_with_the_statement_of_31_december(db):
    make_booking(12345, booking_date=date(LAST, 6, 1))
    make_booking(500, booking_date=date(THIS, 1, 5))  # after 31.12.: not in the balance
    make_booking(700, account="cash", booking_date=date(LAST, 6, 1))  # another account
    _statement(db, 12345)
    item = items(LAST)["bank_balance"]
    assert item.state == State.OK
    assert figures(item) == {
        "Endsaldo laut Kontoauszug": 12345,
        "Kontostand laut Buchhaltung": 12345,
    }


def test_a_bank_balance_that_differs_from_the_statement_blocks(db):
    make_booking(12345, booking_date=date(LAST, 6, 1))
    _statement(db, 12000)
    item = items(LAST)["bank_balance"]
    assert item.state == State.BLOCKING
    assert figures(item)["Differenz"] == -345
    assert "um -3,45 €" in item.text


def test_contributions_without_receipt_are_a_hint_that_needs_confirming(db):
    donor = make_member()
    make_contribution(donor, 5000, booking_date=date(LAST, 4, 1))
    make_contribution(donor, 2500, booking_date=date(THIS, 1, 4))  # other year
    item = items(LAST)["receipts"]
    assert item.state == State.WARNING
    assert figures(item)["Ohne Bestätigung"] == 1
    assert figures(item)["Summe ohne Bestätigung"] == 5000
    with pytest.raises(ValidationError, match="Bitte bestätigen Sie") as refused:
        close_year(LAST, None)
    assert refused.value.field == "confirm"
    db.session.rollback()
    assert db.session.get(ClosedYear, LAST) is None
    close_year(LAST, None, confirm_warnings=True)
    db.session.commit()
    saved = json.loads(db.session.get(ClosedYear, LAST).checklist_json)
    states = {i["key"]: i["state"] for i in saved["items"]}
    assert states["receipts"] == "warning"


def test_open_claims_are_carried_over_with_count_and_sum(db):
    member = make_member(start_date=date(PREV, 1, 1))
    make_claim(member, LAST)
    other = make_member(start_date=date(PREV, 1, 1))
    claim = make_claim(other, LAST)
    record_booking(
        booking_date=date(LAST, 3, 1),
        account_id=by_code(Account, "bank").id,
        amount_cents=1000,
        lines=[
            LineInput(
                by_code(Category, "dues").id,
                by_code(Fund, "general").id,
                1000,
                dues_claim_id=claim.id,
            )
        ],
        actor=None,
        person_id=other.id,
    )
    make_claim(make_member(start_date=date(PREV, 1, 1)), THIS)  # this year's: not counted
    item = items(LAST)["claims"]
    assert item.state == State.INFO
    assert "werden ins Folgejahr übernommen" in item.text
    assert figures(item) == {"Forderungen": 2, "Offen": 6200}


def test_direct_debits_no_statement_has_shown_are_a_hint(db):
    member = make_member(start_date=date(PREV, 1, 1))
    claim = make_claim(member, LAST)
    debit = make_debit(claim, member)
    debit.collection.collection_date = date(LAST, 3, 1)
    db.session.commit()
    item = items(LAST)["debits"]
    assert item.state == State.WARNING
    assert figures(item) == {"Lastschriften": 1, "Summe": 3600}


def _books():
    """Bookings over three years on two accounts and two funds."""
    project = create_fund(code="garten", name="Schulgarten", earmarked=True, actor=None)
    make_booking(10000, booking_date=date(PREV, 2, 1))
    make_booking(2500, booking_date=date(LAST, 3, 1))
    make_booking(700, account="cash", booking_date=date(LAST, 12, 31))
    make_booking(3000, fund="garten", booking_date=date(LAST, 7, 1))
    make_booking(-450, category="bank_fees", booking_date=date(LAST, 8, 1))
    make_booking(111, booking_date=date(THIS, 1, 1))  # the open year: in no closed balance
    return project


def test_closing_stores_exact_opening_and_closing_balances_per_account_and_fund(db, users):
    _books()
    close_year(PREV, users["treasurer"], note="Kassenprüfung am 3.2.", confirm_warnings=True)
    close_year(LAST, users["treasurer"], confirm_warnings=True)
    db.session.commit()
    assert stored(PREV)[("account", "bank")] == (0, 10000)
    assert stored(LAST) == {
        ("account", "bank"): (10000, 15050),
        ("account", "cash"): (0, 700),
        ("account", "stripe"): (0, 0),
        ("fund", "general"): (10000, 12750),
        ("fund", "garten"): (0, 3000),
    }
    closed = db.session.get(ClosedYear, PREV)
    assert closed.note == "Kassenprüfung am 3.2."
    assert closed.closed_by_id == users["treasurer"].id
    entry = db.session.execute(
        select(AuditEntry).filter_by(action="closing.closed", target_id=LAST)
    ).scalar_one()
    assert entry.target_type == "ClosedYear"
    assert entry.actor_id == users["treasurer"].id
    assert entry.data["accounts"][str(by_code(Account, "bank").id)] == [10000, 15050]


def test_carried_balances_are_the_closing_of_the_year_before_and_agree_with_the_books(db):
    _books()
    close_year(PREV, None, confirm_warnings=True)
    close_year(LAST, None, confirm_warnings=True)
    db.session.commit()
    carry = carried_balances(THIS)
    assert carry.from_closed_year
    assert carry.consistent
    accounts = {row.name: (row.stored_cents, row.books_cents) for row in carry.accounts}
    assert accounts["Bank (Girokonto)"] == (15050, 15050)
    assert accounts["Kasse"] == (700, 700)
    funds = {row.name: row.opening_cents for row in carry.funds}
    assert funds["Schulgarten"] == 3000
    assert carry.account_total == 15750
    assert carry.fund_total == 15750
    # a year whose predecessor is open: provisional, from the books
    provisional = carried_balances(LAST)
    assert provisional.from_closed_year  # PREV is closed
    open_one = carried_balances(PREV)
    assert not open_one.from_closed_year
    assert all(row.stored_cents is None for row in open_one.accounts)


def test_after_closing_nothing_can_be_booked_or_reversed_into_the_year(db):
    booking = make_booking(2500, booking_date=date(LAST, 3, 1))
    close_year(LAST, None, confirm_warnings=True)
    db.session.commit()
    before = db.session.execute(select(func.count(Booking.id))).scalar_one()
    with pytest.raises(ClosedPeriodError) as refused:
        make_booking(100, booking_date=date(LAST, 12, 31))
    assert refused.value.message == CLOSED_MESSAGE
    assert refused.value.field == "booking_date"
    db.session.rollback()
    with pytest.raises(ClosedPeriodError, match=f"Das Jahr {LAST} ist abgeschlossen"):
        reverse_booking(booking, "Fehlbuchung", actor=None, reversal_date=date(LAST, 12, 1))
    db.session.rollback()
    spec = BookingSpec(
        date(LAST, 6, 1),
        by_code(Account, "bank").id,
        100,
        [LineInput(by_code(Category, "donation").id, by_code(Fund, "general").id, 100)],
    )
    with pytest.raises(ClosedPeriodError, match=f"Buchung 1: Das Jahr {LAST} ist abgeschlossen"):
        record_bookings([spec], actor=None)
    db.session.rollback()
    # a year before the first closed one is locked too (it would change the carried balances)
    with pytest.raises(ClosedPeriodError, match=f"Das Jahr {PREV} ist abgeschlossen"):
        make_booking(100, booking_date=date(PREV, 6, 1))
    db.session.rollback()
    assert db.session.execute(select(func.count(Booking.id))).scalar_one() == before
    # the open year takes the correction
    assert make_booking(-100, booking_date=date(THIS, 1, 2)).amount_cents == -100
    reversal = reverse_booking(booking, "Fehlbuchung", actor=None, reversal_date=date(THIS, 1, 3))
    assert reversal.amount_cents == -2500


def test_a_year_is_closed_once(db):
    close_year(LAST, None, confirm_warnings=True)
    db.session.commit()
    with pytest.raises(DomainError, match=f"Das Jahr {LAST} ist bereits abgeschlossen"):
        close_year(LAST, None, confirm_warnings=True)
    db.session.rollback()
    assert closed_count(db) == 1


@pytest.mark.parametrize("year", [1989, 10000, "2024", True])
def test_an_impossible_year_is_refused(db, year):
    with pytest.raises(ValidationError):
        close_year(year, None, confirm_warnings=True)
    db.session.rollback()
    assert closed_count(db) == 0


def test_a_too_long_note_is_refused(db):
    with pytest.raises(ValidationError, match="Bemerkung ist zu lang") as refused:
        close_year(LAST, None, note="x" * 2001, confirm_warnings=True)
    assert refused.value.field == "note"
    db.session.rollback()
    assert closed_count(db) == 0
