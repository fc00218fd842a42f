"""Faults: a backup killed midway, a backup while bookings keep coming, a lost disk."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from supportclub.backup import archive as archive_module
from supportclub.backup.verify import open_archive, verify_archive
from supportclub.extensions import db
from tests.backup.helpers import facts, need, populate, remove_tree, site

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", "postgresql"]
BIG_BYTES = 16 * 1024 * 1024


def test_a_backup_killed_midway_leaves_no_archive_and_can_be_repeated(templates, tmp_path):
    with site("sqlite", tmp_path, "source", template=templates("sqlite")) as source:
        # a large stored file keeps the backup busy for a while (random bytes do not compress)
        big = source.upload_dir / "projects" / ("ab" * 16)
        big.parent.mkdir()
        big.write_bytes(os.urandom(BIG_BYTES))
        path = tmp_path / "sicherung.zip"
        part = tmp_path / "sicherung.zip.part"
        env = dict(
            os.environ,
            DATABASE_URL=source.url,
            UPLOAD_DIR=str(source.upload_dir),
            SUPPORTCLUB_ENV="development",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "supportclub", "backup", str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while not part.exists() and time.monotonic() < deadline:
                assert process.poll() is None, "the backup ended before it could be killed"
                time.sleep(0.01)
            assert part.exists()
            time.sleep(0.1)  # into the archive
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=60)
        assert process.returncode == -signal.SIGKILL  # killed, not finished
        assert part.exists() and not path.exists()  # no half archive under PATH

        result = source.run("backup", str(path))
        assert result.exit_code == 0, result.output
        assert path.exists() and not part.exists()
        with open_archive(path) as (zip_file, manifest):
            verify_archive(zip_file, manifest)
            assert manifest["files"][big.relative_to(source.upload_dir).as_posix()]["bytes"] == (
                BIG_BYTES
            )


def _two_line_booking(number: int):
    """A booking split over two categories (its lines must sum to its amount)."""
    from supportclub.ledger.models import Account, Category, Fund
    from supportclub.ledger.services import LineInput, record_booking
    from tests.factories import by_code

    fund = by_code(Fund, "general").id
    return record_booking(
        booking_date=date(2025, 6, 1),
        account_id=by_code(Account, "bank").id,
        amount_cents=1000 + number,
        lines=[
            LineInput(
                category_id=by_code(Category, "donation").id, fund_id=fund, amount_cents=1000
            ),
            LineInput(category_id=by_code(Category, "dues").id, fund_id=fund, amount_cents=number),
        ],
        text=f"Laufend {number}",
        actor=None,
    )


def _count_bookings(app) -> int:
    from supportclub.ledger.models import Booking

    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(Booking))
        finally:
            db.session.remove()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_backup_while_bookings_are_committed_is_one_consistent_moment(
    backend, templates, tmp_path, monkeypatch
):
    need(backend)
    template = templates(backend)
    with (
        site(backend, tmp_path, "source", template=template) as source,
        site(backend, tmp_path, "copy", template=template) as copy,
    ):
        populate(source.app)
        stop, written, errors = threading.Event(), [], []

        def writer() -> None:
            with source.app.app_context():
                number = 1
                while not stop.is_set():
                    try:
                        _two_line_booking(number)
                        db.session.commit()
                        written.append(number)
                        time.sleep(0.005)  # leave the backup some of the (shared) CPU
                    except OperationalError as exc:
                        db.session.rollback()
                        # SQLite: the backup's own audit entry (a second writer) wins; again
                        if "locked" not in str(exc):
                            errors.append(exc)
                            return
                        continue
                    except Exception as exc:  # noqa: BLE001 - reported below
                        db.session.rollback()
                        errors.append(exc)
                        return
                    number += 1
                db.session.remove()

        # the backup pauses after every table, so bookings land between the tables it reads
        real_iter_lines = archive_module.iter_lines

        def slow_iter_lines(connection, spec):
            yield from real_iter_lines(connection, spec)
            time.sleep(0.02)

        monkeypatch.setattr(archive_module, "iter_lines", slow_iter_lines)
        thread = threading.Thread(target=writer, name="h4-writer")
        thread.start()
        try:
            while len(written) < 3 and thread.is_alive():
                time.sleep(0.01)
            before = len(written)
            result = source.run("backup", str(tmp_path / "laufend.zip"))
            during = len(written) - before
        finally:
            stop.set()
            thread.join(timeout=60)
        assert not errors, errors
        assert result.exit_code == 0, result.output
        assert during >= 3, "no bookings were committed while the backup ran"

        restored = copy.run("restore", str(tmp_path / "laufend.zip"))
        assert restored.exit_code == 0, restored.output
        assert "Prüfung: OK" in restored.output
        with copy.app.app_context(), db.engine.connect() as connection:
            unbalanced = connection.execute(
                sa.text(
                    "SELECT b.id FROM booking b LEFT JOIN booking_line l ON l.booking_id = b.id "
                    "GROUP BY b.id, b.amount_cents "
                    "HAVING COALESCE(SUM(l.amount_cents), -1) <> b.amount_cents"
                )
            ).all()
            running = connection.execute(
                sa.text("SELECT COUNT(*) FROM booking WHERE text LIKE 'Laufend %'")
            ).scalar()
        assert unbalanced == []
        assert before <= running <= before + during


def _lose_database(target) -> None:
    """The disk is gone: the database and every stored file with it."""
    target.dispose()
    url = sa.make_url(target.url)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
    else:
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE "{url.database}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    remove_tree(target.upload_dir)


@pytest.mark.parametrize("backend", BACKENDS)
def test_after_a_disk_loss_the_restore_gives_everything_back(backend, templates, tmp_path):
    need(backend)
    with site(backend, tmp_path, "verein", template=templates(backend)) as verein:
        populate(verein.app)
        before = facts(verein.app, verein.upload_dir)
        archive = tmp_path / "nachts.zip"
        assert verein.run("backup", str(archive)).exit_code == 0

        _lose_database(verein)
        assert not verein.upload_dir.exists()

        result = verein.run("restore", str(archive))
        assert result.exit_code == 0, result.output
        assert "Prüfung: OK" in result.output
        after = facts(verein.app, verein.upload_dir)
        assert after["bookings"] == before["bookings"]
        assert after["line_sums"] == before["line_sums"]
        assert after["receipts"] == before["receipts"]  # numbers, totals, PDFs' SHA-256 on disk
        assert len(after["receipts"]) == 3
        assert after["files"] == before["files"]
        assert after["audit"][:-1] == before["audit"]  # every entry, with its hash
        assert after["audit"][-1][1] == "backup.restored"
