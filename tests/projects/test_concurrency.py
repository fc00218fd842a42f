"""Two treasurers paying out the same grant at the same moment (PostgreSQL, real commits)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.ledger.models import Account, BookingLine
from supportclub.projects.models import Project
from supportclub.projects.queries import sums_of
from tests.dbutil import PG_URL
from tests.factories import by_code, make_booking, make_grant, make_project
from tests.ledger.test_concurrency import pg_app, run_concurrently  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


def test_two_simultaneous_payouts_cannot_exceed_the_approval(pg_app):  # noqa: F811
    from supportclub.projects.services import allocate_funds, record_payout

    with pg_app.app_context():
        make_booking(500000, booking_date=date(2025, 1, 10))
        project = make_project("Gleichzeitig")
        make_grant(project, 100000)
        allocate_funds(project, amount_cents=100000, booking_date=date(2025, 3, 5), actor=None)
        db.session.commit()
        project_id, bank = project.id, by_code(Account, "bank").id

    def work():
        return record_payout(
            db.session.get(Project, project_id),
            amount_cents=60000,
            booking_date=date(2025, 4, 1),
            account_id=bank,
            actor=None,
        ).id

    outcomes = run_concurrently(pg_app, work, n=2)
    succeeded = [o for o in outcomes if isinstance(o, int)]
    failed = [o for o in outcomes if isinstance(o, Exception)]
    assert len(succeeded) == 1 and len(failed) == 1, outcomes
    assert isinstance(failed[0], DomainError)
    assert "noch nicht ausgezahlten Betrag (400,00 €)" in failed[0].message
    with pg_app.app_context():
        sums = sums_of(db.session.get(Project, project_id))
        assert (sums.paid_cents, sums.fund_cents) == (60000, 40000)
        payouts = db.session.execute(
            select(func.count()).where(
                BookingLine.project_id == project_id, BookingLine.amount_cents == -60000
            )
        ).scalar_one()
        assert payouts == 1
