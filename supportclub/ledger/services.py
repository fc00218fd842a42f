"""Ledger verbs: record a booking, reverse it, create a person. They flush, never commit."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from supportclub import audit
from supportclub.clock import today
from supportclub.errors import ClosedPeriodError, DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import N_, _
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
from supportclub.money import MAX_CENTS, format_cents

MAX_DAYS_AHEAD = 31
EARLIEST_DATE = date(1990, 1, 1)


@dataclass(frozen=True)
class LineInput:
    """One requested booking line: category, fund and signed amount in cents."""

    category_id: int
    fund_id: int
    amount_cents: int
    text: str = ""
    dues_claim_id: int | None = None
    campaign_id: int | None = None
    project_id: int | None = None
    quantity: int | None = None
    unit_price_cents: int | None = None


def general_fund() -> Fund:
    """The free general fund (it exists from the first migration on)."""
    return db.session.execute(select(Fund).filter_by(code=Fund.GENERAL)).scalar_one()


def closed_years(years: set[int]) -> set[int]:
    """Which of `years` are closed: festgeschrieben, or before the latest closed year (closing
    goes in order, so those are closed or have no bookings and must keep none).

    Takes the shared closing lock of each year first (closing.locks), so a closing that is
    running is waited for and its committed ClosedYear is seen."""
    if not years:
        return set()
    from supportclub.closing.locks import lock_years_shared

    lock_years_shared(years)
    latest = db.session.execute(select(func.max(ClosedYear.year))).scalar()
    if latest is None:
        return set()
    return {year for year in years if year <= latest}


def check_booking_date(booking_date: date) -> None:
    """Refuse dates far in the future, implausibly old, or inside a closed year."""
    problem = booking_date_problem(booking_date, closed_years({booking_date.year}))
    if problem is not None:
        exc_class, message = problem
        raise exc_class(message, field="booking_date")


def booking_date_problem(booking_date: date, closed: set[int]) -> tuple[type, str] | None:
    """What check_booking_date would refuse for `booking_date` (closed years given), or None."""
    if booking_date > today() + timedelta(days=MAX_DAYS_AHEAD):
        message = _(
            "Das Datum liegt zu weit in der Zukunft (höchstens %(days)s Tage ab heute).",
            days=MAX_DAYS_AHEAD,
        )
        return ValidationError, message
    if booking_date < EARLIEST_DATE:
        return ValidationError, _("Das Datum ist zu weit in der Vergangenheit.")
    if booking_date.year in closed:
        message = _(
            "Das Jahr %(year)s ist abgeschlossen (festgeschrieben); "
            "darin kann nicht mehr gebucht werden.",
            year=booking_date.year,
        )
        return ClosedPeriodError, message
    return None


def bookable_date(preferred: date) -> date:
    """`preferred` when a booking may be dated there, else today (money that arrives by itself,
    e.g. through Stripe, is booked even when its own day lies in a closed year)."""
    try:
        check_booking_date(preferred)
    except DomainError:
        return today()
    return preferred


def _active(model, obj_id: int | None, field: str, message: str, **values):
    """Load an active account/fund/category by id or refuse with `message` (a msgid)."""
    obj = db.session.get(model, obj_id) if obj_id is not None else None
    if obj is None or not obj.is_active:
        raise ValidationError(_(message, **values), field=field)
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
    if any(abs(cents) > MAX_CENTS for cents in (amount_cents, *(x.amount_cents for x in lines))):
        raise ValidationError(
            _("Der Betrag ist zu hoch (höchstens %(amount)s).", amount=format_cents(MAX_CENTS)),
            field="amount",
        )
    check_booking_date(booking_date)
    account = None
    if account_id is not None:
        account = _active(
            Account, account_id, "account_id", N_("Das Konto ist unbekannt oder nicht mehr aktiv.")
        )
        if amount_cents == 0:
            raise ValidationError(_("Der Betrag muss größer als 0 sein."), field="amount")
    elif amount_cents != 0:
        raise ValidationError(_("Bitte ein Konto wählen."), field="account_id")
    if not lines:
        raise ValidationError(_("Eine Buchung braucht mindestens eine Position."), field="lines")
    for number, line in enumerate(lines, start=1):
        _active(
            Category,
            line.category_id,
            "lines",
            N_("Die Kategorie (Position %(number)s) ist unbekannt oder nicht mehr aktiv."),
            number=number,
        )
        _active(
            Fund,
            line.fund_id,
            "lines",
            N_("Der Fonds (Position %(number)s) ist unbekannt oder nicht mehr aktiv."),
            number=number,
        )
        if line.amount_cents == 0:
            raise ValidationError(
                _("Position %(number)s hat den Betrag 0.", number=number), field="lines"
            )
        _check_line_links(line, number)
    total = sum(line.amount_cents for line in lines)
    if total != amount_cents:
        raise ValidationError(
            _(
                "Die Positionen ergeben %(total)s, die Buchung beträgt %(amount)s. "
                "Differenz: %(difference)s.",
                total=format_cents(total),
                amount=format_cents(amount_cents),
                difference=format_cents(amount_cents - total),
            ),
            field="lines",
        )
    person = None
    if person_id is not None:
        person = db.session.get(Person, person_id)
        if person is None:
            raise ValidationError(_("Die Person ist unbekannt."), field="person")
    if external_ref:
        _refuse_booked_reference(channel, external_ref)

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
                dues_claim_id=line.dues_claim_id,
                campaign_id=line.campaign_id,
                project_id=line.project_id,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
            )
        )
    if external_ref:
        _insert_referenced(booking)
    else:
        db.session.add(booking)
        db.session.flush()
    audit.record(actor, "bookings.recorded", booking, _booking_data(booking))
    return booking


def _refuse_booked_reference(channel: Channel, external_ref: str) -> None:
    """Refuse a reference (bank entry, Stripe id) that is already booked on its channel."""
    exists = db.session.execute(
        select(Booking.id).filter_by(channel=channel, external_ref=external_ref)
    ).first()
    if exists:
        raise DomainError(
            _(
                "Dieser Vorgang (%(reference)s) ist bereits gebucht (Buchung %(booking)s).",
                reference=external_ref,
                booking=exists[0],
            )
        )


def _insert_referenced(booking: Booking) -> None:
    """Insert a booking with an external reference; a concurrent booking of the same reference
    (it passed the check above at the same moment) gets the same message, not a database error.
    """
    db.session.flush()  # what the caller has pending goes in first, outside the savepoint
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except IntegrityError:
        # the unique (channel, external_ref) waited for the other transaction's commit
        _refuse_booked_reference(booking.channel, booking.external_ref)
        raise


def reverse_booking(
    booking: Booking, reason: str, *, actor, reversal_date: date | None = None
) -> Booking:
    """Cancel a booking by a reversal (Storno) that negates it and links to it."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError(_("Bitte einen Grund für die Stornierung angeben."), field="reason")
    # Lock the original so two treasurers cannot reverse it at the same moment.
    locked = db.session.execute(
        select(Booking).where(Booking.id == booking.id).with_for_update()
    ).scalar_one()
    if locked.reversal_of_id is not None:
        raise DomainError(_("Eine Stornobuchung kann nicht storniert werden."))
    already = db.session.execute(
        select(Booking.id).where(Booking.reversal_of_id == locked.id)
    ).scalar_one_or_none()
    if already is not None:
        raise DomainError(
            _("Diese Buchung wurde bereits storniert (Buchung %(booking)s).", booking=already)
        )
    reversal_date = reversal_date or today()
    if reversal_date < locked.booking_date:
        raise ValidationError(
            _("Das Stornodatum darf nicht vor dem Datum der Buchung liegen."),
            field="reversal_date",
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
                # a reversed dues payment reopens its claim; campaign results, project
                # payouts and units sold net out
                dues_claim_id=line.dues_claim_id,
                campaign_id=line.campaign_id,
                project_id=line.project_id,
                quantity=-line.quantity if line.quantity is not None else None,
                unit_price_cents=line.unit_price_cents,
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
            _("Bitte einen Namen angeben (Nachname oder Name der Organisation)."),
            field="last_name",
        )
    from supportclub.members.validation import normalize_email

    email = normalize_email(email)  # refuses a malformed address at the field
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
    """Persons whose name, city or e-mail contains `query` (case-insensitive); locked persons
    (erased, kept for tax law only) are never found."""
    query = (query or "").strip()
    if not query:
        return []
    if query.isdigit():
        if int(query) > 2**31 - 1:
            return []
        person = db.session.get(Person, int(query))
        return [person] if person and person.locked_at is None else []
    pattern = f"%{query.lower()}%"
    full = func.lower(Person.first_name + " " + Person.last_name)
    rows = db.session.execute(
        select(Person)
        .where(Person.locked_at.is_(None))
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


LINK_FIELDS = ("dues_claim_id", "campaign_id", "project_id", "quantity", "unit_price_cents")


def _check_line_links(line: LineInput, number: int) -> None:
    """Refuse a line whose campaign or project is unknown, or whose units do not add up."""
    from supportclub.campaigns.models import Campaign
    from supportclub.projects.models import Project

    if line.campaign_id is not None and db.session.get(Campaign, line.campaign_id) is None:
        raise ValidationError(
            _("Die Aktion (Position %(number)s) ist unbekannt.", number=number), field="lines"
        )
    if line.project_id is not None and db.session.get(Project, line.project_id) is None:
        raise ValidationError(
            _("Das Projekt (Position %(number)s) ist unbekannt.", number=number), field="lines"
        )
    problem = units_problem(line, number)
    if problem is not None:
        raise ValidationError(problem, field="lines")


def units_problem(line: LineInput, number: int) -> str | None:
    """What is wrong with a line's units (quantity × unit price), or None."""
    if (line.quantity is None) != (line.unit_price_cents is None):
        return _("Position %(number)s: Bitte Stückzahl und Stückpreis angeben.", number=number)
    if line.quantity is None:
        return None
    if line.quantity <= 0 or line.unit_price_cents <= 0:
        return _(
            "Position %(number)s: Stückzahl und Stückpreis müssen größer als 0 sein.",
            number=number,
        )
    if line.quantity * line.unit_price_cents != line.amount_cents:
        return _(
            "Position %(number)s: %(quantity)s × %(price)s ergibt %(total)s, nicht %(amount)s.",
            number=number,
            quantity=line.quantity,
            price=format_cents(line.unit_price_cents),
            total=format_cents(line.quantity * line.unit_price_cents),
            amount=format_cents(line.amount_cents),
        )
    return None


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
                **{
                    key: getattr(line, key) for key in LINK_FIELDS if getattr(line, key) is not None
                },
            }
            for line in booking.lines
        ],
    }


def create_fund(*, code: str, name: str, earmarked: bool, actor) -> Fund:
    """Create a fund (an earmarked one per project, for example)."""
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not code or not name:
        raise ValidationError(_("Bitte Kürzel und Namen des Fonds angeben."), field="name")
    if db.session.execute(select(Fund.id).filter_by(code=code)).first():
        raise ValidationError(
            _("Einen Fonds mit dem Kürzel %(code)s gibt es schon.", code=code), field="code"
        )
    fund = Fund(code=code, name=name, is_earmarked=earmarked)
    db.session.add(fund)
    db.session.flush()
    audit.record(actor, "funds.created", fund, {"code": code, "name": name, "earmarked": earmarked})
    return fund
