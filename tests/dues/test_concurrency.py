"""Two treasurers at the same moment on PostgreSQL: dues runs and payments stay exact."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.dues.models import DuesClaim, DuesRun
from supportclub.dues.queries import claims_of_person
from supportclub.extensions import db
from supportclub.ledger.models import Account
from tests.dbutil import PG_URL
from tests.factories import by_code, make_claim, make_member, make_membership_type
from tests.ledger.test_concurrency import pg_app, run_concurrently  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


def test_two_simultaneous_dues_runs_create_each_claim_once(pg_app):  # noqa: F811
    from supportclub.dues.services import run_dues

    with pg_app.app_context():
        mtype = make_membership_type(rates=[(date(2009, 1, 1), 3600)])
        for _ in range(5):
            make_member(mtype)

    outcomes = run_concurrently(pg_app, lambda: run_dues(2024, actor=None).count, n=3)
    assert sorted(outcomes) == [0, 0, 5]
    with pg_app.app_context():
        claims = db.session.execute(
            select(func.count()).select_from(DuesClaim).where(DuesClaim.year == 2024)
        ).scalar_one()
        runs = db.session.execute(
            select(func.count()).select_from(DuesRun).where(DuesRun.year == 2024)
        ).scalar_one()
        assert (claims, runs) == (5, 1)


def test_two_simultaneous_payments_cannot_overpay_a_claim(pg_app):  # noqa: F811
    from supportclub.dues.payments import Allocation, record_payment

    with pg_app.app_context():
        person = make_member(make_membership_type(rates=[(date(2009, 1, 1), 3600)]))
        claim_id, person_id = make_claim(person, 2023).id, person.id
        bank = by_code(Account, "bank").id

    def work():
        return record_payment(
            person_id=person_id,
            booking_date=date(2025, 3, 1),
            account_id=bank,
            amount_cents=3600,
            allocations=[Allocation(claim_id, 3600)],
            actor=None,
        ).id

    outcomes = run_concurrently(pg_app, work, n=2)
    assert sum(isinstance(o, int) for o in outcomes) == 1
    failed = [o for o in outcomes if isinstance(o, Exception)]
    assert "nur noch 0,00 € offen" in failed[0].message
    with pg_app.app_context():
        (row,) = claims_of_person(person_id)
        assert (row.paid_cents, row.open_cents) == (3600, 0)
