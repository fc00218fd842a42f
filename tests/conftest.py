"""Fixtures: an app per database backend, a rolled-back transaction per test, clients per role."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy.orm import scoped_session, sessionmaker

from supportclub import create_app
from supportclub.extensions import db as _db
from tests.dbutil import BACKENDS, PG_URL, REQUIRE_PG, fresh_database, migrate

pytest_plugins = ["tests.mailsink"]

PASSWORD = "correct-horse-battery"
ROLES = ("admin", "treasurer", "board", "auditor", "member")


def pytest_report_header(config):
    """Say which databases the suite runs on."""
    if PG_URL:
        return f"databases: SQLite and PostgreSQL ({PG_URL})"
    return "databases: SQLite only -- PostgreSQL SKIPPED (set TEST_DATABASE_URL to include it)"


def pytest_configure(config):
    """Refuse to run without PostgreSQL where it is required (CI)."""
    if REQUIRE_PG and not PG_URL:
        raise pytest.UsageError(
            "SUPPORTCLUB_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: "
            "the PostgreSQL run would be skipped."
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Count the tests that really ran on PostgreSQL; fail CI when there were none."""
    passed = terminalreporter.stats.get("passed", [])
    on_pg = sum(1 for rep in passed if "postgresql" in rep.nodeid)
    if PG_URL:
        terminalreporter.write_line(f"PostgreSQL: {on_pg} tests passed on PostgreSQL")
    else:
        terminalreporter.write_line(
            "PostgreSQL: SKIPPED (TEST_DATABASE_URL not set); only SQLite was tested"
        )
    if REQUIRE_PG and on_pg == 0 and passed:
        terminalreporter.write_line("PostgreSQL run was required but no test ran on it")
        config._supportclub_pg_missing = True


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """Turn a missing PostgreSQL run into a failing exit status."""
    if getattr(session.config, "_supportclub_pg_missing", False):
        session.exitstatus = 1


class FreshUserClient(FlaskClient):
    """A test client that forgets the cached user and locale between requests.

    The test keeps one app context open (for the rolled-back session), and Flask reuses it for
    every request, so Flask-Login's cached user in `g` would leak from one client to the next.
    """

    def open(self, *args, **kwargs):
        """Drop the cached user, then send the request."""
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("_flask_babel", None)
        return super().open(*args, **kwargs)


def make_test_app(url: str, **overrides) -> Flask:
    """An app in testing mode on `url` (CSRF off unless asked for)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        # uploaded documents of the tests never land in instance/
        "UPLOAD_DIR": tempfile.mkdtemp(prefix="supportclub-uploads-"),
    }
    config.update(overrides)
    from config import TestingConfig

    # A config class, not app.config.update(): extensions read their settings at init.
    app = create_app(type("TestConfig", (TestingConfig,), config))
    app.test_client_class = FreshUserClient
    return app


@contextmanager
def own_postgresql_app(prefix: str = "sc_test_", **overrides) -> Iterator[Flask]:
    """A real app on a new, migrated PostgreSQL database of its own (committed data is seen by
    every thread and process), disposed and dropped afterwards: for concurrency proofs."""
    with fresh_database("postgresql", prefix=prefix) as url:
        app = make_test_app(url, **overrides)
        migrate(app)
        yield app
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The database backend of this run: sqlite or postgresql."""
    return request.param


@pytest.fixture(scope="session")
def _session_app(backend):
    """One migrated database and app per backend for the whole session."""
    with fresh_database(backend) as url:
        app = make_test_app(url)
        migrate(app)
        yield app
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture
def app(_session_app):
    """The app, with every database change of the test rolled back afterwards."""
    app = _session_app
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        session = scoped_session(factory)
        original = _db.session
        _db.session = session
        try:
            yield app
        finally:
            session.remove()
            _db.session = original
            outer.rollback()
            connection.close()
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def db(app):
    """The database handle (Flask-SQLAlchemy)."""
    return _db


@pytest.fixture
def client(app):
    """An anonymous test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def users(app):
    """One user per role (password PASSWORD)."""
    from tests.factories import make_user

    return {role: make_user(role=role) for role in ROLES}


def login(client, user, password: str = PASSWORD):
    """Log `user` in through the login form."""
    response = client.post("/anmelden", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def clients(app, users):
    """A logged-in test client per role, plus "anonymous"."""
    result = {"anonymous": app.test_client()}
    for role, user in users.items():
        result[role] = login(app.test_client(), user)
    return result


@pytest.fixture
def treasurer_client(clients):
    """A client logged in as treasurer."""
    return clients["treasurer"]
