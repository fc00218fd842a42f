"""Two treasurers at the same moment: PostgreSQL with several connections (real commits)."""

import threading

import pytest
from sqlalchemy import func, select

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.ledger.models import Booking, Channel
from tests.conftest import own_postgresql_app
from tests.dbutil import PG_URL
from tests.factories import make_booking

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture(scope="module")
def pg_app():
    """An app on its own PostgreSQL database, with committed data visible to all threads."""
    with own_postgresql_app() as app:
        yield app


def run_concurrently(app, work, n=2):
    """Run `work()` in n threads at once, each in its own app context; collect the outcomes."""
    barrier = threading.Barrier(n)
    outcomes = []

    def target():
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(work())
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
                db.session.rollback()
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_simultaneous_reversals_book_only_one(pg_app):
    from supportclub.ledger.services import reverse_booking

    with pg_app.app_context():
        booking_id = make_booking(5000).id

    def work():
        return reverse_booking(db.session.get(Booking, booking_id), "doppelt", actor=None).id

    outcomes = run_concurrently(pg_app, work, n=3)
    succeeded = [o for o in outcomes if isinstance(o, int)]
    failed = [o for o in outcomes if isinstance(o, Exception)]
    assert len(succeeded) == 1 and len(failed) == 2
    assert all(
        "bereits storniert" in str(getattr(e, "message", e)) or "unique" in str(e).lower()
        for e in failed
    )
    with pg_app.app_context():
        reversals = db.session.execute(
            select(func.count()).where(Booking.reversal_of_id == booking_id)
        ).scalar_one()
        assert reversals == 1


def test_same_bank_reference_twice_at_once_books_once(pg_app):
    def work():
        return make_booking(
            7000, channel=Channel.BANK, external_ref="CAMT-2025-0001", commit=False
        ).id

    outcomes = run_concurrently(pg_app, work, n=2)
    assert sum(isinstance(o, int) for o in outcomes) == 1
    assert sum(isinstance(o, Exception) for o in outcomes) == 1
    assert any(isinstance(o, DomainError) or "unique" in str(o).lower() for o in outcomes)
    with pg_app.app_context():
        count = db.session.execute(
            select(func.count()).where(Booking.external_ref == "CAMT-2025-0001")
        ).scalar_one()
        assert count == 1
