"""Numbers that are unique and never reused: member numbers now, receipt numbers later."""

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from supportclub.dbinsert import insert_if_absent
from supportclub.extensions import db


class NumberSequence(db.Model):
    """The last number handed out for one series ("member", "receipt-2025", ...)."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


def _locked(name: str) -> NumberSequence | None:
    """The series row, locked until the transaction ends (PostgreSQL), or None."""
    return db.session.execute(
        select(NumberSequence)
        .where(NumberSequence.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def next_number(name: str, *, first: int = 1) -> int:
    """Hand out the next number of series `name` (see `next_numbers`)."""
    return next_numbers(name, 1, first=first)


def next_numbers(name: str, count: int, *, first: int = 1) -> int:
    """Hand out `count` consecutive numbers of series `name`; return the first of them.

    The row lock serialises concurrent callers until their transaction ends. The counter is
    kept apart from the numbered rows (not max() + 1), so a number stays used even if the row
    that carried it is anonymised or removed later.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    row = _locked(name)
    if row is None:
        # a new series: two callers may get here at once, so insert-if-absent, then lock
        db.session.execute(
            insert_if_absent(NumberSequence, key=["name"]).values(name=name, last_value=first - 1)
        )
        row = _locked(name)
    row.last_value += count
    db.session.flush()
    return row.last_value - count + 1
