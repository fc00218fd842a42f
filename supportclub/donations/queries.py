"""Read side of donations: lists, totals per year and kind, a donor's giving, all summed in SQL.

A donation is a booking line of the category "donation". Its kind is the kind of the booking's
DonationDetail (in kind, waiver), else money; a reversal takes the kind of the booking it
reverses. Reversals are listed (marked) and net out in every sum, because sums run over lines.
"""

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased, joinedload

from supportclub.campaigns.models import Campaign
from supportclub.donations.models import DonationDetail, DonationKind
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Category, Fund, Person

DONATION = "donation"
DUES = "dues"
PER_PAGE = 50


@dataclass(frozen=True)
class DonationFilter:
    """What the donations list is filtered by; None means "any"."""

    year: int | None = None
    person_id: int | None = None
    fund_id: int | None = None
    kind: DonationKind | None = None
    campaign_id: int | None = None


def _donation_category():
    """Scalar subquery: the id of the donation category."""
    return select(Category.id).where(Category.code == DONATION).scalar_subquery()


def _detail_subquery():
    """Donation details with the booking their line belongs to (one per booking at most)."""
    return (
        select(DonationDetail, BookingLine.booking_id.label("booking_id"))
        .join(BookingLine, BookingLine.id == DonationDetail.booking_line_id)
        .subquery("detail")
    )


def _detail_join(sub):
    """ON clause: a booking's detail, or for a reversal the detail of the booking it reverses."""
    return sub.c.booking_id == func.coalesce(Booking.reversal_of_id, Booking.id)


def _booking_conditions(flt: DonationFilter, sub) -> list:
    """WHERE conditions on the booking (year, donor) and its kind."""
    cond = []
    if flt.year is not None:
        cond.append(Booking.booking_date >= date(flt.year, 1, 1))
        cond.append(Booking.booking_date <= date(flt.year, 12, 31))
    if flt.person_id is not None:
        cond.append(Booking.person_id == flt.person_id)
    if flt.kind == DonationKind.MONEY:
        cond.append(sub.c.id.is_(None))
    elif flt.kind is not None:
        cond.append(sub.c.kind == flt.kind)
    return cond


def _line_conditions(flt: DonationFilter) -> list:
    """WHERE conditions on the donation lines (category, earmark, campaign)."""
    cond = [BookingLine.category_id == _donation_category()]
    if flt.fund_id is not None:
        cond.append(BookingLine.fund_id == flt.fund_id)
    if flt.campaign_id is not None:
        cond.append(BookingLine.campaign_id == flt.campaign_id)
    return cond


def _lines_select(flt: DonationFilter, *columns):
    """SELECT `columns` over the matching donation lines, their bookings and details."""
    sub = _detail_subquery()
    cols = [c(sub) if callable(c) else c for c in columns]
    return (
        select(*cols)
        .select_from(BookingLine)
        .join(Booking, BookingLine.booking_id == Booking.id)
        .outerjoin(sub, _detail_join(sub))
        .where(*_line_conditions(flt), *_booking_conditions(flt, sub))
    )


def _kind(value) -> DonationKind:
    """The kind from a detail's kind column (NULL: money)."""
    return DonationKind(value) if value is not None else DonationKind.MONEY


@dataclass
class Totals:
    """Bookings and sum of a filtered set of donations, in all and per kind."""

    count: int = 0
    amount_cents: int = 0
    by_kind: dict[DonationKind, int] = field(default_factory=dict)


def totals(flt: DonationFilter) -> Totals:
    """Number of bookings and the sum of their donation lines, per kind (one query)."""
    per_booking = (
        _lines_select(
            flt,
            Booking.id,
            lambda sub: sub.c.kind.label("kind"),
            func.sum(BookingLine.amount_cents).label("amount"),
        )
        .group_by(Booking.id, "kind")
        .subquery()
    )
    rows = db.session.execute(
        select(per_booking.c.kind, func.count(), func.sum(per_booking.c.amount)).group_by(
            per_booking.c.kind
        )
    )
    result = Totals()
    for kind, count, amount in rows:
        result.count += int(count)
        result.amount_cents += int(amount)
        result.by_kind[_kind(kind)] = result.by_kind.get(_kind(kind), 0) + int(amount)
    return result


@dataclass(frozen=True)
class YearKinds:
    """One year's donations per kind."""

    year: int
    by_kind: dict[DonationKind, int]

    @property
    def total_cents(self) -> int:
        """All kinds together."""
        return sum(self.by_kind.values())


def per_year(flt: DonationFilter) -> list[YearKinds]:
    """Sums per year and kind (newest first) of the filter, whatever its year (one query)."""
    year = func.extract("year", Booking.booking_date)
    stmt = _lines_select(
        replace(flt, year=None),
        year.label("year"),
        lambda sub: sub.c.kind.label("kind"),
        func.sum(BookingLine.amount_cents),
    ).group_by("year", "kind")
    years: dict[int, dict[DonationKind, int]] = {}
    for y, kind, amount in db.session.execute(stmt):
        sums = years.setdefault(int(y), {})
        sums[_kind(kind)] = sums.get(_kind(kind), 0) + int(amount)
    return [YearKinds(y, years[y]) for y in sorted(years, reverse=True)]


@dataclass(frozen=True)
class FundSum:
    """Donations to one fund (the general fund or a project's)."""

    fund_id: int
    name: str
    is_earmarked: bool
    amount_cents: int
    count: int


def per_fund(flt: DonationFilter) -> list[FundSum]:
    """Sums per fund of the filter, whatever its fund; the general fund first (one query)."""
    stmt = (
        _lines_select(
            replace(flt, fund_id=None),
            Fund.id,
            Fund.name,
            Fund.is_earmarked,
            func.sum(BookingLine.amount_cents),
            func.count(func.distinct(Booking.id)),
        )
        .join(Fund, Fund.id == BookingLine.fund_id)
        .group_by(Fund.id, Fund.name, Fund.is_earmarked)
        .order_by(Fund.is_earmarked, Fund.name)
    )
    return [FundSum(i, n, e, int(a), int(c)) for i, n, e, a, c in db.session.execute(stmt)]


@dataclass
class Share:
    """The donation lines of a booking on one fund and campaign."""

    fund_id: int
    fund_name: str
    campaign_id: int | None
    campaign_name: str | None
    amount_cents: int
    count: int


@dataclass
class DonationRow:
    """A booking with donations: its donation sum, kind, detail and how it is split."""

    booking: Booking
    detail: DonationDetail | None
    shares: list[Share] = field(default_factory=list)

    @property
    def kind(self) -> DonationKind:
        """Money, in kind or waiver."""
        return self.detail.kind if self.detail is not None else DonationKind.MONEY

    @property
    def amount_cents(self) -> int:
        """The booking's donation lines that match the filter."""
        return sum(share.amount_cents for share in self.shares)

    @property
    def count(self) -> int:
        """How many donation lines (a donation box booking has many)."""
        return sum(share.count for share in self.shares)


def _page_statement(flt: DonationFilter, limit: int | None, offset: int):
    """Bookings with a matching donation line, newest first, with their detail and donor."""
    sub = _detail_subquery()
    detail = aliased(DonationDetail, sub)
    own = [BookingLine.booking_id == Booking.id, *_line_conditions(flt)]
    stmt = (
        select(Booking, detail)
        .select_from(Booking)
        .outerjoin(sub, _detail_join(sub))
        .where(*_booking_conditions(flt, sub), exists().where(*own).correlate(Booking))
        .options(joinedload(Booking.person), joinedload(Booking.reversed_by))
        .order_by(Booking.booking_date.desc(), Booking.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return stmt


def _shares(flt: DonationFilter, booking_ids: list[int]) -> dict[int, list[Share]]:
    """The matching donation lines of the bookings, summed per fund and campaign (one query)."""
    stmt = (
        select(
            BookingLine.booking_id,
            Fund.id,
            Fund.name,
            Campaign.id,
            Campaign.name,
            func.sum(BookingLine.amount_cents),
            func.count(),
        )
        .join(Fund, Fund.id == BookingLine.fund_id)
        .outerjoin(Campaign, Campaign.id == BookingLine.campaign_id)
        .where(BookingLine.booking_id.in_(booking_ids), *_line_conditions(flt))
        .group_by(BookingLine.booking_id, Fund.id, Fund.name, Campaign.id, Campaign.name)
        .order_by(BookingLine.booking_id, Fund.name)
    )
    shares: dict[int, list[Share]] = {}
    for booking_id, fid, fname, cid, cname, amount, count in db.session.execute(stmt):
        shares.setdefault(booking_id, []).append(
            Share(fid, fname, cid, cname, int(amount), int(count))
        )
    return shares


def donation_rows(
    flt: DonationFilter, *, page: int = 1, per_page: int | None = PER_PAGE
) -> list[DonationRow]:
    """One page (or with per_page None: all) of donation bookings, in two queries."""
    offset = (page - 1) * per_page if per_page else 0
    result = db.session.execute(_page_statement(flt, per_page, offset)).unique()
    rows = [DonationRow(booking, detail) for booking, detail in result]
    shares = _shares(flt, [row.booking.id for row in rows])
    for row in rows:
        row.shares = shares.get(row.booking.id, [])
    return rows


@dataclass
class DonorYear:
    """A donor's giving in one year: donations per kind and dues paid."""

    year: int
    by_kind: dict[DonationKind, int] = field(default_factory=dict)
    dues_cents: int = 0

    @property
    def donations_cents(self) -> int:
        """Donations of every kind."""
        return sum(self.by_kind.values())

    @property
    def total_cents(self) -> int:
        """Donations and dues."""
        return self.donations_cents + self.dues_cents


@dataclass
class DonorPage:
    """Everything the donor page shows."""

    person: Person
    is_member: bool
    years: list[DonorYear]
    earmarks: list[FundSum]
    rows: list[DonationRow]

    @property
    def total(self) -> DonorYear:
        """All years added up (year 0)."""
        total = DonorYear(0)
        for year in self.years:
            total.dues_cents += year.dues_cents
            for kind, cents in year.by_kind.items():
                total.by_kind[kind] = total.by_kind.get(kind, 0) + cents
        return total


def _donor_years(person_id: int) -> list[DonorYear]:
    """Donations per year and kind, and dues paid per year, by this person (one query)."""
    sub = _detail_subquery()
    year = func.extract("year", Booking.booking_date).label("year")
    stmt = (
        select(year, Category.code, sub.c.kind, func.sum(BookingLine.amount_cents))
        .select_from(BookingLine)
        .join(Booking, BookingLine.booking_id == Booking.id)
        .join(Category, Category.id == BookingLine.category_id)
        .outerjoin(sub, _detail_join(sub))
        .where(Booking.person_id == person_id, Category.code.in_((DONATION, DUES)))
        .group_by(year, Category.code, sub.c.kind)
    )
    years: dict[int, DonorYear] = {}
    for y, code, kind, amount in db.session.execute(stmt):
        line = years.setdefault(int(y), DonorYear(int(y)))
        if code == DUES:
            line.dues_cents += int(amount)
        else:
            line.by_kind[_kind(kind)] = line.by_kind.get(_kind(kind), 0) + int(amount)
    return [years[y] for y in sorted(years, reverse=True)]


def donor_page(person_id: int) -> DonorPage | None:
    """A person's giving: per year, per earmark, every donation (a fixed number of queries)."""
    from supportclub.members.models import Membership

    if not 0 < person_id < 2**31:
        return None
    found = db.session.execute(
        select(Person, exists().where(Membership.person_id == Person.id)).where(
            Person.id == person_id
        )
    ).one_or_none()
    if found is None:
        return None
    person, is_member = found
    flt = DonationFilter(person_id=person_id)
    return DonorPage(
        person=person,
        is_member=bool(is_member),
        years=_donor_years(person_id),
        earmarks=per_fund(flt),
        rows=donation_rows(flt, per_page=None),
    )
