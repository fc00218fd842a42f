"""A former member with everything the privacy tests look at: a membership that ended in
2024 with a mandate, the 2024 claim paid by bank, a donation, a receipt, a known IBAN, a login
with a reset link, a phone number."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import event, func, select

from supportclub.auth.models import User
from supportclub.auth.tokens import RESET, issue_token
from supportclub.banking.models import KnownIban
from supportclub.dues.payments import Allocation, record_payment
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, BookingLine, Person
from supportclub.members.services import leave, set_mandate
from supportclub.receipts import services as receipts
from tests.factories import (
    by_code,
    donation_line,
    make_claim,
    make_contribution,
    make_member,
    make_receipt_settings,
    make_user,
    membership_of,
)

IBAN = "DE02120300000000202051"
KNOWN_IBAN = "DE02500105170137075030"


@dataclass
class Former:
    """The former member and what was made for them."""

    person: Person
    user: User
    claim_id: int
    dues_booking_id: int
    donation_booking_id: int
    receipt_number: str


def former_member(
    *,
    first_name="Erika",
    last_name="Ehemalig",
    end=date(2024, 12, 31),
    login=True,
    receipt=True,
) -> Former:
    """Erika: member 2020–2024 with mandate M-<FIRST NAME>-1 (signed 2020), 2024 dues 36 € paid on
    2024-03-01, a 50 € donation on 2024-06-01 with its receipt (issued today, 2026), a known
    IBAN, phone, login."""
    make_receipt_settings()
    email = f"{first_name.lower()}@example.org"
    person = make_member(
        first_name=first_name, last_name=last_name, start_date=date(2020, 1, 1), email=email
    )
    person.phone = "03641 123456"
    person.iban = IBAN
    membership = membership_of(person)
    set_mandate(
        membership,
        reference=f"M-{first_name.upper()}-1",
        signed_on=date(2020, 1, 2),
        iban=IBAN,
        actor=None,
    )
    claim = make_claim(person, 2024)
    dues = record_payment(
        person_id=person.id,
        booking_date=date(2024, 3, 1),
        account_id=by_code(Account, "bank").id,
        amount_cents=3600,
        allocations=[Allocation(claim.id, 3600)],
        actor=None,
        text="Beitrag 2024",
    )
    leave(membership, end_date=end, actor=None, reason="Umzug nach Hamburg")
    donation = make_contribution(person, 5000, booking_date=date(2024, 6, 1))
    number = ""
    if receipt:
        number = receipts.issue_single(donation_line(donation).id, actor=None).number
    db.session.add(KnownIban(iban=KNOWN_IBAN, person_id=person.id))
    user = None
    if login:
        user = make_user(
            role="member", email=f"{first_name.lower()}@example.org", person_id=person.id
        )
        issue_token(user, RESET)
    db.session.commit()
    return Former(person, user, claim.id, dues.id, donation.id, number)


def ledger_sums() -> tuple[int, int, int]:
    """(sum of booking amounts, sum of line amounts, number of lines): the books."""
    return (
        db.session.execute(select(func.coalesce(func.sum(Booking.amount_cents), 0))).scalar(),
        db.session.execute(select(func.coalesce(func.sum(BookingLine.amount_cents), 0))).scalar(),
        db.session.execute(select(func.count(BookingLine.id))).scalar(),
    )


@contextmanager
def statements():
    """Collect the SQL statements sent inside the block."""
    sent: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before)
