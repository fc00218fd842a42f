"""Reading closings: the years with their state and their balances, for the index page.

Closed years show their stored balances; open years show what the books give now (provisional).
Four queries whatever the number of years: closings, stored balances, and the yearly sums per
account and per fund.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import extract, func, select
from sqlalchemy.orm import selectinload

from supportclub.clock import today
from supportclub.closing.checklist import booked_year_range
from supportclub.extensions import db
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    ClosedYear,
    ClosedYearBalance,
    Fund,
)


@dataclass(frozen=True)
class BalanceRow:
    """One account's or fund's opening and closing balance in a year."""

    name: str
    opening_cents: int
    closing_cents: int

    @property
    def change_cents(self) -> int:
        """Closing minus opening."""
        return self.closing_cents - self.opening_cents


@dataclass
class YearRow:
    """A year on the index: open or closed (when, by whom), with its balances."""

    year: int
    closing: ClosedYear | None
    accounts: list[BalanceRow] = field(default_factory=list)
    funds: list[BalanceRow] = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        """True when festgeschrieben."""
        return self.closing is not None

    @staticmethod
    def _total(rows: list[BalanceRow]) -> BalanceRow:
        return BalanceRow(
            "", sum(r.opening_cents for r in rows), sum(r.closing_cents for r in rows)
        )

    @property
    def account_total(self) -> BalanceRow:
        """The accounts together."""
        return self._total(self.accounts)

    @property
    def fund_total(self) -> BalanceRow:
        """The funds together."""
        return self._total(self.funds)


def _yearly(column, key, join=None) -> dict[int, dict[int, int]]:
    """key id -> {year: sum of `column` in that year} (one grouped query)."""
    year = extract("year", Booking.booking_date)
    stmt = select(key, year, func.coalesce(func.sum(column), 0))
    if join is not None:
        stmt = stmt.select_from(BookingLine).join(Booking, Booking.id == BookingLine.booking_id)
    else:
        stmt = stmt.where(Booking.account_id.is_not(None))
    sums: dict[int, dict[int, int]] = defaultdict(dict)
    for key_id, y, cents in db.session.execute(stmt.group_by(key, year)):
        sums[key_id][int(y)] = int(cents)
    return sums


def _from_books(sums: dict[int, dict[int, int]], names: dict[int, str], year: int) -> list:
    """Balance rows of `year` from the yearly sums (opening: years before; closing: up to)."""
    rows = []
    for key_id, name in names.items():
        by_year = sums.get(key_id, {})
        opening = sum(c for y, c in by_year.items() if y < year)
        closing = opening + by_year.get(year, 0)
        rows.append(BalanceRow(name, opening, closing))
    return rows


def year_rows() -> list[YearRow]:
    """Every year from the first booking (or closing) to this year, newest first."""
    closings = {
        c.year: c
        for c in db.session.execute(
            select(ClosedYear).options(selectinload(ClosedYear.closed_by))
        ).scalars()
    }
    first, _last = booked_year_range()
    current = today().year
    start = min([current - 1, *([first] if first else []), *closings])
    accounts = dict(db.session.execute(select(Account.id, Account.name).order_by(Account.id)).all())
    funds = dict(db.session.execute(select(Fund.id, Fund.name).order_by(Fund.id)).all())
    account_sums = _yearly(Booking.amount_cents, Booking.account_id)
    fund_sums = _yearly(BookingLine.amount_cents, BookingLine.fund_id, join=True)
    stored: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    for b in db.session.execute(
        select(ClosedYearBalance).order_by(ClosedYearBalance.year, ClosedYearBalance.id)
    ).scalars():
        if b.account_id is not None:
            stored[b.year][0].append(
                BalanceRow(accounts.get(b.account_id, "?"), b.opening_cents, b.closing_cents)
            )
        else:
            stored[b.year][1].append(
                BalanceRow(funds.get(b.fund_id, "?"), b.opening_cents, b.closing_cents)
            )
    rows = []
    for year in range(max(current, *closings) if closings else current, start - 1, -1):
        closing = closings.get(year)
        if closing is not None:
            account_rows, fund_rows = stored[year]
        else:
            account_rows = _from_books(account_sums, accounts, year)
            fund_rows = _from_books(fund_sums, funds, year)
        rows.append(YearRow(year, closing, account_rows, fund_rows))
    return rows


def stored_checklist(closing: ClosedYear) -> dict:
    """The checklist as it was reviewed when the year was closed."""
    try:
        return json.loads(closing.checklist_json or "{}")
    except ValueError:
        return {}
