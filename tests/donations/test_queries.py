"""Donation queries: totals per kind, year and fund; filters; reversals net out; the donor page."""

from datetime import date

from supportclub.donations import queries as q
from supportclub.donations.models import DonationKind
from supportclub.donations.services import (
    record_cash_batch,
    record_donation,
    record_in_kind,
    record_waiver,
)
from tests.donations.helpers import acc, cat, general, reverse
from tests.factories import make_booking, make_campaign, make_member, make_person, make_project

MONEY, IN_KIND, WAIVER = DonationKind.MONEY, DonationKind.IN_KIND, DonationKind.WAIVER
BOX = [(200, ""), (50, ""), (1000, ""), (235, ""), (5, ""), (120, "")] + [
    (101 * n, "") for n in range(1, 7)
]  # 12 amounts, 37,31 €


def book(db):
    """A member donor A, a donor B whose donation is reversed, a donation box; returns them."""
    a = make_member(first_name="Anna", last_name="Spenderin")
    b = make_person(first_name="Bernd", last_name="Storno")
    project = make_project("Lesefest")
    campaign = make_campaign()

    def money(person, cents, day, **kw):
        return record_donation(
            booking_date=day,
            account_id=acc("bank"),
            amount_cents=cents,
            person_id=person.id,
            actor=None,
            **kw,
        )

    money(a, 10000, date(2024, 5, 1))
    money(a, 5000, date(2025, 2, 1))
    money(a, 3000, date(2025, 3, 1), fund_id=project.fund_id)
    record_in_kind(
        booking_date=date(2025, 4, 1),
        person_id=a.id,
        value_cents=8000,
        description="Bücherkiste",
        origin="private",
        value_basis="Kaufbelege",
        actor=None,
    )
    record_waiver(
        booking_date=date(2025, 5, 1),
        person_id=a.id,
        amount_cents=4250,
        description="Fahrtkosten",
        claim_date=date(2025, 4, 20),
        claim_basis="Satzung § 7",
        expense_category_id=cat("admin_cost"),
        actor=None,
    )
    make_booking(3600, category="dues", person_id=a.id, booking_date=date(2025, 1, 15))
    reverse(db, money(b, 2000, date(2025, 6, 1)), date(2025, 6, 2))
    record_cash_batch(booking_date=date(2025, 7, 5), items=BOX, campaign_id=campaign.id, actor=None)
    db.session.commit()
    return a, b, project, campaign


def test_totals_of_a_year_exactly_with_the_reversal_netted_out(db):
    book(db)
    totals = q.totals(q.DonationFilter(year=2025))
    assert totals.amount_cents == 5000 + 3000 + 8000 + 4250 + 2000 - 2000 + 3731 == 23981
    assert totals.count == 7  # 4 of A, B's donation and its reversal, the box
    assert totals.by_kind == {MONEY: 11731, IN_KIND: 8000, WAIVER: 4250}


def test_filters(db):
    a, b, project, campaign = book(db)
    assert q.totals(q.DonationFilter(kind=IN_KIND)).amount_cents == 8000
    assert q.totals(q.DonationFilter(kind=MONEY, year=2025)).amount_cents == 11731
    assert q.totals(q.DonationFilter(kind=MONEY)).amount_cents == 21731
    person_b = q.totals(q.DonationFilter(person_id=b.id))
    assert (person_b.count, person_b.amount_cents) == (2, 0)
    assert q.totals(q.DonationFilter(campaign_id=campaign.id)).amount_cents == 3731
    assert q.totals(q.DonationFilter(fund_id=project.fund_id)).amount_cents == 3000
    assert q.totals(q.DonationFilter(person_id=a.id, year=2024)).amount_cents == 10000
    assert q.totals(q.DonationFilter(year=2023)).count == 0


def test_per_year_and_per_fund(db):
    _a, _b, project, _c = book(db)
    years = q.per_year(q.DonationFilter(year=2025))  # the year filter is ignored here
    assert [(y.year, y.by_kind, y.total_cents) for y in years] == [
        (2025, {MONEY: 11731, IN_KIND: 8000, WAIVER: 4250}, 23981),
        (2024, {MONEY: 10000}, 10000),
    ]
    funds = q.per_fund(q.DonationFilter(year=2025, fund_id=project.fund_id))
    assert [(f.fund_id, f.amount_cents, f.count) for f in funds] == [
        (general(), 20981, 6),
        (project.fund_id, 3000, 1),
    ]
    assert funds[1].is_earmarked and not funds[0].is_earmarked


def test_rows_newest_first_with_kind_detail_shares_and_reversal_marks(db):
    _a, b, project, campaign = book(db)
    rows = q.donation_rows(q.DonationFilter(year=2025))
    dates = [row.booking.booking_date for row in rows]
    assert dates == sorted(dates, reverse=True) and len(rows) == 7
    box = rows[0]
    assert (box.count, box.amount_cents, box.kind) == (12, 3731, MONEY)
    assert box.booking.person is None
    assert [(s.fund_id, s.campaign_name) for s in box.shares] == [(general(), campaign.name)]
    reversal, original = rows[1], rows[2]
    assert reversal.booking.reversal_of_id == original.booking.id
    assert original.booking.reversed_by.id == reversal.booking.id
    assert (reversal.amount_cents, original.amount_cents) == (-2000, 2000)
    kinds = {row.kind: row for row in rows}
    assert kinds[IN_KIND].detail.description == "Bücherkiste"
    assert kinds[WAIVER].detail.claim_basis == "Satzung § 7"
    assert kinds[IN_KIND].amount_cents == 8000  # the use line is not a donation
    earmarked = [row for row in rows if row.shares[0].fund_id == project.fund_id]
    assert [row.amount_cents for row in earmarked] == [3000]


def test_pages_of_the_list(db):
    for i in range(5):
        record_cash_batch(booking_date=date(2025, 1, 1 + i), items=[(100 + i, "")], actor=None)
    first = q.donation_rows(q.DonationFilter(), page=1, per_page=2)
    third = q.donation_rows(q.DonationFilter(), page=3, per_page=2)
    assert [r.amount_cents for r in first] == [104, 103]
    assert [r.amount_cents for r in third] == [100]


def test_reversed_in_kind_keeps_its_kind_and_nets_to_zero(db):
    booking = record_in_kind(
        booking_date=date(2025, 4, 1),
        person_id=make_person().id,
        value_cents=8000,
        description="Laptop",
        origin="business",
        value_basis="Buchwert",
        actor=None,
    )
    reverse(db, booking)
    totals = q.totals(q.DonationFilter(kind=IN_KIND))
    assert (totals.count, totals.amount_cents) == (2, 0)
    rows = q.donation_rows(q.DonationFilter(kind=IN_KIND))
    assert {row.detail.description for row in rows} == {"Laptop"}
    assert q.totals(q.DonationFilter(kind=MONEY)).count == 0


def test_donor_page_sums_donations_dues_and_earmarks(db):
    a, _b, project, _c = book(db)
    page = q.donor_page(a.id)
    assert page.is_member
    assert [(y.year, y.by_kind, y.dues_cents, y.total_cents) for y in page.years] == [
        (2025, {MONEY: 8000, IN_KIND: 8000, WAIVER: 4250}, 3600, 23850),
        (2024, {MONEY: 10000}, 0, 10000),
    ]
    assert page.total.donations_cents == 30250
    assert page.total.total_cents == 33850
    assert [(f.fund_id, f.amount_cents) for f in page.earmarks] == [
        (general(), 27250),
        (project.fund_id, 3000),
    ]
    assert len(page.rows) == 5


def test_donor_page_of_a_non_member_and_unknown_persons(db):
    _a, b, _p, _c = book(db)
    page = q.donor_page(b.id)
    assert not page.is_member
    assert [(y.year, y.donations_cents) for y in page.years] == [(2025, 0)]
    assert q.donor_page(999999) is None
    assert q.donor_page(0) is None
    assert q.donor_page(2**40) is None
