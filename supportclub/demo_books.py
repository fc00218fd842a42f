"""The demo's planning ledger, with no database access: the cast, members and planned bookings.

`Books` keeps the running balances of funds and accounts while the demo plans its years, and
collects what each year will record: bookings (`Planned`), campaigns (`PlannedCampaign`),
project steps (see `demo_grants`) and donations in kind or waived reimbursements (see
`demo_gifts`). Funds are named by plan keys: "general" and one key per demo project.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from supportclub.ledger.models import Fund, Person

FIRST_YEAR = 2009


def day_of(rng: random.Random, year: int, month: int) -> date:
    """A random day of `month` (never after the 28th)."""
    return date(year, month, rng.randint(1, 28))


@dataclass
class Cast:
    """The demo's persons by role."""

    privates: list[Person]
    companies: dict[str, Person]
    recipients: dict[str, Person]


@dataclass
class Member:
    """One membership: type, what is paid per year, year of joining and of leaving.

    `start` (the joining day) is set when the joining year is planned; `late` maps a year to
    what the member paid of that year's fee when it was less (0: nothing); `payer` pays
    instead of the member; `membership_id` is set once the membership is recorded.
    """

    person: Person
    kind: str
    pays_cents: int
    joined: int
    left: int | None = None
    start: date | None = None
    payer: Person | None = None
    mandate: bool = False
    late: dict[int, int] = field(default_factory=dict)
    membership_id: int | None = None

    def active(self, year: int) -> bool:
        """True when the member owes dues for `year`."""
        return self.joined <= year and (self.left is None or year < self.left)


class Line(NamedTuple):
    """One planned booking line; sales may carry units (quantity × unit price = cents)."""

    category: str
    fund: str
    cents: int
    text: str = ""
    campaign: str | None = None  # the campaign's name
    quantity: int | None = None
    unit_price: int | None = None


def ln(
    category: str,
    cents: int,
    fund: str = Fund.GENERAL,
    text: str = "",
    campaign: str | None = None,
) -> Line:
    """One planned booking line."""
    return Line(category, fund, cents, text, campaign)


def sold(category: str, quantity: int, unit_price: int, text: str, campaign: str) -> Line:
    """A campaign's sales line: `quantity` units at `unit_price` cents."""
    return Line(category, Fund.GENERAL, quantity * unit_price, text, campaign, quantity, unit_price)


@dataclass(frozen=True)
class Planned:
    """A booking to record (lines of `Line`)."""

    when: date
    account: str | None
    text: str
    lines: tuple[Line, ...]
    person: Person | None = None
    # a dues payment: its "dues" line settles this member's claim of the year
    member: Member | None = field(default=None, compare=False)

    @property
    def amount_cents(self) -> int:
        """The sum of the lines (0 for an allocation between funds, which has no account)."""
        return sum(line.cents for line in self.lines) if self.account else 0


@dataclass(frozen=True)
class PlannedCampaign:
    """A campaign of the year ("Familienwandertag 2015" of the series "Familienwandertag")."""

    name: str
    series: str
    year: int
    event_date: date | None
    description: str


@dataclass
class Books:
    """Balances while planning, so the demo never spends money it does not have."""

    funds: Counter = field(default_factory=Counter)
    accounts: Counter = field(default_factory=Counter)
    opening: Counter = field(default_factory=Counter)
    year: list[Planned] = field(default_factory=list)
    campaigns: list[PlannedCampaign] = field(default_factory=list)
    steps: list = field(default_factory=list)  # demo_grants.Step, in the order to record
    gifts: list = field(default_factory=list)  # demo_gifts.InKind and Waiver

    def start_year(self) -> None:
        """Begin planning a new year."""
        self.opening, self.year = Counter(self.accounts), []
        self.campaigns, self.steps, self.gifts = [], [], []

    def add(self, when, account, text, lines, person=None, member=None) -> None:
        """Plan one booking and update the balances."""
        planned = Planned(when, account, text, tuple(lines), person, member)
        for line in planned.lines:
            self.funds[line.fund] += line.cents
        if account:
            self.accounts[account] += planned.amount_cents
        self.year.append(planned)

    def balance_on(self, account: str, day: date) -> int:
        """An account's balance at the end of `day`."""
        booked = (p.amount_cents for p in self.year if p.account == account and p.when <= day)
        return self.opening[account] + sum(booked)

    def campaign(self, series: str) -> PlannedCampaign | None:
        """This year's campaign of `series`, if there is one."""
        return next((c for c in self.campaigns if c.series == series), None)
