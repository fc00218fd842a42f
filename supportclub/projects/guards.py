"""Shared checks and row locks of the project services (amounts, decision dates, locks)."""

from datetime import date

from sqlalchemy import select

from supportclub.clock import today
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Category, Fund
from supportclub.ledger.services import general_fund
from supportclub.money import format_cents
from supportclub.projects.models import Project

# the largest amount one project may request or receive in one step (10 million euros)
MAX_PROJECT_CENTS = 10_000_000_00


def category_id(code: str) -> int:
    """The id of a category by its code."""
    return db.session.execute(select(Category.id).filter_by(code=code)).scalar_one()


def lock_general_fund() -> Fund:
    """Lock the general fund's row: approvals and allocations queue up behind each other."""
    general = general_fund()
    return db.session.execute(
        select(Fund).where(Fund.id == general.id).with_for_update()
    ).scalar_one()


def lock_project(project: Project) -> Project:
    """Lock the project's row and reload it."""
    return db.session.execute(
        select(Project).where(Project.id == project.id).with_for_update()
    ).scalar_one()


def check_amount(amount_cents: int, field: str) -> None:
    """Refuse a non-integer, non-positive or implausibly large amount."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise TypeError("amount_cents must be int")
    if amount_cents <= 0:
        raise ValidationError(_("Der Betrag muss größer als 0 sein."), field=field)
    check_not_too_high(amount_cents, field)


def check_not_too_high(amount_cents: int, field: str) -> None:
    """Refuse amounts beyond MAX_PROJECT_CENTS (and beyond what an INTEGER column holds)."""
    if amount_cents > MAX_PROJECT_CENTS:
        raise ValidationError(
            _(
                "Der Betrag ist zu hoch (höchstens %(max)s).",
                max=format_cents(MAX_PROJECT_CENTS),
            ),
            field=field,
        )


def check_decision_date(project: Project, when: date | None, field: str) -> None:
    """A decision is dated, not before the application and not in the future."""
    if when is None:
        raise ValidationError(_("Bitte ein Datum angeben."), field=field)
    if when < project.applied_on:
        raise ValidationError(
            _(
                "Das Datum liegt vor dem Antrag (%(applied)s).",
                applied=project.applied_on.strftime("%d.%m.%Y"),
            ),
            field=field,
        )
    if when > today():
        raise ValidationError(_("Das Datum liegt in der Zukunft."), field=field)


def actor_id(actor) -> int | None:
    """The actor's user id (None for the system)."""
    return getattr(actor, "id", None)
