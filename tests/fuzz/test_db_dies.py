"""The database connection dies in the middle of a request (PostgreSQL only).

A dedicated database (h7_dies_*, migrated), the real app with real commits. During a POST that
writes, right after its first INSERT and before the commit, a second connection ends the
request's backend with pg_terminate_backend(). The request answers with a clean German error
page (503), nothing of it is in the database, and the next request works and can do the same
thing successfully (the pool checks its connections: pool_pre_ping).
"""

import re
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from supportclub.extensions import db
from tests.conftest import login, make_test_app
from tests.dbutil import PG_URL, fresh_database, migrate

pytestmark = pytest.mark.postgres_only

TABLES = ("booking", "booking_line", "person", "membership", "audit_entry")
LEAKS = ("Traceback", "psycopg", "OperationalError", "sqlalchemy", "INSERT INTO", 'File "')


@pytest.fixture(scope="module", params=["postgresql"])
def live(request):
    """A migrated PostgreSQL database of its own and an app on it; a treasurer and a type.
    (PostgreSQL only: the connection is killed with pg_terminate_backend.)"""
    if not PG_URL:
        pytest.skip("the connection is killed with pg_terminate_backend: needs TEST_DATABASE_URL")
    with fresh_database("postgresql", prefix="h7_dies_") as url:
        app = make_test_app(url)
        migrate(app)
        with app.app_context():
            from tests.factories import make_membership_type, make_user

            treasurer = SimpleNamespace(email=make_user(role="treasurer").email)
            mtype_id = make_membership_type("regular", name="Regulär").id
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            yield {"app": app, "admin": admin, "treasurer": treasurer, "mtype_id": mtype_id}
        finally:
            admin.dispose()
            with app.app_context():
                db.engine.dispose()


class KillOnFirstInsert:
    """after_cursor_execute: on the first INSERT INTO `table`, end this connection's backend."""

    def __init__(self, admin, table: str):
        self.admin = admin
        self.pattern = re.compile(rf'^\s*INSERT INTO "?{table}"?\s*\(', re.IGNORECASE)
        self.killed_pid = None

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        """Terminate the backend (from another connection) and wait until it is gone."""
        if self.killed_pid is not None or not self.pattern.match(statement):
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        self.killed_pid = pid
        with self.admin.connect() as other:
            assert other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
            for _ in range(100):
                alive = other.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                ).scalar()
                if not alive:
                    break
                time.sleep(0.05)


def counts(admin) -> dict:
    """Rows per table, and bookings without lines (there must never be one)."""
    with admin.connect() as conn:
        result = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
        result["booking_without_lines"] = conn.execute(
            sa.text(
                "SELECT count(*) FROM booking b WHERE NOT EXISTS "
                "(SELECT 1 FROM booking_line l WHERE l.booking_id = b.id)"
            )
        ).scalar()
    return result


def booking_form(app) -> dict:
    """A valid single-line income booking of 1.234,56 €."""
    with app.app_context():
        from tests.factories import booking_form as form

        return form(text="Spende Sommerfest (Verbindungsabbruch)")


def member_form(app, mtype_id: int) -> dict:
    """A valid new member."""
    return {
        "kind": "private",
        "first_name": "Erika",
        "last_name": "Abbruch",
        "street": "Löbdergraben 1",
        "postal_code": "07743",
        "city": "Jena",
        "country": "DE",
        "email": "erika.abbruch@example.org",
        "phone": "",
        "iban": "",
        "membership_type_id": str(mtype_id),
        "start_date": "2025-04-01",
        "payer": "",
        "mandate_reference": "",
        "mandate_date": "",
        "mandate_iban": "",
    }


CASES = {
    # url, the table whose first INSERT is the moment to die, the form, what one success adds
    "booking": ("/buchungen/neu", "booking", booking_form, {"booking": 1, "booking_line": 1}),
    "member": ("/mitglieder/neu", "person", member_form, {"person": 1, "membership": 1}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_connection_killed_mid_request(live, case):
    """503 with a German text and no traceback; nothing half-written; the next try works."""
    app, admin = live["app"], live["admin"]
    url, table, make_form, adds = CASES[case]
    form = make_form(app) if make_form is booking_form else make_form(app, live["mtype_id"])
    client = app.test_client()
    login(client, live["treasurer"])
    before = counts(admin)

    killer = KillOnFirstInsert(admin, table)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", killer)
    try:
        response = client.post(url, data=form)
    finally:
        event.remove(engine, "after_cursor_execute", killer)

    assert killer.killed_pid is not None, f"no INSERT INTO {table} happened"
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page[:2000]
    assert "Die Datenbank ist gerade nicht erreichbar" in page
    assert "Bitte versuchen Sie es gleich noch einmal." in page
    for leak in LEAKS:
        assert leak not in page, f"the error page shows {leak!r}"
    assert counts(admin) == before, "a half-written request is in the database"

    # the next request gets a working connection (pool_pre_ping) ...
    assert client.get("/").status_code == 200
    # ... and the same post succeeds, once
    again = client.post(url, data=form)
    assert again.status_code == 302, again.get_data(as_text=True)[:2000]
    after = counts(admin)
    for name, added in adds.items():
        assert after[name] == before[name] + added, name
    assert after["audit_entry"] > before["audit_entry"]
    assert after["booking_without_lines"] == 0
