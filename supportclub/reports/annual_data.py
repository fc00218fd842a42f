"""What the Kassenbericht of a year shows, gathered in a fixed number of queries.

Income and expense by category and sphere come from the dashboard's grouped query (the same
convention as the yearly overview: reversals net out, allocations and transfers are neutral),
account and fund balances at the start and end of the year in one pass, campaign results
from the campaigns, grants from the projects.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from supportclub.admin.services import get_settings
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, BookingLine, Fund, TaxSphere
from supportclub.projects import queries as pq
from supportclub.reports import export_rows
from supportclub.reports import queries as q

MAX_FUNDS = 40  # earmarked funds listed one by one; the rest are summed in one row


@dataclass(frozen=True)
class CategoryRow:
    """Income and expense of one category in the year."""

    name: str
    sphere: TaxSphere
    neutral: bool
    income_cents: int
    expense_cents: int

    @property
    def net_cents(self) -> int:
        """Income plus (negative) expense."""
        return self.income_cents + self.expense_cents


@dataclass(frozen=True)
class BalanceRow:
    """A balance at the start and at the end of the year."""

    name: str
    start_cents: int
    end_cents: int

    @property
    def change_cents(self) -> int:
        """End minus start."""
        return self.end_cents - self.start_cents


@dataclass(frozen=True)
class AnnualReport:
    """Everything the Kassenbericht prints."""

    year: int
    association: str
    address: str
    created_on: date
    categories: list[CategoryRow]
    spheres: list[q.SphereRow]
    accounts: list[BalanceRow]
    funds: list[BalanceRow]
    campaigns: list
    grants: list[list]
    grants_approved_cents: int
    grants_paid_cents: int
    grants_total_end_cents: int
    grants_total: pq.GrantsTotal
    income_series: q.IncomeSeries
    grant_years: list[pq.GrantYear]
    grants_cumulative: list[tuple[int, int]]

    @property
    def income_cents(self) -> int:
        """The year's income (without neutral movements)."""
        return sum(row.income_cents for row in self.categories if not row.neutral)

    @property
    def expense_cents(self) -> int:
        """The year's expenses (negative; without neutral movements)."""
        return sum(row.expense_cents for row in self.categories if not row.neutral)


def category_rows(rows: list[q.LedgerRow]) -> list[CategoryRow]:
    """Per category (campaigns summed), in the ledger's category order."""
    totals: dict[str, list] = {}
    for row in rows:
        entry = totals.setdefault(
            row.code, [row.sort_order, row.name, row.sphere, row.direction == 0, 0, 0]
        )
        entry[4] += row.income_cents
        entry[5] += row.expense_cents
    ordered = sorted(totals.values(), key=lambda e: (e[0], e[1]))
    return [CategoryRow(name, sphere, neutral, i, e) for _o, name, sphere, neutral, i, e in ordered]


def balances(year: int) -> tuple[list[BalanceRow], list[BalanceRow]]:
    """Accounts and funds at the end of the year before and at the end of `year`.

    The same sums as `ledger.queries.account_balances/fund_balances(as_of=...)` at both dates,
    read in one pass over the lines up to the end of the year (grouped by fund and account)
    instead of four, which keeps the report fast on a large book.
    """
    start, end = date(year, 1, 1), date(year, 12, 31)
    amount = BookingLine.amount_cents
    rows = db.session.execute(
        select(
            BookingLine.fund_id,
            Booking.account_id,
            func.sum(case((Booking.booking_date < start, amount), else_=0)),
            func.sum(amount),
        )
        .join(Booking, BookingLine.booking_id == Booking.id)
        .where(Booking.booking_date <= end)
        .group_by(BookingLine.fund_id, Booking.account_id)
    ).all()
    per_fund: dict[int, list[int]] = {}
    per_account: dict[int, list[int]] = {}
    for fund_id, account_id, before, until_end in rows:
        for key, sums in ((fund_id, per_fund), (account_id, per_account)):
            entry = sums.setdefault(key, [0, 0])
            entry[0] += int(before)
            entry[1] += int(until_end)
    accounts = db.session.execute(select(Account.id, Account.name).order_by(Account.id)).all()
    funds = db.session.execute(
        select(Fund.id, Fund.name, Fund.is_earmarked).order_by(Fund.is_earmarked, Fund.name)
    ).all()
    return (
        [BalanceRow(name, *per_account.get(aid, [0, 0])) for aid, name in accounts],
        _fund_rows(
            [(name, earmarked, *per_fund.get(fid, [0, 0])) for fid, name, earmarked in funds]
        ),
    )


def _fund_rows(funds) -> list[BalanceRow]:
    """The general fund, then earmarked funds with money (at most MAX_FUNDS, the rest summed)."""
    general = [BalanceRow(name, s, e) for name, earmarked, s, e in funds if not earmarked]
    earmarked = [
        BalanceRow(name, s, e) for name, earmarked, s, e in funds if earmarked and (s or e)
    ]
    shown, rest = earmarked[:MAX_FUNDS], earmarked[MAX_FUNDS:]
    if rest:
        from supportclub.i18n import _

        shown.append(
            BalanceRow(
                _("%(count)s weitere zweckgebundene Fonds", count=len(rest)),
                sum(r.start_cents for r in rest),
                sum(r.end_cents for r in rest),
            )
        )
    return general + shown


def annual_report_data(year: int, *, today: date) -> AnnualReport:
    """Gather the Kassenbericht of `year`."""
    from supportclub.campaigns.queries import campaigns_overview

    settings = get_settings()
    rows = q.ledger_rows()
    in_year = [row for row in rows if row.year == year]
    grant_years = pq.grants_by_year()
    total = pq.grants_total()
    first = min([row.year for row in rows] + [g.year for g in grant_years] + [year])
    years = list(range(first, max(year, first) + 1))
    cumulative = q.cumulative_grants(total, grant_years, years)
    this_year = next((g for g in grant_years if g.year == year), pq.GrantYear(year, 0, 0))
    accounts, funds = balances(year)
    address = ", ".join(
        part
        for part in (settings.street, f"{settings.postal_code} {settings.city}".strip())
        if part
    )
    return AnnualReport(
        year=year,
        association=settings.name or "",
        address=address,
        created_on=today,
        categories=category_rows(in_year),
        spheres=q.spheres(in_year),
        accounts=accounts,
        funds=funds,
        campaigns=[c for c in campaigns_overview(year) if c.revenue_cents or c.cost_cents],
        grants=list(export_rows.grant_rows(date(year, 1, 1), date(year, 12, 31))),
        grants_approved_cents=this_year.approved_cents,
        grants_paid_cents=this_year.paid_cents,
        grants_total_end_cents=cumulative[-1][1],
        grants_total=total,
        income_series=q.income_series(rows, years),
        grant_years=[g for g in grant_years if g.year <= year],
        grants_cumulative=cumulative,
    )
