"""The append-only audit trail: who did what, when, to which object, with which data.

The trail is hash-chained: each entry stores the hash of the entry before it (prev_hash) and its
own hash over its content and prev_hash (entry_hash), so changing, deleting or inserting an entry
anywhere breaks the chain from there on (`verify_chain`). Appending takes a lock on the chain's
head for the rest of the transaction (PostgreSQL: an advisory lock; SQLite: its write lock), and
prev_hash is unique, so two transactions can never append to the same head.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportclub.clock import utcnow
from supportclub.dbtypes import UTCDateTime
from supportclub.extensions import db


class AuditEntry(db.Model):
    """One recorded action; never edited, never deleted."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(100), index=True)
    target_type: Mapped[str] = mapped_column(String(50), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    # the hash chain: each entry carries the hash of the one before it (GENESIS for the first)
    # and its own hash over its content and prev_hash; prev_hash is unique, so the chain
    # cannot fork even when two transactions append at once
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User")

    __table_args__ = (Index("ix_audit_entry_target", "target_type", "target_id"),)

    @property
    def data(self) -> dict[str, Any]:
        """The recorded data (before/after values, reasons)."""
        return json.loads(self.data_json or "{}")


GENESIS = "0" * 64
# pg_advisory_xact_lock key of the chain's head ("audit" in ASCII)
CHAIN_LOCK_KEY = 0x6175646974


def _stamp(value: datetime) -> str:
    """The canonical text of a timestamp in the hash: UTC, microseconds, no zone suffix."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def entry_digest(
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: int | None,
    data_json: str,
) -> str:
    """The SHA-256 (hex) of one entry's content chained to `prev_hash`."""
    payload = json.dumps(
        [
            prev_hash,
            _stamp(created_at),
            actor_id,
            actor_label,
            action,
            target_type,
            target_id,
            data_json,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def digest_of(entry: "AuditEntry") -> str:
    """The hash an entry must carry, given its stored content and prev_hash."""
    return entry_digest(
        entry.prev_hash,
        entry.created_at,
        entry.actor_id,
        entry.actor_label,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.data_json,
    )


HEAD_KEY = "audit_chain_head"


def _lock_head(session) -> str:
    """Lock the chain's head until the transaction ends and return its hash (GENESIS if empty).

    Once locked, the head is kept in session.info until the transaction ends (commit, rollback,
    savepoint), so later flushes of the same transaction need no further statements.
    """
    from sqlalchemy import text

    cached = session.info.get(HEAD_KEY)
    if cached is not None:
        return cached
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    else:
        # an UPDATE that matches nothing still takes SQLite's write lock (other writers wait),
        # so the head read below cannot go stale before this transaction commits
        connection.execute(text("UPDATE audit_entry SET id = id WHERE 1 = 0"))
    head = connection.execute(
        text("SELECT entry_hash FROM audit_entry ORDER BY id DESC LIMIT 1")
    ).scalar()
    return head or GENESIS


def _remember_head(session, head: str) -> None:
    """Keep the head this transaction appended last (see _lock_head)."""
    session.info[HEAD_KEY] = head


def _forget_head(session, transaction) -> None:
    """A transaction or savepoint ended: the cached head may no longer be true."""
    session.info.pop(HEAD_KEY, None)


def _chain_new_entries(session, flush_context, instances) -> None:
    """Before a flush: give this flush's new entries their place in the chain, in order."""
    new = [obj for obj in session.new if isinstance(obj, AuditEntry) and not obj.entry_hash]
    if not new:
        return
    new.sort(key=lambda obj: obj._sa_instance_state.insert_order or 0)
    head = _lock_head(session)
    for entry in new:
        if entry.created_at is None:
            entry.created_at = utcnow()
        entry.actor_label = entry.actor_label or ""
        entry.target_type = entry.target_type or ""
        entry.data_json = entry.data_json or "{}"
        entry.prev_hash = head
        entry.entry_hash = digest_of(entry)
        head = entry.entry_hash
    _remember_head(session, head)


def _jsonable(value: Any) -> Any:
    """Dates and enums as strings so the data can be stored as JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return str(value)


def record(actor, action: str, target=None, data: dict[str, Any] | None = None) -> AuditEntry:
    """Append an audit entry for `action` by `actor` (a User or None for the system)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "System",
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None) if target is not None else None,
        data_json=json.dumps(data or {}, default=_jsonable, ensure_ascii=False, sort_keys=True),
    )
    # no flush of its own: the entry goes out with the caller's next flush or the commit, in
    # one batch with the rows it describes
    db.session.add(entry)
    return entry


def record_many(actor, entries: list[tuple[str, Any, dict[str, Any]]]) -> None:
    """Append several audit entries (action, target, data) in one statement (bulk work)."""
    from sqlalchemy import insert

    from supportclub.clock import utcnow

    if not entries:
        return
    actor_id = getattr(actor, "id", None)
    label = getattr(actor, "email", None) or "System"
    now = utcnow()
    db.session.flush()  # entries still pending go first in the chain
    head = _lock_head(db.session)
    rows = []
    for action, target, data in entries:
        row = {
            "created_at": now,
            "actor_id": actor_id,
            "actor_label": label,
            "action": action,
            "target_type": type(target).__name__,
            "target_id": target.id,
            "data_json": json.dumps(data, default=_jsonable, ensure_ascii=False, sort_keys=True),
            "prev_hash": head,
        }
        row["entry_hash"] = head = entry_digest(
            head,
            now,
            actor_id,
            label,
            action,
            row["target_type"],
            row["target_id"],
            row["data_json"],
        )
        rows.append(row)
    db.session.execute(insert(AuditEntry), rows)
    _remember_head(db.session, head)


def _refuse_changes(session, flush_context, instances) -> None:
    """The audit trail is append-only: refuse updates and deletes."""
    from supportclub.errors import ImmutableError
    from supportclub.i18n import _

    for obj in list(session.deleted) + list(session.dirty):
        if isinstance(obj, AuditEntry) and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            raise ImmutableError(_("Das Protokoll kann nicht geändert oder gelöscht werden."))


def install_guard() -> None:
    """Register the append-only guard and the chaining of new entries (idempotent)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _refuse_changes):
        event.listen(Session, "before_flush", _refuse_changes)
    if not event.contains(Session, "before_flush", _chain_new_entries):
        event.listen(Session, "before_flush", _chain_new_entries)
    if not event.contains(Session, "after_transaction_end", _forget_head):
        event.listen(Session, "after_transaction_end", _forget_head)


# Verifying the chain ------------------------------------------------------------------------

CONTENT_CHANGED = "content"  # the entry's hash does not match its stored content
CHAIN_BROKEN = "link"  # prev_hash is not the hash of the entry before it


@dataclass(frozen=True)
class ChainBreak:
    """The first entry where the chain does not hold, and why."""

    id: int
    created_at: datetime
    action: str
    problem: str  # CONTENT_CHANGED or CHAIN_BROKEN
    expected: str  # the hash that should be there (entry_hash or prev_hash)
    found: str  # the hash that is there

    @property
    def reason(self) -> str:
        """What is wrong, in German words."""
        from supportclub.i18n import _

        if self.problem == CONTENT_CHANGED:
            return _("Inhalt verändert")
        return _("Kette unterbrochen")

    @property
    def explanation(self) -> str:
        """What the reason means for an auditor."""
        from supportclub.i18n import _

        if self.problem == CONTENT_CHANGED:
            return _(
                "Der gespeicherte Hash passt nicht zum Inhalt des Eintrags: der Eintrag wurde "
                "nachträglich geändert."
            )
        return _(
            "Der Eintrag verweist nicht auf den Hash des Eintrags davor: davor wurde ein "
            "Eintrag gelöscht oder eingefügt."
        )


@dataclass(frozen=True)
class ChainReport:
    """The result of `verify_chain`: how many entries were checked, the first break, the head."""

    checked: int
    # the newest entry's stored entry_hash (GENESIS for an empty trail): noted on paper, it shows
    # later whether the trail was cut short or rewritten from some entry on
    head_hash: str
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        """True when every entry is intact and follows the one before it."""
        return self.broken is None


_CHAIN_COLUMNS = (
    "id",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "data_json",
    "prev_hash",
    "entry_hash",
)


def _chain_batches(batch: int) -> Iterator[list]:
    """The audit trail in id order, `batch` plain rows at a time (keyset pages, no ORM objects)."""
    from sqlalchemy import select

    columns = [getattr(AuditEntry, name) for name in _CHAIN_COLUMNS]
    last_id = None
    while True:
        stmt = select(*columns).order_by(AuditEntry.id).limit(batch)
        if last_id is not None:
            stmt = stmt.where(AuditEntry.id > last_id)
        rows = db.session.execute(stmt).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1].id
        if len(rows) < batch:
            return


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole trail in id order and return the first entry where the chain breaks.

    Each entry's hash is recomputed from its stored content (a changed entry: "Inhalt
    verändert") and its prev_hash must be the hash of the entry before it, GENESIS for the first
    (a deleted or inserted entry: "Kette unterbrochen"). Reads `batch` rows per query, so memory
    stays constant however long the trail is.
    """
    if batch < 1:
        raise ValueError("batch must be positive")
    head = GENESIS
    checked = 0
    for rows in _chain_batches(batch):
        for row in rows:
            checked += 1
            if row.prev_hash != head:
                problem, expected, found = CHAIN_BROKEN, head, row.prev_hash
            else:
                digest = digest_of(row)
                if digest == row.entry_hash:
                    head = row.entry_hash
                    continue
                problem, expected, found = CONTENT_CHANGED, digest, row.entry_hash
            created = row.created_at
            broken = ChainBreak(row.id, created, row.action, problem, expected, found)
            return ChainReport(checked=checked, head_hash=_stored_head(), broken=broken)
    return ChainReport(checked=checked, head_hash=head)


def _stored_head() -> str:
    """The entry_hash of the newest entry as stored (GENESIS for an empty trail)."""
    from sqlalchemy import select

    head = db.session.execute(
        select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar()
    return head or GENESIS
