"""Mandate state on a collection date: valid, missing, lapsed after 36 months, OOFF used, IBAN."""

from datetime import date, timedelta

from sqlalchemy import update

from supportclub.banking.mandates import MandateState, lapse_limit, mandate_checks
from supportclub.members.models import Membership
from tests.banking.test_collections import (
    fake_collection,
    mandated_member,
)
from tests.factories import make_claim, make_member, membership_of

ON = date(2026, 12, 15)


def state(person, on=ON):
    membership = membership_of(person)
    return mandate_checks([membership], on)[membership.id]


def test_lapse_limit_is_36_months_back():
    assert lapse_limit(date(2026, 12, 15)) == date(2023, 12, 15)
    assert lapse_limit(date(2028, 2, 29)) == date(2025, 2, 28)


def test_a_mandate_signed_exactly_36_months_before_is_valid_one_day_more_lapsed(db):
    on_edge = mandated_member(signed=date(2023, 12, 15))
    too_old = mandated_member(signed=date(2023, 12, 14))
    assert state(on_edge).state == MandateState.VALID
    lapsed = state(too_old)
    assert (lapsed.state, lapsed.last_use, lapsed.used) == (
        MandateState.LAPSED,
        date(2023, 12, 14),
        False,
    )


def test_a_collection_renews_the_mandate_and_a_cancelled_one_does_not(db):
    person = mandated_member(signed=date(2020, 1, 1))
    claim = make_claim(person, 2024)
    collection = fake_collection(db, membership_of(person), claim, date(2024, 3, 1))
    check = state(person)
    assert (check.state, check.last_use, check.used) == (MandateState.VALID, date(2024, 3, 1), True)
    assert state(person, date(2027, 3, 2)).state == MandateState.LAPSED
    collection.status = "cancelled"
    from supportclub.clock import utcnow

    collection.cancelled_at = utcnow()
    db.session.commit()
    assert state(person).state == MandateState.LAPSED


def test_missing_ooff_used_and_invalid_iban(db):
    assert state(make_member()).state == MandateState.MISSING
    once = mandated_member(mandate_type="OOFF", signed=date(2026, 1, 5))
    assert state(once).state == MandateState.VALID
    claim = make_claim(once, 2025)
    fake_collection(db, membership_of(once), claim, date(2026, 2, 2), sequence="OOFF")
    assert state(once).state == MandateState.OOFF_USED
    bad = mandated_member(signed=date(2026, 1, 5))
    db.session.execute(
        update(Membership)
        .where(Membership.id == membership_of(bad).id)
        .values(mandate_iban="DE00123456789012345678")
    )
    assert state(bad).state == MandateState.IBAN_INVALID


def test_many_memberships_in_one_go(db):
    people = [mandated_member(signed=ON - timedelta(days=400)) for _ in range(3)]
    checks = mandate_checks([membership_of(p) for p in people], ON)
    assert {c.state for c in checks.values()} == {MandateState.VALID}
