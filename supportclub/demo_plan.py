"""Planning the demo association's books year by year, with no database access.

`membership_history` decides who is a member when, `grant_schedule` spreads GRANTS_TOTAL_CENTS
over the years, and `plan_year` plans one year's bookings against the running balances in `Books`
so that no fund or account ends a year below zero. `demo` creates the persons and funds first and
records the plan afterwards; the fixed lists are in `demo_data`.
"""

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from supportclub import demo_data as data
from supportclub.ledger.models import Fund, Person
from supportclub.money import format_cents

FIRST_YEAR = 2009
# "Über 107.000 € vergeben": the exact sum of all grant payouts from 2009 to last year.
GRANTS_TOTAL_CENTS = 10_738_460
RESERVE_CENTS = 50_000  # the general fund keeps at least this much after grants


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


@dataclass(frozen=True)
class Grant:
    """One planned grant payout."""

    when: date
    fund: str
    recipient: Person
    cents: int
    text: str


@dataclass(frozen=True)
class Planned:
    """A booking to record; lines are (category code, fund code, cents, text)."""

    when: date
    account: str | None
    text: str
    lines: tuple[tuple[str, str, int, str], ...]
    person: Person | None = None
    # a dues payment: its "dues" line settles this member's claim of the year
    member: Member | None = field(default=None, compare=False)

    @property
    def amount_cents(self) -> int:
        """The sum of the lines (0 for an allocation between funds, which has no account)."""
        return sum(line[2] for line in self.lines) if self.account else 0


@dataclass
class Books:
    """Balances while planning, so the demo never spends money it does not have."""

    funds: Counter = field(default_factory=Counter)
    accounts: Counter = field(default_factory=Counter)
    opening: Counter = field(default_factory=Counter)
    year: list[Planned] = field(default_factory=list)

    def start_year(self) -> None:
        """Begin planning a new year."""
        self.opening, self.year = Counter(self.accounts), []

    def add(self, when, account, text, lines, person=None, member=None) -> None:
        """Plan one booking and update the balances."""
        planned = Planned(when, account, text, tuple(lines), person, member)
        for _category, fund, cents, _text in planned.lines:
            self.funds[fund] += cents
        if account:
            self.accounts[account] += planned.amount_cents
        self.year.append(planned)

    def balance_on(self, account: str, day: date) -> int:
        """An account's balance at the end of `day`."""
        booked = (p.amount_cents for p in self.year if p.account == account and p.when <= day)
        return self.opening[account] + sum(booked)


def ln(category: str, cents: int, fund: str = Fund.GENERAL, text: str = "") -> tuple:
    """One planned booking line."""
    return (category, fund, cents, text)


def fee_cents(kind: str, year: int) -> int:
    """The yearly fee of a membership type in `year` (rates change on 1 January)."""
    rates = data.MEMBERSHIP_TYPES[kind][2]
    return next(cents for since, cents in reversed(rates) if since.year <= year)


def _day(rng: random.Random, year: int, month: int) -> date:
    """A random day of `month`."""
    return date(year, month, rng.randint(1, 28))


def membership_history(rng: random.Random, cast: Cast, years: list[int]) -> list[Member]:
    """Who is a member when: about 40 in the founding year, growing to about 110."""
    login_person, pool = cast.privates[0], cast.privates[1:]
    rng.shuffle(pool)
    pool.insert(0, login_person)  # the member login is a member from the start
    companies = [cast.companies[key] for key in data.CORPORATE_MEMBERS]
    members: list[Member] = []
    span = max(years[-1] - FIRST_YEAR, 1)
    for year in years:
        for member in members:
            leaves = member.kind != "corporate" and rng.random() < 0.012
            if member.active(year) and member.person is not login_person and leaves:
                member.left = year
        corporate = sum(1 for m in members if m.active(year) and m.kind == "corporate")
        for _ in range(min(3 + 7 * (year - FIRST_YEAR) // span - corporate, len(companies))):
            members.append(_new_member(rng, companies.pop(0), year, "corporate"))
        missing = 40 + 70 * (year - FIRST_YEAR) // span - sum(m.active(year) for m in members)
        for _ in range(min(max(missing, 0), len(pool))):
            kind = rng.choices(("regular", "reduced", "family"), (55, 15, 30))[0]
            members.append(_new_member(rng, pool.pop(0), year, kind))
    return members


def _new_member(rng: random.Random, person: Person, year: int, kind: str) -> Member:
    """A membership; some members pay more than the fee."""
    pays = fee_cents(kind, year)
    if rng.random() < (0.3 if kind == "corporate" else 0.15):
        pays = rng.choice(data.GENEROUS[kind])
    return Member(person, kind, pays, year)


def grant_schedule(rng: random.Random, years: list[int], cast: Cast) -> dict[int, list[Grant]]:
    """Spread GRANTS_TOTAL_CENTS over the years, growing with the association."""
    weights = [3 + index for index in range(len(years))]
    shares = [GRANTS_TOTAL_CENTS * w // sum(weights) // 5000 * 5000 for w in weights]
    shares[-1] += GRANTS_TOTAL_CENTS - sum(shares)
    pairs = zip(years, shares, strict=True)
    return {year: _year_grants(rng, year, share, cast) for year, share in pairs}


def _year_grants(rng: random.Random, year: int, share: int, cast: Cast) -> list[Grant]:
    """One year's grants: a part for each running project, the rest as one-off grants."""
    grants: list[Grant] = []
    for code, name, recipient, first, last, purposes in data.PROJECTS:
        if first <= year <= (last or year):
            cents = share * rng.randint(12, 20) // 100 // 5000 * 5000
            if rng.random() < 0.3:
                cents -= rng.randint(1, 4999)  # paid as proven by the Verwendungsnachweis
            text = f"{name}: {rng.choice(purposes)}"
            grants += _instalments(rng, year, code, cast.recipients[recipient], cents, text)
    rest = share - sum(grant.cents for grant in grants)
    count = 1 + min(2, rest // 150_000)
    for index in range(count):
        cents = rest if index == count - 1 else rest * rng.randint(25, 45) // 100 // 5000 * 5000
        rest -= cents
        key, purpose = rng.choice(data.ONE_OFF_GRANTS)
        when = _day(rng, year, rng.randint(4, 12))
        grants.append(Grant(when, Fund.GENERAL, cast.recipients[key], cents, f"Zuschuss {purpose}"))
    return grants


def _instalments(rng, year, fund, recipient, cents, text) -> list[Grant]:
    """A project grant paid at once or, when larger, in two instalments."""
    if cents < 200_000 or rng.random() < 0.6:
        return [Grant(_day(rng, year, rng.randint(6, 11)), fund, recipient, cents, text)]
    first = cents // 2 // 5000 * 5000
    days = _day(rng, year, rng.randint(6, 8)), _day(rng, year, rng.randint(10, 12))
    return [
        Grant(days[0], fund, recipient, first, f"{text} (1. Rate)"),
        Grant(days[1], fund, recipient, cents - first, f"{text} (2. Rate)"),
    ]


def _project_needs(year: int, schedule: dict[int, list[Grant]], books: Books) -> dict[str, int]:
    """What each running project fund can still take in earmarked donations."""
    needs = {}
    for code, _name, _recipient, first, last, _purposes in data.PROJECTS:
        if first <= year <= (last or year):
            later = (g for y, grants in schedule.items() if y >= year for g in grants)
            needs[code] = sum(g.cents for g in later if g.fund == code) - books.funds[code]
    return needs


def _plan_dues(rng: random.Random, year: int, members: list[Member], books: Books) -> None:
    """Each member's dues for the year; what is paid above the fee is a donation.

    A new member joins on the first of the month of their first payment. Late payers pay
    part of the fee or nothing; members with a mandate are debited on DEBIT_DAY.
    """
    for member in (m for m in members if m.active(year)):
        if member.joined == year:
            when = _day(rng, year, rng.randint(2, 11))
            member.start = when.replace(day=1)
        else:
            when = _day(rng, year, rng.choice(data.DUES_MONTHS))
        cash = member.kind != "corporate" and rng.random() < 0.06
        fee = fee_cents(member.kind, year)
        paid = member.late.get(year, max(member.pays_cents, fee))
        if paid:
            _plan_dues_payment(year, member, when, cash, fee, paid, books)


def _plan_dues_payment(year, member: Member, when, cash, fee, paid, books: Books) -> None:
    """One dues payment (by the member or their payer), with a donation above the fee."""
    label = f"Beitrag {year}{data.FEE_LABELS[member.kind]}"
    lines = [ln("dues", min(paid, fee), text=label)]
    if paid > fee:
        lines.append(ln("donation", paid - fee, text="Spende über den Beitrag"))
    text = f"Mitgliedsbeitrag {year}" + (" und Spende" if len(lines) > 1 else "")
    if paid < fee:
        text += " (Teilzahlung)"
    if member.mandate and member.joined < year:
        when, cash, text = date(year, *data.DEBIT_DAY), False, f"Lastschrift {text}"
    if member.payer is not None:
        text += f" für {member.person.full_name}"
    person = member.payer or member.person
    books.add(when, "cash" if cash else "bank", text, lines, person, member)


def _plan_donations(rng, year: int, cast: Cast, needs: dict[str, int], books: Books) -> None:
    """Donations from private persons and companies; some earmarked for a project."""
    since = year - FIRST_YEAR
    for _ in range(4 + since // 4 + rng.randint(0, 2)):
        cents = rng.choice(data.PRIVATE_DONATIONS) * 100
        text = rng.choice(data.PRIVATE_DONATION_TEXTS)
        _plan_donation(rng, year, rng.choice(cast.privates), cents, text, needs, books)
    companies = sorted(cast.companies)
    for _ in range(since // 8 + rng.randint(0, 1)):
        cents = rng.choice(data.COMPANY_DONATIONS) * 100
        text = rng.choice(data.COMPANY_DONATION_TEXTS)
        person = cast.companies[rng.choice(companies)]
        _plan_donation(rng, year, person, cents, text, needs, books)


def _plan_donation(rng, year, person, cents, text, needs, books) -> None:
    """One donation, earmarked when the donor wishes it and the project still needs money."""
    fund, when = Fund.GENERAL, _day(rng, year, rng.choice(data.DONATION_MONTHS))
    open_projects = sorted(code for code, need in needs.items() if need >= cents)
    if open_projects and rng.random() < 0.25:
        fund = rng.choice(open_projects)
        needs[fund] -= cents
        when = _day(rng, year, rng.randint(1, 5))  # before the project's payouts
        text = f"Spende für {_fund_name(fund)}"
    books.add(when, "bank", text, [ln("donation", cents, fund)], person)


def _fund_name(code: str) -> str:
    """A demo project's fund name by its code."""
    return next(name for c, name, *_rest in data.PROJECTS if c == code)


def _plan_hiking_day(rng: random.Random, year: int, cast: Cast, books: Books) -> None:
    """The Familienwandertag: start fees, sales and donation box in cash; costs by bank."""
    day = date(year, 9, 8) + timedelta(days=(6 - date(year, 9, 8).weekday()))  # 2nd Sunday
    walkers = 90 + 11 * (year - FIRST_YEAR) + rng.randint(-10, 25)
    fee = 200 if year < 2016 else 300
    title = f"Familienwandertag {year}"
    revenue = [
        ln("campaign_fees", walkers * fee, text=f"{walkers} Startgelder à {format_cents(fee)}"),
        ln("sales", walkers * rng.randint(250, 400) // 10 * 10, text="Speisen und Getränke"),
        ln("donation", rng.randint(6000, 25000), text="Spendenbox"),
    ]
    books.add(day, "cash", f"{title}: Kassenabrechnung", revenue)
    costs = (
        (day - timedelta(days=rng.randint(20, 40)), "druckerei", "Plakate und Flyer", 9000),
        (day - timedelta(days=2), "frischemarkt", "Getränke und Grillgut", walkers * 150),
        (day - timedelta(days=rng.randint(10, 30)), None, "Veranstaltungshaftpflicht", 6500),
    )
    for when, key, what, cents in costs:
        cents += rng.randint(0, cents // 2)
        person = cast.companies[key] if key else None
        books.add(when, "bank", f"{title}: {what}", [ln("campaign_cost", -cents)], person)
    _plan_cash_deposit(day + timedelta(days=rng.randint(1, 4)), books)


def _plan_cards(rng: random.Random, year: int, cast: Cast, books: Books) -> None:
    """Weihnachtskarten (from 2011): printing in October, sales in November and December."""
    if year < 2011:
        return
    price, printed = (250 if year < 2020 else 300), 400 + 25 * (year - FIRST_YEAR)
    title = f"Weihnachtskarten {year}"
    cost = [ln("campaign_cost", -printed * rng.randint(55, 75), text=f"{printed} Karten")]
    books.add(_day(rng, year, 10), "bank", f"{title}: Druck", cost, cast.companies["druckerei"])
    for key in rng.sample(data.CARD_BUYERS, 2):
        count = rng.choice((20, 25, 30, 40, 50))
        sale = [ln("sales", count * price, text=f"{count} Karten à {format_cents(price)}")]
        buyer = cast.companies[key]
        books.add(_day(rng, year, 11), "bank", f"{title}: Sammelbestellung", sale, buyer)
    sold = rng.randint(printed * 2 // 5, printed * 3 // 5)
    sale = [ln("sales", sold * price, text=f"{sold} Karten à {format_cents(price)}")]
    books.add(date(year, 12, rng.randint(1, 12)), "cash", f"{title}: Weihnachtsmarkt", sale)
    _plan_cash_deposit(date(year, 12, rng.randint(15, 22)), books)


def _plan_cash_deposit(when: date, books: Books) -> None:
    """Carry the cash box to the bank, keeping 100 € change in the box."""
    cents = (books.balance_on("cash", when) - 10000) // 5000 * 5000
    if cents > 0:
        books.add(when, "cash", "Bareinzahlung auf das Girokonto", [ln("transfer", -cents)])
        books.add(when, "bank", "Bareinzahlung aus der Kasse", [ln("transfer", cents)])


def _plan_running_costs(rng: random.Random, year: int, cast: Cast, books: Books) -> None:
    """Quarterly bank fees and the yearly office costs."""
    fee = [ln("bank_fees", -(450 if year < 2015 else 750 if year < 2020 else 1190))]
    for quarter, month, day in ((1, 3, 31), (2, 6, 30), (3, 9, 30), (4, 12, 30)):
        text = f"Kontoführungsentgelt {quarter}. Quartal {year}"
        books.add(date(year, month, day), "bank", text, fee, cast.companies["bank"])
    office = [ln("admin_cost", -rng.randint(4000, 9000))]
    books.add(_day(rng, year, rng.randint(1, 12)), "bank", "Porto, Bürobedarf, Webseite", office)


def _plan_grants(
    rng: random.Random, year: int, schedule: dict[int, list[Grant]], books: Books
) -> None:
    """Pay the year's grants; allocate to each project fund what it lacks first.

    A one-off grant the general fund cannot afford this year is paid next year instead.
    """
    grants = schedule[year]
    for code in sorted({g.fund for g in grants if g.fund != Fund.GENERAL}):
        payouts = [g for g in grants if g.fund == code]
        lacking = sum(g.cents for g in payouts) - books.funds[code]
        if lacking > 0:
            decided = min(g.when for g in payouts) - timedelta(days=rng.randint(7, 28))
            text = f"Mittelzuweisung an {_fund_name(code)} (Beschluss vom {decided:%d.%m.%Y})"
            lines = [ln("allocation", -lacking), ln("allocation", lacking, code)]
            books.add(decided, None, text, lines)
    for grant in grants:
        short = books.funds[Fund.GENERAL] - grant.cents < RESERVE_CENTS
        if grant.fund == Fund.GENERAL and short and year + 1 in schedule:
            schedule[year + 1].append(replace(grant, when=grant.when.replace(year=year + 1)))
            continue
        lines = [ln("grant_payout", -grant.cents, grant.fund)]
        books.add(grant.when, "bank", grant.text, lines, grant.recipient)


def _plan_interest(year: int, books: Books) -> None:
    """Year-end interest on the bank balance (none in the years of zero rates)."""
    cents = books.accounts["bank"] * data.INTEREST_BP.get(year, 50 if year > 2024 else 0) // 10000
    if cents > 0:
        books.add(date(year, 12, 31), "bank", f"Zinsgutschrift {year}", [ln("interest", cents)])


def _check_year_end(year: int, books: Books) -> None:
    """Refuse a plan that leaves a fund or an account below zero at the end of a year."""
    balances = [*books.funds.items(), *books.accounts.items()]
    negative = [f"{name} {cents}" for name, cents in balances if cents < 0]
    if negative:
        raise RuntimeError(f"The demo plan for {year} overdraws: {', '.join(negative)}")


def plan_year(rng, year, cast, members, schedule, books) -> list[Planned]:
    """Plan one year's bookings against the running balances and check the year's end."""
    books.start_year()
    needs = _project_needs(year, schedule, books)
    _plan_dues(rng, year, members, books)
    _plan_donations(rng, year, cast, needs, books)
    _plan_hiking_day(rng, year, cast, books)
    _plan_cards(rng, year, cast, books)
    _plan_running_costs(rng, year, cast, books)
    _plan_grants(rng, year, schedule, books)
    _plan_interest(year, books)
    _check_year_end(year, books)
    return books.year
