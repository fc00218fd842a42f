"""The audit trail's hash chain: intact after every way of writing it; a changed, a deleted and
an inserted entry are each found, and the first broken entry is named exactly."""

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from supportclub import audit
from supportclub.audit import (
    CHAIN_BROKEN,
    CONTENT_CHANGED,
    GENESIS,
    entry_digest,
    verify_chain,
)
from tests.auditing.helpers import entry_count, last_hash, triggers_lifted


class Target:
    """Something with an id, as record_many expects."""

    def __init__(self, id: int):
        self.id = id


def write_entries(db, n: int = 12) -> list[SimpleNamespace]:
    """`n` entries by record(), flushed one at a time; committed. Their ids and hashes."""
    entries = []
    for i in range(n):
        entry = audit.record(None, "test.written", None, {"n": i, "text": "Grüße"})
        db.session.flush()
        entries.append(SimpleNamespace(id=entry.id, entry_hash=entry.entry_hash))
    db.session.commit()
    return entries


def test_empty_trail_is_intact_with_genesis_head(db):
    with triggers_lifted() as conn:
        conn.execute(text("DELETE FROM audit_entry"))
    report = verify_chain()
    assert report.ok
    assert report.checked == 0
    assert report.head_hash == GENESIS


@pytest.mark.parametrize("batch", [1, 3, 5000])
def test_chain_is_intact_after_record_and_record_many_mixed(db, users, batch):
    before = entry_count()
    write_entries(db, 5)
    # in one transaction: pending record()s, a bulk record_many, more record()s, one flush
    audit.record(users["treasurer"], "test.single", None, {"a": 1})
    audit.record(users["treasurer"], "test.single", None, {"a": 2})
    audit.record_many(users["admin"], [("test.bulk", Target(i), {"i": i}) for i in range(7)])
    audit.record(None, "test.single", None, {"a": 3})
    db.session.commit()
    audit.record_many(None, [("test.bulk", Target(99), {"ümlaut": "ä"})])
    db.session.commit()

    report = verify_chain(batch=batch)

    assert report.ok, report.broken
    assert report.checked == before + 5 + 2 + 7 + 1 + 1
    assert report.head_hash == last_hash()


def test_changed_content_is_named(db):
    entries = write_entries(db)
    victim = entries[6]
    with triggers_lifted() as conn:
        conn.execute(
            text("UPDATE audit_entry SET data_json = :data WHERE id = :id"),
            {"data": json.dumps({"n": 600}), "id": victim.id},
        )

    report = verify_chain(batch=4)

    assert not report.ok
    assert report.broken.id == victim.id
    assert report.broken.problem == CONTENT_CHANGED
    assert report.broken.reason == "Inhalt verändert"
    assert report.broken.action == "test.written"
    assert report.broken.found == victim.entry_hash
    assert report.head_hash == entries[-1].entry_hash


def test_changed_time_is_named(db):
    entries = write_entries(db)
    victim = entries[0]
    with triggers_lifted() as conn:
        conn.execute(
            text("UPDATE audit_entry SET created_at = :t WHERE id = :id"),
            {"t": datetime(2020, 1, 1, tzinfo=UTC), "id": victim.id},
        )
    report = verify_chain()
    assert report.broken.id == victim.id
    assert report.broken.problem == CONTENT_CHANGED


def test_deleted_entry_breaks_the_chain_at_its_successor(db):
    entries = write_entries(db)
    with triggers_lifted() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[4].id})

    report = verify_chain(batch=2)

    assert report.broken.id == entries[5].id
    assert report.broken.problem == CHAIN_BROKEN
    assert report.broken.reason == "Kette unterbrochen"
    assert report.broken.expected == entries[3].entry_hash
    assert report.broken.found == entries[4].entry_hash


def test_deleted_last_entry_shows_in_the_head_hash(db):
    entries = write_entries(db)
    noted_head = verify_chain().head_hash
    with triggers_lifted() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[-1].id})
    report = verify_chain()
    # the rest is a valid chain: only the head noted on paper tells
    assert report.ok
    assert report.head_hash == entries[-2].entry_hash != noted_head


def _forge(conn, entry_id: int, prev_hash: str) -> str:
    """Insert an entry with a correct hash over its own content and `prev_hash`."""
    created = datetime(2025, 6, 1, 12, tzinfo=UTC)
    data = json.dumps({"amount_cents": 1})
    digest = entry_digest(prev_hash, created, None, "System", "test.forged", "", None, data)
    conn.execute(
        text(
            "INSERT INTO audit_entry (id, created_at, actor_id, actor_label, action, target_type,"
            " target_id, data_json, prev_hash, entry_hash) VALUES (:id, :created, NULL, 'System',"
            " 'test.forged', '', NULL, :data, :prev, :hash)"
        ),
        {"id": entry_id, "created": created, "data": data, "prev": prev_hash, "hash": digest},
    )
    return digest


def test_inserted_entry_is_named(db):
    first = audit.record(None, "test.written", None, {"n": 1})
    db.session.flush()
    # leave a gap in the ids, where a forger could squeeze an entry in
    second = audit.record(None, "test.written", None, {"n": 2})
    second.id = first.id + 10
    db.session.flush()
    third = audit.record(None, "test.written", None, {"n": 3})
    third.id = first.id + 11
    first_id, first_hash = first.id, first.entry_hash
    db.session.commit()
    with triggers_lifted() as conn:
        # prev_hash is unique, so the forged entry cannot claim first's hash as its predecessor
        _forge(conn, first_id + 5, "f" * 64)

    report = verify_chain(batch=1)

    assert report.broken.id == first_id + 5
    assert report.broken.problem == CHAIN_BROKEN
    assert report.broken.action == "test.forged"
    assert report.broken.expected == first_hash


def test_entry_appended_behind_the_app_changes_only_the_head(db):
    write_entries(db, 3)
    noted = verify_chain()
    with triggers_lifted() as conn:
        top = conn.execute(text("SELECT max(id) FROM audit_entry")).scalar()
        forged = _forge(conn, top + 1, noted.head_hash)
    report = verify_chain()
    assert report.ok
    assert report.checked == noted.checked + 1
    assert report.head_hash == forged != noted.head_hash


def test_batch_must_be_positive(db):
    with pytest.raises(ValueError):
        verify_chain(batch=0)
