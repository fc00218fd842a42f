"""Factory helpers: make_person(**overrides), make_user(...), make_booking(...)."""

import itertools
from datetime import date

from sqlalchemy import select

from supportclub.auth.services import create_user
from supportclub.extensions import db
from supportclub.ledger.models import Account, Category, Fund, PersonKind
from supportclub.ledger.services import LineInput, create_person, record_booking

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_user(role: str = "treasurer", email: str | None = None, password: str = PASSWORD, **kw):
    """A user with a role."""
    email = email or f"{role}{next(_counter)}@example.org"
    user = create_user(email=email, password=password, role=role, actor=None, **kw)
    db.session.commit()
    return user


def make_person(**overrides):
    """A private person with an address."""
    n = next(_counter)
    values = dict(
        actor=None,
        kind=PersonKind.PRIVATE,
        first_name="Anna",
        last_name=f"Muster{n}",
        street="Hauptstraße 1",
        postal_code="07743",
        city="Jena",
        email=f"anna{n}@example.org",
    )
    values.update(overrides)
    person = create_person(**values)
    db.session.commit()
    return person


def by_code(model, code: str):
    """An account, fund or category by its code."""
    return db.session.execute(select(model).filter_by(code=code)).scalar_one()


def make_booking(
    amount_cents: int = 10000,
    *,
    category: str = "donation",
    fund: str = "general",
    account: str = "bank",
    booking_date: date | None = None,
    actor=None,
    commit: bool = True,
    **kw,
):
    """A one-line booking (income when positive)."""
    booking = record_booking(
        booking_date=booking_date or date(2025, 3, 1),
        account_id=by_code(Account, account).id,
        amount_cents=amount_cents,
        lines=[
            LineInput(
                category_id=by_code(Category, category).id,
                fund_id=by_code(Fund, fund).id,
                amount_cents=amount_cents,
            )
        ],
        actor=actor,
        **kw,
    )
    if commit:
        db.session.commit()
    return booking


def booking_form(**overrides) -> dict:
    """A valid single-line income form, with overrides."""
    data = {
        "kind": "income",
        "booking_date": date(2025, 5, 2).isoformat(),
        "amount": "1.234,56",
        "account_id": str(by_code(Account, "bank").id),
        "person": "",
        "text": "Spende Sommerfest",
        "lines-0-category_id": str(by_code(Category, "donation").id),
        "lines-0-fund_id": str(by_code(Fund, "general").id),
        "lines-0-amount": "",
        "lines-0-text": "",
        "submit": "Buchung speichern",
    }
    data.update(overrides)
    return data


def make_membership_type(code: str | None = None, rates=((date(2009, 1, 1), 3600),), **kw):
    """A membership type with fee rates [(valid_from, cents), ...] (default: 36 € from 2009)."""
    from supportclub.members.services import add_fee_rate, create_membership_type

    code = code or f"type{next(_counter)}"
    mtype = create_membership_type(code=code, name=kw.pop("name", code.title()), actor=None, **kw)
    for valid_from, cents in rates:
        add_fee_rate(mtype, valid_from=valid_from, amount_cents=cents, actor=None)
    db.session.commit()
    return mtype


def make_member(mtype=None, *, start_date: date = date(2020, 1, 1), person=None, **person_kw):
    """A person with a running membership (type: a fresh 36 € type unless given)."""
    from supportclub.members.services import join

    mtype = mtype or make_membership_type()
    person = person or make_person(**person_kw)
    join(person, membership_type_id=mtype.id, start_date=start_date, actor=None)
    db.session.commit()
    return person


def membership_of(person):
    """The person's (first) membership."""
    return person.memberships[0]


def make_claim(person, year: int = 2025, *, run_date: date | None = None):
    """Run the dues for `year` and return the person's claim of that year."""
    from supportclub.dues.models import DuesClaim
    from supportclub.dues.services import run_dues

    run_dues(year, actor=None, run_date=run_date or date(year, 1, 15))
    db.session.commit()
    return db.session.execute(
        select(DuesClaim).filter_by(membership_id=membership_of(person).id, year=year)
    ).scalar_one()


def make_campaign(name: str | None = None, *, series: str = "Familienwandertag", year: int = 2025):
    """A campaign (default: "Familienwandertag <year>")."""
    from supportclub.campaigns.services import create_campaign

    campaign = create_campaign(
        name=name or f"{series} {year}", series=series, year=year, actor=None
    )
    db.session.commit()
    return campaign


def make_project(
    title: str = "Lesefest",
    *,
    requested_cents: int = 100000,
    applied_on: date = date(2025, 2, 1),
    applicant=None,
    **kw,
):
    """A project applied for by an organisation (created unless given)."""
    from supportclub.projects.services import create_project

    applicant = applicant or make_person(
        kind=PersonKind.ORGANISATION, first_name="", last_name=f"Kita Sonnenschein {next(_counter)}"
    )
    project = create_project(
        applicant_id=applicant.id,
        title=title,
        requested_cents=requested_cents,
        applied_on=applied_on,
        actor=None,
        **kw,
    )
    db.session.commit()
    return project


def make_grant(
    project=None,
    amount_cents: int = 100000,
    *,
    resolution_date: date = date(2025, 3, 1),
    override_reason: str | None = None,
):
    """An approval for a project (a fresh one unless given); the board decided on 1 March 2025."""
    from supportclub.projects.services import approve_project

    project = project or make_project()
    grant = approve_project(
        project,
        resolution_date=resolution_date,
        amount_cents=amount_cents,
        actor=None,
        override_reason=override_reason,
    )
    db.session.commit()
    return grant


def make_receipt_settings(**overrides):
    """Association settings complete for receipts (Freistellungsbescheid of 2024)."""
    from supportclub.admin.services import get_settings

    settings = get_settings()
    values = dict(
        name="Förderverein Grundschule Am Park e. V.",
        street="Schulstraße 1",
        postal_code="07743",
        city="Jena",
        tax_office="Jena",
        tax_number="162/141/12345",
        exemption_kind="freistellungsbescheid",
        exemption_date=date(2024, 5, 15),
        exemption_period="2021 bis 2023",
        purposes="der Erziehung und Bildung sowie der Jugendhilfe",
        dues_deductible=True,
        receipt_signatory="Petra Kassner, Schatzmeisterin",
    )
    values.update(overrides)
    for key, value in values.items():
        setattr(settings, key, value)
    db.session.commit()
    return settings


def make_contribution(
    person,
    amount_cents: int = 5000,
    *,
    kind: str = "money",
    booking_date: date = date(2025, 3, 1),
    fund_id: int | None = None,
    commit: bool = True,
):
    """A booked contribution of `person`: money, dues, in_kind or waiver; returns the booking."""
    from supportclub.donations.models import InKindOrigin
    from supportclub.donations.services import record_donation, record_in_kind, record_waiver

    if kind == "money":
        booking = record_donation(
            booking_date=booking_date,
            account_id=by_code(Account, "bank").id,
            amount_cents=amount_cents,
            person_id=person.id,
            fund_id=fund_id,
            text="Spende",
            actor=None,
        )
    elif kind == "dues":
        booking = make_booking(
            amount_cents,
            category="dues",
            booking_date=booking_date,
            person_id=person.id,
            text="Mitgliedsbeitrag",
            commit=False,
        )
    elif kind == "in_kind":
        booking = record_in_kind(
            booking_date=booking_date,
            person_id=person.id,
            value_cents=amount_cents,
            description="Beamer Epson EB-W49, 2 Jahre alt, sehr guter Zustand, Kaufpreis 649 €",
            origin=InKindOrigin.PRIVATE,
            value_basis="Kaufbeleg und Vergleichsangebote",
            documents_present=True,
            actor=None,
        )
    elif kind == "waiver":
        booking = record_waiver(
            booking_date=booking_date,
            person_id=person.id,
            amount_cents=amount_cents,
            description="Fahrtkosten Elternabend (120 km)",
            claim_date=booking_date.replace(day=1),
            claim_basis="Vorstandsbeschluss vom 10.01.2025",
            expense_category_id=by_code(Category, "admin_cost").id,
            actor=None,
        )
    else:
        raise ValueError(kind)
    if commit:
        db.session.commit()
    return booking


def donation_line(booking):
    """The (first) donation or dues line of a booking."""
    return next(line for line in booking.lines if line.amount_cents > 0)
