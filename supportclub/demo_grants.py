"""Planning the demo's projects and grants, with no database access.

`grant_schedule` spreads GRANTS_TOTAL_CENTS over the years as payouts and turns them into
projects and their steps. Each long-running project of `demo_data.PROJECTS` gets one approval
per year it ran; each one-off grant is its own project, applied for a few weeks before the
board's resolution, funded from the general fund, paid in one or two instalments, its proof of
use received and closed (the rest, if any, goes back to the general fund). The last demo year
leaves one project partly paid and one with its proof received but not closed; the current
year adds open cases without bookings: three applications, one rejection and one approval
not yet paid. `plan_grants` applies a year's steps to the running balances in date order.
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from supportclub import demo_data as data
from supportclub.demo_books import Books, Cast, day_of
from supportclub.ledger.models import Fund, Person

# "Über 107.000 € vergeben": the exact sum of all grant payouts from 2009 to last year.
GRANTS_TOTAL_CENTS = 10_738_460
RESERVE_CENTS = 50_000  # the general fund keeps at least this much after approvals

APPROVE, ALLOCATE, PAYOUT, PROOF, CLOSE, REJECT = (
    "approve",
    "allocate",
    "payout",
    "proof",
    "close",
    "reject",
)
GENERAL = Fund.GENERAL


@dataclass
class ProjectPlan:
    """A project to create: an application by an organisation."""

    key: str  # its fund's key in the plan's books
    title: str
    purpose: str
    applicant: Person
    applied_on: date
    requested_cents: int
    contact_name: str
    long_running: bool = False


@dataclass(frozen=True)
class Step:
    """One step of a project's lifecycle; an allocation's cents are set when it is planned."""

    when: date
    key: str
    action: str
    cents: int = 0
    text: str = ""


@dataclass
class GrantPlan:
    """The projects and their steps by year, and what is approved and paid so far."""

    today: date
    projects: dict[str, ProjectPlan] = field(default_factory=dict)
    steps: dict[int, list[Step]] = field(default_factory=lambda: defaultdict(list))
    approved: Counter = field(default_factory=Counter)
    paid: Counter = field(default_factory=Counter)

    def add(self, step: Step) -> None:
        """Schedule a step in the year of its date."""
        self.steps[step.when.year].append(step)


def running_projects(year: int) -> list[str]:
    """The codes of the long-running projects that run in `year`."""
    return [
        code for code, _t, _r, first, last, *_ in data.PROJECTS if first <= year <= (last or year)
    ]


def grant_schedule(rng: random.Random, years: list[int], cast: Cast, today: date) -> GrantPlan:
    """Plan every project: payouts growing with the association, then the open cases."""
    plan = GrantPlan(today)
    for code, title, recipient, first, _last, _purposes, about in data.PROJECTS:
        applied = day_of(rng, first - 1, rng.randint(10, 11))  # for the coming year
        applicant = cast.recipients[recipient]
        plan.projects[code] = ProjectPlan(
            code, title, about, applicant, applied, 0, _contact(rng), long_running=True
        )
    weights = [3 + index for index in range(len(years))]
    shares = [GRANTS_TOTAL_CENTS * w // sum(weights) // 5000 * 5000 for w in weights]
    shares[-1] += GRANTS_TOTAL_CENTS - sum(shares)
    for year, share in zip(years, shares, strict=True):
        rest = share - _long_running_year(rng, year, share, plan)
        _one_off_year(rng, year, rest, plan, cast, last=year == years[-1])
    _open_cases(rng, plan, cast)
    return plan


def _contact(rng: random.Random) -> str:
    """A contact person's name."""
    return f"{rng.choice(data.FIRST_NAMES)} {rng.choice(data.LAST_NAMES)}"


def _long_running_year(rng: random.Random, year: int, share: int, plan: GrantPlan) -> int:
    """The year's approval and payouts of each running project; returns what is paid."""
    paid = 0
    for code, title, _recipient, first, last, purposes, _about in data.PROJECTS:
        if not first <= year <= (last or year):
            continue
        cents = share * rng.randint(12, 20) // 100 // 5000 * 5000
        purpose = rng.choice(purposes)
        payouts = _instalments(rng, year, code, cents, f"{title}: {purpose}")
        if year == last and rng.random() < 0.5:  # paid as proven by the Verwendungsnachweis
            payouts[-1] = replace(payouts[-1], cents=payouts[-1].cents - rng.randint(1, 4999))
        decided = payouts[0].when - timedelta(days=rng.randint(7, 28))
        project = plan.projects[code]
        project.requested_cents = project.requested_cents or cents
        plan.add(Step(decided, code, APPROVE, cents, f"Förderung {year}: {purpose}"))
        allocation = f"Mittelzuweisung an {title} (Beschluss vom {decided:%d.%m.%Y})"
        plan.add(Step(decided, code, ALLOCATE, 0, allocation))
        for payout in payouts:
            plan.add(payout)
        if year == last:
            _finish(rng, plan, code, payouts[-1].when, close=True)
        paid += sum(payout.cents for payout in payouts)
    return paid


def _instalments(rng, year, key, cents, text) -> list[Step]:
    """A project's payouts of the year: at once or, when larger, in two instalments."""
    if cents < 200_000 or rng.random() < 0.6:
        return [Step(day_of(rng, year, rng.randint(6, 11)), key, PAYOUT, cents, text)]
    first = cents // 2 // 5000 * 5000
    days = day_of(rng, year, rng.randint(6, 8)), day_of(rng, year, rng.randint(10, 12))
    return [
        Step(days[0], key, PAYOUT, first, f"{text} (1. Rate)"),
        Step(days[1], key, PAYOUT, cents - first, f"{text} (2. Rate)"),
    ]


def _one_off_year(rng, year: int, rest: int, plan: GrantPlan, cast: Cast, last: bool) -> None:
    """The year's one-off grants: one or two projects sharing `rest` (two in the last year).

    In the last year the first one has its proof received but is not closed, and the second
    is partly paid: its second instalment is still to come.
    """
    count = 2 if last else 1 + min(1, rest // 150_000)
    for index, (recipient, purpose) in enumerate(rng.sample(data.ONE_OFF_GRANTS, count)):
        cents = rest if index == count - 1 else rest * rng.randint(25, 45) // 100 // 5000 * 5000
        rest -= cents
        if cents <= 0:  # too little left for a second grant this year
            continue
        key, partly = f"{year}-{index + 1}", last and index == count - 1
        payouts = _one_off_payouts(rng, year, key, cents, purpose, partly)
        if partly:
            approved = cents + 5000 * rng.randint(10, 30)
        elif cents % 5000:  # the costs proven were lower than approved: the rest goes back
            approved = -(-cents // 10000) * 10000
        else:
            approved = cents + (5000 * rng.randint(1, 4) if rng.random() < 0.2 else 0)
        requested = approved + (5000 * rng.randint(1, 10) if rng.random() < 0.3 else 0)
        decided = payouts[0].when - timedelta(days=rng.randint(7, 28))
        applied = decided - timedelta(days=rng.randint(21, 56))
        about = f"Zuschuss des Förderkreises: {purpose}"
        applicant = cast.recipients[recipient]
        title = f"{purpose} {year}"
        plan.projects[key] = ProjectPlan(
            key, title, about, applicant, applied, requested, _contact(rng)
        )
        note = "Beschluss des Vorstands" + (
            " (weniger bewilligt als beantragt)" * (requested > approved)
        )
        plan.add(Step(decided, key, APPROVE, approved, note))
        plan.add(Step(decided, key, ALLOCATE, 0, f"Mittelzuweisung an {title}"))
        for payout in payouts:
            plan.add(payout)
        if not partly:
            _finish(rng, plan, key, payouts[-1].when, close=not last)


def _one_off_payouts(rng, year, key, cents, purpose, partly) -> list[Step]:
    """A one-off grant's payouts: mostly at once, a larger one sometimes in two instalments."""
    month = rng.randint(4, 12)
    first = day_of(rng, year, month)
    text = f"Zuschuss {purpose}"
    if partly:
        return [Step(first, key, PAYOUT, cents, f"{text} (1. Rate)")]
    if cents < 200_000 or month > 9 or rng.random() < 0.6:
        return [Step(first, key, PAYOUT, cents, text)]
    part, second = cents // 2 // 5000 * 5000, first + timedelta(days=rng.randint(30, 75))
    return [
        Step(first, key, PAYOUT, part, f"{text} (1. Rate)"),
        Step(second, key, PAYOUT, cents - part, f"{text} (2. Rate)"),
    ]


def _finish(rng, plan: GrantPlan, key: str, last_payout: date, *, close: bool) -> None:
    """Proof of use some weeks after the last payout, then closing (not in the current year).

    What has not happened by today stays open; closing may book the rest back to the general
    fund, so it is never planned in the current year (the demo books end last year).
    """
    proof = last_payout + timedelta(days=rng.randint(20, 60))
    closed = proof + timedelta(days=rng.randint(3, 14))
    if not close:  # the case kept open at "proof received": it has arrived by today
        proof = min(proof, plan.today)
    if proof > plan.today:
        return
    plan.add(Step(proof, key, PROOF, 0, "Verwendungsnachweis mit Belegen eingegangen"))
    if close and closed.year < plan.today.year:
        plan.add(Step(closed, key, CLOSE, 0, "Verwendungsnachweis geprüft"))


def _open_cases(rng: random.Random, plan: GrantPlan, cast: Cast) -> None:
    """This year's applications: three open, one rejected, one approved and not yet paid."""
    today = plan.today
    start = date(today.year, 1, 1)
    for index, (recipient, purpose) in enumerate(rng.sample(data.ONE_OFF_GRANTS, 5)):
        key = f"{today.year}-{index + 1}"
        requested = 5000 * rng.randint(16, 80)
        applied = max(start, today - timedelta(days=rng.randint(3, 90)))
        decided = min(today, applied + timedelta(days=rng.randint(14, 35)))
        plan.projects[key] = ProjectPlan(
            key,
            f"{purpose} {today.year}",
            f"Antrag auf einen Zuschuss: {purpose}",
            cast.recipients[recipient],
            applied,
            requested,
            _contact(rng),
        )
        if index == 3:
            plan.add(Step(decided, key, REJECT, 0, data.REJECTION_NOTE))
        elif index == 4:
            approved = requested - 5000 * rng.randint(0, 6)
            plan.add(Step(decided, key, APPROVE, approved, "Beschluss des Vorstands"))


def project_needs(year: int, plan: GrantPlan, books: Books) -> dict[str, int]:
    """What each running long-running project can still take in earmarked donations."""
    needs = {}
    for code in running_projects(year):
        later = (s for y, steps in plan.steps.items() if y >= year for s in steps)
        payouts = sum(s.cents for s in later if s.key == code and s.action == PAYOUT)
        needs[code] = payouts - books.funds[code]
    return needs


def plan_grants(year: int, plan: GrantPlan, books: Books) -> None:
    """Apply the year's project steps in date order to the balances (into `books.steps`).

    A one-off project the general fund cannot afford (keeping RESERVE_CENTS) is decided a
    year later, when there is a later demo year.
    """
    deferred: set[str] = set()
    for step in sorted(plan.steps.get(year, []), key=lambda s: s.when):
        if step.key in deferred:
            continue
        if step.action == APPROVE and _short(plan, books, step) and _can_defer(plan, step):
            deferred.add(step.key)
            continue
        applied = _apply(plan, books, step)
        if applied is not None:
            books.steps.append(applied)
    for key in sorted(deferred):
        _defer(plan, key, year)


def _short(plan: GrantPlan, books: Books, step: Step) -> bool:
    """True when approving the step would leave less than the reserve in the general fund."""
    key = step.key
    need = plan.approved[key] + step.cents - plan.paid[key] - max(books.funds[key], 0)
    return books.funds[GENERAL] - max(need, 0) < RESERVE_CENTS


def _can_defer(plan: GrantPlan, step: Step) -> bool:
    """A one-off project can wait for the next demo year."""
    return not plan.projects[step.key].long_running and step.when.year + 1 < plan.today.year


def _defer(plan: GrantPlan, key: str, year: int) -> None:
    """Move a project's steps from `year` on by one year (dropping what would come too late)."""
    moved = []
    for y in sorted(y for y in plan.steps if y >= year):
        moved += [s for s in plan.steps[y] if s.key == key]
        plan.steps[y] = [s for s in plan.steps[y] if s.key != key]
    for step in moved:
        when = _a_year_later(step.when)
        late = when.year >= plan.today.year and step.action not in (PROOF, REJECT, APPROVE)
        if when <= plan.today and not late:
            plan.add(replace(step, when=when))


def _a_year_later(day: date) -> date:
    """The same day a year later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _apply(plan: GrantPlan, books: Books, step: Step) -> Step | None:
    """Apply one step to the balances; an allocation gets what the project lacks (or nothing)."""
    key = step.key
    if step.action == APPROVE:
        plan.approved[key] += step.cents
    elif step.action == ALLOCATE:
        cents = plan.approved[key] - plan.paid[key] - max(books.funds[key], 0)
        if cents <= 0:
            return None
        if cents > books.funds[GENERAL]:
            raise RuntimeError(f"The demo plan allocates more than the general fund holds: {step}")
        books.funds[GENERAL] -= cents
        books.funds[key] += cents
        step = replace(step, cents=cents)
    elif step.action == PAYOUT:
        if step.cents > books.funds[key]:
            raise RuntimeError(f"The demo plan pays out more than the project fund holds: {step}")
        books.funds[key] -= step.cents
        books.accounts["bank"] -= step.cents
        plan.paid[key] += step.cents
    elif step.action == CLOSE:
        rest, books.funds[key] = books.funds[key], 0
        books.funds[GENERAL] += rest
        step = replace(step, cents=rest)
    return step
