"""Numbers that are unique and never reused: member numbers now, receipt numbers later."""

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from supportclub.extensions import db


class NumberSequence(db.Model):
    """The last number handed out for one series ("member", "receipt-2025", ...)."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


def next_number(name: str, *, first: int = 1) -> int:
    """Hand out the next number of series `name`; the row lock serialises concurrent callers.

    The counter is kept apart from the numbered rows (not max() + 1), so a number stays used even
    if the row that carried it is anonymised or removed later.
    """
    row = db.session.execute(
        select(NumberSequence).where(NumberSequence.name == name).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = NumberSequence(name=name, last_value=first - 1)
        db.session.add(row)
    row.last_value += 1
    db.session.flush()
    return row.last_value
