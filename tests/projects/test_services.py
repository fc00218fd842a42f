"""Project services: approvals against free money, allocations, payouts, proof, closing."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.errors import DomainError, ValidationError
from supportclub.ledger.models import Account, Booking, BookingLine, Fund
from supportclub.ledger.services import reverse_booking
from supportclub.projects.models import Grant, ProjectStage, ProjectStatus
from supportclub.projects.queries import (
    accepts_earmarked_donations,
    earmarked_by_project,
    free_money,
    grants_by_year,
    grants_total,
    open_commitments_cents,
    project_for_fund,
    sums_of,
)
from supportclub.projects.services import (
    allocate_funds,
    approve_project,
    close_project,
    create_project,
    record_payout,
    record_proof,
    reject_project,
    release_funds,
    revoke_grant,
    update_project,
)
from tests.factories import by_code, make_booking, make_grant, make_person, make_project


def count(db, model) -> int:
    """Rows in a table."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def bank() -> int:
    """The bank account's id."""
    return by_code(Account, "bank").id


@pytest.fixture
def funded(db):
    """A general fund holding 5.000,00 €."""
    make_booking(500000, booking_date=date(2025, 1, 10))
    return 500000


def test_a_new_project_has_its_own_earmarked_fund(db):
    project = make_project("Lesefest", requested_cents=120000)
    assert project.status == ProjectStatus.APPLIED
    assert project.fund.is_earmarked and project.fund.is_active
    assert project.fund.name == "Projekt: Lesefest"
    assert project_for_fund(project.fund_id) == project
    assert accepts_earmarked_donations(project)
    assert sums_of(project).stage == ProjectStage.APPLIED


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("title", {"title": "  "}),
        ("requested_cents", {"requested_cents": 0}),
        ("applied_on", {"applied_on": date(2099, 1, 1)}),
    ],
)
def test_a_project_without_title_amount_or_with_a_future_date_is_refused(db, field, values):
    applicant = make_person(last_name="Kita")
    data = dict(title="Lesefest", requested_cents=1000, applied_on=date(2025, 1, 1))
    data.update(values)
    projects, funds = count(db, Fund), count(db, Fund)
    with pytest.raises(ValidationError) as err:
        create_project(applicant_id=applicant.id, actor=None, **data)
    assert err.value.field == field
    db.session.rollback()
    assert count(db, Fund) == funds == projects


def test_approval_within_free_money_is_a_commitment(db, funded):
    project = make_project(requested_cents=200000)
    grant = make_grant(project, 150000)
    assert grant.over_free_cents == 0 and grant.override_reason is None
    assert project.status == ProjectStatus.APPROVED
    money = free_money()
    assert (money.general_cents, money.commitments_cents, money.free_cents) == (
        500000,
        150000,
        350000,
    )
    assert open_commitments_cents() == 150000


def test_approval_beyond_free_money_needs_a_recorded_override(db, funded):
    first = make_grant(make_project("A"), 400000)
    project = make_project("B")
    with pytest.raises(ValidationError) as err:
        approve_project(project, resolution_date=date(2025, 3, 2), amount_cents=150000, actor=None)
    assert err.value.field == "override_reason"
    assert "1.000,00 €" in err.value.message and "500,00 €" in err.value.message
    db.session.rollback()
    assert count(db, Grant) == 1
    grant = approve_project(
        project,
        resolution_date=date(2025, 3, 2),
        amount_cents=150000,
        actor=None,
        override_reason="Vorstandsbeschluss: Rücklage wird im Herbst aufgefüllt",
    )
    assert grant.over_free_cents == 50000
    assert free_money().free_cents == 500000 - 400000 - 150000
    entry = (
        db.session.execute(
            select(AuditEntry).filter_by(action="grants.approved").order_by(AuditEntry.id.desc())
        )
        .scalars()
        .first()
    )
    assert entry.data["over_free_cents"] == 50000 and entry.data["override_reason"]
    assert first.over_free_cents == 0


def test_earmarked_donations_cover_a_commitment_before_the_general_fund(db, funded):
    project = make_project()
    make_booking(30000, fund=project.fund.code)
    make_grant(project, 100000)
    money = free_money()
    assert money.commitments_cents == 70000
    assert money.free_cents == 500000 - 70000


def test_allocation_moves_money_zero_sum_and_free_money_stays(db, funded):
    project = make_project()
    make_grant(project, 100000)
    before = free_money().free_cents
    booking = allocate_funds(project, amount_cents=60000, booking_date=date(2025, 3, 5), actor=None)
    assert booking.account_id is None and booking.amount_cents == 0
    assert sorted(line.amount_cents for line in booking.lines) == [-60000, 60000]
    assert {line.project_id for line in booking.lines} == {project.id}
    sums = sums_of(project)
    assert (sums.fund_cents, sums.open_cents, sums.uncovered_cents) == (60000, 100000, 40000)
    money = free_money()
    assert money.general_cents == 440000 and money.free_cents == before


def test_allocation_beyond_the_need_or_the_general_fund_is_refused(db, funded):
    project = make_project()
    make_grant(project, 100000)
    with pytest.raises(ValidationError, match="höchstens noch 1.000,00 €"):
        allocate_funds(project, amount_cents=100001, booking_date=date(2025, 3, 5), actor=None)
    db.session.rollback()
    poor = make_project("Ohne Deckung")
    make_grant(poor, 900000, override_reason="Zusage der Stadt liegt vor")
    with pytest.raises(ValidationError, match="nur 5.000,00 €"):
        allocate_funds(poor, amount_cents=600000, booking_date=date(2025, 3, 5), actor=None)


def test_payouts_in_parts_until_paid_then_proof_and_close(db, funded):
    project = make_project()
    make_grant(project, 100000)
    allocate_funds(project, amount_cents=100000, booking_date=date(2025, 3, 5), actor=None)
    first = record_payout(
        project, amount_cents=40000, booking_date=date(2025, 4, 1), account_id=bank(), actor=None
    )
    assert first.amount_cents == -40000 and first.person_id == project.applicant_id
    assert sums_of(project).stage == ProjectStage.PARTLY_PAID
    record_payout(
        project, amount_cents=60000, booking_date=date(2025, 5, 1), account_id=bank(), actor=None
    )
    sums = sums_of(project)
    assert (sums.paid_cents, sums.fund_cents, sums.open_cents) == (100000, 0, 0)
    assert sums.stage == ProjectStage.PAID
    record_proof(project, received_on=date(2025, 6, 1), actor=None, note="Belege liegen vor")
    close_project(project, closed_on=date(2025, 6, 2), actor=None)
    assert project.status == ProjectStatus.CLOSED and not project.fund.is_active
    assert not accepts_earmarked_donations(project)
    assert free_money().free_cents == 400000


def test_a_payout_beyond_the_unpaid_approval_or_the_fund_is_refused(db, funded):
    project = make_project()
    make_grant(project, 100000)
    with pytest.raises(ValidationError, match="zuerst Mittel zuweisen"):
        record_payout(
            project, amount_cents=1000, booking_date=date(2025, 4, 1), account_id=bank(), actor=None
        )
    db.session.rollback()
    allocate_funds(project, amount_cents=100000, booking_date=date(2025, 3, 5), actor=None)
    db.session.commit()
    bookings = count(db, Booking)
    with pytest.raises(ValidationError, match="noch nicht ausgezahlten Betrag"):
        record_payout(
            project,
            amount_cents=100001,
            booking_date=date(2025, 4, 1),
            account_id=bank(),
            actor=None,
        )
    db.session.rollback()
    assert count(db, Booking) == bookings


def test_a_payout_for_an_unapproved_project_is_refused(db, funded):
    project = make_project()
    with pytest.raises(DomainError, match="nur für bewilligte"):
        record_payout(
            project, amount_cents=100, booking_date=date(2025, 4, 1), account_id=bank(), actor=None
        )


def test_a_reversed_payout_reopens_the_commitment(db, funded):
    project = make_project()
    make_grant(project, 100000)
    allocate_funds(project, amount_cents=100000, booking_date=date(2025, 3, 5), actor=None)
    payout = record_payout(
        project, amount_cents=100000, booking_date=date(2025, 4, 1), account_id=bank(), actor=None
    )
    reverse_booking(payout, "falsche Bankverbindung", actor=None, reversal_date=date(2025, 4, 2))
    sums = sums_of(project)
    assert (sums.paid_cents, sums.fund_cents, sums.open_cents) == (0, 100000, 100000)
    assert sums.stage == ProjectStage.APPROVED


def test_closing_with_money_left_needs_the_release_and_books_it_back(db, funded):
    project = make_project()
    make_grant(project, 100000)
    allocate_funds(project, amount_cents=100000, booking_date=date(2025, 3, 5), actor=None)
    record_payout(
        project, amount_cents=92050, booking_date=date(2025, 4, 1), account_id=bank(), actor=None
    )
    record_proof(project, received_on=date(2025, 6, 1), actor=None)
    db.session.commit()
    with pytest.raises(ValidationError, match="noch 79,50 €") as err:
        close_project(project, closed_on=date(2025, 6, 2), actor=None)
    assert err.value.field == "release_rest"
    db.session.rollback()
    close_project(project, closed_on=date(2025, 6, 2), actor=None, release_rest=True)
    assert sums_of(project).fund_cents == 0
    # 5.000 - 920,50 paid out; nothing committed any more
    assert free_money().free_cents == 500000 - 92050


def test_rejecting_and_closing_a_rejected_project(db):
    project = make_project()
    reject_project(project, decided_on=date(2025, 3, 1), actor=None, note="nicht förderfähig")
    db.session.commit()
    assert project.status == ProjectStatus.REJECTED and project.rejected_on == date(2025, 3, 1)
    assert not accepts_earmarked_donations(project)
    with pytest.raises(DomainError):
        approve_project(project, resolution_date=date(2025, 3, 2), amount_cents=1, actor=None)
    db.session.rollback()
    close_project(project, closed_on=date(2025, 3, 3), actor=None)
    assert project.status == ProjectStatus.CLOSED


def test_a_decision_before_the_application_is_refused(db, funded):
    project = make_project(applied_on=date(2025, 2, 1))
    with pytest.raises(ValidationError, match="vor dem Antrag") as err:
        approve_project(project, resolution_date=date(2025, 1, 31), amount_cents=1, actor=None)
    assert err.value.field == "resolution_date"


def test_revoking_a_grant_keeps_it_on_file_and_frees_the_money(db, funded):
    project = make_project()
    grant = make_grant(project, 100000)
    revoke_grant(grant, revoked_on=date(2025, 3, 10), reason="Tippfehler im Betrag", actor=None)
    assert grant.revoked_on == date(2025, 3, 10)
    assert project.status == ProjectStatus.APPLIED
    assert free_money().free_cents == 500000
    assert grants_total().approved_cents == 0


def test_a_grant_already_paid_cannot_be_revoked(db, funded):
    project = make_project()
    grant = make_grant(project, 100000)
    allocate_funds(project, amount_cents=50000, booking_date=date(2025, 3, 5), actor=None)
    record_payout(
        project, amount_cents=50000, booking_date=date(2025, 4, 1), account_id=bank(), actor=None
    )
    with pytest.raises(DomainError, match="bereits 500,00 € ausgezahlt"):
        revoke_grant(grant, revoked_on=date(2025, 4, 2), reason="zu viel", actor=None)


def test_grants_total_is_the_opening_figure_plus_every_approval(db, funded):
    settings = get_settings()
    settings.grants_before_cents = 9_876_543
    db.session.commit()
    make_booking(2_000_000, booking_date=date(2024, 1, 5))
    amounts = [(date(2024, 5, 1), 123456), (date(2024, 9, 1), 50000), (date(2025, 3, 1), 77701)]
    for index, (when, cents) in enumerate(amounts):
        make_grant(
            make_project(f"P{index}", applied_on=date(2024, 1, 1)), cents, resolution_date=when
        )
    revoked = make_grant(make_project("Z", applied_on=date(2024, 1, 1)), 99999)
    revoke_grant(revoked, revoked_on=date(2025, 3, 2), reason="doppelt erfasst", actor=None)
    total = grants_total()
    assert total.before_cents == 9_876_543
    assert total.approved_cents == 123456 + 50000 + 77701
    assert total.total_cents == 9_876_543 + 123456 + 50000 + 77701
    years = {row.year: (row.approved_cents, row.paid_cents) for row in grants_by_year()}
    assert years == {2024: (173456, 0), 2025: (77701, 0)}


def test_paid_per_year_counts_payouts_by_booking_year(db, funded):
    project = make_project(applied_on=date(2024, 11, 1))
    make_grant(project, 100000, resolution_date=date(2024, 12, 1))
    allocate_funds(project, amount_cents=100000, booking_date=date(2025, 1, 11), actor=None)
    record_payout(
        project, amount_cents=30000, booking_date=date(2025, 2, 1), account_id=bank(), actor=None
    )
    years = {row.year: (row.approved_cents, row.paid_cents) for row in grants_by_year()}
    assert years == {2024: (100000, 0), 2025: (0, 30000)}
    assert grants_total().paid_cents == 30000


def test_earmarked_by_project_lists_funds_and_open_commitments(db, funded):
    with_money = make_project("Mit Spenden")
    make_booking(2500, fund=with_money.fund.code)
    committed = make_project("Bewilligt")
    make_grant(committed, 40000)
    make_project("Nur beantragt")
    rows = {row.title: (row.fund_cents, row.open_cents) for row in earmarked_by_project()}
    assert rows == {"Bewilligt": (0, 40000), "Mit Spenden": (2500, 0)}


def test_release_refuses_more_than_the_fund_holds(db, funded):
    project = make_project()
    make_booking(2500, fund=project.fund.code)
    with pytest.raises(ValidationError, match="nur 25,00 €"):
        release_funds(
            project, amount_cents=2501, booking_date=date(2025, 3, 1), reason="Spender", actor=None
        )
    db.session.rollback()
    booking = release_funds(
        project, amount_cents=2500, booking_date=date(2025, 3, 1), reason="Spender", actor=None
    )
    assert sum(line.amount_cents for line in booking.lines) == 0
    assert sums_of(project).fund_cents == 0


def test_update_project_records_changes_and_renames_the_fund(db):
    project = make_project("Alt")
    changes = update_project(project, actor=None, title="Neu", requested_cents=5000)
    assert changes == {"title": ("Alt", "Neu"), "requested_cents": (100000, 5000)}
    assert project.fund.name == "Projekt: Neu"
    assert (
        db.session.execute(
            select(BookingLine.id).where(BookingLine.project_id == project.id)
        ).first()
        is None
    )
