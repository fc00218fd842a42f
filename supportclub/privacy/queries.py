"""Read side of privacy: former members whose retention has run out (candidates for erasure).

Nobody is erased without a request or a decision of the association: the list only names
persons whose every membership has ended and whose last booking, receipt, claim or membership
end lies more than 10 years back (31 December of that year + 10 is past).
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, or_, select

from supportclub.extensions import db
from supportclub.ledger.models import Person
from supportclub.members.models import Membership
from supportclub.privacy.retention import BOOKS_YEARS, record_years, retain_until_for


@dataclass(frozen=True)
class Candidate:
    """A former member whose retention has run out."""

    person: Person
    left_on: date
    retain_until: date


def candidates(on: date, limit: int | None = None) -> list[Candidate]:
    """Former members (not locked) whose retention ended before `on`, longest gone first."""
    years = record_years(with_membership_end=True)
    last = (
        select(years.c.person_id, func.max(years.c.year).label("last_year"))
        .group_by(years.c.person_id)
        .subquery("last")
    )
    running = exists().where(
        Membership.person_id == Person.id,
        or_(Membership.end_date.is_(None), Membership.end_date >= on),
    )
    left_on = (
        select(func.max(Membership.end_date))
        .where(Membership.person_id == Person.id)
        .correlate(Person)
        .scalar_subquery()
    )
    stmt = (
        select(Person, left_on.label("left_on"), last.c.last_year)
        .join(last, last.c.person_id == Person.id)
        .where(
            Person.locked_at.is_(None),
            exists().where(Membership.person_id == Person.id),
            ~running,
            last.c.last_year + BOOKS_YEARS < on.year,
        )
        .order_by(last.c.last_year, Person.last_name, Person.first_name, Person.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        Candidate(person, left, retain_until_for(year))
        for person, left, year in db.session.execute(stmt)
    ]
