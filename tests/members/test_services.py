"""Member services: fee rates over time, join and leave, member numbers, mandates, person data."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.errors import DomainError, ValidationError
from supportclub.members.models import FeeRate, Membership
from supportclub.members.services import (
    add_fee_rate,
    deactivate_person,
    fee_rate_on,
    join,
    leave,
    set_mandate,
    set_payer,
    update_person,
)
from supportclub.members.validation import (
    check_mandate_reference,
    format_iban,
    normalize_email,
    normalize_iban,
)
from tests.factories import make_member, make_membership_type, make_person, membership_of

GOOD_IBAN = "DE89370400440532013000"


def count(db, model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


# fee rates ------------------------------------------------------------------------------------


def test_a_fee_change_closes_the_previous_rate_and_keeps_its_amount(db):
    mtype = make_membership_type("regular", rates=[(date(2009, 1, 1), 3600)])
    add_fee_rate(mtype, valid_from=date(2025, 1, 1), amount_cents=4800, actor=None)
    assert fee_rate_on(mtype.id, date(2024, 12, 31)).amount_cents == 3600
    assert fee_rate_on(mtype.id, date(2025, 1, 1)).amount_cents == 4800
    assert fee_rate_on(mtype.id, date(2008, 12, 31)) is None
    old = db.session.execute(select(FeeRate).filter_by(valid_from=date(2009, 1, 1))).scalar_one()
    assert old.valid_until == date(2024, 12, 31)


@pytest.mark.parametrize("start", [date(2009, 1, 1), date(2008, 6, 1), date(2020, 1, 1)])
def test_a_rate_that_overlaps_the_history_is_refused(db, start):
    mtype = make_membership_type(rates=[(date(2009, 1, 1), 3600), (date(2025, 1, 1), 4800)])
    before = count(db, FeeRate)
    with pytest.raises(ValidationError) as error:
        add_fee_rate(mtype, valid_from=start, amount_cents=5000, actor=None)
    assert error.value.field == "valid_from"
    assert "überschneidet" in error.value.message
    db.session.rollback()
    assert count(db, FeeRate) == before


def test_a_negative_fee_is_refused(db):
    mtype = make_membership_type(rates=[])
    with pytest.raises(ValidationError):
        add_fee_rate(mtype, valid_from=date(2020, 1, 1), amount_cents=-1, actor=None)


# join and leave -------------------------------------------------------------------------------


def test_joining_assigns_increasing_member_numbers_that_are_never_reused(db):
    mtype = make_membership_type()
    first = make_member(mtype)
    second = make_member(mtype)
    assert first.member_number >= 1001
    assert second.member_number == first.member_number + 1
    # a second membership of another type keeps the number
    other = make_membership_type()
    join(first, membership_type_id=other.id, start_date=date(2021, 1, 1), actor=None)
    assert first.member_number == second.member_number - 1
    # the counter, not max()+1, decides: removing the highest holder does not free its number
    second.member_number = None
    db.session.flush()
    third = make_member(mtype)
    assert third.member_number == first.member_number + 2


def test_a_second_running_membership_of_the_same_type_is_refused(db):
    mtype = make_membership_type(name="Regulär")
    person = make_member(mtype, start_date=date(2020, 1, 1))
    with pytest.raises(ValidationError) as error:
        join(person, membership_type_id=mtype.id, start_date=date(2023, 1, 1), actor=None)
    assert error.value.field == "membership_type_id"
    assert "Regulär" in error.value.message
    db.session.rollback()
    assert count(db, Membership) == 1


def test_rejoining_after_leaving_is_allowed(db):
    mtype = make_membership_type()
    person = make_member(mtype, start_date=date(2015, 1, 1))
    leave(membership_of(person), end_date=date(2018, 12, 31), actor=None, reason="Umzug")
    join(person, membership_type_id=mtype.id, start_date=date(2022, 1, 1), actor=None)
    assert [m.start_date for m in person.memberships] == [date(2015, 1, 1), date(2022, 1, 1)]


def test_an_end_date_before_the_start_is_refused(db):
    person = make_member(start_date=date(2020, 5, 1))
    with pytest.raises(ValidationError) as error:
        leave(membership_of(person), end_date=date(2020, 4, 30), actor=None)
    assert error.value.field == "end_date"
    assert "01.05.2020" in error.value.message
    db.session.rollback()
    assert membership_of(person).end_date is None


def test_leaving_twice_is_refused(db):
    person = make_member()
    leave(membership_of(person), end_date=date(2024, 12, 31), actor=None)
    with pytest.raises(DomainError):
        leave(membership_of(person), end_date=date(2025, 12, 31), actor=None)


def test_a_person_with_a_running_membership_is_not_deactivated(db):
    person = make_member()
    with pytest.raises(DomainError):
        deactivate_person(person, actor=None)
    leave(membership_of(person), end_date=date(2024, 12, 31), actor=None)
    deactivate_person(person, actor=None)
    assert person.is_active is False


def test_an_alternate_payer_is_recorded(db):
    child = make_member()
    parent = make_person(first_name="Berta")
    set_payer(membership_of(child), payer_id=parent.id, actor=None)
    assert membership_of(child).paying_person is parent
    set_payer(membership_of(child), payer_id=None, actor=None)
    assert membership_of(child).paying_person is child


# mandates -------------------------------------------------------------------------------------


def test_a_mandate_is_recorded_with_a_compact_iban(db):
    person = make_member()
    membership = membership_of(person)
    set_mandate(
        membership,
        reference="M-1001-1",
        signed_on=date(2024, 3, 1),
        iban="DE89 3704 0044 0532 0130 00",
        actor=None,
    )
    assert (membership.mandate_reference, membership.mandate_iban) == ("M-1001-1", GOOD_IBAN)
    assert membership.has_mandate


@pytest.mark.parametrize(
    ("reference", "iban", "field", "words"),
    [
        ("M-1", "DE89370400440532013001", "mandate_iban", "Prüfsumme"),
        ("X" * 36, GOOD_IBAN, "mandate_reference", "36 Zeichen"),
        ("Müller-1", GOOD_IBAN, "mandate_reference", "ü"),
        ("A&B", GOOD_IBAN, "mandate_reference", "&"),
    ],
)
def test_bad_mandates_are_refused_and_nothing_changes(db, reference, iban, field, words):
    membership = membership_of(make_member())
    with pytest.raises(ValidationError) as error:
        set_mandate(
            membership, reference=reference, signed_on=date(2024, 1, 1), iban=iban, actor=None
        )
    assert error.value.field == field
    assert words in error.value.message
    db.session.rollback()
    assert membership.mandate_reference is None


def test_a_mandate_reference_is_unique(db):
    first = membership_of(make_member())
    second = membership_of(make_member())
    set_mandate(first, reference="M-7", signed_on=date(2024, 1, 1), iban=GOOD_IBAN, actor=None)
    with pytest.raises(ValidationError) as error:
        set_mandate(second, reference="M-7", signed_on=date(2024, 1, 1), iban=GOOD_IBAN, actor=None)
    assert "schon vergeben" in error.value.message


def test_a_mandate_needs_its_date(db):
    membership = membership_of(make_member())
    with pytest.raises(ValidationError) as error:
        set_mandate(membership, reference="M-8", signed_on=None, iban=GOOD_IBAN, actor=None)
    assert error.value.field == "mandate_date"


# person data ----------------------------------------------------------------------------------


def test_updating_a_person_records_before_and_after(db):
    person = make_person(city="Jena", email="alt@example.org")
    changes = update_person(person, actor=None, city="Weimar", email="Neu@Example.org", iban="")
    assert changes == {"city": ("Jena", "Weimar"), "email": ("alt@example.org", "neu@example.org")}
    entry = db.session.execute(
        select(AuditEntry).filter_by(action="persons.updated", target_id=person.id)
    ).scalar_one()
    assert entry.data["before"] == {"city": "Jena", "email": "alt@example.org"}
    assert entry.data["after"] == {"city": "Weimar", "email": "neu@example.org"}


def test_an_unchanged_person_leaves_no_audit_entry(db):
    person = make_person(city="Jena")
    assert update_person(person, actor=None, city="Jena") == {}
    entries = db.session.execute(
        select(func.count()).select_from(AuditEntry).filter_by(action="persons.updated")
    ).scalar()
    assert entries == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"iban": "DE89370400440532013001"}, "iban"),
        ({"email": "kein-at-zeichen"}, "email"),
        ({"postal_code": "0774"}, "postal_code"),
        ({"last_name": "  "}, "last_name"),
    ],
)
def test_bad_person_data_is_refused(db, values, field):
    person = make_person(city="Jena")
    with pytest.raises(ValidationError) as error:
        update_person(person, actor=None, **values)
    assert error.value.field == field


def test_validation_helpers():
    assert normalize_iban(" de89 3704 0044 0532 0130 00 ") == GOOD_IBAN
    assert normalize_iban("") is None
    assert format_iban(GOOD_IBAN) == "DE89 3704 0044 0532 0130 00"
    assert normalize_email(" Anna@Example.ORG ") == "anna@example.org"
    assert check_mandate_reference("M-1001/2025(a).b,c'd+e?f:") == "M-1001/2025(a).b,c'd+e?f:"
    assert check_mandate_reference("") is None


def test_a_foreign_postal_code_is_accepted_for_a_person_abroad(db):
    person = make_person(city="Wien")
    person.country = "AT"
    update_person(person, actor=None, postal_code="1010")
    assert person.postal_code == "1010"
