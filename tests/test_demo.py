"""The demo association: the command, its idempotency and the books it produces."""

import re
from datetime import date

import pytest
from schwifty import IBAN
from sqlalchemy import func, select

from supportclub import clock
from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.auth.models import User
from supportclub.campaigns.models import Campaign
from supportclub.campaigns.queries import campaign_result, campaigns_overview
from supportclub.demo import DEMO_LOGINS, MEMBER_EMAIL, load_demo
from supportclub.demo_books import FIRST_YEAR
from supportclub.demo_grants import GRANTS_TOTAL_CENTS
from supportclub.donations.models import DonationDetail, DonationKind, InKindOrigin
from supportclub.dues.models import ClaimStatus, DuesClaim, DuesRun
from supportclub.dues.queries import (
    OpenClaimsFilter,
    claims_of_person,
    member_account,
    open_claims_select,
    open_claims_total,
    rows,
)
from supportclub.errors import DomainError
from supportclub.ledger import queries as q
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    Channel,
    Fund,
    Person,
)
from supportclub.members.models import FeeRate, Membership, MembershipType
from supportclub.projects.models import Grant, Project, ProjectStage
from supportclub.projects.queries import free_money, grants_by_year, grants_total, project_sums
from tests.factories import make_membership_type, make_person

COUNTED = (
    Person,
    Booking,
    BookingLine,
    User,
    Fund,
    AuditEntry,
    MembershipType,
    FeeRate,
    Membership,
    DuesRun,
    DuesClaim,
    Campaign,
    Project,
    Grant,
    DonationDetail,
)
LAST_YEAR = 2025  # the demo loaded on 1 March 2026
TODAY = date(2026, 3, 1)


def counts(db) -> dict[str, int]:
    """Rows of every table the demo writes to."""
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in COUNTED
    }


def assert_logins_printed(output: str) -> None:
    """The command lists every demo login with its password."""
    assert "Demo-Zugänge:" in output
    for email, _role, password in DEMO_LOGINS:
        assert any(email in line and password in line for line in output.splitlines()), email


def test_demo_command_loads_once_and_prints_the_logins(app, db, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo geladen" in first.output
    assert re.search(r"Kontoauszug Dezember \d{4}: \d+ Umsätze warten", first.output)
    assert_logins_printed(first.output)
    last_year = clock.today().year - 1
    assert f"Jahresabschluss: {FIRST_YEAR}–{last_year - 1} sind festgeschrieben" in first.output
    loaded = counts(db)
    assert 150 <= loaded["Person"] <= 160
    assert loaded["Booking"] > 1000
    assert loaded["User"] == len(DEMO_LOGINS) == 5
    assert 40 <= loaded["Project"] <= 50
    assert loaded["Fund"] == 1 + loaded["Project"]  # general + one per project
    assert loaded["Campaign"] > 0 and loaded["DonationDetail"] > 0
    first_day, last_day = db.session.execute(
        select(func.min(Booking.booking_date), func.max(Booking.booking_date))
    ).one()
    assert (first_day.year, last_day.year) == (FIRST_YEAR, clock.today().year - 1)

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "bereits geladen" in second.output
    assert_logins_printed(second.output)
    assert counts(db) == loaded

    # A missing demo login is created again, and nothing else.
    db.session.delete(db.session.execute(select(User).filter_by(email=MEMBER_EMAIL)).scalar_one())
    db.session.commit()
    third = runner.invoke(args=["demo"])
    assert third.exit_code == 0, third.output
    assert "Neu angelegte Demo-Zugänge: 1." in third.output
    assert counts(db) == {**loaded, "AuditEntry": loaded["AuditEntry"] + 1}


def test_demo_books_members_and_dues(app, db):
    """One load (it takes seconds), checked for the books, then the members and their dues."""
    result = load_demo(today=TODAY)
    assert not result.already_loaded
    assert result.last_year == LAST_YEAR
    check_books(app, db)
    check_memberships(db)
    check_claims(db)
    check_member_login(db)
    check_campaigns(db)
    check_projects(db, result.approved_cents)
    check_gifts(db)
    check_receipts(db, result)


def check_receipts(db, result) -> None:
    """The year before last is receipted (numbers 1..N, PDFs stored), the last year is open."""
    from supportclub.receipts.contributions import donors_of_year
    from supportclub.receipts.models import DonationReceipt
    from supportclub.receipts.storage import read_pdf

    receipts = db.session.execute(select(DonationReceipt).order_by(DonationReceipt.seq)).scalars()
    receipts = list(receipts)
    assert result.receipts_year == LAST_YEAR - 1
    assert len(receipts) == result.receipts > 50
    assert [r.number for r in receipts] == [
        f"{LAST_YEAR - 1}-{n:04d}" for n in range(1, len(receipts) + 1)
    ]
    assert {r.issued_on for r in receipts} == {date(LAST_YEAR, 1, 20)}
    assert read_pdf(receipts[0]).startswith(b"%PDF-")
    # in kind and waivers are signed by hand; the rest carries the facsimile
    assert all(r.facsimile == (r.kind != "in_kind" and not r.waiver) for r in receipts)
    member = db.session.execute(select(Person).filter_by(email=MEMBER_EMAIL)).scalars().first()
    assert any(r.person_id == member.id for r in receipts)
    open_last = donors_of_year(LAST_YEAR, dues_deductible=True)
    assert sum(d.money_count for d in open_last) > 100
    assert all(d.receipted_count == 0 for d in open_last)


def check_books(app, db) -> None:
    """Grants total, booking years and channel, balanced bookings, no year ends below zero."""

    grants = db.session.execute(
        select(func.sum(BookingLine.amount_cents))
        .join(Category, Category.id == BookingLine.category_id)
        .where(Category.code == "grant_payout")
    ).scalar_one()
    assert -grants == GRANTS_TOTAL_CENTS
    assert 10_700_000 <= -grants <= 10_800_000

    first, last = db.session.execute(
        select(func.min(Booking.booking_date), func.max(Booking.booking_date))
    ).one()
    assert (first.year, last.year) == (FIRST_YEAR, LAST_YEAR)
    check_channels(db)

    unbalanced = db.session.execute(
        select(Booking.id)
        .join(BookingLine, BookingLine.booking_id == Booking.id)
        .group_by(Booking.id, Booking.amount_cents)
        .having(func.sum(BookingLine.amount_cents) != Booking.amount_cents)
    ).all()
    assert unbalanced == []

    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        year_end = date(year, 12, 31)
        for fund, cents in q.fund_balances(as_of=year_end):
            assert cents >= 0, (year, fund.code, cents)
        for account, cents in q.account_balances(as_of=year_end):
            assert cents >= 0, (year, account.code, cents)
    general = dict((f.code, cents) for f, cents in q.fund_balances())["general"]
    assert general > 0

    settings = get_settings()
    assert settings.name.startswith("Förderkreis")
    assert settings.transparency_public is True
    assert (settings.founding_year, settings.tax_office) == (2009, "Jena")
    member = db.session.execute(select(User).filter_by(email=MEMBER_EMAIL)).scalar_one()
    assert member.person is not None and member.person.first_name

    for email, _role, password in DEMO_LOGINS:
        response = app.test_client().post("/anmelden", data={"email": email, "password": password})
        assert response.status_code == 302, email


def check_channels(db) -> None:
    """Demo bookings, the services' own bookings that move no money, and online payments.

    The services book allocations, rests booked back, donations in kind and waivers
    themselves (channel "manual"); every other booking that moves money is a demo booking,
    except the last quarter's online donations and their payout, settled like a webhook would.
    """
    channels = db.session.execute(select(Booking.channel).distinct()).scalars().all()
    assert sorted(channels) == [Channel.DEMO, Channel.MANUAL, Channel.STRIPE]
    check_online_payments(db)
    check_bank_statement(db)
    moving = select(Booking.id).where(
        Booking.channel == Channel.MANUAL,
        (Booking.account_id.is_not(None)) | (Booking.amount_cents != 0),
    )
    assert db.session.execute(moving).first() is None


def check_bank_statement(db) -> None:
    """Last December's statement waits for review: nothing of it is booked by the import, the
    already booked lines and the payout are recognised, the closing balance is the ledger's plus
    the lines the books do not know yet."""
    from supportclub.banking.imports import balance_check
    from supportclub.banking.models import BankImport, LineState, MatchKind, StatementLine

    (bank_import,) = db.session.execute(select(BankImport)).scalars().all()
    lines = db.session.execute(select(StatementLine)).scalars().all()
    assert {line.state for line in lines} == {LineState.OPEN}
    kinds = [line.match_kind for line in lines]
    assert kinds.count(MatchKind.PAYOUT) == 1 and kinds.count(MatchKind.MEMBER_NUMBER) == 1
    assert kinds.count(MatchKind.NONE) == 2  # the stranger's donation and the printer
    assert kinds.count(MatchKind.BOOKED) == len(lines) - 4
    check = balance_check(bank_import)
    unknown = sum(ln.amount_cents for ln in lines if ln.match_kind not in ("booked", "payout"))
    assert check.difference_cents == unknown
    assert check.difference_after_open_cents == 0


def check_online_payments(db) -> None:
    """Eight online donations: six booked with their fee, one failed debit, one donor to confirm;
    the payout empties the Stripe account into the bank."""
    from supportclub.payments.models import AttentionKind, OnlinePayment, PaymentStatus

    payments = db.session.execute(select(OnlinePayment).order_by(OnlinePayment.id)).scalars().all()
    assert [p.status for p in payments].count(PaymentStatus.SUCCEEDED) == 7
    assert [p.status for p in payments].count(PaymentStatus.FAILED) == 1
    booked = [p for p in payments if p.booking_id is not None]
    assert len(booked) == 6
    unclear = [a.kind for p in payments for a in p.attention]
    assert sorted(unclear) == [AttentionKind.PAYER_UNCLEAR, AttentionKind.PAYMENT_FAILED]
    stripe = db.session.execute(select(Account.id).filter_by(code="stripe")).scalar_one()
    balance = db.session.execute(
        select(func.sum(Booking.amount_cents)).where(Booking.account_id == stripe)
    ).scalar_one()
    assert balance == 0
    anonymous = next(p for p in payments if p.anonymous)
    assert anonymous.booking.person_id is None


def check_memberships(db) -> None:
    """Four types with their rates (one fee change), numbered members, payers and mandates."""
    types = {t.code: t for t in db.session.execute(select(MembershipType)).scalars()}
    rates = {
        code: [(r.valid_from, r.valid_until, r.amount_cents) for r in t.rates]
        for code, t in types.items()
    }
    assert rates == {
        "regular": [
            (date(2009, 1, 1), date(2024, 12, 31), 3600),
            (date(2025, 1, 1), None, 4800),
        ],
        "reduced": [(date(2009, 1, 1), None, 1800)],
        "family": [(date(2009, 1, 1), None, 6000)],
        "corporate": [(date(2009, 1, 1), None, 25000)],
    }
    memberships = db.session.execute(select(Membership)).scalars().all()
    assert len(memberships) == 121
    numbers = sorted(m.person.member_number for m in memberships)
    assert numbers == list(range(1001, 1001 + 121))  # one person per membership, no gaps
    ended = [m for m in memberships if m.end_date is not None]
    assert len(ended) == 11
    assert all((m.end_date.month, m.end_date.day) == (12, 31) for m in ended)
    payers = sorted(m.payer.kind for m in memberships if m.payer is not None)
    assert payers == ["organisation", "private"]  # a company and a parent pay
    mandates = [m for m in memberships if m.has_mandate]
    assert len(mandates) == 8
    for membership in mandates:
        assert IBAN(membership.mandate_iban).bank_code == "83053030"
        assert membership.person.iban == membership.mandate_iban
        assert membership.mandate_date == membership.start_date


def check_claims(db) -> None:
    """Claims for every year at the year's rate; all paid but the planned late payers."""
    per_year = dict(
        db.session.execute(select(DuesClaim.year, func.count()).group_by(DuesClaim.year)).all()
    )
    assert sorted(per_year) == list(range(FIRST_YEAR, LAST_YEAR + 1))
    assert (per_year[FIRST_YEAR], per_year[LAST_YEAR]) == (40, 110)
    regular = dict(
        db.session.execute(
            select(DuesClaim.year, func.max(DuesClaim.amount_cents))
            .join(Membership, DuesClaim.membership_id == Membership.id)
            .join(MembershipType)
            .where(MembershipType.code == "regular")
            .group_by(DuesClaim.year)
        ).all()
    )
    assert regular[2024] == 3600 and regular[LAST_YEAR] == 4800  # the fee change of 2025

    # Every dues line settles a claim, and no claim gets more than its amount.
    dues_lines = (
        select(BookingLine)
        .join(Category, Category.id == BookingLine.category_id)
        .where(Category.code == "dues")
    )
    assert db.session.execute(dues_lines.where(BookingLine.dues_claim_id.is_(None))).first() is None
    overpaid = db.session.execute(
        select(DuesClaim.id)
        .join(BookingLine, BookingLine.dues_claim_id == DuesClaim.id)
        .group_by(DuesClaim.id, DuesClaim.amount_cents)
        .having(func.sum(BookingLine.amount_cents) > DuesClaim.amount_cents)
    ).all()
    assert overpaid == []

    open_rows = rows(open_claims_select(OpenClaimsFilter()))
    late = sorted((r.claim.year, r.status, r.claim.amount_cents, r.paid_cents) for r in open_rows)
    assert late == [
        (2024, ClaimStatus.OPEN, 3600, 0),
        (2025, ClaimStatus.OPEN, 1800, 0),
        (2025, ClaimStatus.OPEN, 4800, 0),
        (2025, ClaimStatus.OPEN, 4800, 0),
        (2025, ClaimStatus.OPEN, 4800, 0),
        (2025, ClaimStatus.OPEN, 4800, 0),
        (2025, ClaimStatus.PARTLY_PAID, 1800, 900),
        (2025, ClaimStatus.PARTLY_PAID, 4800, 2400),
    ]
    assert open_claims_total(OpenClaimsFilter()) == (8, 27_900)
    assert open_claims_total(OpenClaimsFilter(year=2024)) == (1, 3_600)
    # the member who owes 2024 owes 2025 too: a case for a dunning letter
    (owes_two,) = [r.membership.person_id for r in open_rows if r.claim.year == 2024]
    assert [r.claim.year for r in claims_of_person(owes_two, only_open=True)] == [2024, 2025]

    # A payer's bookings settle the claims of the membership they pay for.
    for membership in db.session.execute(
        select(Membership).where(Membership.payer_id.is_not(None))
    ).scalars():
        paid_by = (
            db.session.execute(
                select(Booking.person_id)
                .join(BookingLine, BookingLine.booking_id == Booking.id)
                .join(DuesClaim, BookingLine.dues_claim_id == DuesClaim.id)
                .where(DuesClaim.membership_id == membership.id)
                .distinct()
            )
            .scalars()
            .all()
        )
        assert paid_by == [membership.payer_id]


def check_member_login(db) -> None:
    """The member login belongs to a member with paid years and one open claim."""
    user = db.session.execute(select(User).filter_by(email=MEMBER_EMAIL)).scalar_one()
    assert user.person is not None and user.person.member_number is not None
    account = member_account(user.person_id)
    assert [y.year for y in account.years] == list(range(LAST_YEAR, FIRST_YEAR - 1, -1))
    assert [(row.claim.year, row.open_cents) for row in account.claims if row.open_cents] == [
        (LAST_YEAR, 4800)
    ]
    assert all(row.status == ClaimStatus.PAID for row in account.claims[:-1])
    assert account.paid_cents == 16 * 3600
    assert len(account.payments) == 16


def check_campaigns(db) -> None:
    """A hiking day every year with a positive result, the cards from 2011; lines linked."""
    hiking = campaigns_overview(series="Familienwandertag")
    assert sorted(c.campaign.year for c in hiking) == list(range(FIRST_YEAR, LAST_YEAR + 1))
    for row in hiking:
        campaign = row.campaign
        assert campaign.name == f"Familienwandertag {campaign.year}"
        assert campaign.event_date.year == campaign.year and campaign.event_date.weekday() == 6
        assert row.net_cents == row.revenue_cents + row.cost_cents > 0
        assert row.units > 80  # start fees: walkers × fee
        result = campaign_result(campaign.id)
        assert (result.revenue_cents, result.cost_cents) == (row.revenue_cents, row.cost_cents)
        codes = {r.category.code for r in result.rows}
        assert {"campaign_fees", "sales", "donation", "campaign_cost", "purpose_cost"} <= codes
    cards = campaigns_overview(series="Weihnachtskarten")
    assert sorted(c.campaign.year for c in cards) == list(range(2011, LAST_YEAR + 1))
    assert all(row.units > 0 and row.revenue_cents > 0 > row.cost_cents for row in cards)

    # Every line of a campaign category points at its campaign; sales lines carry units.
    unlinked = db.session.execute(
        select(func.count())
        .select_from(BookingLine)
        .join(Category, Category.id == BookingLine.category_id)
        .where(
            Category.code.in_(("campaign_fees", "sales", "campaign_cost", "purpose_cost")),
            BookingLine.campaign_id.is_(None),
        )
    ).scalar_one()
    assert unlinked == 0
    fees = db.session.execute(
        select(BookingLine.quantity, BookingLine.unit_price_cents, BookingLine.amount_cents)
        .join(Category, Category.id == BookingLine.category_id)
        .where(Category.code == "campaign_fees")
    ).all()
    assert len(fees) == LAST_YEAR - FIRST_YEAR + 1
    assert all(q * price == cents for q, price, cents in fees)


def check_projects(db, approved_cents: int) -> None:
    """About 40 projects through every stage; the grants total is the sum of the approvals."""
    sums = project_sums()
    stages = [s.stage for s in sums.values()]
    assert set(stages) == set(ProjectStage)
    assert 40 <= len(sums) <= 50
    counts = {stage: stages.count(stage) for stage in ProjectStage}
    assert counts[ProjectStage.APPLIED] == 3
    assert counts[ProjectStage.REJECTED] == 1
    assert counts[ProjectStage.APPROVED] == 1
    assert counts[ProjectStage.PARTLY_PAID] == 1
    assert counts[ProjectStage.PROOF_RECEIVED] == 1
    assert counts[ProjectStage.PAID] == 3  # the long-running projects that still run
    assert counts[ProjectStage.CLOSED] >= 30

    approvals = db.session.execute(select(func.sum(Grant.amount_cents))).scalar_one()
    total = grants_total()
    assert total.before_cents == 0
    assert total.total_cents == total.approved_cents == approvals == approved_cents
    assert total.paid_cents == GRANTS_TOTAL_CENTS
    assert approvals > GRANTS_TOTAL_CENTS
    years = {row.year: row for row in grants_by_year()}
    assert sum(row.paid_cents for row in years.values()) == GRANTS_TOTAL_CENTS
    assert years[TODAY.year].paid_cents == 0 < years[TODAY.year].approved_cents
    assert min(years) == FIRST_YEAR

    projects = {p.id: p for p in db.session.execute(select(Project)).scalars()}
    for pid, project_sum in sums.items():
        project = projects[pid]
        assert project.applied_on <= TODAY
        assert all(g.resolution_date <= TODAY for g in project.grants)
        if project_sum.stage == ProjectStage.CLOSED:
            assert project_sum.fund_cents == 0 and not project.fund.is_active
            assert project_sum.paid_cents <= project_sum.approved_cents
    # project numbers follow the application dates
    ordered = sorted(projects.values(), key=lambda p: p.fund.code)
    assert [p.applied_on for p in ordered] == sorted(p.applied_on for p in ordered)
    # the approval not yet paid is an open commitment the general fund still has to cover
    assert free_money().commitments_cents > 0


def check_gifts(db) -> None:
    """Cakes and salads every year, companies' gifts in kind now and then, travel costs waived."""
    rows = db.session.execute(
        select(DonationDetail, BookingLine, Booking)
        .join(BookingLine, BookingLine.id == DonationDetail.booking_line_id)
        .join(Booking, Booking.id == BookingLine.booking_id)
    ).all()
    cakes = [
        (detail, line)
        for detail, line, _booking in rows
        if detail.kind == DonationKind.IN_KIND and detail.origin == InKindOrigin.PRIVATE
    ]
    assert len(cakes) == LAST_YEAR - FIRST_YEAR + 1
    for detail, line in cakes:
        assert detail.value_basis == "Einkaufsbelege" and detail.description.startswith("Kuchen")
        assert line.campaign.series == "Familienwandertag" and line.amount_cents > 0
    business = [d for d, _l, _b in rows if d.origin == InKindOrigin.BUSINESS]
    assert len(business) >= 3 and all(d.value_basis for d in business)
    waivers = [(d, b) for d, _l, b in rows if d.kind == DonationKind.WAIVER]
    assert len(waivers) >= 10
    for detail, booking in waivers:
        assert detail.claim_basis == "Vorstandsbeschluss vom 14.03.2011 (Fahrtkostenerstattung)"
        assert detail.claim_date <= booking.booking_date
    # a gift in kind moves no money: its booking's lines cancel out
    assert all(b.account_id is None and b.amount_cents == 0 for _d, _l, b in rows)


def test_demo_needs_fifteen_years(app, db):
    with pytest.raises(DomainError, match="2009 bis 2023"):
        load_demo(today=date(2023, 6, 1))
    assert counts(db)["Person"] == 0


@pytest.mark.parametrize("make_other", [make_person, make_membership_type])
def test_demo_refuses_a_database_with_other_data(app, db, runner, make_other):
    make_other()
    before = counts(db)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "leere Datenbank" in result.output
    assert counts(db) == before


def test_demo_has_closed_every_year_but_the_last(app, db):
    """The years before last are festgeschrieben with their balances; last year stays open and
    refuses nothing; the stored closing balances are the books' sums."""
    from supportclub.closing.services import carried_balances
    from supportclub.ledger.models import ClosedYear

    load_demo()
    last_year = clock.today().year - 1
    closed = db.session.execute(select(ClosedYear.year).order_by(ClosedYear.year)).scalars().all()
    assert closed == list(range(FIRST_YEAR, last_year))
    carry = carried_balances(last_year)
    assert carry.from_closed_year and carry.consistent
    assert all(row.stored_cents is not None for row in carry.accounts + carry.funds)
    assert (
        carry.account_total
        == db.session.execute(
            select(func.sum(Booking.amount_cents)).where(
                Booking.booking_date < date(last_year, 1, 1)
            )
        ).scalar_one()
    )
