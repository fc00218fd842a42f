"""What a member may see of the books: their own payments, and of a payer's booking only the
lines that settle the member's claims."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from supportclub.dues.queries import MemberAccount, claims_of_person
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, BookingLine


@dataclass(frozen=True)
class PaymentRow:
    """A booking as the member sees it in their account."""

    booking: Booking
    amount_cents: int
    text: str
    own: bool  # the member is the booking's counterparty (else: someone paid their dues)


def _paid_by(booking: Booking) -> str:
    """ "Zahlung von Max Muster" for a booking another person made."""
    if booking.person is None:
        return _("Zahlung")
    return _("Zahlung von %(name)s", name=booking.person.full_name)


def payment_rows(person_id: int, account: MemberAccount) -> list[PaymentRow]:
    """The account's bookings; of another person's booking only the share for these claims."""
    claim_ids = [row.claim.id for row in account.claims]
    foreign = [b.id for b in account.payments if b.person_id != person_id]
    shares: dict[int, int] = defaultdict(int)
    if foreign and claim_ids:
        query = (
            select(BookingLine.booking_id, func.sum(BookingLine.amount_cents))
            .where(BookingLine.booking_id.in_(foreign), BookingLine.dues_claim_id.in_(claim_ids))
            .group_by(BookingLine.booking_id)
        )
        shares.update({booking_id: cents for booking_id, cents in db.session.execute(query)})
    result = []
    for booking in account.payments:
        if booking.person_id == person_id:
            result.append(PaymentRow(booking, booking.amount_cents, booking.text, True))
        else:
            result.append(PaymentRow(booking, shares[booking.id], _paid_by(booking), False))
    return result


def visible_lines(person_id: int, booking: Booking) -> list[BookingLine]:
    """The lines of `booking` the member may see (empty: the booking is none of theirs)."""
    if booking.person_id == person_id:
        return list(booking.lines)
    claim_ids = {row.claim.id for row in claims_of_person(person_id)}
    return [line for line in booking.lines if line.dues_claim_id in claim_ids]
