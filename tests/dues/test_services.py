"""Dues services: the idempotent dues run, payments against claims, write-offs, derived status."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.admin.services import get_settings
from supportclub.dues.models import ClaimStatus, ClaimWaiver, DuesClaim, DuesRun
from supportclub.dues.payments import (
    MAX_PAYMENT_CENTS,
    Allocation,
    OverpaymentError,
    record_payment,
    suggest_allocations,
    waive_claim,
)
from supportclub.dues.queries import (
    OpenClaimsFilter,
    claims_of_person,
    dues_overview,
    member_account,
    open_claims_total,
)
from supportclub.dues.services import plan_dues_run, prorated, run_dues
from supportclub.errors import DomainError, ValidationError
from supportclub.ledger.models import Account, Booking, BookingLine, Category
from supportclub.ledger.services import reverse_booking
from supportclub.members.services import add_fee_rate, leave, set_payer
from tests.factories import (
    by_code,
    make_claim,
    make_member,
    make_membership_type,
    make_person,
    membership_of,
)


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def bank() -> int:
    return by_code(Account, "bank").id


def pay(person, claim, cents: int, *, allocated: int | None = None, **kw):
    """Book a bank payment of `cents` by `person` against `claim` on 1 March 2025."""
    return record_payment(
        person_id=person.id,
        booking_date=date(2025, 3, 1),
        account_id=bank(),
        amount_cents=cents,
        allocations=[Allocation(claim.id, cents if allocated is None else allocated)],
        actor=None,
        **kw,
    )


def status_of(person) -> dict[int, tuple]:
    """{year: (status, paid, open)} of the person's claims."""
    return {
        row.claim.year: (row.status, row.paid_cents, row.open_cents)
        for row in claims_of_person(person.id)
    }


# the dues run ---------------------------------------------------------------------------------


def test_the_dues_run_creates_one_claim_per_membership_and_running_it_again_changes_nothing(db):
    mtype = make_membership_type(rates=[(date(2009, 1, 1), 3600)])
    members = [make_member(mtype) for _ in range(3)]
    plan = plan_dues_run(2025)
    assert (plan.count, plan.total_cents, plan.existing) == (3, 10800, 0)
    assert count(db, DuesClaim) == 0  # the preview writes nothing

    result = run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    assert (result.count, result.total_cents) == (3, 10800)
    assert count(db, DuesClaim) == 3
    assert count(db, DuesRun) == 1

    again = run_dues(2025, actor=None)
    assert (again.count, again.existing, again.run) == (0, 3, None)
    assert count(db, DuesClaim) == 3
    assert count(db, DuesRun) == 1

    # a member added later gets the missing claim on the next run, and only that one
    late = make_member(mtype, start_date=date(2025, 6, 1))
    third = run_dues(2025, actor=None)
    assert (third.count, third.existing) == (1, 3)
    assert [p.person_id for p in third.planned] == [late.id]
    assert {m.id for m in members} | {late.id} == {
        row.claim.membership.person_id
        for row in [r for m in [*members, late] for r in claims_of_person(m.id)]
    }


def test_a_fee_change_keeps_past_claims(db):
    mtype = make_membership_type(rates=[(date(2009, 1, 1), 3600)])
    person = make_member(mtype, start_date=date(2020, 1, 1))
    claim_2024 = make_claim(person, 2024)
    add_fee_rate(mtype, valid_from=date(2025, 1, 1), amount_cents=4800, actor=None)
    claim_2025 = make_claim(person, 2025)
    db.session.refresh(claim_2024)
    assert claim_2024.amount_cents == 3600
    assert claim_2025.amount_cents == 4800


def test_memberships_outside_the_year_or_without_a_rate_are_skipped_with_a_reason(db):
    mtype = make_membership_type(name="Regulär", rates=[(date(2009, 1, 1), 3600)])
    free = make_membership_type(name="Ehrenmitglied", rates=[(date(2009, 1, 1), 0)])
    no_rate = make_membership_type(name="Neu", rates=[(date(2026, 1, 1), 2000)])
    left = make_member(mtype, start_date=date(2015, 1, 1))
    leave(membership_of(left), end_date=date(2024, 12, 31), actor=None)
    make_member(mtype, start_date=date(2026, 3, 1))  # joins after the year
    make_member(free)
    make_member(no_rate)
    payer = make_member(mtype)
    plan = plan_dues_run(2025)
    assert [item.person_id for item in plan.planned] == [payer.id]
    reasons = sorted(s.reason for s in plan.skipped)
    assert len(reasons) == 2
    assert "Beitragsfrei" in reasons[0] and "Ehrenmitglied" in reasons[0]
    assert "kein Beitragssatz" in reasons[1] and "Neu" in reasons[1]


def test_pro_rata_charges_the_months_from_joining(db):
    get_settings().dues_pro_rata = True
    mtype = make_membership_type(rates=[(date(2009, 1, 1), 3600)])
    person = make_member(mtype, start_date=date(2025, 10, 20))
    claim = make_claim(person, 2025)
    assert (claim.amount_cents, claim.months) == (900, 3)  # October to December
    old = make_member(mtype, start_date=date(2024, 10, 1))
    assert make_claim(old, 2025).amount_cents == 3600  # a full year after the first


def test_full_year_without_pro_rata(db):
    mtype = make_membership_type(rates=[(date(2009, 1, 1), 3600)])
    person = make_member(mtype, start_date=date(2025, 10, 20))
    assert make_claim(person, 2025).amount_cents == 3600


@pytest.mark.parametrize(
    ("fee", "months", "cents"), [(3600, 12, 3600), (3600, 5, 1500), (1000, 1, 83), (1001, 6, 501)]
)
def test_prorated_rounds_half_up(fee, months, cents):
    assert prorated(fee, months) == cents


def test_the_due_date_follows_the_payment_term(db):
    get_settings().dues_payment_days = 30
    person = make_member(start_date=date(2020, 1, 1))
    claim = make_claim(person, 2025, run_date=date(2025, 3, 1))
    assert claim.due_date == date(2025, 3, 31)


@pytest.mark.parametrize("year", [1989, date.today().year + 2])
def test_an_implausible_year_is_refused(db, year):
    with pytest.raises(ValidationError) as error:
        run_dues(year, actor=None)
    assert error.value.field == "year"


# payments -------------------------------------------------------------------------------------


def test_a_payment_settles_the_chosen_claims_through_its_lines(db):
    person = make_member(start_date=date(2020, 1, 1))
    claim = make_claim(person, 2025)
    booking = pay(person, claim, 3600)
    assert booking.amount_cents == 3600
    assert [(line.dues_claim_id, line.amount_cents) for line in booking.lines] == [(claim.id, 3600)]
    assert status_of(person) == {2025: (ClaimStatus.PAID, 3600, 0)}


def test_an_underpayment_leaves_the_claim_partly_paid(db):
    person = make_member()
    claim = make_claim(person, 2025)
    pay(person, claim, 1000)
    assert status_of(person) == {2025: (ClaimStatus.PARTLY_PAID, 1000, 2600)}


def test_an_overpayment_is_asked_about_and_then_booked_as_a_donation_line(db):
    person = make_member()
    claim = make_claim(person, 2025)
    args = dict(
        person_id=person.id,
        booking_date=date(2025, 3, 1),
        account_id=bank(),
        amount_cents=5000,
        allocations=[Allocation(claim.id, 3600)],
        actor=None,
    )
    before = count(db, Booking)
    with pytest.raises(OverpaymentError) as error:
        record_payment(**args)
    assert error.value.remainder_cents == 1400
    assert "14,00 €" in error.value.message
    assert count(db, Booking) == before

    booking = record_payment(**args, overpayment_as_donation=True)
    donation = by_code(Category, "donation").id
    dues = by_code(Category, "dues").id
    assert sorted((line.category_id, line.amount_cents) for line in booking.lines) == sorted(
        [(dues, 3600), (donation, 1400)]
    )
    assert status_of(person)[2025][0] == ClaimStatus.PAID


def test_a_payment_may_settle_several_claims_of_several_years(db):
    person = make_member(start_date=date(2020, 1, 1))
    c24, c25 = make_claim(person, 2024), make_claim(person, 2025)
    record_payment(
        person_id=person.id,
        booking_date=date(2025, 3, 1),
        account_id=bank(),
        amount_cents=7200,
        allocations=[Allocation(c24.id, 3600), Allocation(c25.id, 3600)],
        actor=None,
    )
    assert member_account(person.id).open_cents == 0
    assert member_account(person.id).paid_cents == 7200


def test_suggested_allocations_settle_the_oldest_claims_first(db):
    person = make_member(start_date=date(2020, 1, 1))
    c24, c25 = make_claim(person, 2024), make_claim(person, 2025)
    assert suggest_allocations(person.id, 5000) == [
        Allocation(c24.id, 3600),
        Allocation(c25.id, 1400),
    ]


def test_the_alternate_payer_pays_the_members_claims(db):
    child = make_member()
    parent = make_person(first_name="Berta")
    set_payer(membership_of(child), payer_id=parent.id, actor=None)
    claim = make_claim(child, 2025)
    pay(parent, claim, 3600)
    assert status_of(child)[2025][0] == ClaimStatus.PAID


@pytest.mark.parametrize(
    ("amount", "allocated", "words"),
    [
        (MAX_PAYMENT_CENTS + 1, 3600, "unplausibel hoch"),
        (0, 3600, "größer als 0"),
        (3000, 3600, "nur 30,00 €"),
        (4000, 4000, "nur noch 36,00 € offen"),
    ],
)
def test_bad_payments_are_refused_and_nothing_is_booked(db, amount, allocated, words):
    person = make_member()
    claim = make_claim(person, 2025)
    before = count(db, Booking)
    with pytest.raises(ValidationError) as error:
        pay(person, claim, amount, allocated=allocated)
    assert words in error.value.message
    db.session.rollback()
    assert count(db, Booking) == before


def test_a_claim_of_another_person_cannot_be_paid(db):
    mtype = make_membership_type()
    owner, stranger = make_member(mtype), make_member(mtype)
    claim = make_claim(owner, 2025)
    with pytest.raises(ValidationError) as error:
        pay(stranger, claim, 3600)
    assert "gehört nicht" in error.value.message


def test_reversing_a_payment_reopens_the_claim(db):
    person = make_member()
    claim = make_claim(person, 2025)
    booking = pay(person, claim, 3600)
    reversal = reverse_booking(
        booking, "falsches Mitglied", actor=None, reversal_date=date(2025, 3, 2)
    )
    assert [line.dues_claim_id for line in reversal.lines] == [claim.id]
    assert status_of(person) == {2025: (ClaimStatus.OPEN, 0, 3600)}


# write-off ------------------------------------------------------------------------------------


def test_waiving_writes_off_the_open_rest_with_a_reason(db):
    person = make_member()
    claim = make_claim(person, 2025)
    pay(person, claim, 1000)
    waiver = waive_claim(claim, reason="Härtefall laut Vorstandsbeschluss", actor=None)
    assert waiver.amount_cents == 2600
    assert status_of(person) == {2025: (ClaimStatus.WAIVED, 1000, 0)}
    with pytest.raises(DomainError):
        waive_claim(claim, reason="noch einmal", actor=None)


def test_a_paid_claim_cannot_be_waived_and_a_reason_is_required(db):
    person = make_member()
    claim = make_claim(person, 2025)
    with pytest.raises(ValidationError):
        waive_claim(claim, reason=" ", actor=None)
    pay(person, claim, 3600)
    with pytest.raises(DomainError) as error:
        waive_claim(claim, reason="zu spät", actor=None)
    assert "bereits bezahlt" in error.value.message
    assert count(db, ClaimWaiver) == 0


# overviews ------------------------------------------------------------------------------------


def test_the_yearly_overview_and_open_totals_are_exact(db):
    regular = make_membership_type(name="Regulär", rates=[(date(2009, 1, 1), 3600)])
    family = make_membership_type(name="Familie", rates=[(date(2009, 1, 1), 6000)])
    paid, partly, waived = make_member(regular), make_member(regular), make_member(family)
    open_member = make_member(family)
    run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    claims = {p.id: claims_of_person(p.id)[0].claim for p in (paid, partly, waived, open_member)}

    pay(paid, claims[paid.id], 3600)
    pay(partly, claims[partly.id], 1000)
    waive_claim(claims[waived.id], reason="Härtefall", actor=None)
    lines = {line.type_name: line for line in dues_overview(2025)}
    assert (lines["Regulär"].claims, lines["Regulär"].claimed_cents) == (2, 7200)
    assert (lines["Regulär"].paid_cents, lines["Regulär"].open_cents) == (4600, 2600)
    assert (lines["Familie"].claimed_cents, lines["Familie"].waived_cents) == (12000, 6000)
    assert lines["Familie"].open_cents == 6000
    assert open_claims_total(OpenClaimsFilter(year=2025)) == (2, 8600)
    assert open_claims_total(OpenClaimsFilter(year=2025, query=str(partly.member_number))) == (
        1,
        2600,
    )


def test_a_dues_payment_line_is_an_ordinary_ledger_line(db):
    """Dues lines count in the ledger's figures like any other income line."""
    person = make_member()
    claim = make_claim(person, 2025)
    pay(person, claim, 3600)
    total = db.session.execute(
        select(func.sum(BookingLine.amount_cents)).where(
            BookingLine.category_id == by_code(Category, "dues").id
        )
    ).scalar()
    assert total == 3600


def test_sums_are_plain_integers_on_every_database(db):
    """PostgreSQL sums integers to numeric; the queries hand out int cents all the same."""
    person = make_member()
    make_claim(person, 2025)
    count_, total = open_claims_total(OpenClaimsFilter())
    assert type(total) is int and total == 3600
    assert all(type(line.claimed_cents) is int for line in dues_overview(2025))
    assert type(claims_of_person(person.id)[0].paid_cents) is int
