"""Many bookings at once (a confirmed bank statement): the same rules as record_booking, checked
set-wise with a constant number of queries, then inserted in a few statements. It flushes the
session first and never commits; a refusal names the booking and inserts nothing.
"""

from collections import defaultdict
from dataclasses import dataclass, make_dataclass
from datetime import date

from sqlalchemy import insert, select

from supportclub import audit
from supportclub.chunks import chunked
from supportclub.clock import utcnow
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    Channel,
    Fund,
    Person,
)
from supportclub.ledger.services import (
    LINK_FIELDS,
    LineInput,
    booking_date_problem,
    closed_years,
    units_problem,
)
from supportclub.money import MAX_CENTS, format_cents

# what audit.record_many needs of a target: its class name and id (no ORM object per booking)
BookingRef = make_dataclass("Booking", [("id", int)])


@dataclass
class BookingSpec:
    """One booking to record, as record_booking's arguments."""

    booking_date: date
    account_id: int | None
    amount_cents: int
    lines: list[LineInput]
    person_id: int | None = None
    text: str = ""
    channel: Channel = Channel.BANK
    external_ref: str | None = None


def _label(spec: BookingSpec, position: int) -> str:
    """How a refusal names the booking: its position and text."""
    text = (spec.text or "").strip()
    if text:
        return _("Buchung %(number)s (%(text)s)", number=position, text=text[:80])
    return _("Buchung %(number)s", number=position)


def _refuse(exc_class, spec: BookingSpec, position: int, message: str, field: str | None):
    """The refusal record_booking would raise, prefixed with the booking it is about."""
    return exc_class(f"{_label(spec, position)}: {message}", field=field)


def _ids_present(column, ids: set[int]) -> set[int]:
    """Which of `ids` exist (chunked IN queries; a constant number for a given batch size)."""
    found: set[int] = set()
    for chunk in chunked(sorted(ids)):
        found.update(db.session.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def _active_ids(model, ids: set[int]) -> set[int]:
    """The active rows among `ids` (accounts, funds, categories: few, loaded at once)."""
    if not ids:
        return set()
    return set(
        db.session.execute(
            select(model.id).where(model.id.in_(sorted(ids)), model.is_active.is_(True))
        ).scalars()
    )


def _existing_refs(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(channel, external_ref) pairs already booked, with their booking id."""
    found: dict[tuple[str, str], int] = {}
    by_channel: dict[str, list[str]] = defaultdict(list)
    for channel, ref in pairs:
        by_channel[channel].append(ref)
    for channel, refs in by_channel.items():
        for chunk in chunked(sorted(refs)):
            rows = db.session.execute(
                select(Booking.external_ref, Booking.id).where(
                    Booking.channel == channel, Booking.external_ref.in_(chunk)
                )
            )
            for ref, booking_id in rows:
                found[(channel, ref)] = booking_id
    return found


class _Context:
    """Everything the checks need, loaded once for the whole batch."""

    def __init__(self, specs: list[BookingSpec]):
        lines = [line for spec in specs for line in spec.lines]
        self.accounts = _active_ids(
            Account, {s.account_id for s in specs if s.account_id is not None}
        )
        self.categories = _active_ids(Category, {x.category_id for x in lines})
        self.funds = _active_ids(Fund, {x.fund_id for x in lines})
        self.closed = closed_years({s.booking_date.year for s in specs})
        from supportclub.campaigns.models import Campaign
        from supportclub.projects.models import Project

        self.campaigns = _ids_present(
            Campaign.id, {x.campaign_id for x in lines if x.campaign_id is not None}
        )
        self.projects = _ids_present(
            Project.id, {x.project_id for x in lines if x.project_id is not None}
        )
        self.persons = _ids_present(
            Person.id, {s.person_id for s in specs if s.person_id is not None}
        )
        refs = {(Channel(s.channel).value, s.external_ref) for s in specs if s.external_ref}
        self.refs = _existing_refs(refs)


def _check_date(spec: BookingSpec, pos: int, ctx: "_Context") -> None:
    """check_booking_date, with the closed years loaded once."""
    problem = booking_date_problem(spec.booking_date, ctx.closed)
    if problem is not None:
        exc_class, message = problem
        raise _refuse(exc_class, spec, pos, message, "booking_date")


def _check_line(spec: BookingSpec, pos: int, line: LineInput, number: int, ctx: _Context) -> None:
    """The per-line rules of record_booking (category, fund, amount, links, units)."""

    def refuse(message: str):
        return _refuse(ValidationError, spec, pos, message, "lines")

    if line.category_id not in ctx.categories:
        raise refuse(
            _(
                "Die Kategorie (Position %(number)s) ist unbekannt oder nicht mehr aktiv.",
                number=number,
            )
        )
    if line.fund_id not in ctx.funds:
        raise refuse(
            _("Der Fonds (Position %(number)s) ist unbekannt oder nicht mehr aktiv.", number=number)
        )
    if line.amount_cents == 0:
        raise refuse(_("Position %(number)s hat den Betrag 0.", number=number))
    if line.campaign_id is not None and line.campaign_id not in ctx.campaigns:
        raise refuse(_("Die Aktion (Position %(number)s) ist unbekannt.", number=number))
    if line.project_id is not None and line.project_id not in ctx.projects:
        raise refuse(_("Das Projekt (Position %(number)s) ist unbekannt.", number=number))
    problem = units_problem(line, number)
    if problem is not None:
        raise refuse(problem)


def _check(spec: BookingSpec, pos: int, ctx: _Context, seen: dict) -> None:
    """Every rule of record_booking for one booking, in the same order."""
    amount = spec.amount_cents
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("amount_cents must be int")
    if any(abs(c) > MAX_CENTS for c in (amount, *(x.amount_cents for x in spec.lines))):
        message = _(
            "Der Betrag ist zu hoch (höchstens %(amount)s).", amount=format_cents(MAX_CENTS)
        )
        raise _refuse(ValidationError, spec, pos, message, "amount")
    _check_date(spec, pos, ctx)
    if spec.account_id is not None:
        if spec.account_id not in ctx.accounts:
            message = _("Das Konto ist unbekannt oder nicht mehr aktiv.")
            raise _refuse(ValidationError, spec, pos, message, "account_id")
        if amount == 0:
            raise _refuse(
                ValidationError, spec, pos, _("Der Betrag muss größer als 0 sein."), "amount"
            )
    elif amount != 0:
        raise _refuse(ValidationError, spec, pos, _("Bitte ein Konto wählen."), "account_id")
    if not spec.lines:
        message = _("Eine Buchung braucht mindestens eine Position.")
        raise _refuse(ValidationError, spec, pos, message, "lines")
    for number, line in enumerate(spec.lines, start=1):
        _check_line(spec, pos, line, number, ctx)
    total = sum(line.amount_cents for line in spec.lines)
    if total != amount:
        message = _(
            "Die Positionen ergeben %(total)s, die Buchung beträgt %(amount)s. "
            "Differenz: %(difference)s.",
            total=format_cents(total),
            amount=format_cents(amount),
            difference=format_cents(amount - total),
        )
        raise _refuse(ValidationError, spec, pos, message, "lines")
    if spec.person_id is not None and spec.person_id not in ctx.persons:
        raise _refuse(ValidationError, spec, pos, _("Die Person ist unbekannt."), "person")
    if spec.external_ref:
        key = (Channel(spec.channel).value, spec.external_ref)
        booking = ctx.refs.get(key)
        if booking is None and key in seen:
            # the same reference twice in the batch: the earlier one would be booked
            booking = _("Buchung %(number)s dieses Stapels", number=seen[key])
        if booking is not None:
            message = _(
                "Dieser Vorgang (%(reference)s) ist bereits gebucht (Buchung %(booking)s).",
                reference=spec.external_ref,
                booking=booking,
            )
            raise _refuse(DomainError, spec, pos, message, None)
        seen[key] = pos


def check_bookings(specs: list[BookingSpec]) -> None:
    """Refuse the batch (nothing written) if any booking breaks a ledger rule."""
    ctx = _Context(specs)
    seen: dict = {}
    for pos, spec in enumerate(specs, start=1):
        _check(spec, pos, ctx, seen)


def _line_row(booking_id: int, line: LineInput) -> dict:
    """An insert row of a booking line."""
    return {
        "booking_id": booking_id,
        "category_id": line.category_id,
        "fund_id": line.fund_id,
        "amount_cents": line.amount_cents,
        "text": (line.text or "").strip(),
        "dues_claim_id": line.dues_claim_id,
        "campaign_id": line.campaign_id,
        "project_id": line.project_id,
        "quantity": line.quantity,
        "unit_price_cents": line.unit_price_cents,
    }


def _audit_data(spec: BookingSpec) -> dict:
    """The same data as ledger.services._booking_data keeps of a booking."""
    return {
        "booking_date": spec.booking_date,
        "account_id": spec.account_id,
        "amount_cents": spec.amount_cents,
        "person_id": spec.person_id,
        "text": (spec.text or "").strip(),
        "channel": Channel(spec.channel),
        "external_ref": spec.external_ref or None,
        "lines": [
            {
                "category_id": line.category_id,
                "fund_id": line.fund_id,
                "amount_cents": line.amount_cents,
                **{k: getattr(line, k) for k in LINK_FIELDS if getattr(line, k) is not None},
            }
            for line in spec.lines
        ],
    }


def record_bookings(specs: list[BookingSpec], *, actor) -> list[int]:
    """Record many bookings after checking every ledger rule; their ids, in order."""
    specs = list(specs)
    if not specs:
        return []
    db.session.flush()  # pending ORM changes first: the checks and inserts must see them
    check_bookings(specs)
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    rows = [
        {
            "booking_date": spec.booking_date,
            "account_id": spec.account_id,
            "amount_cents": spec.amount_cents,
            "person_id": spec.person_id,
            "text": (spec.text or "").strip(),
            "channel": Channel(spec.channel),
            "external_ref": spec.external_ref or None,
            "created_at": now,
            "created_by_id": actor_id,
        }
        for spec in specs
    ]
    ids = list(
        db.session.scalars(
            insert(Booking).returning(Booking.id, sort_by_parameter_order=True), rows
        )
    )
    db.session.execute(
        insert(BookingLine),
        [
            _line_row(booking_id, line)
            for booking_id, spec in zip(ids, specs, strict=True)
            for line in spec.lines
        ],
    )
    audit.record_many(
        actor,
        [
            ("bookings.recorded", BookingRef(booking_id), _audit_data(spec))
            for booking_id, spec in zip(ids, specs, strict=True)
        ],
    )
    return ids
