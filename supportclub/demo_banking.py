"""Demo banking: the creditor settings for direct debit, and last December's bank statement
imported and waiting in the review queue.

The statement holds every bank booking of that December (the matcher finds them already booked,
and the Stripe payout's bank side), plus what the books do not know yet: a late payer's dues with
the member number in the purpose, a donation from a stranger and a printer's invoice for the
christmas cards (a campaign cost the treasurer assigns). Nothing
is confirmed, so the treasurer can try "Umsätze prüfen" on real-looking data.
"""

from datetime import date

from sqlalchemy import func, select

from supportclub.admin.services import set_bank_iban
from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053
from supportclub.banking.imports import import_file
from supportclub.banking.settings import update_direct_debit_settings
from supportclub.dues.queries import OpenClaimsFilter, open_claims_select, rows
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, Person

CREDITOR_ID = "DE98ZZZ09999999999"  # the Bundesbank's example Gläubiger-ID


def _entry(booking: Booking, person: Person | None) -> dict:
    """A statement entry for a booking that is already in the books."""
    name = person.full_name if person else (booking.text or "Bank")
    return {
        "amount_cents": booking.amount_cents,
        "booking_date": booking.booking_date,
        "name": name[:70],
        "iban": person.iban if person and person.iban else None,
        "purpose": booking.text[:140],
        "text": "SEPA-GUTSCHRIFT" if booking.amount_cents > 0 else "SEPA-UEBERWEISUNG",
    }


def _late_payer(year: int) -> dict | None:
    """A member who still owes `year`'s dues pays them, with the member number in the purpose."""
    open_rows = rows(open_claims_select(OpenClaimsFilter(year=year)).limit(1))
    if not open_rows:
        return None
    row = open_rows[0]
    person = row.membership.paying_person
    return {
        "amount_cents": row.open_cents,
        "booking_date": date(year, 12, 29),
        "name": person.full_name,
        "purpose": f"Beitrag {year} Mitgliedsnummer {row.membership.person.member_number}",
    }


def record_bank_statement(year: int) -> int:
    """Settings for direct debit and December's statement of `year`; the number of lines."""
    set_bank_iban(ASSOCIATION_IBAN, actor=None)
    update_direct_debit_settings({"creditor_id": CREDITOR_ID}, actor=None)
    bank_id = db.session.execute(select(Account.id).filter_by(code="bank")).scalar_one()
    start, end = date(year, 12, 1), date(year, 12, 31)
    opening = db.session.execute(
        select(func.coalesce(func.sum(Booking.amount_cents), 0)).where(
            Booking.account_id == bank_id, Booking.booking_date < start
        )
    ).scalar_one()
    booked = db.session.execute(
        select(Booking, Person)
        .outerjoin(Person, Person.id == Booking.person_id)
        .where(Booking.account_id == bank_id, Booking.booking_date.between(start, end))
        .order_by(Booking.booking_date, Booking.id)
    ).all()
    entries = [_entry(booking, person) for booking, person in booked]
    late = _late_payer(year)
    if late:
        entries.append(late)
    entries.append(
        {
            "amount_cents": 5000,
            "booking_date": date(year, 12, 30),
            "name": "Familie Sommerfeld",
            "purpose": "Spende Weihnachtsbasar",
        }
    )
    entries.append(
        {
            "amount_cents": -14280,
            "booking_date": end,
            "name": "Druckerei Jena GmbH",
            "iban": "DE85760501010011223344",
            "purpose": f"Rechnung {year}-311 Nachdruck Weihnachtskarten",
            "text": "SEPA-UEBERWEISUNG",
        }
    )
    for number, entry in enumerate(entries, start=1):
        entry["ref"] = f"{year}12{number:06d}"
    data = camt053(entries, opening_cents=opening, start=start, end=end, statement_id=f"{year}-12")
    bank_import = import_file(data, f"kontoauszug-{year}-12.xml", actor=None)
    return bank_import.new_count
