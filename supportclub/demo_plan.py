"""Planning the demo association's books year by year, with no database access.

`membership_history` decides who is a member when, and `plan_year` plans one year's bookings
against the running balances in `Books` (see `demo_books`) so that no fund or account ends a
year below zero: dues, donations (some earmarked for a running project), the year's campaigns
with their revenue and costs, donations in kind and waivers (`demo_gifts`), running costs,
the project steps planned by `demo_grants` and interest. `demo` creates the persons and
projects first and records the plan afterwards; the fixed lists are in `demo_data`.
"""

import random
from datetime import date, timedelta

from supportclub import demo_data as data
from supportclub.demo_books import (
    FIRST_YEAR,
    Books,
    Cast,
    Member,
    PlannedCampaign,
    day_of,
    ln,
    sold,
)
from supportclub.demo_gifts import HIKING_SERIES, plan_gifts
from supportclub.demo_grants import GrantPlan, plan_grants, project_needs
from supportclub.ledger.models import Fund, Person

CARDS_SERIES = "Weihnachtskarten"


def fee_cents(kind: str, year: int) -> int:
    """The yearly fee of a membership type in `year` (rates change on 1 January)."""
    rates = data.MEMBERSHIP_TYPES[kind][2]
    return next(cents for since, cents in reversed(rates) if since.year <= year)


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


def _plan_dues(rng: random.Random, year: int, members: list[Member], books: Books) -> None:
    """Each member's dues for the year; what is paid above the fee is a donation.

    A new member joins on the first of the month of their first payment. Late payers pay
    part of the fee or nothing; members with a mandate are debited on DEBIT_DAY.
    """
    for member in (m for m in members if m.active(year)):
        if member.joined == year:
            when = day_of(rng, year, rng.randint(2, 11))
            member.start = when.replace(day=1)
        else:
            when = day_of(rng, year, rng.choice(data.DUES_MONTHS))
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
    fund, when = Fund.GENERAL, day_of(rng, year, rng.choice(data.DONATION_MONTHS))
    open_projects = sorted(code for code, need in needs.items() if need >= cents)
    if open_projects and rng.random() < 0.25:
        fund = rng.choice(open_projects)
        needs[fund] -= cents
        when = day_of(rng, year, rng.randint(1, 5))  # before the project's payouts
        text = f"Spende für das Projekt {_project_title(fund)}"
    books.add(when, "bank", text, [ln("donation", cents, fund)], person)


def _project_title(code: str) -> str:
    """A long-running demo project's title by its code."""
    return next(title for c, title, *_rest in data.PROJECTS if c == code)


def _plan_hiking_day(rng: random.Random, year: int, cast: Cast, books: Books) -> None:
    """The Familienwandertag: start fees, sales and donation box in cash; costs by bank."""
    day = date(year, 9, 8) + timedelta(days=(6 - date(year, 9, 8).weekday()))  # 2nd Sunday
    walkers = 90 + 11 * (year - FIRST_YEAR) + rng.randint(-10, 25)
    fee = 200 if year < 2016 else 300
    title = f"{HIKING_SERIES} {year}"
    description = "Rundwanderung für Familien am Fuchsturm, mit Buffet und Spendenbox"
    books.campaigns.append(PlannedCampaign(title, HIKING_SERIES, year, day, description))
    food = walkers * rng.randint(250, 400) // 10 * 10
    revenue = [
        sold("campaign_fees", walkers, fee, "Startgelder", title),
        ln("sales", food, text="Speisen und Getränke", campaign=title),
        ln("donation", rng.randint(6000, 25000), text="Spendenbox", campaign=title),
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
        # the liability insurance serves the event itself: a cost of the Zweckbetrieb
        category = "campaign_cost" if key else "purpose_cost"
        line = ln(category, -cents, text=what, campaign=title)
        books.add(when, "bank", f"{title}: {what}", [line], person)
    _plan_cash_deposit(day + timedelta(days=rng.randint(1, 4)), books)


def _plan_cards(rng: random.Random, year: int, cast: Cast, books: Books) -> None:
    """Weihnachtskarten (from 2011): printing in October, sales in November and December."""
    if year < 2011:
        return
    price, printed = (250 if year < 2020 else 300), 400 + 25 * (year - FIRST_YEAR)
    title = f"{CARDS_SERIES} {year}"
    market = date(year, 12, rng.randint(1, 12))
    description = "Weihnachtskarten mit Motiven aus Jena: Sammelbestellungen und Weihnachtsmarkt"
    books.campaigns.append(PlannedCampaign(title, CARDS_SERIES, year, market, description))
    cents = printed * rng.randint(55, 75)
    cost = [ln("campaign_cost", -cents, text=f"Druck von {printed} Karten", campaign=title)]
    books.add(day_of(rng, year, 10), "bank", f"{title}: Druck", cost, cast.companies["druckerei"])
    for key in rng.sample(data.CARD_BUYERS, 2):
        count = rng.choice((20, 25, 30, 40, 50))
        sale = [sold("sales", count, price, "Karten (Sammelbestellung)", title)]
        buyer = cast.companies[key]
        books.add(day_of(rng, year, 11), "bank", f"{title}: Sammelbestellung", sale, buyer)
    count = rng.randint(printed * 2 // 5, printed * 3 // 5)
    sale = [sold("sales", count, price, "Karten (Weihnachtsmarkt)", title)]
    books.add(market, "cash", f"{title}: Weihnachtsmarkt", sale)
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
    books.add(day_of(rng, year, rng.randint(1, 12)), "bank", "Porto, Bürobedarf, Webseite", office)


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


def plan_year(
    rng: random.Random,
    year: int,
    cast: Cast,
    members: list[Member],
    grants: GrantPlan,
    books: Books,
) -> Books:
    """Plan one year's bookings, gifts and project steps; check the year's end."""
    books.start_year()
    needs = project_needs(year, grants, books)
    _plan_dues(rng, year, members, books)
    _plan_donations(rng, year, cast, needs, books)
    _plan_hiking_day(rng, year, cast, books)
    _plan_cards(rng, year, cast, books)
    plan_gifts(rng, year, cast, members, books)
    _plan_running_costs(rng, year, cast, books)
    plan_grants(year, grants, books)
    _plan_interest(year, books)
    _check_year_end(year, books)
    return books
