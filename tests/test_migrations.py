"""Every table comes from a migration, and the migrated schema equals the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from supportclub.extensions import db
from tests.conftest import make_test_app
from tests.dbutil import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def empty_app(request):
    """An app on a brand-new, empty database."""
    with fresh_database(request.param) as url:
        app = make_test_app(url)
        yield app
        with app.app_context():
            db.engine.dispose()


def schema_diff(app) -> list:
    """Differences between the live schema and the models (empty when they match)."""
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_models(empty_app):
    with empty_app.app_context():
        upgrade()
    assert schema_diff(empty_app) == []


def test_downgrade_and_upgrade_again(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {"booking", "booking_line", "person", "user", "audit_entry"} <= tables
    assert schema_diff(empty_app) == []


def test_first_migration_seeds_the_basics(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            accounts = conn.execute(sa.text("SELECT code FROM account ORDER BY id")).scalars()
            assert list(accounts) == ["bank", "cash", "stripe"]
            funds = conn.execute(sa.text("SELECT code, is_earmarked FROM fund")).all()
            assert [(code, bool(earmarked)) for code, earmarked in funds] == [("general", False)]
            spheres = dict(conn.execute(sa.text("SELECT code, sphere FROM category")).all())
            assert spheres["sales"] == "wirtschaftlich"
            assert spheres["interest"] == "vermoegensverwaltung"
            assert spheres["campaign_fees"] == "zweckbetrieb"
            assert spheres["dues"] == "ideell"
            assert conn.execute(sa.text("SELECT id FROM association_settings")).scalar() == 1


def test_trust_revision_chains_the_existing_audit_trail(empty_app):
    """Entries written before 0009 get their place in the hash chain, in id order, and keep their
    immutability: the chain verifies and an UPDATE is still refused by the database."""
    from supportclub.audit import GENESIS, AuditEntry, digest_of

    with empty_app.app_context():
        upgrade(revision="0008_session_epoch")
        with db.engine.begin() as conn:
            for stamp, action, data in [
                ("2026-01-02 10:00:00.123456+00", "persons.created", '{"name": "Jürgen"}'),
                ("2026-01-03 11:30:00+00", "bookings.recorded", "{}"),
            ]:
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_entry (created_at, actor_label, action, target_type,"
                        " data_json) VALUES (:stamp, 'System', :action, '', :data)"
                    ),
                    {"stamp": stamp, "action": action, "data": data},
                )
        upgrade()
        entries = db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        assert [e.action for e in entries] == ["persons.created", "bookings.recorded"]
        assert entries[0].prev_hash == GENESIS
        assert entries[1].prev_hash == entries[0].entry_hash
        assert all(digest_of(e) == e.entry_hash for e in entries)
        # the digest is the same whatever the database: SHA-256 of the canonical JSON of
        # [prev_hash, UTC time with microseconds, actor id, label, action, type, id, data]
        assert entries[0].entry_hash == (
            "a438e7978403abf6e30c418f3a790cb5f70c95bb74d48b358b0d64ed1210a314"
        )
        with pytest.raises(sa.exc.DBAPIError), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_entry SET action = 'x'"))
        db.session.remove()
