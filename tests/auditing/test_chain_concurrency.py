"""Eight writers append to the audit trail at the same moment (PostgreSQL, separate sessions on
a database of its own): the advisory lock on the chain's head serialises them, so all 200
entries land, none is refused, and the chain is intact."""

import threading

import pytest
from sqlalchemy import func, select

from supportclub import audit
from supportclub.audit import AuditEntry, verify_chain
from supportclub.extensions import db
from tests.conftest import own_postgresql_app
from tests.dbutil import PG_URL

THREADS = 8
PER_THREAD = 25


class Target:
    """Something with an id, as record_many expects."""

    def __init__(self, id: int):
        self.id = id


@pytest.fixture(params=["postgresql"])
def pg_app(request):
    """A real app on a new PostgreSQL database of its own (h2_…), dropped afterwards."""
    if not PG_URL:
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL): SQLite serialises all writers")
    with own_postgresql_app(prefix="h2_") as app:
        yield app


def _writer(app, barrier, thread: int, errors: list) -> None:
    """25 entries in five transactions: record() one by one, then record_many with record()."""
    with app.app_context():
        try:
            barrier.wait(timeout=60)
            for batch in range(4):
                for n in range(4):
                    audit.record(None, "test.parallel", None, {"t": thread, "b": batch, "n": n})
                db.session.commit()
            audit.record(None, "test.parallel", None, {"t": thread, "last": True})
            audit.record_many(
                None, [("test.parallel_bulk", Target(thread), {"i": i}) for i in range(8)]
            )
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - the test asserts there were none
            db.session.rollback()
            errors.append(exc)
        finally:
            db.session.remove()


def test_parallel_writers_keep_one_intact_chain(pg_app):
    with pg_app.app_context():
        before = db.session.execute(select(func.count(AuditEntry.id))).scalar_one()
        db.session.remove()
    barrier = threading.Barrier(THREADS)
    errors: list = []
    threads = [
        threading.Thread(target=_writer, args=(pg_app, barrier, t, errors), name=f"h2-writer-{t}")
        for t in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a writer hangs"
    assert errors == []

    with pg_app.app_context():
        count = db.session.execute(select(func.count(AuditEntry.id))).scalar_one()
        report = verify_chain(batch=17)
        db.session.remove()
    assert count - before == THREADS * PER_THREAD == 200
    assert report.ok, report.broken
    assert report.checked == count
