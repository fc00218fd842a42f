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
