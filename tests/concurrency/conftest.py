"""Concurrency proofs: a throwaway PostgreSQL database per test, real commits, several
connections at once (threads, each with its own app context and session), released together by
a barrier. SQLite serialises every writer, so these tests run on PostgreSQL only."""

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from supportclub.audit import GENESIS, AuditEntry, digest_of
from supportclub.extensions import db
from tests.conftest import own_postgresql_app
from tests.dbutil import PG_URL

NO_PG = "PostgreSQL only (set TEST_DATABASE_URL): SQLite serialises all writers, no race to prove"
JOIN_SECONDS = 180


@pytest.fixture(params=["postgresql"])
def pg_app(request):
    """A real app on its own new PostgreSQL database (h8_…), dropped after the test."""
    if not PG_URL:
        pytest.skip(NO_PG)
    with own_postgresql_app(prefix="h8_") as app:
        yield app


def at_once(app, works: list[Callable], *, commit: bool = True) -> list:
    """Run each work in its own thread and app context, all released by one barrier.

    With `commit` the work's transaction is committed after it returns. An exception is rolled
    back and becomes the work's outcome; the outcomes come back in the order of `works`.
    """
    barrier = threading.Barrier(len(works))
    outcomes: list = [None] * len(works)

    def target(index: int, work: Callable) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                outcomes[index] = work()
                if commit:
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts on
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=target, args=(i, w), name=f"h8-worker-{i}")
        for i, w in enumerate(works)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a worker hangs (deadlock?)"
    return outcomes


def committed(app, read: Callable):
    """`read()` in a fresh app context and session: what was really committed."""
    with app.app_context():
        try:
            return read()
        finally:
            db.session.remove()


def message_of(exc: BaseException) -> str:
    """The German message of a domain error (or the exception's text)."""
    return getattr(exc, "message", None) or str(exc)


def assert_audit_chain_intact(app) -> int:
    """Every audit entry chains to the one before it and carries its own hash; the count."""

    def read() -> int:
        entries = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        head = GENESIS
        for entry in entries:
            assert entry.prev_hash == head, (
                f"audit entry {entry.id} does not follow its predecessor"
            )
            assert entry.entry_hash == digest_of(entry), f"audit entry {entry.id} has a wrong hash"
            head = entry.entry_hash
        return len(entries)

    return committed(app, read)
