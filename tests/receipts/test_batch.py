"""The year's batch as a service: the preview, issuing everyone once, numbers, counters, the
background thread, the render pool with two processes, and starting again."""

import io
import threading
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.ledger.models import PersonKind
from supportclub.receipts import jobs, storage
from supportclub.receipts.batch import (
    BatchLog,
    plan_year,
    run_batch,
    start_batch,
)
from supportclub.receipts.content import ReceiptKind
from supportclub.receipts.models import (
    BatchStatus,
    Delivery,
    DonationReceipt,
    ReceiptBatch,
    ReceiptItem,
)
from supportclub.receipts.signature import store_signature
from tests.factories import make_contribution, make_person, make_receipt_settings, make_user

# Helpers shared by the batch test modules ----------------------------------------------------


def png_bytes() -> bytes:
    """A small PNG signature image."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (120, 40), "white")
    ImageDraw.Draw(image).line((5, 30, 60, 8, 115, 30), fill="black", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def machine_settings(**overrides):
    """Complete receipt settings with machine receipts notified and a facsimile signature."""
    settings = make_receipt_settings(
        machine_receipts=True, machine_receipts_notified_on=date(2025, 1, 10), **overrides
    )
    store_signature(png_bytes(), actor=None)
    db.session.commit()
    return settings


def make_donors() -> dict:
    """A year of donors (2025) covering every case of the batch (committed).

    anna: two donations and her dues (collective, 111,00 €), e-mail
    ben: one donation (single, 100,00 €), e-mail
    carla: no postal address (skipped)
    dora: a donation and a donation in kind (money receipt; the thing is skipped)
    emil: a donation and a waived reimbursement (collective with waiver: print)
    firma: an organisation without e-mail, three donations (collective, print)
    """
    people = {
        "anna": make_person(first_name="Anna", last_name="Albrecht"),
        "ben": make_person(first_name="Ben", last_name="Becker"),
        "carla": make_person(first_name="Carla", last_name="Conrad", street=""),
        "dora": make_person(first_name="Dora", last_name="Dietz"),
        "emil": make_person(first_name="Emil", last_name="Engel"),
        "firma": make_person(
            kind=PersonKind.ORGANISATION, first_name="", last_name="Fahrrad Fink GmbH", email=None
        ),
    }
    make_contribution(people["anna"], 5000, booking_date=date(2025, 2, 1))
    make_contribution(people["anna"], 2500, booking_date=date(2025, 6, 1))
    make_contribution(people["anna"], 3600, kind="dues", booking_date=date(2025, 1, 15))
    make_contribution(people["ben"], 10000, booking_date=date(2025, 5, 5))
    make_contribution(people["carla"], 2000, booking_date=date(2025, 4, 4))
    make_contribution(people["dora"], 1500, booking_date=date(2025, 3, 3))
    make_contribution(people["dora"], 20000, kind="in_kind", booking_date=date(2025, 3, 4))
    make_contribution(people["emil"], 1000, booking_date=date(2025, 7, 7))
    make_contribution(people["emil"], 4000, kind="waiver", booking_date=date(2025, 8, 8))
    for day, cents in (
        (date(2025, 1, 2), 30000),
        (date(2025, 2, 2), 20000),
        (date(2025, 12, 30), 100),
    ):
        make_contribution(people["firma"], cents, booking_date=day)
    make_contribution(people["ben"], 999, booking_date=date(2024, 12, 31))  # another year
    return people


def receipts_of(year: int = 2025) -> list[DonationReceipt]:
    """The year's receipts by number."""
    return list(
        db.session.execute(
            select(DonationReceipt)
            .where(DonationReceipt.year == year)
            .order_by(DonationReceipt.seq)
        ).scalars()
    )


def active_lines() -> list[int]:
    """The booking lines on receipts that are not revoked (duplicates would show twice)."""
    return list(
        db.session.execute(
            select(ReceiptItem.booking_line_id).where(~ReceiptItem.revoked)
        ).scalars()
    )


def run(year: int = 2025, *, actor=None, send_mail: bool = True) -> ReceiptBatch:
    """Start and run the year's batch in this thread (committed)."""
    batch = start_batch(year, actor, send_mail)
    db.session.commit()
    run_batch(batch.id)
    return db.session.get(ReceiptBatch, batch.id, populate_existing=True)


@pytest.fixture(autouse=True)
def _one_process(request):
    """Render in the test's own thread unless a test asks for processes.

    Tests on a database of their own (committed_app) do not use the rolled-back `app`.
    """
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    before = app.config.get("RECEIPT_RENDER_PROCESSES")
    app.config["RECEIPT_RENDER_PROCESSES"] = 1
    yield
    app.config["RECEIPT_RENDER_PROCESSES"] = before


# The preview ----------------------------------------------------------------------------------


def test_plan_says_who_gets_what_and_who_is_skipped_why(app):
    machine_settings()
    people = make_donors()
    plan = plan_year(2025)
    assert plan.gate.ok
    got = {r.name: (r.kind, r.count, r.total_cents, r.by_mail) for r in plan.receipts}
    assert got == {
        "Albrecht, Anna": (ReceiptKind.COLLECTIVE, 3, 11100, True),
        "Becker, Ben": (ReceiptKind.SINGLE, 1, 10000, True),
        "Dietz, Dora": (ReceiptKind.SINGLE, 1, 1500, True),
        "Engel, Emil": (ReceiptKind.COLLECTIVE, 2, 5000, False),
        "Fahrrad Fink GmbH": (ReceiptKind.COLLECTIVE, 3, 50100, False),
    }
    skipped = {(s.name, s.code) for s in plan.skipped}
    assert skipped == {("Conrad, Carla", "address"), ("Dietz, Dora", "in_kind")}
    reasons = {s.code: s.reason for s in plan.skipped}
    assert "Postanschrift" in reasons["address"]
    assert "Sachzuwendungen (1, zusammen 200,00 €)" in reasons["in_kind"]
    assert (plan.total_cents, plan.contribution_count) == (77700, 10)
    assert (plan.collective_count, plan.single_count, plan.mail_count) == (3, 2, 3)
    assert plan.person_ids == {p.id for p in people.values()}


def test_plan_skips_below_the_minimum_and_what_is_already_receipted(app):
    make_receipt_settings(receipt_min_cents=2000)
    people = make_donors()
    run(2025)
    make_contribution(people["ben"], 1000, booking_date=date(2025, 9, 9))
    plan = plan_year(2025)
    assert [(r.name, r.total_cents) for r in plan.receipts] == []
    by_name = {(s.name, s.code): s for s in plan.skipped}
    assert by_name[("Becker, Ben", "minimum")].reason == (
        "Summe 10,00 € liegt unter dem Mindestbetrag von 20,00 €."
    )
    assert by_name[("Albrecht, Anna", "receipted")].reason == (
        "Alle Zuwendungen 2025 sind bereits bestätigt (3)."
    )
    assert plan_year(2025, min_cents=0).receipts[0].total_cents == 1000


def test_plan_makes_one_query_whatever_the_number_of_donors(app, db):
    from sqlalchemy import event

    make_receipt_settings()
    for n in range(12):
        make_contribution(make_person(last_name=f"Spender{n}"), 1000 + n)
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        plan = plan_year(2025)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(plan.receipts) == 12
    aggregates = [s for s in statements if "booking_line" in s]
    assert len(aggregates) == 1


def test_plan_shows_the_gate_problems(app):
    make_receipt_settings(exemption_date=date(2019, 1, 1))
    make_donors()
    plan = plan_year(2025)
    assert not plan.gate.ok
    assert "älter als 5 Jahre" in plan.gate.problems[0]


# The run --------------------------------------------------------------------------------------


def test_batch_issues_every_donor_once_with_gap_free_numbers(app):
    machine_settings()
    people = make_donors()
    treasurer = make_user("treasurer")
    batch = run(2025, actor=treasurer, send_mail=False)
    receipts = receipts_of(2025)
    assert [r.number for r in receipts] == [f"2025-{n:04d}" for n in range(1, 6)]
    by_person = {r.person_id: r for r in receipts}
    assert set(by_person) == {people[k].id for k in ("anna", "ben", "dora", "emil", "firma")}
    assert by_person[people["anna"].id].kind == ReceiptKind.COLLECTIVE
    assert by_person[people["anna"].id].total_cents == 11100
    assert by_person[people["ben"].id].kind == ReceiptKind.SINGLE
    assert by_person[people["ben"].id].total_cents == 10000
    assert by_person[people["emil"].id].waiver and not by_person[people["emil"].id].facsimile
    assert by_person[people["anna"].id].facsimile
    assert all(r.has_pdf and r.batch_id == batch.id for r in receipts)
    assert all(r.created_by_id == treasurer.id for r in receipts)
    lines = active_lines()
    assert len(lines) == len(set(lines)) == 10  # in kind and carla's stay open
    assert batch.status == BatchStatus.DONE
    assert (batch.total, batch.done, batch.issued, batch.skipped) == (6, 6, 5, 2)
    assert (batch.emailed, batch.to_print) == (0, 5)
    assert all(r.delivery == Delivery.PRINT for r in receipts)
    assert batch.finished_at is not None and batch.started_at is not None
    log = BatchLog.of(batch)
    assert {e["name"] for e in log.skipped} == {"Conrad, Carla", "Dietz, Dora"}
    text = pdf_text(storage.read_pdf(by_person[people["anna"].id]))
    assert "Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge" in text
    assert "einhundertelf Euro" in text
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.action.like("receipts.batch%"))
    ).scalars()
    assert sorted(actions) == ["receipts.batch_done", "receipts.batch_started"]


def test_running_again_issues_nothing_twice(app):
    make_receipt_settings()
    people = make_donors()
    first = run(2025)
    assert first.issued == 5
    again = run(2025)
    assert again.id != first.id
    assert (again.issued, again.total, again.done) == (0, 6, 6)
    assert len(receipts_of(2025)) == 5
    skipped = {(e["name"], e["reason"][:20]) for e in BatchLog.of(again).skipped}
    assert ("Albrecht, Anna", "Alle Zuwendungen 202") in skipped
    # a late booking: the next batch receipts only the new contribution
    make_contribution(people["ben"], 700, booking_date=date(2025, 12, 31))
    late = run(2025)
    assert late.issued == 1
    newest = receipts_of(2025)[-1]
    assert (newest.number, newest.total_cents, newest.kind) == (
        "2025-0006",
        700,
        ReceiptKind.SINGLE,
    )


def test_a_donor_level_error_skips_the_donor_with_the_reason(app, monkeypatch):
    from supportclub.receipts import batch as batch_module

    make_receipt_settings()
    people = make_donors()
    real = batch_module.allocate_collective
    real_chunk = batch_module.allocate_collectives

    def refuse_ben(person, year, **kw):
        if person.id == people["ben"].id:
            raise ValidationError("Ben ist gesperrt.")
        return real(person, year, **kw)

    def refuse_chunk_with_ben(persons, year, **kw):
        if any(p.id == people["ben"].id for p in persons):
            raise ValidationError("Ben ist gesperrt.")
        return real_chunk(persons, year, **kw)

    # the chunk fails as a whole, then donor by donor only Ben is refused
    monkeypatch.setattr(batch_module, "allocate_collectives", refuse_chunk_with_ben)
    monkeypatch.setattr(batch_module, "allocate_collective", refuse_ben)
    batch = run(2025)
    assert batch.status == BatchStatus.DONE
    assert batch.issued == 4
    assert {
        "person_id": people["ben"].id,
        "name": "Becker, Ben",
        "reason": "Ben ist gesperrt.",
    } in (BatchLog.of(batch).skipped)
    assert batch.skipped == 3
    assert last_number_2025() == 4  # the refused donor used no number


def last_number_2025() -> int:
    """The last number handed out in 2025."""
    from supportclub.numbering import NumberSequence

    return db.session.execute(
        select(NumberSequence.last_value).where(NumberSequence.name == "receipt-2025")
    ).scalar_one()


def test_start_refuses_a_second_batch_while_one_is_queued_or_running(app):
    make_receipt_settings()
    make_donors()
    batch = start_batch(2025, None)
    db.session.commit()
    with pytest.raises(DomainError, match="läuft bereits ein Lauf"):
        start_batch(2025, None)
    db.session.rollback()
    assert db.session.execute(select(func.count(ReceiptBatch.id))).scalar_one() == 1
    assert start_batch(2024, None).id != batch.id  # another year is fine


def test_start_refuses_when_the_gate_fails_and_bad_years(app):
    make_receipt_settings(tax_number="")
    with pytest.raises(ValidationError, match="Steuernummer"):
        start_batch(2025, None)
    db.session.rollback()
    make_receipt_settings()
    for year in (1999, date.today().year + 1):
        with pytest.raises(ValidationError, match="nicht möglich"):
            start_batch(year, None)
        db.session.rollback()
    assert db.session.execute(select(func.count(ReceiptBatch.id))).scalar_one() == 0


def test_a_running_batch_is_left_to_its_worker_until_it_goes_stale(app):
    make_receipt_settings()
    make_donors()
    batch = start_batch(2025, None)
    batch.status = BatchStatus.RUNNING
    db.session.commit()
    assert run_batch(batch.id) is None  # another worker is on it
    assert receipts_of(2025) == []
    app.config["RECEIPT_BATCH_STALE_SECONDS"] = 0
    try:
        again = start_batch(2025, None)  # the stale batch is taken up again, not duplicated
        db.session.commit()
        assert again.id == batch.id and again.status == BatchStatus.QUEUED
        run_batch(batch.id)
    finally:
        app.config.pop("RECEIPT_BATCH_STALE_SECONDS")
    assert db.session.get(ReceiptBatch, batch.id).status == BatchStatus.DONE
    assert len(receipts_of(2025)) == 5


def test_two_render_processes_make_the_same_receipts_and_the_print_file(app, monkeypatch):
    from supportclub.receipts import delivery
    from supportclub.receipts.render_pool import RenderPool

    machine_settings(receipt_thanks=True)
    make_donors()
    for n in range(30):
        make_contribution(make_person(last_name=f"Zett{n:02d}"), 1000 + n)
    app.config["RECEIPT_RENDER_PROCESSES"] = 2
    pools = []
    real_start = RenderPool.start

    def start(self, jobs):
        pools.append((self.parallel, self.executor._max_workers if self.executor else 1))
        return real_start(self, jobs)

    def not_here(receipts):
        raise AssertionError("the print file is made by its own process")

    monkeypatch.setattr(RenderPool, "start", start)
    monkeypatch.setattr(delivery, "write_print_file", not_here)
    batch = run(2025, send_mail=False)
    assert pools and set(pools) == {(True, 2)}
    receipts = receipts_of(2025)
    assert batch.issued == batch.to_print == len(receipts) == 35
    assert all(r.has_pdf for r in receipts)
    for receipt in (receipts[0], receipts[-1]):
        assert receipt.number in pdf_text(storage.read_pdf(receipt))
    assert "Zett29" in pdf_text(storage.read_pdf(receipts[-1]))
    reader = PdfReader(delivery.read_print_file(batch))
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    letters = [i for i, text in enumerate(pages) if "herzlichen Dank" in text]
    assert len(letters) == 35
    numbers = [pages[i].split("Ihre Zuwendungsbestätigung Nr. ")[1][:9] for i in letters]
    assert numbers == [r.number for r in receipts]  # in number order, each with its letter


# In the background ----------------------------------------------------------------------------


@pytest.fixture
def committed_app(backend):
    """An app on its own database whose commits are real (a background thread sees them)."""
    from tests.conftest import make_test_app
    from tests.dbutil import fresh_database, migrate

    with fresh_database(backend) as url:
        app = make_test_app(url, RECEIPT_RENDER_PROCESSES=1)
        migrate(app)
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_without_redis_the_batch_runs_in_a_thread_of_the_app(committed_app):
    with committed_app.app_context():
        make_receipt_settings()
        make_donors()
        batch_id = start_batch(2025, None).id
        db.session.commit()  # like the end of the request: no transaction stays open
        worker = jobs.enqueue_batch(batch_id)
        assert isinstance(worker, threading.Thread) and worker.daemon
        worker.join(timeout=60)
        assert not worker.is_alive()
        done = db.session.get(ReceiptBatch, batch_id)
        assert (done.status, done.issued, done.done, done.total) == (BatchStatus.DONE, 5, 6, 6)
        db.session.remove()


# Robustness -----------------------------------------------------------------------------------


def test_a_deadlock_rolls_the_chunk_back_and_tries_it_again(app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from supportclub.receipts import batch as batch_module

    class Deadlock(Exception):
        sqlstate = "40P01"

    make_receipt_settings()
    make_donors()
    real = batch_module._Run._allocate_once
    calls = []

    def once_deadlocked(self, person_ids, *, wait):
        calls.append(list(person_ids))
        result = real(self, person_ids, wait=wait)  # numbers taken, then the deadlock
        if len(calls) == 1:
            raise OperationalError("INSERT ...", {}, Deadlock("deadlock detected"))
        return result

    monkeypatch.setattr(batch_module._Run, "_allocate_once", once_deadlocked)
    batch = run(2025)
    assert calls[0] == calls[1]  # the same chunk again
    assert batch.status == BatchStatus.DONE and batch.issued == 5
    assert [r.seq for r in receipts_of(2025)] == [1, 2, 3, 4, 5]


def test_a_dead_render_process_is_made_up_for_in_this_process(app, tmp_path):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from supportclub.receipts import services
    from supportclub.receipts.render_pool import RenderHandle
    from tests.factories import donation_line

    make_receipt_settings()
    person = make_person(first_name="Paul", last_name="Prozess")
    receipt = services.allocate_single(
        donation_line(make_contribution(person, 4200)).id, actor=None
    )
    lost = Future()
    lost.set_exception(BrokenProcessPool("ein Prozess ist abgestürzt"))
    handle = RenderHandle([(receipt.id, receipt.content)], tmp_path, {}, futures={receipt.id: lost})
    stored = handle.results()[receipt.id]
    data = (tmp_path / stored.storage_key).read_bytes()
    assert len(data) == stored.size and receipt.number in pdf_text(data)
