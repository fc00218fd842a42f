"""Confirming suggestions in bulk (confirm_lines) and correcting one line (assign_line)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.banking.assign import Target, TargetKind, assign_line
from supportclub.banking.confirm import confirm_lines
from supportclub.banking.models import DirectDebit, KnownIban, LineState, MatchKind
from supportclub.dues.models import ClaimStatus
from supportclub.dues.payments import Allocation, record_payment
from supportclub.dues.queries import claims_by_id
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, BookingLine, Category, Channel, ClosedYear
from tests.banking.line_factory import IBAN, make_debit, make_line, suggest
from tests.factories import (
    by_code,
    make_booking,
    make_campaign,
    make_claim,
    make_grant,
    make_member,
    make_project,
)


def _claim_row(claim):
    (row,) = claims_by_id([claim.id])
    return row


def _bank_balance():
    bank = by_code(Account, "bank").id
    return db.session.execute(
        select(func.coalesce(func.sum(Booking.amount_cents), 0)).where(Booking.account_id == bank)
    ).scalar_one()


def _booking_count():
    return db.session.execute(select(func.count(Booking.id))).scalar_one()


@pytest.fixture
def member(app):
    person = make_member()
    return person, make_claim(person, 2025)


def test_claim_paid_by_mandate_suggestion(member, users):
    person, claim = member
    line = make_line(3600, suggestion=suggest(MatchKind.MANDATE, person, claims=[(claim.id, 3600)]))
    before = _bank_balance()
    result = confirm_lines([line], actor=users["treasurer"])
    assert (result.booked, result.linked, result.skipped) == (1, 0, [])
    row = _claim_row(claim)
    assert row.status == ClaimStatus.PAID and row.paid_cents == 3600 and row.open_cents == 0
    assert _bank_balance() - before == 3600
    assert line.state == LineState.DONE and line.done_by_id == users["treasurer"].id
    booking = db.session.get(Booking, line.booking_id)
    assert booking.channel == Channel.BANK and booking.external_ref == line.entry_key
    assert booking.person_id == person.id and booking.booking_date == date(2025, 3, 3)
    assert [(x.amount_cents, x.dues_claim_id) for x in booking.lines] == [(3600, claim.id)]
    assert f"Beitrag 2025 {person.full_name}" in booking.lines[0].text
    known = db.session.execute(select(KnownIban).filter_by(iban=IBAN)).scalar_one()
    assert known.person_id == person.id and known.confirmed_count == 1
    entry = db.session.execute(
        select(AuditEntry).filter_by(action="bank.lines_confirmed")
    ).scalar_one()
    assert entry.data == {"booked": 1, "linked": 0, "skipped": 0}


def test_claim_plus_donation_rest_and_donation_only(member, users):
    person, claim = member
    paid = make_line(
        5000,
        suggestion=suggest(MatchKind.IBAN, person, claims=[(claim.id, 3600)], donation_cents=1400),
    )
    gift = make_line(2500, suggestion=suggest(MatchKind.IBAN, person, donation_cents=2500))
    result = confirm_lines([paid, gift], actor=users["treasurer"])
    assert result.booked == 2
    lines = db.session.get(Booking, paid.booking_id).lines
    donation = by_code(Category, "donation").id
    assert [(x.category_id == donation, x.amount_cents, x.text) for x in lines][1] == (
        True,
        1400,
        "Spende (Mehrbetrag)",
    )
    (only,) = db.session.get(Booking, gift.booking_id).lines
    assert (only.category_id, only.amount_cents, only.text) == (donation, 2500, "Spende")
    assert _claim_row(claim).status == ClaimStatus.PAID
    known = db.session.execute(select(KnownIban).filter_by(iban=IBAN)).scalar_one()
    assert known.confirmed_count == 2


def test_reconfirm_books_nothing_twice(member, users):
    person, claim = member
    line = make_line(3600, suggestion=suggest(MatchKind.MANDATE, person, claims=[(claim.id, 3600)]))
    confirm_lines([line], actor=users["treasurer"])
    count = _booking_count()
    again = confirm_lines([line], actor=users["treasurer"])
    assert (again.booked, again.linked) == (0, 0)
    assert again.skipped == [(line, "Der Umsatz ist bereits erledigt.")]
    assert _booking_count() == count
    assert _claim_row(claim).paid_cents == 3600


def test_stale_suggestion_is_skipped_with_reason(member, users):
    person, claim = member
    line = make_line(3600, suggestion=suggest(MatchKind.MANDATE, person, claims=[(claim.id, 3600)]))
    record_payment(
        person_id=person.id,
        booking_date=date(2025, 2, 1),
        account_id=by_code(Account, "cash").id,
        amount_cents=3600,
        allocations=[Allocation(claim.id, 3600)],
        actor=None,
    )
    count = _booking_count()
    result = confirm_lines([line], actor=users["treasurer"])
    assert result.booked == 0
    ((skipped, reason),) = result.skipped
    assert skipped.id == line.id
    assert reason == f"Beitrag 2025 von {person.full_name} ist inzwischen bezahlt."
    assert line.state == LineState.OPEN and _booking_count() == count


def test_same_claim_twice_in_one_batch(member, users):
    person, claim = member
    first, second = (
        make_line(3600, suggestion=suggest(MatchKind.IBAN, person, claims=[(claim.id, 3600)]))
        for _ in range(2)
    )
    result = confirm_lines([first, second], actor=users["treasurer"])
    assert result.booked == 1
    assert "inzwischen bezahlt" in result.skipped[0][1]
    assert _claim_row(claim).paid_cents == 3600


def test_closed_year_and_unbookable_are_skipped(member, users):
    person, claim = member
    db.session.add(ClosedYear(year=2024))
    db.session.commit()
    old = make_line(
        3600,
        booking_date=date(2024, 12, 30),
        suggestion=suggest(MatchKind.MANDATE, person, claims=[(claim.id, 3600)]),
    )
    nothing = make_line(1234)
    debit_line = make_line(-1234, suggestion=suggest(MatchKind.IBAN, person, donation_cents=-1234))
    result = confirm_lines([old, nothing, debit_line], actor=users["treasurer"])
    assert result.booked == 0
    reasons = dict((line.id, reason) for line, reason in result.skipped)
    assert "Das Jahr 2024 ist abgeschlossen" in reasons[old.id]
    assert reasons[nothing.id] == "Kein Vorschlag zum Bestätigen."
    assert "Abbuchung" in reasons[debit_line.id]


def test_booked_and_payout_are_linked_not_booked_again(users):
    existing = make_booking(4200, booking_date=date(2025, 3, 1))
    line = make_line(4200, suggestion=suggest(MatchKind.BOOKED, booking_id=existing.id))
    count, balance = _booking_count(), _bank_balance()
    result = confirm_lines([line], actor=users["treasurer"])
    assert (result.booked, result.linked) == (0, 1)
    assert line.booking_id == existing.id and line.linked_existing is True
    assert (_booking_count(), _bank_balance()) == (count, balance)
    other = make_line(4200, suggestion=suggest(MatchKind.PAYOUT, booking_id=existing.id))
    result = confirm_lines([other], actor=users["treasurer"])
    assert result.linked == 0
    assert "bereits mit einem anderen Umsatz verknüpft" in result.skipped[0][1]


def test_collection_pays_the_debit_claim(member, users):
    person, claim = member
    debit = make_debit(claim, person)
    line = make_line(3600, suggestion=suggest(MatchKind.COLLECTION, person, debit_id=debit.id))
    result = confirm_lines([line], actor=users["treasurer"])
    assert result.booked == 1
    assert _claim_row(claim).status == ClaimStatus.PAID
    assert db.session.get(DirectDebit, debit.id).paid_line_id == line.id


# assign_line ------------------------------------------------------------------------------------


def _assign(line, users, **kw):
    return assign_line(line, Target(**kw), actor=users["treasurer"])


def test_assign_claims_with_donation_rest(member, users):
    person, claim = member
    line = make_line(5000, iban="DE75512108001245126199")
    booking = _assign(
        line,
        users,
        kind=TargetKind.CLAIMS,
        person_id=person.id,
        allocations=[(claim.id, 3600)],
        donation_rest=True,
    )
    assert [x.amount_cents for x in booking.lines] == [3600, 1400]
    assert booking.external_ref == line.entry_key and booking.channel == Channel.BANK
    assert line.state == LineState.DONE and line.booking_id == booking.id
    assert _claim_row(claim).status == ClaimStatus.PAID
    assert (
        db.session.execute(
            select(KnownIban.person_id).filter_by(iban="DE75512108001245126199")
        ).scalar_one()
        == person.id
    )
    assert (
        db.session.execute(
            select(func.count(AuditEntry.id)).filter_by(action="bank.line_assigned")
        ).scalar_one()
        == 1
    )


def test_assign_claims_overpayment_needs_donation(member, users):
    person, claim = member
    line = make_line(5000)
    with pytest.raises(DomainError) as info:
        _assign(
            line, users, kind=TargetKind.CLAIMS, person_id=person.id, allocations=[(claim.id, 3600)]
        )
    assert "Spende" in info.value.message


def test_assign_donation_and_refusal_on_debit(member, users):
    person, _claim = member
    line = make_line(2000)
    booking = _assign(line, users, kind=TargetKind.DONATION, person_id=person.id)
    assert booking.lines[0].category.code == "donation" and booking.amount_cents == 2000
    debit = make_line(-2000)
    with pytest.raises(ValidationError) as info:
        _assign(debit, users, kind=TargetKind.DONATION, person_id=person.id)
    assert info.value.field == "target" and "keine Spende" in info.value.message
    with pytest.raises(ValidationError) as info:
        _assign(make_line(100), users, kind=TargetKind.DONATION)
    assert info.value.field == "person"


def test_assign_campaign_revenue_and_cost(users):
    campaign = make_campaign()
    revenue = _assign(
        make_line(12000),
        users,
        kind=TargetKind.CAMPAIGN,
        campaign_id=campaign.id,
        category_id=by_code(Category, "campaign_fees").id,
    )
    assert [(x.amount_cents, x.campaign_id) for x in revenue.lines] == [(12000, campaign.id)]
    cost = _assign(
        make_line(-3000),
        users,
        kind=TargetKind.CAMPAIGN,
        campaign_id=campaign.id,
        category_id=by_code(Category, "campaign_cost").id,
    )
    assert cost.amount_cents == -3000 and cost.lines[0].amount_cents == -3000
    with pytest.raises(ValidationError) as info:
        _assign(
            make_line(-3000),
            users,
            kind=TargetKind.CAMPAIGN,
            campaign_id=campaign.id,
            category_id=by_code(Category, "sales").id,
        )
    assert info.value.field == "category_id"


def test_assign_payout_refused_for_unapproved_project(users):
    project = make_project()
    line = make_line(-50000)
    with pytest.raises(ValidationError) as info:
        _assign(line, users, kind=TargetKind.PAYOUT, project_id=project.id)
    assert info.value.field == "project_id" and "bewilligte" in info.value.message
    with pytest.raises(ValidationError) as info:
        _assign(make_line(50000), users, kind=TargetKind.PAYOUT, project_id=project.id)
    assert info.value.field == "target"


def test_assign_payout_of_approved_project_with_funds(users):
    from supportclub.projects.funds import allocate_funds

    make_booking(80000)
    grant = make_grant(amount_cents=50000)
    allocate_funds(grant.project, amount_cents=50000, booking_date=date(2025, 3, 2), actor=None)
    booking = _assign(make_line(-50000), users, kind=TargetKind.PAYOUT, project_id=grant.project.id)
    assert booking.amount_cents == -50000
    assert booking.lines[0].category.code == "grant_payout"


def test_assign_other_with_sign_checks(users):
    fees = by_code(Category, "bank_fees").id
    booking = _assign(
        make_line(-990), users, kind=TargetKind.OTHER, category_id=fees, text="Kontoführung"
    )
    assert booking.amount_cents == -990 and booking.lines[0].category_id == fees
    with pytest.raises(ValidationError) as info:
        _assign(make_line(990), users, kind=TargetKind.OTHER, category_id=fees)
    assert "Einnahmenkategorie" in info.value.message
    with pytest.raises(ValidationError):
        _assign(
            make_line(990),
            users,
            kind=TargetKind.OTHER,
            category_id=by_code(Category, "donation").id,
        )


def test_assign_existing_booking(users):
    existing = make_booking(4200)
    line = make_line(4200)
    count = _booking_count()
    assert _assign(line, users, kind=TargetKind.BOOKING, booking_id=existing.id).id == existing.id
    assert line.linked_existing and _booking_count() == count
    with pytest.raises(ValidationError) as info:
        _assign(make_line(4200), users, kind=TargetKind.BOOKING, booking_id=existing.id)
    assert "bereits mit einem anderen Umsatz" in info.value.message
    with pytest.raises(ValidationError) as info:
        _assign(make_line(4300), users, kind=TargetKind.BOOKING, booking_id=make_booking(4200).id)
    assert info.value.field == "booking_id"


def test_assign_done_line_refused(users):
    line = make_line(2000)
    _assign(line, users, kind=TargetKind.OTHER, category_id=by_code(Category, "other_income").id)
    with pytest.raises(DomainError):
        _assign(
            line, users, kind=TargetKind.OTHER, category_id=by_code(Category, "other_income").id
        )


def test_booking_lines_sum(member, users):
    person, claim = member
    line = make_line(3600, suggestion=suggest(MatchKind.MANDATE, person, claims=[(claim.id, 3600)]))
    confirm_lines([line], actor=users["treasurer"])
    total = db.session.execute(
        select(func.sum(BookingLine.amount_cents)).filter_by(booking_id=line.booking_id)
    ).scalar_one()
    assert total == 3600
