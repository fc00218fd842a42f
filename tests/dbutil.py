"""Fresh, migrated databases for tests: a SQLite file, or a new PostgreSQL database."""

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
REQUIRE_PG = os.environ.get("SUPPORTCLUB_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_url(url: str) -> str:
    """Force the psycopg 3 driver."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@contextlib.contextmanager
def fresh_database(
    backend: str, *, server_url: str | None = None, keep: bool = False, prefix: str = "sc_test_"
) -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards unless `keep`."""
    if backend == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="supportclub-test-"))
        try:
            yield f"sqlite:///{tmp / 'test.sqlite'}"
        finally:
            if keep:
                print(f"kept: {tmp / 'test.sqlite'}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    server = sa.make_url(_pg_url(server_url or PG_URL))
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept: database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def migrate(app) -> None:
    """Run every Alembic migration on the app's database."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
