"""Ledger verbs: record a booking, reverse it, create a person. They flush, never commit."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from supportclub import audit
from supportclub.clock import today
from supportclub.errors import ClosedPeriodError, DomainError, ValidationError
from supportclub.extensions import db
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    Channel,
    ClosedYear,
    Fund,
    Person,
    PersonKind,
)

MAX_DAYS_AHEAD = 31
EARLIEST_DATE = date(1990, 1, 1)


@dataclass(frozen=True)
class LineInput:
    """One requested booking line: category, fund and signed amount in cents."""

    category_id: int
    fund_id: int
    amount_cents: int
    text: str = ""


def general_fund() -> Fund:
    """The free general fund (it exists from the first migration on)."""
    return db.session.execute(select(Fund).filter_by(code=Fund.GENERAL)).scalar_one()


def check_booking_date(booking_date: date) -> None:
    """Refuse dates far in the future, implausibly old, or inside a closed year."""
    if booking_date > today() + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(
            f"Das Datum liegt zu weit in der Zukunft (höchstens {MAX_DAYS_AHEAD} Tage ab heute).",
            field="booking_date",
        )
    if booking_date < EARLIEST_DATE:
        raise ValidationError("Das Datum ist zu weit in der Vergangenheit.", field="booking_date")
    if db.session.get(ClosedYear, booking_date.year) is not None:
        raise ClosedPeriodError(
            f"Das Jahr {booking_date.year} ist abgeschlossen (festgeschrieben); "
            "darin kann nicht mehr gebucht werden.",
            field="booking_date",
        )


def _active(model, obj_id: int | None, what: str, field: str):
    """Load an active account/fund/category by id or refuse with a message."""
    obj = db.session.get(model, obj_id) if obj_id is not None else None
    if obj is None or not obj.is_active:
        raise ValidationError(f"{what} ist unbekannt oder nicht mehr aktiv.", field=field)
    return obj


def record_booking(
    *,
    booking_date: date,
    account_id: int | None,
    amount_cents: int,
    lines: list[LineInput],
    actor,
    person_id: int | None = None,
    text: str = "",
    channel: Channel = Channel.MANUAL,
    external_ref: str | None = None,
) -> Booking:
    """Record one booking with its lines after checking every ledger rule."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise TypeError("amount_cents must be int")
    check_booking_date(booking_date)
    account = None
    if account_id is not None:
        account = _active(Account, account_id, "Das Konto", "account_id")
        if amount_cents == 0:
            raise ValidationError("Der Betrag muss größer als 0 sein.", field="amount")
    elif amount_cents != 0:
        raise ValidationError("Bitte ein Konto wählen.", field="account_id")
    if not lines:
        raise ValidationError("Eine Buchung braucht mindestens eine Position.", field="lines")
    for index, line in enumerate(lines):
        _active(Category, line.category_id, f"Die Kategorie (Position {index + 1})", "lines")
        _active(Fund, line.fund_id, f"Der Fonds (Position {index + 1})", "lines")
        if line.amount_cents == 0:
            raise ValidationError(f"Position {index + 1} hat den Betrag 0.", field="lines")
    total = sum(line.amount_cents for line in lines)
    if total != amount_cents:
        from supportclub.money import format_cents

        raise ValidationError(
            f"Die Positionen ergeben {format_cents(total)}, die Buchung beträgt "
            f"{format_cents(amount_cents)}. Differenz: {format_cents(amount_cents - total)}.",
            field="lines",
        )
    person = None
    if person_id is not None:
        person = db.session.get(Person, person_id)
        if person is None:
            raise ValidationError("Die Person ist unbekannt.", field="person")
    if external_ref:
        exists = db.session.execute(
            select(Booking.id).filter_by(channel=channel, external_ref=external_ref)
        ).first()
        if exists:
            raise DomainError(
                f"Dieser Vorgang ({external_ref}) ist bereits gebucht (Buchung {exists[0]})."
            )

    booking = Booking(
        booking_date=booking_date,
        account=account,
        amount_cents=amount_cents,
        person=person,
        text=text.strip(),
        channel=channel,
        external_ref=external_ref or None,
        created_by_id=getattr(actor, "id", None),
    )
    for line in lines:
        booking.lines.append(
            BookingLine(
                category_id=line.category_id,
                fund_id=line.fund_id,
                amount_cents=line.amount_cents,
                text=line.text.strip(),
            )
        )
    db.session.add(booking)
    db.session.flush()
    audit.record(actor, "bookings.recorded", booking, _booking_data(booking))
    return booking


def reverse_booking(
    booking: Booking, reason: str, *, actor, reversal_date: date | None = None
) -> Booking:
    """Cancel a booking by a reversal (Storno) that negates it and links to it."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError("Bitte einen Grund für die Stornierung angeben.", field="reason")
    # Lock the original so two treasurers cannot reverse it at the same moment.
    locked = db.session.execute(
        select(Booking).where(Booking.id == booking.id).with_for_update()
    ).scalar_one()
    if locked.reversal_of_id is not None:
        raise DomainError("Eine Stornobuchung kann nicht storniert werden.")
    already = db.session.execute(
        select(Booking.id).where(Booking.reversal_of_id == locked.id)
    ).scalar_one_or_none()
    if already is not None:
        raise DomainError(f"Diese Buchung wurde bereits storniert (Buchung {already}).")
    reversal_date = reversal_date or today()
    if reversal_date < locked.booking_date:
        raise ValidationError(
            "Das Stornodatum darf nicht vor dem Datum der Buchung liegen.", field="reversal_date"
        )
    check_booking_date(reversal_date)
    reversal = Booking(
        booking_date=reversal_date,
        account_id=locked.account_id,
        amount_cents=-locked.amount_cents,
        person_id=locked.person_id,
        text=f"Storno von Buchung {locked.id}: {locked.text}"[:500],
        channel=locked.channel,
        external_ref=None,
        reversal_of_id=locked.id,
        reversal_reason=reason,
        created_by_id=getattr(actor, "id", None),
    )
    for line in locked.lines:
        reversal.lines.append(
            BookingLine(
                category_id=line.category_id,
                fund_id=line.fund_id,
                amount_cents=-line.amount_cents,
                text=line.text,
            )
        )
    db.session.add(reversal)
    db.session.flush()
    audit.record(
        actor,
        "bookings.reversed",
        locked,
        {"reason": reason, "reversal_id": reversal.id, "amount_cents": locked.amount_cents},
    )
    return reversal


def create_person(
    *,
    actor,
    last_name: str,
    first_name: str = "",
    kind: PersonKind = PersonKind.PRIVATE,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    email: str | None = None,
) -> Person:
    """Create a person (private or organisation) with a postal address."""
    last_name = (last_name or "").strip()
    if not last_name:
        raise ValidationError(
            "Bitte einen Namen angeben (Nachname oder Name der Organisation).", field="last_name"
        )
    email = (email or "").strip().lower() or None
    person = Person(
        kind=kind,
        first_name=(first_name or "").strip(),
        last_name=last_name,
        street=(street or "").strip(),
        postal_code=(postal_code or "").strip(),
        city=(city or "").strip(),
        email=email,
    )
    db.session.add(person)
    db.session.flush()
    audit.record(actor, "persons.created", person, {"name": person.display_name})
    return person


def find_persons(query: str, limit: int = 20) -> list[Person]:
    """Persons whose name, city or e-mail contains `query` (case-insensitive)."""
    query = (query or "").strip()
    if not query:
        return []
    if query.isdigit():
        person = db.session.get(Person, int(query))
        return [person] if person else []
    pattern = f"%{query.lower()}%"
    full = func.lower(Person.first_name + " " + Person.last_name)
    rows = db.session.execute(
        select(Person)
        .where(
            (func.lower(Person.last_name).like(pattern))
            | (full.like(pattern))
            | (func.lower(Person.city).like(pattern))
            | (func.lower(func.coalesce(Person.email, "")).like(pattern))
        )
        .order_by(Person.last_name, Person.first_name, Person.id)
        .limit(limit)
    )
    return list(rows.scalars())


def _booking_data(booking: Booking) -> dict:
    """What an audit entry keeps of a booking."""
    return {
        "booking_date": booking.booking_date,
        "account_id": booking.account_id,
        "amount_cents": booking.amount_cents,
        "person_id": booking.person_id,
        "text": booking.text,
        "channel": booking.channel,
        "external_ref": booking.external_ref,
        "lines": [
            {
                "category_id": line.category_id,
                "fund_id": line.fund_id,
                "amount_cents": line.amount_cents,
            }
            for line in booking.lines
        ],
    }


def create_fund(*, code: str, name: str, earmarked: bool, actor) -> Fund:
    """Create a fund (an earmarked one per project, for example)."""
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not code or not name:
        raise ValidationError("Bitte Kürzel und Namen des Fonds angeben.", field="name")
    if db.session.execute(select(Fund.id).filter_by(code=code)).first():
        raise ValidationError(f"Einen Fonds mit dem Kürzel {code} gibt es schon.", field="code")
    fund = Fund(code=code, name=name, is_earmarked=earmarked)
    db.session.add(fund)
    db.session.flush()
    audit.record(actor, "funds.created", fund, {"code": code, "name": name, "earmarked": earmarked})
    return fund
