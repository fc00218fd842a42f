"""Donations in kind and waived reimbursements in the demo: planned per year, then recorded.

Every year a member brings cakes and salads for the hiking day's buffet (in kind, from private
assets, used as a cost of the hiking day); now and then a company gives something from its
business assets; from 2012 on a board member waives the travel costs the board resolved to
reimburse (Aufwandsspende). They move no money, so they change no balance of the plan; they
are recorded through the donations services with the year's bookings.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from supportclub import demo_data as data
from supportclub.demo_books import Books, Cast, Member, day_of
from supportclub.demo_grants import running_projects
from supportclub.donations.models import InKindOrigin
from supportclub.donations.services import record_in_kind, record_waiver
from supportclub.ledger.models import Fund, Person
from supportclub.money import format_cents

HIKING_SERIES = "Familienwandertag"


@dataclass(frozen=True)
class InKind:
    """A donation in kind (Sachspende) and what it is used for."""

    when: date
    person: Person
    cents: int
    description: str
    origin: InKindOrigin
    value_basis: str
    use: str  # the expense category it replaces
    campaign: str | None = None  # the campaign's name
    fund: str = Fund.GENERAL


@dataclass(frozen=True)
class Waiver:
    """A waived reimbursement (Aufwandsspende)."""

    when: date
    person: Person
    cents: int
    description: str
    claim_date: date
    claim_basis: str
    expense: str = "admin_cost"


def plan_gifts(
    rng: random.Random, year: int, cast: Cast, members: list[Member], books: Books
) -> None:
    """The year's donations in kind and waivers (after the year's campaigns are planned)."""
    hiking = books.campaign(HIKING_SERIES)
    # not the member login: its portal shows dues payments and one open claim
    login = cast.privates[0]
    donors = [
        m.person
        for m in members
        if m.active(year) and m.kind != "corporate" and m.person is not login
    ]
    if hiking is not None and donors:
        description, basis = data.HIKING_GIFT
        books.gifts.append(
            InKind(
                hiking.event_date,
                rng.choice(donors),
                rng.randint(3000, 9000),
                f"{description} {year}",
                InKindOrigin.PRIVATE,
                basis,
                "campaign_cost",
                hiking.name,
            )
        )
    if rng.random() < 0.35:
        _company_gift(rng, year, cast, books)
    if year > data.TRAVEL_RESOLUTION.year:
        _travel_waiver(rng, year, cast, members, books)


def _company_gift(rng: random.Random, year: int, cast: Cast, books: Books) -> None:
    """A company's donation in kind: for a campaign of the year, a running project or the office."""
    running = running_projects(year)
    choices = [
        gift
        for gift in data.COMPANY_GIFTS
        if gift[5] is None or gift[5] in running or books.campaign(gift[5]) is not None
    ]
    company, description, (low, high), basis, use, target = rng.choice(choices)
    cents = rng.randint(low, high) // 100 * 100
    campaign = books.campaign(target) if target else None
    if campaign is not None:
        when, fund = campaign.event_date - timedelta(days=rng.randint(1, 5)), Fund.GENERAL
    else:
        when, fund = day_of(rng, year, rng.randint(2, 11)), target or Fund.GENERAL
    books.gifts.append(
        InKind(
            when,
            cast.companies[company],
            cents,
            description,
            InKindOrigin.BUSINESS,
            basis,
            use,
            campaign.name if campaign else None,
            fund,
        )
    )


def _travel_waiver(rng, year: int, cast: Cast, members: list[Member], books: Books) -> None:
    """A board member waives the year's travel costs (0,30 € per km, by board resolution)."""
    login = cast.privates[0]
    board = next(
        (
            m.person
            for m in members
            if m.active(year) and m.kind == "regular" and m.person is not login
        ),
        None,
    )
    if board is None:
        return
    km, rate = rng.randint(180, 650), data.TRAVEL_CENTS_PER_KM
    description = (
        f"Fahrtkosten {year}: {km} km mit dem eigenen Pkw zu Terminen mit geförderten "
        f"Projekten ({format_cents(rate)} je km)"
    )
    resolution = f"Vorstandsbeschluss vom {data.TRAVEL_RESOLUTION:%d.%m.%Y} (Fahrtkostenerstattung)"
    when = date(year, 12, rng.randint(1, 20))
    books.gifts.append(Waiver(when, board, km * rate, description, date(year, 11, 30), resolution))


def record_gift(gift: InKind | Waiver, ids: dict[str, dict], campaigns: dict) -> None:
    """Record a planned donation in kind or waiver (`campaigns`: Campaign by name)."""
    category, fund = ids["category"], ids["fund"]
    if isinstance(gift, InKind):
        record_in_kind(
            booking_date=gift.when,
            person_id=gift.person.id,
            value_cents=gift.cents,
            description=gift.description,
            origin=gift.origin,
            value_basis=gift.value_basis,
            documents_present=True,
            use_category_id=category[gift.use].id,
            fund_id=fund[gift.fund].id,
            campaign_id=campaigns[gift.campaign].id if gift.campaign else None,
            actor=None,
        )
    else:
        record_waiver(
            booking_date=gift.when,
            person_id=gift.person.id,
            amount_cents=gift.cents,
            description=gift.description,
            claim_date=gift.claim_date,
            claim_basis=gift.claim_basis,
            expense_category_id=category[gift.expense].id,
            actor=None,
        )
