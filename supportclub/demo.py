"""The demo association: `flask --app supportclub demo` loads it once, through the services.

A fixed random seed makes every fresh database get the same demo: about 155 persons, four
membership types, about 45 projects and the books from the founding year 2009 to last year.
Each year is first planned against running balances (no fund or account ends a year below
zero) by `demo_plan`; then the year's members join or leave and its dues run (`demo_members`),
its campaigns are created and its bookings recorded with `record_booking` on channel "demo"
with the reference "demo-YYYY-NNNN" (each dues payment settling its claim, each campaign line
pointing at its campaign), its donations in kind and waivers through the donations services
(`demo_gifts`), and its project steps through the projects services (`demo_projects`). This
year brings open applications, a rejection and an approval not yet paid, but no bookings.
The fixed lists are in `demo_data`.
"""

import random
from dataclasses import dataclass
from datetime import date

import click
from sqlalchemy import func, select

from supportclub import clock
from supportclub import demo_data as data
from supportclub.admin.services import update_settings
from supportclub.auth.services import create_user, find_user_by_email
from supportclub.campaigns.models import Campaign
from supportclub.campaigns.services import create_campaign
from supportclub.closing.services import close_year
from supportclub.demo_banking import record_bank_statement
from supportclub.demo_books import FIRST_YEAR, Books, Cast, Planned
from supportclub.demo_gifts import record_gift
from supportclub.demo_grants import GRANTS_TOTAL_CENTS, GrantPlan, grant_schedule
from supportclub.demo_members import choose_extras, create_membership_types, record_dues_year
from supportclub.demo_payments import record_online_payments
from supportclub.demo_plan import membership_history, plan_year
from supportclub.demo_projects import create_projects, project_funds, record_steps
from supportclub.demo_receipts import enable_machine_receipts
from supportclub.demo_receipts import issue_year as issue_receipts_year
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, Category, Channel, Fund, Person, PersonKind
from supportclub.ledger.services import LineInput, create_person, general_fund, record_booking
from supportclub.members.models import MembershipType
from supportclub.money import format_cents
from supportclub.permissions import Role
from supportclub.projects.models import Grant
from supportclub.reports.services import set_transparency

SEED = 20090601
EXTRAS_SEED = SEED + 1  # payers, mandates, late payers: drawn apart from the books
PRIVATE_PERSONS = 125

DEMO_PASSWORD = "supportclub-demo"
MEMBER_EMAIL = "mitglied@example.org"
DEMO_LOGINS = [
    ("admin@example.org", Role.ADMIN, DEMO_PASSWORD),
    ("kasse@example.org", Role.TREASURER, DEMO_PASSWORD),
    ("vorstand@example.org", Role.BOARD, DEMO_PASSWORD),
    ("pruefung@example.org", Role.AUDITOR, DEMO_PASSWORD),
    (MEMBER_EMAIL, Role.MEMBER, DEMO_PASSWORD),
]
ROLE_LABELS = {
    Role.ADMIN: "Administration",
    Role.TREASURER: "Kasse",
    Role.BOARD: "Vorstand",
    Role.AUDITOR: "Kassenprüfung",
    Role.MEMBER: "Mitglied",
}


@dataclass
class DemoResult:
    """What one run of the demo loader did."""

    already_loaded: bool
    persons: int = 0
    projects: int = 0
    bookings: int = 0
    users_created: int = 0
    last_year: int | None = None
    grants_cents: int = 0
    memberships: int = 0
    approved_cents: int = 0
    campaigns: int = 0
    receipts: int = 0
    receipts_year: int | None = None
    bank_lines: int = 0
    closed_until: int = 0


# Persons, settings and logins, created through the services.


def _create_persons(rng: random.Random) -> Cast:
    """About 125 private persons and 30 organisations in and around Jena."""
    names: list[tuple[str, str]] = []
    while len(names) < PRIVATE_PERSONS:
        name = (rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES))
        if name not in names:
            names.append(name)
    privates = []
    for index, (first, last) in enumerate(names):
        address = _address(rng)
        email = MEMBER_EMAIL if index == 0 else _email(rng, first, last)
        person = create_person(actor=None, first_name=first, last_name=last, email=email, **address)
        privates.append(person)
    companies = _create_organisations(data.COMPANIES)
    return Cast(privates, companies, _create_organisations(data.RECIPIENTS))


def _create_organisations(rows) -> dict[str, Person]:
    """Organisations (companies, institutions, local associations) by key."""
    kind = PersonKind.ORGANISATION
    return {
        key: create_person(
            actor=None,
            kind=kind,
            last_name=name,
            street=street,
            postal_code=code,
            city=city,
            email=email,
        )
        for key, name, street, code, city, email in rows
    }


def _address(rng: random.Random) -> dict[str, str]:
    """Street with house number, postal code and city; mostly in Jena."""
    number = f"{rng.randint(1, 80)}{rng.choice(('', '', '', '', '', '', '', 'a', 'b'))}"
    if rng.random() < 0.88:
        code = rng.choice(sorted(data.JENA_STREETS))
        street, city = rng.choice(data.JENA_STREETS[code]), "Jena"
    else:
        code, city, streets = rng.choice(data.NEIGHBOUR_TOWNS)
        street = rng.choice(streets)
    return {"street": f"{street} {number}", "postal_code": code, "city": city}


def _email(rng: random.Random, first: str, last: str) -> str | None:
    """An example.org/example.com address for most persons, None for some."""
    if rng.random() < 0.15:
        return None
    local = f"{first}.{last}".lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        local = local.replace(umlaut, plain)
    return f"{local}@{rng.choice(('example.org', 'example.com'))}"


def _ensure_users() -> int:
    """Create the demo logins that do not exist yet; return how many were created."""
    member = select(Person.id).filter_by(email=MEMBER_EMAIL).order_by(Person.id).limit(1)
    member_id = db.session.execute(member).scalar()
    created = 0
    for email, role, password in DEMO_LOGINS:
        if find_user_by_email(email) is None:
            person_id = member_id if role == Role.MEMBER else None
            create_user(email=email, password=password, role=role, actor=None, person_id=person_id)
            created += 1
    return created


# Recording the plan, and the command.


def _line(line, ids: dict[str, dict], campaigns: dict[str, Campaign], claim_id) -> LineInput:
    """The ledger line of a planned line; a "dues" line settles the member's claim."""
    return LineInput(
        ids["category"][line.category].id,
        ids["fund"][line.fund].id,
        line.cents,
        line.text,
        dues_claim_id=claim_id if line.category == "dues" else None,
        campaign_id=campaigns[line.campaign].id if line.campaign else None,
        quantity=line.quantity,
        unit_price_cents=line.unit_price,
    )


def _record_year(year: int, books: Books, ids: dict[str, dict], claims: dict[int, int]) -> int:
    """Create the year's campaigns, then record its bookings and gifts in date order.

    Bookings are demo bookings numbered in date order; the "dues" line of a dues payment
    settles the member's claim of the year (`claims`: claim id by membership id). Returns how
    many demo bookings were made (gifts are the donations services' own bookings).
    """
    # The objects, not their ids: held in the identity map, the ledger's checks of the lines'
    # campaigns need no query.
    campaigns = {
        c.name: create_campaign(
            name=c.name,
            series=c.series,
            year=c.year,
            event_date=c.event_date,
            description=c.description,
            actor=None,
        )
        for c in books.campaigns
    }
    seq = 0
    for item in sorted([*books.year, *books.gifts], key=lambda item: item.when):
        if not isinstance(item, Planned):
            record_gift(item, ids, campaigns)
            continue
        seq += 1
        claim_id = claims[item.member.membership_id] if item.member else None
        record_booking(
            booking_date=item.when,
            account_id=ids["account"][item.account].id if item.account else None,
            amount_cents=item.amount_cents,
            lines=[_line(line, ids, campaigns, claim_id) for line in item.lines],
            actor=None,
            person_id=item.person.id if item.person else None,
            text=item.text,
            channel=Channel.DEMO,
            external_ref=f"demo-{year}-{seq:04d}",
        )
    return seq


def _plan_and_record(rng, extras_rng, years, cast, members, grants: GrantPlan) -> int:
    """Plan each year against the running balances and check it; run its dues; record it.

    The current year's project steps (decisions without bookings) come last.
    """
    projects = create_projects(grants)
    # Holding the objects keeps them in the session's identity map: record_booking's lookups
    # by id then need no query.
    ids = {
        model.__tablename__: {row.code: row for row in db.session.execute(select(model)).scalars()}
        for model in (Account, Category)
    }
    ids["fund"] = {Fund.GENERAL: general_fund(), **project_funds(projects)}
    bank_id = ids["account"]["bank"].id
    types = create_membership_types()
    books, count = Books(), 0
    for year in years:
        plan_year(rng, year, cast, members, grants, books)
        claims = record_dues_year(extras_rng, year, members, types)
        demo_refs = _record_year(year, books, ids, claims)
        steps = record_steps(year, books.steps, projects, bank_id, demo_refs + 1)
        count += demo_refs + len(books.gifts) + steps
    current = sorted(grants.steps.get(grants.today.year, []), key=lambda s: s.when)
    count += record_steps(grants.today.year, current, projects, bank_id, 1)
    return count


def _has_rows(query) -> bool:
    """True when the query finds at least one row."""
    return db.session.execute(query.limit(1)).first() is not None


def load_demo(*, today: date | None = None) -> DemoResult:
    """Load the demo association once (idempotent), make sure the demo logins exist, commit."""
    try:
        if _has_rows(select(Booking.id).filter_by(channel=Channel.DEMO)):
            result = DemoResult(already_loaded=True, users_created=_ensure_users())
        else:
            result = _load_fresh(today or clock.today())
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _load_fresh(today: date) -> DemoResult:
    """Settings, persons, projects, bookings and logins into an empty database."""
    if any(_has_rows(select(model.id)) for model in (Booking, Person, MembershipType)):
        raise DomainError(
            "Die Datenbank enthält schon Personen, Buchungen oder Mitgliedsarten. Die Demo wird "
            "nur in eine leere Datenbank geladen (z. B. eine neue SQLite-Datei)."
        )
    years = list(range(FIRST_YEAR, today.year))
    # Fewer years of income (less the late payers' dues) cannot pay for GRANTS_TOTAL_CENTS.
    if len(years) < 15:
        raise DomainError(f"Die Demo braucht mindestens die Jahre {FIRST_YEAR} bis 2023.")
    rng, extras_rng = random.Random(SEED), random.Random(EXTRAS_SEED)
    update_settings(data.SETTINGS, actor=None)
    set_transparency(True, actor=None)
    cast = _create_persons(rng)
    members = membership_history(rng, cast, years)
    choose_extras(extras_rng, cast, members, years)
    grants = grant_schedule(rng, years, cast, today)
    bookings = _plan_and_record(rng, extras_rng, years, cast, members, grants)
    enable_machine_receipts()
    receipts = issue_receipts_year(years[-2], date(years[-1], 1, 20))
    record_online_payments(years[-1])
    bank_lines = record_bank_statement(years[-1])
    closed_until = _close_past_years(years[:-1])
    approved, campaigns = db.session.execute(
        select(
            select(func.sum(Grant.amount_cents)).scalar_subquery(),
            select(func.count(Campaign.id)).scalar_subquery(),
        )
    ).one()
    return DemoResult(
        already_loaded=False,
        persons=len(cast.privates) + len(cast.companies) + len(cast.recipients),
        projects=len(grants.projects),
        bookings=bookings,
        users_created=_ensure_users(),
        last_year=years[-1],
        grants_cents=GRANTS_TOTAL_CENTS,
        memberships=len(members),
        approved_cents=int(approved),
        campaigns=campaigns,
        receipts=receipts,
        receipts_year=years[-2],
        bank_lines=bank_lines,
        closed_until=closed_until,
    )


def _close_past_years(years: list[int]) -> int:
    """Close (festschreiben) every year but the last, as a treasurer would have done each spring;
    the demo has no bank statements of those years, so their warning is confirmed."""
    for year in years:
        close_year(
            year,
            actor=None,
            note="Demo: Jahresabschluss nach der Kassenprüfung.",
            confirm_warnings=True,
        )
    return years[-1]


@click.command("demo")
def demo_command():
    """Load the demo association (idempotent) and print the demo logins."""
    try:
        result = load_demo()
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    if result.already_loaded:
        click.echo("Die Demo war bereits geladen; es wurde nichts doppelt angelegt.")
    else:
        click.echo(
            f"Demo geladen: {result.persons} Personen, {result.memberships} Mitgliedschaften, "
            f"{result.projects} Projekte, {result.campaigns} Aktionen, "
            f"{result.bookings} Buchungen {FIRST_YEAR}–{result.last_year}, "
            f"Förderungen bewilligt {format_cents(result.approved_cents)}, "
            f"ausgezahlt {format_cents(result.grants_cents)}; "
            f"{result.receipts} Zuwendungsbestätigungen für {result.receipts_year} ausgestellt "
            f"(das Jahr {result.last_year} ist noch offen für den Jahreslauf)."
        )
        click.echo(
            f"Kontoauszug Dezember {result.last_year}: {result.bank_lines} Umsätze warten unter "
            "Kontoauszüge auf die Prüfung."
        )
        click.echo(
            f"Jahresabschluss: {FIRST_YEAR}–{result.closed_until} sind festgeschrieben; "
            f"{result.last_year} ist offen (Checkliste unter Jahresabschluss)."
        )
    if result.users_created:
        click.echo(f"Neu angelegte Demo-Zugänge: {result.users_created}.")
    click.echo("Demo-Zugänge:")
    for email, role, password in DEMO_LOGINS:
        click.echo(f"  {ROLE_LABELS[role]:<15} {email:<22} {password}")
