"""The demo association: `flask --app supportclub demo` loads it once, through the services.

A fixed random seed makes every fresh database get the same demo: about 155 persons, six project
funds, four membership types and the books from the founding year 2009 to last year. Each year is
first planned against running balances (no fund or account ends a year below zero) by
`demo_plan`; then the year's members join or leave and its dues run (`demo_members`), and the
bookings are recorded with `record_booking` on channel "demo" with the reference
"demo-YYYY-NNNN", each dues payment settling its claim. The fixed lists are in `demo_data`.
"""

import random
from dataclasses import dataclass
from datetime import date

import click
from sqlalchemy import select

from supportclub import clock
from supportclub import demo_data as data
from supportclub.admin.services import update_settings
from supportclub.auth.services import create_user, find_user_by_email
from supportclub.demo_members import choose_extras, create_membership_types, record_dues_year
from supportclub.demo_plan import (
    FIRST_YEAR,
    GRANTS_TOTAL_CENTS,
    Books,
    Cast,
    Planned,
    grant_schedule,
    membership_history,
    plan_year,
)
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, Category, Channel, Fund, Person, PersonKind
from supportclub.ledger.services import LineInput, create_fund, create_person, record_booking
from supportclub.members.models import MembershipType
from supportclub.money import format_cents
from supportclub.permissions import Role

SEED = 20090601
EXTRAS_SEED = SEED + 1  # payers, mandates, late payers: drawn apart from the books
PRIVATE_PERSONS = 125

DEMO_PASSWORD = "supportclub-demo"
MEMBER_EMAIL = "mitglied@example.org"
DEMO_LOGINS = [
    ("admin@example.org", Role.ADMIN, DEMO_PASSWORD),
    ("kasse@example.org", Role.TREASURER, DEMO_PASSWORD),
    ("vorstand@example.org", Role.BOARD, DEMO_PASSWORD),
    (MEMBER_EMAIL, Role.MEMBER, DEMO_PASSWORD),
]
ROLE_LABELS = {
    Role.ADMIN: "Administration",
    Role.TREASURER: "Kasse",
    Role.BOARD: "Vorstand",
    Role.MEMBER: "Mitglied",
}


@dataclass
class DemoResult:
    """What one run of the demo loader did."""

    already_loaded: bool
    persons: int = 0
    funds: int = 0
    bookings: int = 0
    users_created: int = 0
    last_year: int | None = None
    grants_cents: int = 0
    memberships: int = 0


# Persons, funds and logins, created through the services.


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


def _create_funds() -> dict[str, Fund]:
    """One earmarked fund per demo project."""
    return {
        code: create_fund(code=code, name=name, earmarked=True, actor=None)
        for code, name, *_rest in data.PROJECTS
    }


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


def _record_year(
    year: int, planned: list[Planned], ids: dict[str, dict], claims: dict[int, int]
) -> int:
    """Record the year's planned bookings in date order as demo bookings.

    The "dues" line of a dues payment settles the member's claim of the year (`claims`: claim
    id by membership id).
    """
    for seq, item in enumerate(sorted(planned, key=lambda p: p.when), start=1):
        claim_id = claims[item.member.membership_id] if item.member else None
        lines = [
            LineInput(
                ids["category"][c].id,
                ids["fund"][f].id,
                n,
                t,
                dues_claim_id=claim_id if c == "dues" else None,
            )
            for c, f, n, t in item.lines
        ]
        record_booking(
            booking_date=item.when,
            account_id=ids["account"][item.account].id if item.account else None,
            amount_cents=item.amount_cents,
            lines=lines,
            actor=None,
            person_id=item.person.id if item.person else None,
            text=item.text,
            channel=Channel.DEMO,
            external_ref=f"demo-{year}-{seq:04d}",
        )
    return len(planned)


def _plan_and_record(rng, extras_rng, years, cast, members, schedule) -> int:
    """Plan each year against the running balances and check it; run its dues; record it."""
    # Holding the objects keeps them in the session's identity map: record_booking's lookups
    # by id then need no query.
    ids = {
        model.__tablename__: {row.code: row for row in db.session.execute(select(model)).scalars()}
        for model in (Account, Category, Fund)
    }
    types = create_membership_types()
    books, count = Books(), 0
    for year in years:
        planned = plan_year(rng, year, cast, members, schedule, books)
        claims = record_dues_year(extras_rng, year, members, types)
        count += _record_year(year, planned, ids, claims)
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
    """Settings, persons, funds, bookings and logins into an empty database."""
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
    cast = _create_persons(rng)
    funds = _create_funds()
    members = membership_history(rng, cast, years)
    choose_extras(extras_rng, cast, members, years)
    schedule = grant_schedule(rng, years, cast)
    bookings = _plan_and_record(rng, extras_rng, years, cast, members, schedule)
    persons = len(cast.privates) + len(cast.companies) + len(cast.recipients)
    users = _ensure_users()
    return DemoResult(
        False,
        persons,
        len(funds),
        bookings,
        users,
        years[-1],
        GRANTS_TOTAL_CENTS,
        memberships=len(members),
    )


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
            f"{result.funds} Projektfonds, "
            f"{result.bookings} Buchungen {FIRST_YEAR}–{result.last_year}, "
            f"Förderungen {format_cents(result.grants_cents)}."
        )
    if result.users_created:
        click.echo(f"Neu angelegte Demo-Zugänge: {result.users_created}.")
    click.echo("Demo-Zugänge:")
    for email, role, password in DEMO_LOGINS:
        click.echo(f"  {ROLE_LABELS[role]:<15} {email:<22} {password}")
