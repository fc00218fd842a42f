"""Dues verbs: the yearly dues run, payments against claims, write-offs. They flush only."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import and_, insert, or_, select

from supportclub import audit
from supportclub.admin.models import AssociationSettings
from supportclub.admin.services import get_settings
from supportclub.clock import today
from supportclub.dues.models import ClaimWaiver, DuesClaim, DuesRun
from supportclub.dues.queries import ClaimRow, claim_due_default, claims_by_id, claims_of_person
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Category, Channel, Person
from supportclub.ledger.services import LineInput, general_fund, record_booking
from supportclub.members.models import FeeRate, Membership, MembershipType
from supportclub.money import format_cents

# A single dues payment above this is almost certainly a typing error (an extra zero).
MAX_PAYMENT_CENTS = 10_000_00
EARLIEST_YEAR = 1990


# The dues run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedClaim:
    """A claim the run will create."""

    membership_id: int
    person_id: int
    person_name: str
    member_number: int | None
    type_name: str
    amount_cents: int
    months: int
    due_date: date
    fee_rate_id: int


@dataclass(frozen=True)
class Skipped:
    """A membership the run leaves out, and why."""

    membership_id: int
    person_name: str
    member_number: int | None
    reason: str


@dataclass
class DuesRunPlan:
    """What a dues run for a year would do (the preview), or did (the result)."""

    year: int
    planned: list[PlannedClaim] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    existing: int = 0  # memberships that already have their claim for the year
    run: DuesRun | None = None

    @property
    def total_cents(self) -> int:
        """The sum of the planned claims."""
        return sum(item.amount_cents for item in self.planned)

    @property
    def count(self) -> int:
        """How many claims the run creates."""
        return len(self.planned)


def check_year(year: int) -> None:
    """Refuse a year the association cannot have dues for."""
    if not isinstance(year, int) or year < EARLIEST_YEAR or year > today().year + 1:
        raise ValidationError(
            _(
                "Beitragsläufe gibt es für die Jahre %(first)s bis %(last)s.",
                first=EARLIEST_YEAR,
                last=today().year + 1,
            ),
            field="year",
        )


def prorated(amount_cents: int, months: int) -> int:
    """The share of a yearly fee for `months` months, rounded half up to the cent."""
    return (amount_cents * months * 2 + 12) // 24


def plan_dues_run(year: int, *, run_date: date | None = None) -> DuesRunPlan:
    """Work out which claims a dues run for `year` creates; writes nothing.

    1. Take every membership that runs at some point of the year.
    2. Leave out those that already have their claim for the year (counted as existing).
    3. Find the fee rate valid when the membership starts counting in the year (1 January, or
       the joining day); no rate or a rate of 0 € skips the membership with that reason.
    4. With pro-rata dues, a member who joins after 1 January pays the months from the joining
       month on; otherwise the full year. Leaving during the year does not reduce the claim.
    """
    check_year(year)
    settings: AssociationSettings = get_settings()
    run_date = run_date or today()
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    memberships = db.session.execute(
        select(
            Membership.id,
            Membership.person_id,
            Membership.membership_type_id,
            Membership.start_date,
            Person.last_name,
            Person.first_name,
            Person.member_number,
            MembershipType.name,
        )
        .join(Person, Membership.person_id == Person.id)
        .join(MembershipType, Membership.membership_type_id == MembershipType.id)
        .where(
            Membership.start_date <= year_end,
            or_(Membership.end_date.is_(None), Membership.end_date >= year_start),
        )
        .order_by(Person.last_name, Person.first_name, Membership.id)
    ).all()
    existing = set(
        db.session.execute(select(DuesClaim.membership_id).where(DuesClaim.year == year)).scalars()
    )
    rates: dict[int, list[tuple]] = defaultdict(list)
    for rate_id, type_id, since, until, cents in db.session.execute(
        select(
            FeeRate.id,
            FeeRate.membership_type_id,
            FeeRate.valid_from,
            FeeRate.valid_until,
            FeeRate.amount_cents,
        ).where(
            FeeRate.valid_from <= year_end,
            or_(FeeRate.valid_until.is_(None), FeeRate.valid_until >= year_start),
        )
    ):
        rates[type_id].append((rate_id, since, until, cents))

    @cache
    def rate_on(type_id: int, day: date) -> tuple[int, int] | None:
        """(id, yearly cents) of the type's rate valid on `day` (a few distinct days per run)."""
        return next(
            (
                (rate_id, cents)
                for rate_id, since, until, cents in rates[type_id]
                if since <= day and (until is None or until >= day)
            ),
            None,
        )

    plan = DuesRunPlan(year=year)
    for mid, pid, type_id, start, last, first, number, type_name in memberships:
        name = f"{last}, {first}" if first else last
        if mid in existing:
            plan.existing += 1
            continue
        counts_from = max(start, year_start)
        rate = rate_on(type_id, counts_from)
        if rate is None:
            plan.skipped.append(
                Skipped(
                    mid,
                    name,
                    number,
                    _(
                        "Für die Mitgliedsart „%(type)s“ gilt am %(day)s kein Beitragssatz.",
                        type=type_name,
                        day=counts_from.strftime("%d.%m.%Y"),
                    ),
                )
            )
            continue
        rate_id, cents = rate
        if cents == 0:
            plan.skipped.append(
                Skipped(
                    mid, name, number, _("Beitragsfrei (Satz 0,00 €) – „%(type)s“.", type=type_name)
                )
            )
            continue
        months = 12
        if settings.dues_pro_rata and start > year_start:
            months = 12 - start.month + 1
        plan.planned.append(
            PlannedClaim(
                membership_id=mid,
                person_id=pid,
                person_name=name,
                member_number=number,
                type_name=type_name,
                amount_cents=prorated(cents, months),
                months=months,
                due_date=claim_due_default(year, start, run_date, settings.dues_payment_days),
                fee_rate_id=rate_id,
            )
        )
    return plan


def run_dues(year: int, *, actor, run_date: date | None = None) -> DuesRunPlan:
    """Create the missing claims of `year`; running it again creates nothing new.

    The settings row is locked first, so two dues runs started at the same moment run one
    after the other and the second finds everything in place.
    """
    check_year(year)
    db.session.execute(
        select(AssociationSettings.id).where(AssociationSettings.id == 1).with_for_update()
    )
    plan = plan_dues_run(year, run_date=run_date)
    if not plan.planned:
        return plan
    run = DuesRun(
        year=year,
        claims_created=plan.count,
        total_cents=plan.total_cents,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(run)
    db.session.flush()
    db.session.execute(
        insert(DuesClaim.__table__),  # Core executemany: no ORM bookkeeping per row
        [
            {
                "membership_id": item.membership_id,
                "year": year,
                "amount_cents": item.amount_cents,
                "months": item.months,
                "due_date": item.due_date,
                "fee_rate_id": item.fee_rate_id,
                "run_id": run.id,
                "created_at": run.created_at,
            }
            for item in plan.planned
        ],
    )
    plan.run = run
    audit.record(
        actor,
        "dues.run",
        run,
        {
            "year": year,
            "claims_created": plan.count,
            "total_cents": plan.total_cents,
            "skipped": len(plan.skipped),
            "existing": plan.existing,
        },
    )
    return plan


# Payments -------------------------------------------------------------------------------------


class OverpaymentError(DomainError):
    """The payment is more than the chosen claims; the treasurer must say what the rest is."""

    def __init__(self, message: str, remainder_cents: int):
        super().__init__(message, field="amount")
        self.remainder_cents = remainder_cents


@dataclass(frozen=True)
class Allocation:
    """Part of a payment that settles one claim."""

    claim_id: int
    amount_cents: int


def suggest_allocations(person_id: int, amount_cents: int) -> list[Allocation]:
    """Spread `amount_cents` over the person's open claims, oldest first."""
    allocations = []
    rest = amount_cents
    for row in claims_of_person(person_id, only_open=True):
        if rest <= 0:
            break
        share = min(rest, row.open_cents)
        allocations.append(Allocation(row.claim.id, share))
        rest -= share
    return allocations


def _lock_claims(claim_ids: list[int]) -> list[ClaimRow]:
    """Lock the claims (so two payments cannot settle the same open amount) and read them."""
    db.session.execute(
        select(DuesClaim.id)
        .where(DuesClaim.id.in_(claim_ids))
        .order_by(DuesClaim.id)
        .with_for_update()
    )
    return claims_by_id(claim_ids)


def record_payment(
    *,
    person_id: int,
    booking_date: date,
    account_id: int,
    amount_cents: int,
    allocations: list[Allocation],
    actor,
    overpayment_as_donation: bool = False,
    text: str = "",
    channel: Channel = Channel.MANUAL,
    external_ref: str | None = None,
):
    """Book a dues payment whose lines settle the chosen claims.

    An amount above the chosen claims is refused with OverpaymentError unless the treasurer
    confirmed it as a donation (`overpayment_as_donation`); then the rest becomes a donation
    line of the general fund. An amount below them leaves the last claim partly paid.
    """
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationError(_("Der Betrag muss größer als 0 sein."), field="amount")
    if amount_cents > MAX_PAYMENT_CENTS:
        raise ValidationError(
            _(
                "%(amount)s ist für eine Beitragszahlung unplausibel hoch (höchstens %(max)s). "
                "Bitte den Betrag prüfen.",
                amount=format_cents(amount_cents),
                max=format_cents(MAX_PAYMENT_CENTS),
            ),
            field="amount",
        )
    person = db.session.get(Person, person_id)
    if person is None:
        raise ValidationError(_("Die Person ist unbekannt."), field="person")
    ids = [a.claim_id for a in allocations]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Eine Forderung ist doppelt ausgewählt."), field="claims")
    rows = {row.claim.id: row for row in _lock_claims(ids)}
    allowed = {row.claim.id for row in claims_of_person(person_id)}
    lines: list[LineInput] = []
    dues = db.session.execute(select(Category).filter_by(code="dues")).scalar_one()
    fund = general_fund()
    for allocation in allocations:
        row = rows.get(allocation.claim_id)
        if row is None or allocation.claim_id not in allowed:
            raise ValidationError(
                _(
                    "Die Forderung %(claim)s gehört nicht zu dieser Person.",
                    claim=allocation.claim_id,
                ),
                field="claims",
            )
        if allocation.amount_cents <= 0:
            raise ValidationError(
                _("Jeder zugeordnete Betrag muss größer als 0 sein."), field="claims"
            )
        if allocation.amount_cents > row.open_cents:
            raise ValidationError(
                _(
                    "Für den Beitrag %(year)s von %(name)s sind nur noch %(open)s offen, "
                    "nicht %(amount)s.",
                    year=row.claim.year,
                    name=row.membership.person.full_name,
                    open=format_cents(row.open_cents),
                    amount=format_cents(allocation.amount_cents),
                ),
                field="claims",
            )
        lines.append(
            LineInput(
                category_id=dues.id,
                fund_id=fund.id,
                amount_cents=allocation.amount_cents,
                text=_beitrag_text(row),
                dues_claim_id=row.claim.id,
            )
        )
    allocated = sum(a.amount_cents for a in allocations)
    rest = amount_cents - allocated
    if rest < 0:
        raise ValidationError(
            _(
                "Den Forderungen sind %(allocated)s zugeordnet, gezahlt wurden nur %(amount)s.",
                allocated=format_cents(allocated),
                amount=format_cents(amount_cents),
            ),
            field="claims",
        )
    if rest > 0:
        if not overpayment_as_donation:
            raise OverpaymentError(
                _(
                    "Die Zahlung ist %(rest)s höher als die gewählten Beiträge. "
                    "Soll der Rest als Spende gebucht werden?",
                    rest=format_cents(rest),
                ),
                rest,
            )
        donation = db.session.execute(select(Category).filter_by(code="donation")).scalar_one()
        lines.append(
            LineInput(
                category_id=donation.id,
                fund_id=fund.id,
                amount_cents=rest,
                text=_("Spende (Mehrbetrag der Beitragszahlung)"),
            )
        )
    booking = record_booking(
        booking_date=booking_date,
        account_id=account_id,
        amount_cents=amount_cents,
        lines=lines,
        actor=actor,
        person_id=person_id,
        text=text or _("Mitgliedsbeitrag %(name)s", name=person.full_name),
        channel=channel,
        external_ref=external_ref,
    )
    audit.record(
        actor,
        "dues.payment_recorded",
        person,
        {
            "booking_id": booking.id,
            "amount_cents": amount_cents,
            "claims": {str(a.claim_id): a.amount_cents for a in allocations},
            "donation_cents": rest,
        },
    )
    return booking


def _beitrag_text(row: ClaimRow) -> str:
    person = row.membership.person
    number = f" ({person.member_number})" if person.member_number else ""
    return _(
        "Beitrag %(year)s %(name)s%(number)s",
        year=row.claim.year,
        name=person.full_name,
        number=number,
    )


# Write-off ------------------------------------------------------------------------------------


def waive_claim(claim: DuesClaim, *, reason: str, actor) -> ClaimWaiver:
    """Write off what is still open on a claim, with a reason (recorded, never undone silently)."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ValidationError(_("Bitte einen Grund für den Erlass angeben."), field="reason")
    (row,) = _lock_claims([claim.id])
    if row.waived_cents:
        raise DomainError(_("Diese Forderung ist bereits erlassen."))
    if row.open_cents <= 0:
        raise DomainError(_("Diese Forderung ist bereits bezahlt; es ist nichts offen."))
    waiver = ClaimWaiver(
        claim_id=claim.id,
        amount_cents=row.open_cents,
        reason=reason,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(waiver)
    db.session.flush()
    audit.record(
        actor,
        "dues.claim_waived",
        claim,
        {
            "person_id": row.membership.person_id,
            "year": claim.year,
            "amount_cents": waiver.amount_cents,
            "reason": reason,
        },
    )
    return waiver


def claims_for_memberships(membership_ids: list[int]) -> list[DuesClaim]:
    """Plain claims of memberships (for pages that list them without sums)."""
    if not membership_ids:
        return []
    return list(
        db.session.execute(
            select(DuesClaim)
            .where(and_(DuesClaim.membership_id.in_(membership_ids)))
            .order_by(DuesClaim.year)
        ).scalars()
    )
