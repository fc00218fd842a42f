"""Returned direct debits (Rücklastschrift): the claim opens again, the bank fee is booked."""

import pytest
from sqlalchemy import select

from supportclub.banking.confirm import confirm_lines
from supportclub.banking.models import DirectDebit, LineState, MatchKind
from supportclub.dues.models import ClaimStatus
from supportclub.dues.queries import claims_by_id
from supportclub.extensions import db
from supportclub.ledger.models import Booking, Category
from tests.banking.line_factory import make_debit, make_line, suggest
from tests.factories import by_code, make_claim, make_member


@pytest.fixture
def debit(app):
    person = make_member()
    claim = make_claim(person, 2025)
    return make_debit(claim, person)


def _lines(debit, fee=300, code="MD06"):
    person = debit.person
    credit = make_line(3600, suggestion=suggest(MatchKind.COLLECTION, person, debit_id=debit.id))
    returned = make_line(
        -3600 - fee,
        bank_fee_cents=fee,
        return_reason=code,
        suggestion=suggest(MatchKind.RETURN, person, debit_id=debit.id),
    )
    return credit, returned


def _open(debit):
    (row,) = claims_by_id([debit.claim_id])
    return row


def test_return_reopens_claim_and_books_fee(debit, users):
    credit, returned = _lines(debit)
    assert confirm_lines([credit], actor=users["treasurer"]).booked == 1
    assert _open(debit).status == ClaimStatus.PAID
    result = confirm_lines([returned], actor=users["treasurer"])
    assert (result.booked, result.skipped) == (1, [])
    row = _open(debit)
    assert row.open_cents == 3600 and row.paid_cents == 0 and row.status == ClaimStatus.OPEN
    booking = db.session.get(Booking, returned.booking_id)
    assert booking.amount_cents == -3900
    dues, fee = booking.lines
    assert (dues.amount_cents, dues.dues_claim_id) == (-3600, debit.claim_id)
    assert "Rücklastschrift Beitrag 2025" in dues.text
    assert "MD06: Rückgabe auf Verlangen des Zahlungspflichtigen (Widerspruch)" in dues.text
    assert (fee.amount_cents, fee.category_id) == (-300, by_code(Category, "bank_fees").id)
    assert db.session.get(DirectDebit, debit.id).returned_line_id == returned.id
    # a second confirmation changes nothing
    again = confirm_lines([returned], actor=users["treasurer"])
    assert again.booked == 0 and _open(debit).open_cents == 3600


def test_return_without_fee(debit, users):
    credit, returned = _lines(debit, fee=0, code="AC04")
    confirm_lines([credit], actor=users["treasurer"])
    confirm_lines([returned], actor=users["treasurer"])
    (dues,) = db.session.get(Booking, returned.booking_id).lines
    assert dues.amount_cents == -3600 and "AC04: Konto erloschen" in dues.text


def test_return_before_the_collection_credit_is_skipped(debit, users):
    _credit, returned = _lines(debit)
    result = confirm_lines([returned], actor=users["treasurer"])
    assert result.booked == 0
    ((line, reason),) = result.skipped
    assert line.id == returned.id and "noch nicht gebucht" in reason
    assert returned.state == LineState.OPEN


def test_credit_and_return_in_one_batch(debit, users):
    credit, returned = _lines(debit)
    result = confirm_lines([returned, credit], actor=users["treasurer"])
    assert result.booked == 2
    assert _open(debit).open_cents == 3600
    stored = db.session.execute(select(DirectDebit).filter_by(id=debit.id)).scalar_one()
    assert (stored.paid_line_id, stored.returned_line_id) == (credit.id, returned.id)
