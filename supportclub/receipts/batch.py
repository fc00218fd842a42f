"""The year's batch: "Zuwendungsbestätigungen <Jahr> erstellen" for every donor at once.

`plan_year` previews who gets what (one aggregate query). `start_batch` records a batch (or
re-queues an interrupted one of the same year); the caller commits and hands its id to
`jobs.enqueue_batch`. `run_batch` is the worker. It reconciles rather than patches, so running
it again completes what is missing and never issues a contribution twice:

1. Claim the batch (queued, failed or stale -> running); a batch another worker is running
   is left alone.
2. Receipts of the year without a PDF get their PDF (an earlier run stopped in between).
3. Plan the donors with open money contributions (`contributions.donors_of_year`).
4. Per chunk of donors: lock them (skipping donors another worker holds), number their
   receipts, each in a savepoint (a donor-level error skips the donor with its reason), and
   commit; render and store the chunk's PDFs in the render pool while the next chunk is
   numbered; attach, e-mail where allowed, record progress, commit. A deadlock or
   serialization failure rolls the chunk back and tries it again.
5. Sweep: donors still open (held by another worker in step 4) are done, waiting for them.
6. Deliver: the rest goes into one print PDF; the batch is done.

The database enforces what matters even when two batches run at once: a booking line is on at
most one receipt that is not revoked (a partial unique index), and numbers come from a locked
counter in the numbering transaction, so they have no gaps.
"""

import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select, text
from sqlalchemy.exc import DBAPIError

from supportclub import audit
from supportclub.admin.models import AssociationSettings
from supportclub.admin.services import get_settings
from supportclub.auth.models import User
from supportclub.clock import today, utcnow
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.receipts import delivery, storage
from supportclub.receipts.batch_plan import (  # noqa: F401 (part of this module's API)
    FIRST_YEAR,
    PlannedReceipt,
    SkippedDonor,
    YearPlan,
    check_year,
    plan_year,
)
from supportclub.receipts.bulk import allocate_collectives
from supportclub.receipts.content import ReceiptContent
from supportclub.receipts.contributions import open_contributions
from supportclub.receipts.issuer import require_gate
from supportclub.receipts.models import BatchStatus, DonationReceipt, ReceiptBatch
from supportclub.receipts.render_pool import PrintMerger, RenderHandle, RenderPool, pool_size
from supportclub.receipts.services import AlreadyReceipted, allocate_collective, attach_pdf
from supportclub.receipts.signature import read_signature

log = logging.getLogger("supportclub.receipts.batch")

CHUNK_SIZE = 25
ANALYZE_AFTER_CHUNKS = (2, 5, 10)  # statistics refreshed early in a batch, then every 40 chunks
ANALYZE_EVERY_CHUNKS = 40
RETRIES = 5
STALE_SECONDS = 600  # a running batch without a sign of life for this long was interrupted
HEARTBEAT_SECONDS = 30  # how often a running batch shows a sign of life at least
ACTIVE = (BatchStatus.QUEUED, BatchStatus.RUNNING)
# deadlock, serialization failure, lock not available (PostgreSQL); SQLite's busy database
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}
# the tables a donor's open contributions are looked up in
STATISTICS_TABLES = (
    "booking",
    "booking_line",
    "donation_detail",
    "receipt_item",
    "donation_receipt",
)


@dataclass
class BatchLog:
    """The batch's summary column: skipped donors, errors, and the worker's sign of life."""

    skipped: list[dict] = field(default_factory=list)  # {"person_id", "name", "reason"}
    errors: list[str] = field(default_factory=list)
    heartbeat: str | None = None
    worker: str = ""

    @classmethod
    def of(cls, batch: ReceiptBatch) -> "BatchLog":
        """The log stored on `batch`."""
        try:
            raw = json.loads(batch.summary or "{}")
        except ValueError:
            raw = {}
        if not isinstance(raw, dict):
            raw = {}
        return cls(
            skipped=list(raw.get("skipped") or []),
            errors=list(raw.get("errors") or []),
            heartbeat=raw.get("heartbeat"),
            worker=raw.get("worker") or "",
        )

    def save(self, batch: ReceiptBatch, *, beat: bool = True) -> None:
        """Store the log on `batch` (with a fresh heartbeat unless told otherwise)."""
        if beat:
            self.heartbeat = utcnow().isoformat()
        batch.summary = json.dumps(
            {
                "skipped": self.skipped,
                "errors": self.errors,
                "heartbeat": self.heartbeat,
                "worker": self.worker,
            },
            ensure_ascii=False,
        )

    @property
    def last_seen(self) -> datetime | None:
        """When the worker last reported progress."""
        return datetime.fromisoformat(self.heartbeat) if self.heartbeat else None


def stale_after() -> timedelta:
    """How long a queued or running batch may go without a sign of life."""
    return timedelta(seconds=current_app.config.get("RECEIPT_BATCH_STALE_SECONDS", STALE_SECONDS))


def is_active(batch: ReceiptBatch) -> bool:
    """True while a batch is queued or running and its worker was seen recently."""
    if batch.status not in ACTIVE:
        return False
    seen = BatchLog.of(batch).last_seen or batch.created_at
    return seen is not None and utcnow() - seen < stale_after()


def is_interrupted(batch: ReceiptBatch) -> bool:
    """True for a batch that failed or whose worker stopped without finishing."""
    return batch.status == BatchStatus.FAILED or (batch.status in ACTIVE and not is_active(batch))


def batches_of(year: int) -> list[ReceiptBatch]:
    """The year's batches, newest first."""
    return list(
        db.session.execute(
            select(ReceiptBatch).where(ReceiptBatch.year == year).order_by(ReceiptBatch.id.desc())
        ).scalars()
    )


def active_batch(year: int) -> ReceiptBatch | None:
    """The year's batch that is queued or running now, if any."""
    return next((b for b in batches_of(year) if is_active(b)), None)


def start_batch(
    year: int, actor, send_mail: bool = True, *, min_cents: int | None = None
) -> ReceiptBatch:
    """Record the year's batch (re-queue an interrupted one); the caller commits and enqueues."""
    check_year(year)
    # one start at a time (the settings row is the lock), so two clicks make one batch
    db.session.execute(
        select(AssociationSettings.id).where(AssociationSettings.id == 1).with_for_update()
    )
    settings = get_settings()
    require_gate(settings, today())
    running = active_batch(year)
    if running is not None:
        raise DomainError(
            _(
                "Für %(year)s läuft bereits ein Lauf (Nr. %(id)s). Bitte warten, bis er fertig "
                "ist; der Fortschritt steht auf seiner Seite.",
                year=year,
                id=running.id,
            )
        )
    batch = next((b for b in batches_of(year) if is_interrupted(b)), None)
    log_ = BatchLog()
    if batch is not None:
        log_ = BatchLog.of(batch)
        batch.status = BatchStatus.QUEUED
        batch.send_mail = send_mail
        batch.error = ""
        action = "receipts.batch_resumed"
    else:
        plan = plan_year(year, min_cents)
        batch = ReceiptBatch(
            year=year,
            status=BatchStatus.QUEUED,
            min_cents=plan.min_cents,
            send_mail=send_mail,
            total=len(plan.person_ids),
            done=0,
            created_by_id=getattr(actor, "id", None),
        )
        db.session.add(batch)
        action = "receipts.batch_started"
    log_.save(batch)
    db.session.flush()
    audit.record(actor, action, batch, {"year": year, "send_mail": send_mail})
    return batch


# Running ----------------------------------------------------------------------------------


def refresh_statistics() -> None:
    """Let the query planner know the tables' sizes before thousands of per-donor queries.

    Without statistics SQLite (and PostgreSQL right after a large import) may look up a
    donor's open contributions by scanning every booking instead of using the donor's index,
    which makes a year's batch quadratic in the number of bookings.
    """
    tables = ", ".join(STATISTICS_TABLES)
    try:
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(text("PRAGMA analysis_limit=1000"))
            for table in STATISTICS_TABLES:
                db.session.execute(text(f"ANALYZE {table}"))
        else:
            db.session.execute(text(f"ANALYZE {tables}"))
        db.session.commit()
    except DBAPIError as exc:  # e.g. not the tables' owner: slower, not wrong
        db.session.rollback()
        log.warning("Statistik nicht aktualisiert (%s)", exc.orig)


def _retryable(exc: DBAPIError) -> bool:
    """A deadlock or serialization failure (or SQLite's busy lock): try the chunk again."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in RETRYABLE_SQLSTATES or "database is locked" in str(orig)


def _worker_name() -> str:
    """This worker, for the log: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(batch_id: int) -> bool:
    """Mark the batch running for this worker; False when it is done or another worker runs it."""
    batch = db.session.execute(
        select(ReceiptBatch)
        .where(ReceiptBatch.id == batch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if batch is None:
        db.session.rollback()
        raise DomainError(_("Lauf Nr. %(id)s gibt es nicht.", id=batch_id))
    if batch.status == BatchStatus.DONE or (
        batch.status == BatchStatus.RUNNING and is_active(batch)
    ):
        db.session.rollback()
        return False
    batch.status = BatchStatus.RUNNING
    batch.started_at = batch.started_at or utcnow()
    batch.finished_at = None
    batch.error = ""
    log_ = BatchLog.of(batch)
    log_.worker = _worker_name()
    log_.save(batch)
    db.session.commit()
    return True


def run_batch(batch_id: int, *, progress=None) -> ReceiptBatch | None:
    """Work through a batch (see the module's steps); None when there was nothing to claim.

    `progress(done, total)` is called after each chunk. On an error the batch is marked
    failed with the message, and the error is raised; running it again resumes.
    """
    if not _claim(batch_id):
        return None
    run = _Run(batch_id, progress)
    try:
        run.execute()
    except BaseException as exc:
        db.session.rollback()
        run.abandon()
        fail_batch(batch_id, exc)
        raise
    finally:
        run.close()
    return db.session.get(ReceiptBatch, batch_id)


def fail_batch(batch_id: int, exc: BaseException) -> None:
    """Record that the batch stopped, and why."""
    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    log.error("Lauf %s abgebrochen: %s", batch_id, message)
    try:
        batch = db.session.get(ReceiptBatch, batch_id, populate_existing=True)
        batch.status = BatchStatus.FAILED
        batch.error = _(
            "Der Lauf wurde unterbrochen: %(error)s Ein erneuter Start setzt ihn fort.",
            error=message.rstrip(".") + ".",
        )
        batch.finished_at = utcnow()
        db.session.commit()
    except Exception:  # noqa: BLE001 - the original error matters more
        db.session.rollback()
        log.exception("Lauf %s: Status 'failed' nicht gespeichert", batch_id)


class _Run:
    """One worker's pass over a batch: the state between the steps."""

    def __init__(self, batch_id: int, progress):
        batch = db.session.get(ReceiptBatch, batch_id)
        self.batch_id = batch_id
        self.year = batch.year
        self.min_cents = batch.min_cents
        self.send_mail = batch.send_mail
        self.actor = db.session.get(User, batch.created_by_id) if batch.created_by_id else None
        self.progress = progress
        self.log = BatchLog(worker=_worker_name())
        self.handled: set[int] = set()  # donors done (issued, skipped, or done elsewhere)
        self.planned: set[int] = set()  # donors of the batch
        self.skipped_ids: set[int] = set()  # donors skipped during this run
        self.mail_failed: set[int] = set()  # receipts whose e-mail failed: to print
        self.pool: RenderPool | None = None
        self.merger: PrintMerger | None = None
        self.pending: list[RenderHandle] = []
        self._saved_shape: tuple[int, int] | None = None
        self._saved_at = 0.0

    # the steps --------------------------------------------------------------------------

    def execute(self) -> None:
        """Steps 2 to 6."""
        settings = get_settings()
        require_gate(settings, today())
        refresh_statistics()
        folder = storage.receipt_folder()
        self.pool = RenderPool(folder, self._signatures(settings), pool_size(current_app))
        if self.pool.parallel:  # the print file is made alongside, in a process of its own
            self.merger = PrintMerger(folder, delivery.print_thanks())
        self._repair()
        plan = plan_year(self.year, self.min_cents)
        mine = self._persons_in_batch()
        self.planned = mine | plan.person_ids
        todo = [r.person_id for r in plan.receipts]
        self.handled = (mine | plan.person_ids) - set(todo)
        for skip in plan.skipped:
            # donors this batch receipted in an earlier run are its work, not skipped
            if not (skip.code == "receipted" and skip.person_id in mine):
                self.log.skipped.append(_skip_entry(skip.person_id, skip.name, skip.reason))
        self._save_progress()
        db.session.commit()
        self._issue(todo, wait=False)
        left = [
            r.person_id
            for r in plan_year(self.year, self.min_cents).receipts
            if r.person_id in self.planned and r.person_id not in self.skipped_ids
        ]
        self._issue(left, wait=True)
        self._deliver()

    def _signatures(self, settings: AssociationSettings) -> dict[str, bytes]:
        """The facsimile images the receipts to render may need, by key."""
        keys = {settings.facsimile_key} if settings.facsimile_key else set()
        for content in self._pdfless_contents():
            if content[2]:
                keys.add(content[2])
        return {key: data for key in keys if (data := read_signature(key)) is not None}

    def _pdfless_contents(self) -> list[tuple[int, str, str]]:
        """(id, content JSON, facsimile key) of the year's receipts still without a PDF."""
        others = [b.id for b in batches_of(self.year) if b.id != self.batch_id and is_active(b)]
        stmt = select(DonationReceipt.id, DonationReceipt.content).where(
            DonationReceipt.year == self.year, DonationReceipt.storage_key.is_(None)
        )
        if others:
            stmt = stmt.where(
                DonationReceipt.batch_id.is_(None) | DonationReceipt.batch_id.not_in(others)
            )
        rows = db.session.execute(stmt.order_by(DonationReceipt.id)).all()
        return [(rid, text, ReceiptContent.from_json(text).facsimile_key) for rid, text in rows]

    def _repair(self) -> None:
        """Step 2: receipts of the year without a PDF get it."""
        rows = [(rid, text) for rid, text, _key in self._pdfless_contents()]
        db.session.commit()
        for start in range(0, len(rows), CHUNK_SIZE):
            self._render(rows[start : start + CHUNK_SIZE])
        self._drain()

    def _issue(self, person_ids: list[int], *, wait: bool) -> None:
        """Step 4 (and 5 with `wait`): number, render, attach and mail, chunk by chunk."""
        for index, start in enumerate(range(0, len(person_ids), CHUNK_SIZE)):
            if index in ANALYZE_AFTER_CHUNKS or (index and index % ANALYZE_EVERY_CHUNKS == 0):
                # the planner's view of the growing receipt tables (PostgreSQL kept checking
                # the items' foreign key by scanning donation_receipt once it grew)
                refresh_statistics()
            chunk = person_ids[start : start + CHUNK_SIZE]
            made = self._allocate_chunk(chunk, wait=wait)
            self._render(made)
        self._drain()

    def _deliver(self) -> None:
        """Step 6: the print file, the final counters, done."""
        batch = db.session.get(ReceiptBatch, self.batch_id)
        result = delivery.deliver_batch(
            batch,
            actor=self.actor,
            send_mail=self.send_mail,
            no_mail=self.mail_failed,
            merger=self.merger,
        )
        self.log.errors.extend(result.errors)
        self.handled |= self.planned
        self._save_progress(force=True)
        batch.status = BatchStatus.DONE
        batch.finished_at = utcnow()
        audit.record(
            self.actor,
            "receipts.batch_done",
            batch,
            {
                "year": self.year,
                "issued": batch.issued,
                "emailed": batch.emailed,
                "to_print": batch.to_print,
                "skipped": batch.skipped,
            },
        )
        db.session.commit()

    # numbering --------------------------------------------------------------------------

    def _allocate_chunk(self, person_ids: list[int], *, wait: bool) -> list[tuple[int, str]]:
        """Number the receipts of a chunk of donors in one short transaction (retried)."""
        for attempt in range(RETRIES):
            try:
                outcome = self._allocate_once(person_ids, wait=wait)
                self._save_progress(extra=outcome)
                db.session.commit()
            except DBAPIError as exc:
                db.session.rollback()
                self._saved_shape = None  # the log written with the chunk is gone too
                if attempt == RETRIES - 1 or not _retryable(exc):
                    raise
                log.warning("Lauf %s: Block wird wiederholt (%s)", self.batch_id, exc.orig)
                time.sleep(0.05 * (attempt + 1))
                continue
            self._apply(outcome)
            return outcome["made"]
        return []  # pragma: no cover - the loop returns or raises

    def _allocate_once(self, person_ids: list[int], *, wait: bool) -> dict:
        """Lock the chunk's donors and number their receipts; nothing is committed here."""
        stmt = (
            select(Person)
            .where(Person.id.in_(person_ids))
            .order_by(Person.id)
            .with_for_update(key_share=True, skip_locked=not wait)
        )
        people = {p.id: p for p in db.session.execute(stmt).scalars()}
        outcome = {"made": [], "handled": set(), "skipped": []}
        locked = [people[person_id] for person_id in person_ids if person_id in people]
        try:
            with db.session.begin_nested():
                chunk = allocate_collectives(
                    locked, self.year, actor=self.actor, batch_id=self.batch_id
                )
        except DomainError:
            pass  # a line taken meanwhile, or one donor's problem: go donor by donor below
        else:
            outcome["handled"] = {p.id for p in locked}
            outcome["made"] = [(r.id, r.content) for r in chunk.receipts]
            outcome["skipped"] = [
                _skip_entry(person_id, people[person_id].display_name, reason)
                for person_id, reason in chunk.skipped.items()
            ]
            return outcome
        for person_id in person_ids:
            person = people.get(person_id)
            if person is None:
                continue  # another worker holds this donor now; the sweep comes back to it
            receipt, reason = self._allocate_donor(person)
            outcome["handled"].add(person_id)
            if receipt is not None:
                outcome["made"].append((receipt.id, receipt.content))
            elif reason:
                outcome["skipped"].append(_skip_entry(person_id, person.display_name, reason))
        return outcome

    def _allocate_donor(self, person: Person) -> tuple[DonationReceipt | None, str | None]:
        """One donor's receipt, or (None, why) when skipped, or (None, None) when done elsewhere."""
        reason = None
        for _attempt in range(2):
            try:
                with db.session.begin_nested():
                    receipt = allocate_collective(
                        person, self.year, actor=self.actor, batch_id=self.batch_id
                    )
                return receipt, None
            except AlreadyReceipted as exc:
                reason = exc.message  # a race with another issuer: look again once
            except DomainError as exc:
                reason = exc.message
                break
        if not self._has_open_money(person.id):
            return None, None
        return None, reason

    def _has_open_money(self, person_id: int) -> bool:
        """The donor still has money contributions of the year that no receipt covers."""
        settings = get_settings()
        opens = open_contributions(
            person_id,
            date(self.year, 1, 1),
            date(self.year, 12, 31),
            dues_deductible=settings.dues_deductible,
        )
        return any(not c.in_kind for c in opens)

    def _apply(self, outcome: dict) -> None:
        """Take a committed chunk's outcome into the run's state."""
        self.handled |= outcome["handled"]
        for entry in outcome["skipped"]:
            self.skipped_ids.add(entry["person_id"])
            self.log.skipped.append(entry)

    # rendering --------------------------------------------------------------------------

    def _render(self, made: list[tuple[int, str]]) -> None:
        """Start rendering a chunk; finish the one before while this one renders."""
        if made:
            self.pending.append(self.pool.start(made))
        while len(self.pending) > 1:
            self._finish(self.pending.pop(0))

    def _drain(self) -> None:
        """Finish every chunk still rendering."""
        while self.pending:
            self._finish(self.pending.pop(0))

    def _finish(self, handle: RenderHandle) -> None:
        """Attach a rendered chunk's PDFs, e-mail where allowed, record progress; commit."""
        try:
            stored = handle.results()
            receipts = (
                db.session.execute(
                    select(DonationReceipt)
                    .where(DonationReceipt.id.in_(list(stored)))
                    .order_by(DonationReceipt.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
                .scalars()
                .all()
            )
            for receipt in receipts:
                if receipt.storage_key is None:
                    attach_pdf(receipt, stored[receipt.id])
                    handle.keep(receipt.id)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            handle.discard(keep_nothing=True)
            raise
        handle.discard()  # files of receipts another worker attached first
        mine = list(
            db.session.execute(
                select(DonationReceipt)
                .where(
                    DonationReceipt.id.in_(list(handle.kept)),
                    DonationReceipt.batch_id == self.batch_id,
                )
                .order_by(DonationReceipt.seq)
            ).scalars()
        )
        if self.send_mail:
            sent = delivery.mail_receipts(mine, actor=self.actor)
            self.mail_failed |= sent.failed
            self.log.errors.extend(sent.errors)
        to_print = [(r.id, delivery.print_item(r)) for r in mine if r.delivery is None]
        self._save_progress()
        db.session.commit()
        if self.merger is not None:
            self.merger.add(to_print)

    # bookkeeping ------------------------------------------------------------------------

    def _persons_in_batch(self) -> set[int]:
        """Donors this batch has issued receipts to already (an earlier run)."""
        return set(
            db.session.execute(
                select(DonationReceipt.person_id)
                .where(DonationReceipt.batch_id == self.batch_id)
                .distinct()
            ).scalars()
        )

    def _save_progress(self, extra: dict | None = None, *, force: bool = False) -> None:
        """Write the counters as they really are (from the receipts) and the log."""
        batch = db.session.get(ReceiptBatch, self.batch_id)
        email = case((DonationReceipt.delivery == delivery.Delivery.EMAIL, 1), else_=0)
        printed = case((DonationReceipt.delivery == delivery.Delivery.PRINT, 1), else_=0)
        issued, emailed, to_print = db.session.execute(
            select(func.count(), func.sum(email), func.sum(printed)).where(
                DonationReceipt.batch_id == self.batch_id
            )
        ).one()
        handled = self.handled | (extra["handled"] if extra else set())
        skipped = self.log.skipped + (extra["skipped"] if extra else [])
        batch.total = len(self.planned)
        batch.done = min(len(handled & self.planned), batch.total)
        batch.issued = issued
        batch.emailed = int(emailed or 0)
        batch.to_print = int(to_print or 0)
        batch.skipped = len(skipped)
        # the log only when it changed, or as a sign of life now and then (it can be long)
        shape = (len(skipped), len(self.log.errors))
        if (
            force
            or shape != self._saved_shape
            or time.monotonic() - self._saved_at > HEARTBEAT_SECONDS
        ):
            BatchLog(skipped, self.log.errors, worker=self.log.worker).save(batch)
            self._saved_shape, self._saved_at = shape, time.monotonic()
        db.session.flush()
        if self.progress is not None:
            self.progress(batch.done, batch.total)

    def abandon(self) -> None:
        """After an error: wait for chunks still rendering and remove their files."""
        while self.pending:
            self.pending.pop(0).discard(keep_nothing=True)

    def close(self) -> None:
        """Stop the render pool (and the print file's process, if it is still open)."""
        if self.merger is not None:
            self.merger.abort()
        if self.pool is not None:
            self.pool.close()


def _skip_entry(person_id: int, name: str, reason: str) -> dict:
    """A skipped donor as stored in the batch log."""
    return {"person_id": person_id, "name": name, "reason": reason}
