"""Helpers of the auditing tests: lifting the audit trail's triggers to tamper with it."""

import contextlib

from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.extensions import db

SQLITE_TRIGGERS = {
    "update": "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "delete": "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
}


@contextlib.contextmanager
def triggers_lifted():
    """Let raw SQL change the audit trail inside the test's (rolled-back) transaction."""
    db.session.flush()
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_immutable")
        yield conn
        conn.exec_driver_sql("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_immutable")
    else:
        conn.exec_driver_sql("DROP TRIGGER audit_entry_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_entry_no_delete")
        yield conn
        for ddl in SQLITE_TRIGGERS.values():
            conn.exec_driver_sql(ddl)
    db.session.expire_all()


def entry_count() -> int:
    """How many audit entries there are."""
    return db.session.execute(select(func.count(AuditEntry.id))).scalar_one()


def last_hash() -> str:
    """The entry_hash of the newest entry."""
    return db.session.execute(
        select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one()
