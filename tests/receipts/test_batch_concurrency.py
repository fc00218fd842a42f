"""Batches at the same moment on PostgreSQL (real commits, several connections): every
contribution on exactly one receipt, every donor receipted once, numbers 1..N without gaps."""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.ledger.models import Person
from supportclub.receipts import batch as batch_module
from supportclub.receipts.batch import run_batch, start_batch
from supportclub.receipts.models import BatchStatus, DonationReceipt, ReceiptBatch, ReceiptItem
from supportclub.receipts.services import issue_collective
from tests.conftest import make_test_app
from tests.dbutil import PG_URL, fresh_database, migrate
from tests.factories import make_contribution, make_person, make_receipt_settings

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")

DONORS = 40


@pytest.fixture
def pg_app(monkeypatch):
    """An app on a new PostgreSQL database with 40 donors of 2025 (committed); chunks of 4."""
    monkeypatch.setattr(batch_module, "CHUNK_SIZE", 4)
    with fresh_database("postgresql") as url:
        app = make_test_app(url, RECEIPT_RENDER_PROCESSES=1)
        migrate(app)
        with app.app_context():
            make_receipt_settings()
            for n in range(DONORS):
                person = make_person(first_name="Paula", last_name=f"Parallel{n:02d}")
                for k in range(1 + n % 3):
                    make_contribution(person, 1000 + n, booking_date=date(2025, 1 + k, 10))
            db.session.remove()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def run_at_once(app, *works):
    """Run each of `works` in its own thread and app context, all released at once."""
    barrier = threading.Barrier(len(works))
    outcomes: list = [None] * len(works)

    def target(index, work):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = work()
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def new_batch(app) -> int:
    """A queued 2025 batch (as a second app instance would record it)."""
    with app.app_context():
        batch = ReceiptBatch(year=2025, status=BatchStatus.QUEUED, total=0, done=0)
        db.session.add(batch)
        db.session.commit()
        batch_id = batch.id
        db.session.remove()
        return batch_id


def assert_everyone_once(app) -> list[DonationReceipt]:
    """Each donor has one receipt over all their lines; no line twice; numbers 1..N."""
    with app.app_context():
        receipts = list(
            db.session.execute(select(DonationReceipt).order_by(DonationReceipt.seq)).scalars()
        )
        assert [r.seq for r in receipts] == list(range(1, DONORS + 1))
        assert [r.number for r in receipts][-1] == f"2025-{DONORS:04d}"
        assert len({r.person_id for r in receipts}) == DONORS
        lines = list(db.session.execute(select(ReceiptItem.booking_line_id)).scalars())
        assert len(lines) == len(set(lines)) == sum(1 + n % 3 for n in range(DONORS))
        assert all(r.has_pdf for r in receipts)
        persons = db.session.execute(select(func.count(Person.id))).scalar_one()
        assert persons == DONORS
        db.session.remove()
        return receipts


def test_two_batches_of_the_same_year_at_once_issue_each_donor_once(pg_app):
    first, second = new_batch(pg_app), new_batch(pg_app)
    outcomes = run_at_once(pg_app, lambda: run_batch(first).id, lambda: run_batch(second).id)
    assert outcomes == [first, second]
    receipts = assert_everyone_once(pg_app)
    with pg_app.app_context():
        batches = [db.session.get(ReceiptBatch, i) for i in (first, second)]
        assert all(b.status == BatchStatus.DONE for b in batches)
        assert sum(b.issued for b in batches) == len(receipts) == DONORS
        assert all(b.done == b.total == DONORS for b in batches)
        by_batch = {b.id: b.issued for b in batches}
        counted = db.session.execute(
            select(DonationReceipt.batch_id, func.count()).group_by(DonationReceipt.batch_id)
        ).all()
        assert dict(counted) == {k: v for k, v in by_batch.items() if v}
        db.session.remove()


def test_two_workers_on_one_batch_leave_it_to_the_first(pg_app):
    with pg_app.app_context():
        batch_id = start_batch(2025, None).id
        db.session.commit()
        db.session.remove()
    outcomes = run_at_once(
        pg_app, lambda: bool(run_batch(batch_id)), lambda: bool(run_batch(batch_id))
    )
    assert sorted(outcomes) == [False, True]  # the second found it running
    assert_everyone_once(pg_app)


def test_a_batch_and_a_treasurer_issuing_by_hand_at_once(pg_app):
    batch_id = new_batch(pg_app)

    def by_hand():
        issued = 0
        for n in reversed(range(DONORS)):
            person = db.session.execute(
                select(Person).where(Person.last_name == f"Parallel{n:02d}")
            ).scalar_one()
            for _attempt in range(3):
                try:
                    issue_collective(person, 2025, actor=None)
                    db.session.commit()
                    issued += 1
                except DomainError:  # the batch was first
                    db.session.rollback()
                except DBAPIError:  # a deadlock with the batch: the treasurer tries again
                    db.session.rollback()
                    continue
                break
        return issued

    outcomes = run_at_once(pg_app, lambda: run_batch(batch_id).issued, by_hand)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert sum(outcomes) == DONORS
    assert_everyone_once(pg_app)
