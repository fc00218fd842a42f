"""The append-only audit trail: who did what, when, to which object, with which data."""

import json
from datetime import date, datetime
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

    actor = relationship("User")

    __table_args__ = (Index("ix_audit_entry_target", "target_type", "target_id"),)

    @property
    def data(self) -> dict[str, Any]:
        """The recorded data (before/after values, reasons)."""
        return json.loads(self.data_json or "{}")


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
    db.session.execute(
        insert(AuditEntry),
        [
            {
                "created_at": now,
                "actor_id": actor_id,
                "actor_label": label,
                "action": action,
                "target_type": type(target).__name__,
                "target_id": target.id,
                "data_json": json.dumps(
                    data, default=_jsonable, ensure_ascii=False, sort_keys=True
                ),
            }
            for action, target, data in entries
        ],
    )


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
    """Register the append-only guard (idempotent)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", _refuse_changes):
        event.listen(Session, "before_flush", _refuse_changes)
