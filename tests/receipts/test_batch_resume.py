"""An interrupted batch, started again, completes what is missing: no receipt twice, no number
skipped, no mail sent twice, no stray files."""

import os
from datetime import date

import pytest

from supportclub.extensions import db
from supportclub.receipts import batch as batch_module
from supportclub.receipts import delivery, storage
from supportclub.receipts import pdf as receipt_pdf
from supportclub.receipts.batch import BatchLog, run_batch, start_batch
from supportclub.receipts.models import BatchStatus, Delivery, ReceiptBatch
from tests.factories import make_contribution, make_person, make_receipt_settings
from tests.receipts.test_batch import (  # noqa: F401 (fixture)
    _one_process,
    active_lines,
    machine_settings,
    receipts_of,
)

DONORS = 7


@pytest.fixture
def donors(app, monkeypatch):
    """Seven donors with two contributions each; chunks of two donors."""
    monkeypatch.setattr(batch_module, "CHUNK_SIZE", 2)
    people = []
    for n in range(DONORS):
        person = make_person(first_name="Rita", last_name=f"Resume{n}")
        make_contribution(person, 1000 + n, booking_date=date(2025, 3, 1))
        make_contribution(person, 2000, booking_date=date(2025, 9, 1))
        people.append(person)
    return people


def fail_on_render(monkeypatch, nth: int) -> tuple[list, object]:
    """Make the renderer raise on its nth call; returns the calls and the real renderer."""
    real = receipt_pdf.render_receipt
    calls = []

    def render(content, **kw):
        calls.append(content.number)
        if len(calls) == nth:
            raise RuntimeError("Drucker-Renderer abgestürzt")
        return real(content, **kw)

    monkeypatch.setattr(receipt_pdf, "render_receipt", render)
    return calls, real


def start_and_run(expect_error: bool = False) -> int:
    """Start the 2025 batch (or take up the interrupted one) and run it; its id."""
    batch = start_batch(2025, None)
    db.session.commit()
    if expect_error:
        with pytest.raises(Exception):  # noqa: B017 - whatever stopped the worker
            run_batch(batch.id)
    else:
        run_batch(batch.id)
    return batch.id


_BEFORE: set[str] = set()


def stored_files() -> set[str]:
    """The files the test added to the receipt folder (earlier tests leave theirs)."""
    names = {name for name in os.listdir(storage.receipt_folder()) if not name.startswith(".")}
    return names - _BEFORE


@pytest.fixture(autouse=True)
def _files_before(app):
    """Remember the receipt folder's files before the test."""
    _BEFORE.clear()
    _BEFORE.update(os.listdir(storage.receipt_folder()))


def assert_complete(batch_id: int) -> ReceiptBatch:
    """Every donor has exactly one receipt with its PDF; numbers 1..7; counters true."""
    batch = db.session.get(ReceiptBatch, batch_id, populate_existing=True)
    receipts = receipts_of(2025)
    assert [r.seq for r in receipts] == list(range(1, DONORS + 1))
    assert len({r.person_id for r in receipts}) == DONORS
    assert all(r.has_pdf for r in receipts)
    assert all(r.total_cents == r.items[0].amount_cents + 2000 for r in receipts)
    lines = active_lines()
    assert len(lines) == len(set(lines)) == 2 * DONORS
    assert batch.status == BatchStatus.DONE and batch.error == ""
    assert (batch.issued, batch.done, batch.total) == (DONORS, DONORS, DONORS)
    assert stored_files() == {r.storage_key for r in receipts} | {batch.print_storage_key}
    return batch


def test_a_renderer_crash_after_a_chunk_is_completed_by_starting_again(app, donors, monkeypatch):
    make_receipt_settings()
    calls, real = fail_on_render(monkeypatch, nth=4)
    batch_id = start_and_run(expect_error=True)
    batch = db.session.get(ReceiptBatch, batch_id, populate_existing=True)
    assert batch.status == BatchStatus.FAILED
    assert "Drucker-Renderer abgestürzt" in batch.error
    assert "Ein erneuter Start setzt ihn fort" in batch.error
    receipts = receipts_of(2025)
    with_pdf = [r.number for r in receipts if r.has_pdf]
    assert with_pdf == ["2025-0001", "2025-0002"]  # the first chunk is complete
    assert len(receipts) < DONORS and len(calls) == 4
    assert batch.issued == len(receipts) and batch.done < batch.total
    # the chunk that failed left no files behind
    assert stored_files() == {r.storage_key for r in receipts if r.has_pdf}

    monkeypatch.setattr(receipt_pdf, "render_receipt", real)
    again_id = start_and_run()
    assert again_id == batch_id  # the same batch, taken up again
    assert_complete(batch_id)


def test_a_crash_while_numbering_uses_no_number(app, donors, monkeypatch):
    make_receipt_settings()
    real = batch_module.allocate_collectives
    seen = []

    def crash_on_third_chunk(persons, year, **kw):
        seen.append([p.id for p in persons])
        if len(seen) == 3:
            raise RuntimeError("Verbindung verloren")
        return real(persons, year, **kw)

    monkeypatch.setattr(batch_module, "allocate_collectives", crash_on_third_chunk)
    batch_id = start_and_run(expect_error=True)
    assert [r.seq for r in receipts_of(2025)] == [1, 2, 3, 4]  # the broken chunk rolled back
    monkeypatch.setattr(batch_module, "allocate_collectives", real)
    start_and_run()
    assert_complete(batch_id)


def test_a_crash_while_printing_sends_no_mail_twice(app, donors, monkeypatch, mailsink):
    machine_settings()
    real_merge = delivery.merge_pdfs

    def broken(sources, out):
        raise OSError("Datenträger voll")

    monkeypatch.setattr(delivery, "merge_pdfs", broken)
    # four donors have no e-mail: they go to print
    for person in donors[3:]:
        person.email = None
    db.session.commit()
    batch_id = start_and_run(expect_error=True)
    batch = db.session.get(ReceiptBatch, batch_id, populate_existing=True)
    assert batch.status == BatchStatus.FAILED and "Datenträger voll" in batch.error
    assert len(mailsink.messages) == 3
    assert all(r.delivery in (Delivery.EMAIL, None) for r in receipts_of(2025))
    monkeypatch.setattr(delivery, "merge_pdfs", real_merge)
    start_and_run()
    batch = assert_complete(batch_id)
    assert len(mailsink.messages) == 3
    assert (batch.emailed, batch.to_print) == (3, 4)


def test_a_worker_that_died_is_taken_up_when_stale(app, donors):
    make_receipt_settings()
    batch = start_batch(2025, None)
    db.session.commit()
    # a worker numbered two receipts, then its machine went down (no PDF, still "running")
    from supportclub.receipts.services import allocate_collective

    for person in donors[:2]:
        allocate_collective(person, 2025, actor=None, batch_id=batch.id)
    batch.status = BatchStatus.RUNNING
    log = BatchLog.of(batch)
    log.heartbeat = "2025-01-01T00:00:00+00:00"
    log.save(batch, beat=False)
    db.session.commit()
    assert start_batch(2025, None).id == batch.id
    db.session.commit()
    run_batch(batch.id)
    assert_complete(batch.id)
