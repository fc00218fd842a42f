"""Reading dues: claim status and open amounts, a member's account, the yearly overview.

Every figure is a SQL sum over booking lines and write-offs; nothing is a stored counter.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from supportclub.clock import today
from supportclub.dues.models import ClaimStatus, ClaimWaiver, DuesClaim
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Person
from supportclub.members.models import Membership, MembershipType

PAID = (
    select(func.coalesce(func.sum(BookingLine.amount_cents), 0))
    .where(BookingLine.dues_claim_id == DuesClaim.id)
    .correlate(DuesClaim)
    .scalar_subquery()
)
WAIVED = (
    select(func.coalesce(func.sum(ClaimWaiver.amount_cents), 0))
    .where(ClaimWaiver.claim_id == DuesClaim.id)
    .correlate(DuesClaim)
    .scalar_subquery()
)
OPEN = DuesClaim.amount_cents - PAID - WAIVED


def claim_status(amount: int, paid: int, waived: int) -> ClaimStatus:
    """The derived status of a claim from its amount, payments and write-off."""
    if paid >= amount:
        return ClaimStatus.PAID
    if waived:
        return ClaimStatus.WAIVED
    if paid > 0:
        return ClaimStatus.PARTLY_PAID
    return ClaimStatus.OPEN


@dataclass(frozen=True)
class ClaimRow:
    """A claim with what has been paid and written off."""

    claim: DuesClaim
    paid_cents: int
    waived_cents: int

    @property
    def open_cents(self) -> int:
        """What is still owed (never below zero; an overpaid claim is simply paid)."""
        return max(self.claim.amount_cents - self.paid_cents - self.waived_cents, 0)

    @property
    def status(self) -> ClaimStatus:
        """open, partly paid, paid or waived."""
        return claim_status(self.claim.amount_cents, self.paid_cents, self.waived_cents)

    @property
    def days_overdue(self) -> int:
        """Days since the due date (0 when not yet due)."""
        return max((today() - self.claim.due_date).days, 0)

    @property
    def membership(self) -> Membership:
        """The membership the claim belongs to."""
        return self.claim.membership


def claims_select() -> Select:
    """Claims with membership, person and type loaded, plus paid and waived sums."""
    return (
        select(DuesClaim, PAID.label("paid"), WAIVED.label("waived"))
        .join(DuesClaim.membership)
        .join(Membership.person)
        .join(Membership.membership_type)
        .options(
            contains_eager(DuesClaim.membership).contains_eager(Membership.person),
            contains_eager(DuesClaim.membership).contains_eager(Membership.membership_type),
        )
    )


def rows(query: Select) -> list[ClaimRow]:
    """Run a claims_select() query into ClaimRows."""
    return [
        ClaimRow(claim, int(paid), int(waived)) for claim, paid, waived in db.session.execute(query)
    ]


def claims_of_person(person_id: int, *, only_open: bool = False) -> list[ClaimRow]:
    """Claims of the person's memberships and of memberships the person pays for."""
    query = claims_select().where(
        or_(Membership.person_id == person_id, Membership.payer_id == person_id)
    )
    if only_open:
        query = query.where(OPEN > 0)
    return rows(query.order_by(DuesClaim.year, DuesClaim.due_date, DuesClaim.id))


def claims_by_id(claim_ids: list[int]) -> list[ClaimRow]:
    """The claims with these ids (in due order)."""
    if not claim_ids:
        return []
    return rows(
        claims_select()
        .where(DuesClaim.id.in_(claim_ids))
        .order_by(DuesClaim.year, DuesClaim.due_date, DuesClaim.id)
    )


@dataclass
class OpenClaimsFilter:
    """What the open-dues list shows."""

    year: int | None = None
    membership_type_id: int | None = None
    overdue_only: bool = False
    query: str = ""


def open_claims_select(flt: OpenClaimsFilter) -> Select:
    """Unpaid and partly paid claims, oldest first, with their sums."""
    query = claims_select().where(OPEN > 0)
    if flt.year:
        query = query.where(DuesClaim.year == flt.year)
    if flt.membership_type_id:
        query = query.where(Membership.membership_type_id == flt.membership_type_id)
    if flt.overdue_only:
        query = query.where(DuesClaim.due_date < today())
    if flt.query:
        pattern = f"%{flt.query.lower()}%"
        conditions = [
            func.lower(Person.last_name).like(pattern),
            func.lower(Person.first_name).like(pattern),
        ]
        if flt.query.isdigit():
            conditions.append(Person.member_number == int(flt.query))
        query = query.where(or_(*conditions), Person.locked_at.is_(None))
    return query.order_by(DuesClaim.due_date, Person.last_name, Person.first_name, DuesClaim.id)


def open_claims_total(flt: OpenClaimsFilter) -> tuple[int, int]:
    """(number of claims, open cents) for the filter, in one query."""
    sub = open_claims_select(flt).with_only_columns(OPEN.label("open")).order_by(None).subquery()
    count, total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(sub.c.open), 0))
    ).one()
    # PostgreSQL sums bigint to numeric (a Decimal); amounts are int cents everywhere
    return count, int(total)


@dataclass
class YearLine:
    """A year of a member's account."""

    year: int
    claimed_cents: int = 0
    paid_cents: int = 0
    waived_cents: int = 0

    @property
    def open_cents(self) -> int:
        """What is still owed for the year."""
        return max(self.claimed_cents - self.paid_cents - self.waived_cents, 0)


@dataclass
class MemberAccount:
    """A member's dues account: claims per year, the bookings that paid them, the balance."""

    claims: list[ClaimRow]
    years: list[YearLine]
    payments: list[Booking] = field(default_factory=list)

    @property
    def open_cents(self) -> int:
        """Everything still owed."""
        return sum(row.open_cents for row in self.claims)

    @property
    def paid_cents(self) -> int:
        """Everything paid towards claims."""
        return sum(row.paid_cents for row in self.claims)


def member_account(person_id: int) -> MemberAccount:
    """The person's claims per year and the bookings that touched them (three queries)."""
    claims = claims_of_person(person_id)
    years: dict[int, YearLine] = {}
    for row in claims:
        line = years.setdefault(row.claim.year, YearLine(row.claim.year))
        line.claimed_cents += row.claim.amount_cents
        line.paid_cents += row.paid_cents
        line.waived_cents += row.waived_cents
    claim_ids = [row.claim.id for row in claims]
    payments = list(
        db.session.execute(
            select(Booking)
            .where(
                # money that moved: in-kind gifts and waived reimbursements (no account) are
                # donations, shown on the donor page, not payments
                Booking.account_id.is_not(None),
                or_(
                    Booking.person_id == person_id,
                    Booking.id.in_(
                        select(BookingLine.booking_id).where(
                            BookingLine.dues_claim_id.in_(claim_ids)
                        )
                    )
                    if claim_ids
                    else False,
                ),
            )
            # the portal names who paid a booking made by someone else: load them in one query
            .options(selectinload(Booking.person))
            .order_by(Booking.booking_date.desc(), Booking.id.desc())
        ).scalars()
    )
    return MemberAccount(
        claims=claims,
        years=sorted(years.values(), key=lambda y: y.year, reverse=True),
        payments=payments,
    )


@dataclass
class OverviewLine:
    """Claimed, paid, written off and open dues of one membership type in a year."""

    type_name: str
    claims: int = 0
    claimed_cents: int = 0
    paid_cents: int = 0
    waived_cents: int = 0

    @property
    def open_cents(self) -> int:
        """Claimed minus paid minus written off."""
        return self.claimed_cents - self.paid_cents - self.waived_cents


def dues_overview(year: int) -> list[OverviewLine]:
    """Per membership type: claims, claimed, paid, waived and open for `year` (three queries)."""
    by_type = (
        select(
            MembershipType.id,
            MembershipType.name,
            func.count(DuesClaim.id),
            func.coalesce(func.sum(DuesClaim.amount_cents), 0),
        )
        .join(Membership, Membership.membership_type_id == MembershipType.id)
        .join(DuesClaim, and_(DuesClaim.membership_id == Membership.id, DuesClaim.year == year))
        .group_by(MembershipType.id, MembershipType.name, MembershipType.sort_order)
        .order_by(MembershipType.sort_order, MembershipType.name)
    )
    lines = {
        type_id: OverviewLine(name, count, int(claimed))
        for type_id, name, count, claimed in db.session.execute(by_type)
    }
    paid = db.session.execute(
        select(Membership.membership_type_id, func.sum(BookingLine.amount_cents))
        .join(DuesClaim, BookingLine.dues_claim_id == DuesClaim.id)
        .join(Membership, DuesClaim.membership_id == Membership.id)
        .where(DuesClaim.year == year)
        .group_by(Membership.membership_type_id)
    )
    for type_id, cents in paid:
        lines[type_id].paid_cents = int(cents or 0)
    waived = db.session.execute(
        select(Membership.membership_type_id, func.sum(ClaimWaiver.amount_cents))
        .join(DuesClaim, ClaimWaiver.claim_id == DuesClaim.id)
        .join(Membership, DuesClaim.membership_id == Membership.id)
        .where(DuesClaim.year == year)
        .group_by(Membership.membership_type_id)
    )
    for type_id, cents in waived:
        lines[type_id].waived_cents = int(cents or 0)
    return list(lines.values())


def dues_years() -> list[int]:
    """Years that have claims, newest first."""
    return list(
        db.session.execute(
            select(DuesClaim.year).distinct().order_by(DuesClaim.year.desc())
        ).scalars()
    )


def claim_due_default(year: int, start: date, run_date: date, payment_days: int) -> date:
    """When a new claim is due: `payment_days` after the latest of year start, joining, run."""
    return max(date(year, 1, 1), start, run_date) + timedelta(days=payment_days)
