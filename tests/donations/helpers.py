"""Shared helpers of the donation tests: row counts, ids by code, projects in each state."""

from datetime import date

from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.donations.models import DonationDetail
from supportclub.ledger.models import Account, Booking, BookingLine, Category, Fund, Person
from supportclub.ledger.services import reverse_booking
from tests.factories import by_code, make_project

WRITTEN = (Booking, BookingLine, DonationDetail, AuditEntry, Person)


def counts(db) -> dict:
    """Rows of every table a donation writes to."""
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in WRITTEN
    }


def cat(code: str) -> int:
    """A category id by code."""
    return by_code(Category, code).id


def acc(code: str) -> int:
    """An account id by code."""
    return by_code(Account, code).id


def general() -> int:
    """The general fund's id."""
    return by_code(Fund, "general").id


def rejected_project(db, title: str = "Abgelehnt"):
    """A project the board rejected."""
    from supportclub.projects.services import reject_project

    project = make_project(title)
    reject_project(project, decided_on=date(2025, 3, 1), actor=None)
    db.session.commit()
    return project


def closed_project(db, title: str = "Erledigt"):
    """A project rejected and then closed (its fund is deactivated)."""
    from supportclub.projects.services import close_project

    project = rejected_project(db, title)
    close_project(project, closed_on=date(2025, 3, 2), actor=None)
    db.session.commit()
    return project


def reverse(db, booking, when: date = date(2025, 12, 1)):
    """Reverse a booking and commit."""
    reversal = reverse_booking(booking, "Falsch erfasst", actor=None, reversal_date=when)
    db.session.commit()
    return reversal
