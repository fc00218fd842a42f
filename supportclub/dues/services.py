"""The yearly dues run: plan which claims are missing, then create them. It flushes only."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import insert, or_, select

from supportclub import audit
from supportclub.admin.models import AssociationSettings
from supportclub.admin.services import get_settings
from supportclub.clock import today
from supportclub.dues.models import DuesClaim, DuesRun
from supportclub.dues.queries import claim_due_default
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.members.models import FeeRate, Membership, MembershipType

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
