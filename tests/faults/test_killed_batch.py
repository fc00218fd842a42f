"""A process killed during the year's receipt batch (SIGKILL, no cleanup): the numbers issued
so far are gap-free, no donation is on two receipts, each receipt has its stored PDF or is one
the batch repairs when taken up again; starting it again completes the year exactly."""

import hashlib
import os
from datetime import date

from sqlalchemy import func, select

from supportclub.extensions import db
from supportclub.receipts import storage
from supportclub.receipts.models import BatchStatus, DonationReceipt, ReceiptBatch, ReceiptItem
from tests.factories import donation_line, make_contribution, make_person, make_receipt_settings
from tests.faults.conftest import Child, in_app
from tests.faults.worker import BATCH_YEAR, CHUNK_SIZE

DONORS = 30
KILL_AFTER = 9  # donors done (the batch's own progress counter) before the kill


def donors(app) -> dict[int, int]:
    """DONORS donors with one to three donations of the year; {person id: their total}."""

    def write():
        make_receipt_settings()
        totals = {}
        for n in range(DONORS):
            person = make_person(first_name="Karl", last_name=f"Abgebrochen{n:02d}")
            totals[person.id] = 0
            for k in range(1 + n % 3):
                booking = make_contribution(
                    person, 2000 + 10 * n + k, booking_date=date(BATCH_YEAR, 3 + k, 5)
                )
                totals[person.id] += donation_line(booking).amount_cents
        return totals

    return in_app(app, write)


def batch_done(app) -> int:
    """The batch's progress counter as committed now (0 before it exists)."""
    return in_app(app, lambda: db.session.scalar(select(func.max(ReceiptBatch.done))) or 0)


def check_left_behind(app) -> tuple[int, int]:
    """What the kill left: (receipts, receipts still without their PDF), after the checks."""

    def read():
        receipts = db.session.scalars(select(DonationReceipt).order_by(DonationReceipt.seq)).all()
        assert [r.seq for r in receipts] == list(range(1, len(receipts) + 1))  # no gap
        covered = list(db.session.scalars(select(ReceiptItem.booking_line_id)))
        assert len(covered) == len(set(covered))  # no donation on two receipts
        assert len({r.person_id for r in receipts}) == len(receipts)
        without_pdf = 0
        for receipt in receipts:
            assert receipt.items, receipt.number  # never a receipt without its donations
            assert receipt.total_cents == sum(i.amount_cents for i in receipt.items)
            if receipt.storage_key is None:
                without_pdf += 1  # the batch's repair step renders these
                continue
            data = storage.path_for(receipt.storage_key).read_bytes()
            assert hashlib.sha256(data).hexdigest() == receipt.pdf_sha256, receipt.number
        (batch,) = db.session.scalars(select(ReceiptBatch)).all()
        assert batch.status == BatchStatus.RUNNING  # it never got to say anything else
        assert batch.issued <= len(receipts)
        return len(receipts), without_pdf

    return in_app(app, read)


def stray_files(app) -> set[str]:
    """Stored PDFs that no receipt names (rendered, then killed before they were attached)."""

    def read():
        folder = storage.receipt_folder()
        files = {name for name in os.listdir(folder) if not name.startswith(".")}
        keys = set(db.session.scalars(select(DonationReceipt.storage_key)))
        batch = db.session.scalars(select(ReceiptBatch.print_storage_key)).first()
        return files - keys - {batch}

    return in_app(app, read)


def test_a_killed_receipt_batch_is_consistent_and_resumes_to_the_exact_year(killable):
    app, url, upload_dir = killable
    totals = donors(app)
    # a slow renderer (0.15 s a PDF) so the batch is half-way when the counter says so
    child = Child("batch", url, upload_dir, "--slow", "0.15")
    child.wait_until(lambda: batch_done(app) >= KILL_AFTER, f"{KILL_AFTER} donors done")
    child.kill()
    issued, without_pdf = check_left_behind(app)
    assert KILL_AFTER <= issued < DONORS
    # at most the chunks that were in flight were rendered and never attached
    assert len(stray_files(app)) <= 2 * CHUNK_SIZE

    again = Child("resume", url, upload_dir)
    lines = again.finish()
    assert lines[1].startswith("resumed ")  # the same batch taken up, not a new one

    def read():
        (batch,) = db.session.scalars(select(ReceiptBatch)).all()
        assert batch.status == BatchStatus.DONE
        assert (batch.issued, batch.done, batch.total) == (DONORS, DONORS, DONORS)
        receipts = db.session.scalars(select(DonationReceipt).order_by(DonationReceipt.seq)).all()
        assert [r.number for r in receipts] == [
            f"{BATCH_YEAR}-{n:04d}" for n in range(1, DONORS + 1)
        ]
        assert {r.person_id: r.total_cents for r in receipts} == totals
        covered = list(db.session.scalars(select(ReceiptItem.booking_line_id)))
        assert len(covered) == len(set(covered)) == sum(1 + n % 3 for n in range(DONORS))
        for receipt in receipts:
            data = storage.path_for(receipt.storage_key).read_bytes()
            assert hashlib.sha256(data).hexdigest() == receipt.pdf_sha256, receipt.number

    in_app(app, read)
