"""Throwaway databases with real data for the backup tests, and what to compare after a restore.

Each database is new (a SQLite file in a temp folder, or a PostgreSQL database named h4_…), with
its own upload folder, and is written with real commits: a backup reads what was committed.
"""

import contextlib
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from supportclub.audit import GENESIS, AuditEntry, digest_of
from supportclub.backup.tables import iter_lines, snapshot, table_specs
from supportclub.extensions import db
from tests.conftest import make_test_app
from tests.dbutil import PG_URL, _pg_url, migrate

NO_PG = "PostgreSQL not available (set TEST_DATABASE_URL)"
PDF_BYTES = b"%PDF-1.4\n% Projektantrag\n" + bytes(range(256)) * 8


@dataclass
class Site:
    """An app on its own database and upload folder."""

    app: object
    url: str
    upload_dir: Path

    def run(self, *args: str):
        """Invoke a CLI command of this app (in a fresh app context)."""
        with self.app.app_context():
            result = self.app.test_cli_runner().invoke(args=list(args))
            db.session.remove()
        return result

    def dispose(self) -> None:
        """Close every connection to the database."""
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def need(backend: str) -> None:
    """Skip a PostgreSQL case when no server is configured."""
    if backend == "postgresql" and not PG_URL:
        pytest.skip(NO_PG)


def _admin() -> sa.Engine:
    """An AUTOCOMMIT engine on the PostgreSQL server (to create and drop databases)."""
    return sa.create_engine(_pg_url(PG_URL), isolation_level="AUTOCOMMIT")


def _drop(admin: sa.Engine, name: str) -> None:
    """Drop a PostgreSQL database, ending its connections first."""
    with admin.connect() as connection:
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


@contextlib.contextmanager
def _pg_database(template: str | None) -> Iterator[str]:
    """A new PostgreSQL database h4_… (a copy of `template` if given); dropped afterwards."""
    name = f"h4_{uuid.uuid4().hex[:12]}"
    admin = _admin()
    with admin.connect() as connection:
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.execute(sa.text(f'CREATE DATABASE "{name}"{suffix}'))
    try:
        yield sa.make_url(_pg_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


class Templates:
    """Migrated databases to copy from (a migration takes seconds, a copy a fraction)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.made: dict[str, str] = {}

    def __call__(self, backend: str) -> str:
        """The template of `backend`: a SQLite file path or a PostgreSQL database name."""
        need(backend)
        if backend not in self.made:
            if backend == "sqlite":
                path = self.folder / "template.sqlite"
                self._migrate(f"sqlite:///{path}")
                self.made[backend] = str(path)
            else:
                name = f"h4_template_{uuid.uuid4().hex[:8]}"
                admin = _admin()
                with admin.connect() as connection:
                    connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
                admin.dispose()
                self.made[backend] = name
                self._migrate(
                    sa.make_url(_pg_url(PG_URL))
                    .set(database=name)
                    .render_as_string(hide_password=False)
                )
        return self.made[backend]

    @staticmethod
    def _migrate(url: str) -> None:
        """Migrate the database at `url` and close every connection to it."""
        app = make_test_app(url)
        migrate(app)
        with app.app_context():
            if url.startswith("sqlite"):
                with db.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()

    def drop(self) -> None:
        """Remove the PostgreSQL template."""
        if "postgresql" in self.made:
            admin = _admin()
            _drop(admin, self.made["postgresql"])
            admin.dispose()


@contextlib.contextmanager
def site(backend: str, tmp_path: Path, name: str, *, template: str | None = None) -> Iterator[Site]:
    """A new database with an app and an upload folder of its own: without tables, or a copy
    of a migrated `template` (Templates)."""
    need(backend)
    upload_dir = tmp_path / f"uploads-{name}"
    upload_dir.mkdir()
    if backend == "sqlite":
        path = tmp_path / f"{name}.sqlite"
        if template:
            shutil.copyfile(template, path)
        database = contextlib.nullcontext(f"sqlite:///{path}")
    else:
        database = _pg_database(template)
    with database as url:
        app = make_test_app(url, UPLOAD_DIR=str(upload_dir))
        result = Site(app, url, upload_dir)
        try:
            yield result
        finally:
            result.dispose()


def populate(app) -> None:
    """Real data through the services: persons, bookings with a reversal, receipts with PDFs,
    a project document, a bank import, users; every step leaves its audit entries."""
    from supportclub.admin.services import set_bank_iban
    from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053
    from supportclub.banking.imports import import_file
    from supportclub.ledger.services import reverse_booking
    from supportclub.projects.documents import store_document
    from tests.factories import make_booking, make_person, make_project, make_user
    from tests.receipts.ui_helpers import issue, make_receipt_settings

    with app.app_context():
        make_receipt_settings()
        treasurer = make_user("treasurer")
        make_user("auditor")
        donors = [
            make_person(first_name="Jürgen", last_name="Ößwald"),
            make_person(first_name="Zoë", last_name="Łukasiewicz"),
            make_person(),
        ]
        wrong = make_booking(12345, person_id=donors[0].id, text="Spende „Sommerfest“")
        reverse_booking(wrong, "Falscher Betrag", actor=treasurer, reversal_date=date(2025, 3, 2))
        db.session.commit()
        make_booking(-4200, category="admin_cost", text="Porto")
        for donor, cents in zip(donors, (5000, 7550, 20000), strict=True):
            issue(donor, cents, actor=treasurer)
        project = make_project()
        store_document(
            project, data=PDF_BYTES, filename="Antrag.pdf", kind="application", actor=treasurer
        )
        db.session.commit()
        set_bank_iban(ASSOCIATION_IBAN, actor=treasurer)
        db.session.commit()
        import_file(
            camt053(
                [
                    {"amount_cents": 2500, "ref": "A-1", "text": "Spende Müller"},
                    {"amount_cents": -990, "ref": "A-2", "text": "Kontoführung"},
                ]
            ),
            "auszug.xml",
            actor=treasurer,
        )
        db.session.commit()
        db.session.remove()


def table_hashes(app) -> dict[str, tuple[int, str]]:
    """Per table: (rows, SHA-256 of its canonical lines), read in one snapshot."""
    with app.app_context():
        result = {}
        with snapshot(db.engine) as connection:
            for spec in table_specs(connection):
                digest, rows = hashlib.sha256(), 0
                for line in iter_lines(connection, spec):
                    digest.update(line)
                    rows += 1
                result[spec.name] = (rows, digest.hexdigest())
        return result


def facts(app, upload_dir: Path) -> dict:
    """What must survive: bookings, lines, receipts with their PDFs, the audit chain, files."""
    from supportclub.ledger.models import Booking, BookingLine
    from supportclub.receipts.models import DonationReceipt

    with app.app_context():
        try:
            bookings = db.session.execute(
                select(
                    Booking.id, Booking.amount_cents, Booking.reversal_of_id, Booking.booking_date
                ).order_by(Booking.id)
            ).all()
            line_sums = dict(
                db.session.execute(
                    select(BookingLine.booking_id, func.sum(BookingLine.amount_cents)).group_by(
                        BookingLine.booking_id
                    )
                ).all()
            )
            receipts = [
                (
                    r.number,
                    r.total_cents,
                    r.pdf_sha256,
                    sha_of(upload_dir / "receipts" / r.storage_key),
                )
                for r in db.session.scalars(select(DonationReceipt).order_by(DonationReceipt.id))
            ]
            entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
            head = GENESIS
            for entry in entries:
                assert entry.prev_hash == head and entry.entry_hash == digest_of(entry)
                head = entry.entry_hash
            return {
                "bookings": [tuple(row) for row in bookings],
                "line_sums": line_sums,
                "receipts": receipts,
                "audit": [(e.id, e.action, e.entry_hash) for e in entries],
                "files": {
                    path.relative_to(upload_dir).as_posix(): sha_of(path)
                    for path in sorted(upload_dir.rglob("*"))
                    if path.is_file()
                },
            }
        finally:
            db.session.remove()


def sha_of(path: Path) -> str:
    """The SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def remove_tree(folder: Path) -> None:
    """Delete a folder with read-only files in it (the "lost disk")."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            os.chmod(path, 0o644)
            path.unlink()
    folder.rmdir()
