"""Year-end closing (Festschreibung): close a year after its checklist, and the carry-over of
its balances. There is no reopening (GoBD): a closed year is corrected by bookings in the open
year.

close_year, in numbered steps:

1. take the exclusive closing lock of the year and of every earlier year not closed yet
   (closing.locks): bookings into them that are running are waited for, new ones wait for us;
2. re-check: not closed yet, the checklist has no blocking item, warnings are confirmed;
3. sum each account's and each fund's opening (before 1.1.) and closing (up to 31.12.) balance
   in SQL, one grouped query each;
4. store ClosedYear (with the checklist as reviewed and the note) and its balances, and write
   the audit entry "closing.closed".
"""

import json
from dataclasses import dataclass, field, make_dataclass
from datetime import date

from sqlalchemy import and_, case, func, select

from supportclub import audit
from supportclub.closing.checklist import Checklist, checklist, year_end
from supportclub.closing.locks import lock_years_exclusive
from supportclub.errors import ClosedPeriodError, DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    ClosedYear,
    ClosedYearBalance,
    Fund,
)
from supportclub.ledger.services import EARLIEST_DATE

# what the audit entry names as its target: the closed year (its primary key is the year)
ClosedYearRef = make_dataclass("ClosedYear", [("id", int)])
MAX_YEAR = 9999


def check_year(year) -> int:
    """`year` as a plausible year number, or a German refusal."""
    if not isinstance(year, int) or isinstance(year, bool):
        raise ValidationError(_("Bitte ein Jahr als Zahl angeben."), field="year")
    if year < EARLIEST_DATE.year or year > MAX_YEAR:
        raise ValidationError(
            _(
                "Das Jahr %(year)s liegt außerhalb des möglichen Bereichs "
                "(%(first)s bis %(last)s).",
                year=year,
                first=EARLIEST_DATE.year,
                last=MAX_YEAR,
            ),
            field="year",
        )
    return year


# Balances ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """An account's or fund's year: opening balance (1.1.), money in and out, closing (31.12.)."""

    opening_cents: int
    in_cents: int = 0
    out_cents: int = 0

    @property
    def closing_cents(self) -> int:
        """The balance on 31.12."""
        return self.opening_cents + self.in_cents + self.out_cents


def _year_sums(amount, key, year: int, *, lines: bool) -> dict[int, Balance]:
    """key -> Balance over bookings (accounts) or their lines (funds), one grouped query."""
    start = date(year, 1, 1)
    in_year = Booking.booking_date >= start
    stmt = select(
        key,
        func.coalesce(func.sum(case((Booking.booking_date < start, amount), else_=0)), 0),
        func.coalesce(func.sum(case((and_(in_year, amount > 0), amount), else_=0)), 0),
        func.coalesce(func.sum(case((and_(in_year, amount < 0), amount), else_=0)), 0),
    ).where(Booking.booking_date <= year_end(year), key.is_not(None))
    if lines:
        stmt = stmt.select_from(BookingLine).join(Booking, BookingLine.booking_id == Booking.id)
    rows = db.session.execute(stmt.group_by(key))
    return {ident: Balance(int(o), int(i), int(x)) for ident, o, i, x in rows}


def account_balances(year: int) -> dict[int, Balance]:
    """Account id -> its year per the books (one grouped query)."""
    return _year_sums(Booking.amount_cents, Booking.account_id, year, lines=False)


def fund_balances(year: int) -> dict[int, Balance]:
    """Fund id -> its year per the books (one grouped query)."""
    return _year_sums(BookingLine.amount_cents, BookingLine.fund_id, year, lines=True)


def stored_balances(year: int) -> tuple[dict[int, Balance], dict[int, Balance]]:
    """The balances stored when `year` was closed: (account id -> Balance, fund id -> Balance);
    empty when it is not closed."""
    accounts: dict[int, Balance] = {}
    funds: dict[int, Balance] = {}
    rows = db.session.execute(
        select(
            ClosedYearBalance.account_id,
            ClosedYearBalance.fund_id,
            ClosedYearBalance.opening_cents,
            ClosedYearBalance.closing_cents,
        ).where(ClosedYearBalance.year == year)
    )
    for account_id, fund_id, opening, closing in rows:
        stored = Balance(opening, closing - opening)
        if account_id is not None:
            accounts[account_id] = stored
        else:
            funds[fund_id] = stored
    return accounts, funds


# Closing ----------------------------------------------------------------------------------------


def is_closed(year: int) -> bool:
    """True when `year` is festgeschrieben (read from the database, not the session's cache)."""
    return (
        db.session.execute(select(ClosedYear.year).where(ClosedYear.year == year)).first()
        is not None
    )


def _refuse_on(reviewed: Checklist, confirm_warnings: bool) -> None:
    """Refuse the closing when an item blocks it, or warnings are not confirmed."""
    if reviewed.blocking:
        texts = " ".join(item.text for item in reviewed.blocking)
        raise ClosedPeriodError(
            _(
                "Das Jahr %(year)s kann nicht abgeschlossen werden: %(reasons)s",
                year=reviewed.year,
                reasons=texts,
            )
        )
    if reviewed.warnings and not confirm_warnings:
        raise ValidationError(
            _(
                "Bitte bestätigen Sie, dass Sie die Hinweise geprüft haben: %(hints)s",
                hints=" ".join(item.text for item in reviewed.warnings),
            ),
            field="confirm",
        )


def _earlier_open_years(year: int) -> list[int]:
    """`year` and every earlier year (from EARLIEST_DATE on) not closed yet."""
    closed = set(db.session.execute(select(ClosedYear.year)).scalars())
    return [y for y in range(EARLIEST_DATE.year, year + 1) if y not in closed]


def close_year(year: int, actor, note: str = "", confirm_warnings: bool = False) -> ClosedYear:
    """Close (festschreiben) `year` after its checklist; store its balances (see module doc)."""
    check_year(year)
    note = (note or "").strip()
    if len(note) > 2000:
        message = _("Die Bemerkung ist zu lang (höchstens 2000 Zeichen).")
        raise ValidationError(message, field="note")
    # 1. the lock first: what we read from here on is what was committed before us
    lock_years_exclusive(_earlier_open_years(year))
    # 2. re-check under the lock
    if is_closed(year):
        raise DomainError(_("Das Jahr %(year)s ist bereits abgeschlossen.", year=year))
    reviewed = checklist(year)
    _refuse_on(reviewed, confirm_warnings)
    # 3. the balances
    accounts = account_balances(year)
    funds = fund_balances(year)
    # 4. store
    closed = ClosedYear(
        year=year,
        closed_by_id=getattr(actor, "id", None),
        checklist_json=json.dumps(reviewed.as_dict(), ensure_ascii=False, sort_keys=True),
        note=note,
    )
    db.session.add(closed)
    db.session.flush()
    rows = [
        ClosedYearBalance(
            year=year, account_id=key, opening_cents=b.opening_cents, closing_cents=b.closing_cents
        )
        for key, b in _with_all(Account, accounts).items()
    ] + [
        ClosedYearBalance(
            year=year, fund_id=key, opening_cents=b.opening_cents, closing_cents=b.closing_cents
        )
        for key, b in _with_all(Fund, funds).items()
    ]
    db.session.add_all(rows)
    db.session.flush()
    audit.record(
        actor,
        "closing.closed",
        ClosedYearRef(year),
        {
            "year": year,
            "note": note,
            "confirmed_warnings": [item.key for item in reviewed.warnings],
            "accounts": {str(k): [b.opening_cents, b.closing_cents] for k, b in accounts.items()},
            "funds": {str(k): [b.opening_cents, b.closing_cents] for k, b in funds.items()},
        },
    )
    return closed


def _with_all(model, balances: dict[int, Balance]) -> dict[int, Balance]:
    """Every active account/fund (0/0 without lines) plus every one with lines, by id."""
    ids = set(db.session.execute(select(model.id).where(model.is_active.is_(True))).scalars())
    return {i: balances.get(i, Balance(0)) for i in sorted(ids | set(balances))}


# Carry-over -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarriedRow:
    """An account's or fund's opening balance of a year: stored (carry-over) and per the books."""

    kind: str  # "account" or "fund"
    id: int
    name: str
    stored_cents: int | None  # the closing balance stored for the year before (None: not closed)
    books_cents: int  # the sum of its lines before 1.1.

    @property
    def consistent(self) -> bool:
        """True when the books still give what was carried over."""
        return self.stored_cents is None or self.stored_cents == self.books_cents

    @property
    def opening_cents(self) -> int:
        """The opening balance: the carried one where there is one."""
        return self.books_cents if self.stored_cents is None else self.stored_cents


@dataclass
class CarryOver:
    """The opening balances of `year`: the closing balances of `year - 1`."""

    year: int
    from_closed_year: bool
    accounts: list[CarriedRow] = field(default_factory=list)
    funds: list[CarriedRow] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """True when every carried balance equals what the books give."""
        return all(row.consistent for row in self.accounts + self.funds)

    @property
    def account_total(self) -> int:
        """Sum of the accounts' opening balances."""
        return sum(row.opening_cents for row in self.accounts)

    @property
    def fund_total(self) -> int:
        """Sum of the funds' opening balances."""
        return sum(row.opening_cents for row in self.funds)


def carried_balances(year: int) -> CarryOver:
    """The opening balances of `year` = the stored closing balances of `year - 1`, each with
    what the books give now (they must agree: a closed year accepts no bookings)."""
    previous_closed = is_closed(year - 1)
    stored_accounts, stored_funds = stored_balances(year - 1) if previous_closed else ({}, {})
    books_accounts = account_balances(year)
    books_funds = fund_balances(year)
    result = CarryOver(year, previous_closed)
    names = dict(db.session.execute(select(Account.id, Account.name)).all())
    for account_id in sorted(set(stored_accounts) | set(books_accounts)):
        result.accounts.append(
            CarriedRow(
                "account",
                account_id,
                names.get(account_id, "?"),
                stored_accounts.get(account_id, Balance(0)).closing_cents
                if previous_closed
                else None,
                books_accounts.get(account_id, Balance(0)).opening_cents,
            )
        )
    names = dict(db.session.execute(select(Fund.id, Fund.name)).all())
    for fund_id in sorted(set(stored_funds) | set(books_funds)):
        result.funds.append(
            CarriedRow(
                "fund",
                fund_id,
                names.get(fund_id, "?"),
                stored_funds.get(fund_id, Balance(0)).closing_cents if previous_closed else None,
                books_funds.get(fund_id, Balance(0)).opening_cents,
            )
        )
    return result
