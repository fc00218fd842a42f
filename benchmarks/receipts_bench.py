"""Receipts benchmark: the year's batch for 10,000 donors against bare reportlab, memory, download.

    .venv/bin/python benchmarks/receipts_bench.py [--backend sqlite|postgresql|both]
        [--donors 10000] [--runs 3] [--sample 1000] [--pg-url ...] [--keep]

For each backend: a fresh database, migrated, complete receipt settings with a facsimile
signature, and N donors with addresses, each with 1–20 contributions in 2025 (donations, dues,
a few waived reimbursements), bulk-inserted with SQLAlchemy Core. Each measured run works on a
copy of that database (SQLite: a file copy; PostgreSQL: CREATE DATABASE … TEMPLATE) and a fresh
upload folder, and runs the real year's batch: `receipts.batch.start_batch` and `run_batch`,
synchronously in this process, with the render pool at os.cpu_count() processes (and once at 1).
Printed: receipts/s of the batch against bare reportlab (receipts_baseline.py) drawing the same
pages on one core, our renderer alone on one core, memory (RSS of this process and of the pool's
workers, sampled as the batch goes), and the download of one stored receipt through the test
client. It is a measurement, not a test: it always exits 0 unless something breaks.
"""

import argparse
import gc
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from dues_bench import analyze
from ledger_data import CITIES, FIRST_NAMES, LAST_NAMES, ORGANISATIONS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.py sits at the top level, next to supportclub/

from receipts_baseline import time_renderers  # noqa: E402  (imports supportclub)

from tests.dbutil import fresh_database  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EMAIL, PASSWORD = "kasse@bench.example.org", "benchmark-password"
YEAR, SEED = 2025, 2025
TARGET_RATIO, TARGET_DOWNLOAD_MS, FLAT_WITHIN = 0.70, 50.0, 0.10
DOWNLOADS = 50
CHUNK = 1000  # donors per bulk insert
DONATIONS = (500, 1000, 1500, 2000, 2500, 3000, 5000, 7500, 10000, 15000, 20000, 50000)
DUES = (1200, 2400, 3600, 6000)
SETTINGS = dict(
    name="Förderverein Grundschule Am Park e. V.",
    street="Schulstraße 1",
    postal_code="07743",
    city="Jena",
    tax_office="Jena",
    tax_number="162/141/12345",
    exemption_kind="freistellungsbescheid",
    exemption_date=date(2024, 5, 15),
    exemption_period="2021 bis 2023",
    purposes="der Erziehung und Bildung sowie der Jugendhilfe",
    dues_deductible=True,
    receipt_signatory="Petra Kassner, Schatzmeisterin",
    machine_receipts=True,
    machine_receipts_notified_on=date(2024, 6, 1),
    receipt_min_cents=0,
)


# The donors --------------------------------------------------------------------------------------


@dataclass
class Donor:
    """A donor and their contributions of the year: (day, "donation"|"dues", waiver, cents)."""

    pid: int
    kind: str
    first_name: str
    last_name: str
    street: str
    postal_code: str
    city: str
    email: str | None
    contributions: list[tuple[date, str, bool, int]] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        """As on a letter (Person.full_name)."""
        return (
            self.last_name if self.kind == "organisation" else f"{self.first_name} {self.last_name}"
        )


def generate_donors(count: int, waiver_share: float, seed: int = SEED):
    """`count` donors (every 20th an organisation), deterministic by seed; yields them."""
    rng = random.Random(seed)
    first_day = date(YEAR, 1, 1).toordinal()
    for pid in range(1, count + 1):
        postal_code, city = rng.choice(CITIES)
        street = f"{rng.choice(LAST_NAMES)}straße {rng.randrange(1, 120)}"
        if pid % 20 == 0:
            kind, first, last = "organisation", "", ORGANISATIONS[pid % len(ORGANISATIONS)]
        else:
            kind, first, last = "private", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        donor = Donor(pid, kind, first, last, street, postal_code, city,
                      f"spender{pid}@example.org" if pid % 4 else None)  # fmt: skip
        for _ in range(rng.randint(1, 20)):
            day = date.fromordinal(first_day + rng.randrange(365))
            if rng.random() < 0.3:
                donor.contributions.append((day, "dues", False, rng.choice(DUES)))
            else:
                waiver = rng.random() < waiver_share
                donor.contributions.append((day, "donation", waiver, rng.choice(DONATIONS)))
        donor.contributions.sort(key=lambda c: c[0])
        yield donor


class Rows:
    """Core rows of a chunk of donors: persons, bookings, lines, waiver details (ids given)."""

    def __init__(self, ids: dict, start: dict[str, int]):
        """`ids`: accounts, categories, general fund, user; `start`: the last id per table."""
        self.ids, self.next = ids, dict(start)
        self.tables: dict[str, list[dict]] = {name: [] for name in TABLES}

    def _id(self, table: str) -> int:
        self.next[table] += 1
        return self.next[table]

    def add(self, donor: Donor) -> None:
        """The donor's person row and one booking per contribution."""
        ids = self.ids
        self.tables["person"].append(
            {"id": donor.pid, "kind": donor.kind, "first_name": donor.first_name,
             "last_name": donor.last_name, "street": donor.street,
             "postal_code": donor.postal_code, "city": donor.city, "country": "DE",
             "email": donor.email, "phone": "", "is_active": True}
        )  # fmt: skip
        for day, kind, waiver, cents in donor.contributions:
            booking = self._id("booking")
            self.tables["booking"].append(
                {"id": booking, "booking_date": day, "amount_cents": 0 if waiver else cents,
                 "account_id": None if waiver else ids["bank"], "person_id": donor.pid,
                 "text": "Aufwandsspende" if waiver else ("Spende" if kind == "donation"
                                                          else "Mitgliedsbeitrag"),
                 "channel": "manual" if waiver else "bank", "created_by_id": ids["user"]}
            )  # fmt: skip
            line = self._id("booking_line")
            self._line(line, booking, ids[kind], cents)
            if waiver:  # the waived claim: +cents donation, -cents expense (sums to 0)
                self._line(self._id("booking_line"), booking, ids["admin_cost"], -cents)
                self.tables["donation_detail"].append(
                    {"id": self._id("donation_detail"), "booking_line_id": line,
                     "kind": "waiver", "description": "Fahrtkosten Elternabend",
                     "claim_date": day.replace(day=1), "claim_basis": "Vorstandsbeschluss",
                     "value_basis": "", "documents_present": False}
                )  # fmt: skip

    def _line(self, line_id: int, booking: int, category: int, cents: int) -> None:
        self.tables["booking_line"].append(
            {"id": line_id, "booking_id": booking, "category_id": category,
             "fund_id": self.ids["general"], "amount_cents": cents, "text": ""}
        )  # fmt: skip

    def take(self) -> dict[str, list[dict]]:
        """The rows gathered since the last take."""
        tables = self.tables
        self.tables = {name: [] for name in TABLES}
        return tables


TABLES = ("person", "booking", "booking_line", "donation_detail")


def prepare(app, signature: bytes) -> dict:
    """Migrate; the treasurer, the receipt settings and the facsimile; the ids the rows need."""
    from flask_migrate import upgrade

    from supportclub.admin.services import get_settings
    from supportclub.auth.services import create_user
    from supportclub.extensions import db
    from supportclub.ledger.models import Account, Category
    from supportclub.ledger.services import general_fund
    from supportclub.receipts.signature import store_signature

    with app.app_context():
        upgrade()
        user = create_user(email=EMAIL, password=PASSWORD, role="treasurer", actor=None)
        settings = get_settings()
        for key, value in SETTINGS.items():
            setattr(settings, key, value)
        store_signature(signature, actor=user)
        db.session.commit()
        categories = dict(db.session.execute(sa.select(Category.code, Category.id)).all())
        return {
            "bank": db.session.execute(sa.select(Account.id).filter_by(code="bank")).scalar_one(),
            "donation": categories["donation"],
            "dues": categories["dues"],
            "admin_cost": categories["admin_cost"],
            "general": general_fund().id,
            "user": user.id,
        }


def load(app, backend: str, ids: dict, args) -> dict:
    """Insert the donors in chunks (Core executemany, one transaction); check; analyze."""
    from supportclub.extensions import db

    start = time.perf_counter()
    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            first = {t: conn.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar()
                     for t in TABLES}  # fmt: skip
        rows = Rows(ids, first)
        with engine.begin() as conn:
            for number, donor in enumerate(generate_donors(args.donors, args.waivers), 1):
                rows.add(donor)
                if number % CHUNK == 0 or number == args.donors:
                    for name, chunk in rows.take().items():
                        if chunk:
                            conn.execute(sa.insert(db.metadata.tables[name]), chunk)
            if backend == "postgresql":
                for name in TABLES:
                    conn.execute(sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    ))  # fmt: skip
        inserted = time.perf_counter() - start
        analyze(engine, backend)
        with engine.connect() as conn:
            counts = conn.execute(sa.text(CHECK_SQL)).one()
        engine.dispose()
    seconds = time.perf_counter() - start
    persons, bookings, lines, waivers, unbalanced = counts
    print(
        f"[{backend}] loaded {persons:,} donors, {bookings:,} bookings ({waivers:,} waived "
        f"reimbursements), {lines:,} lines in {seconds:.1f} s (insert {inserted:.1f} s); "
        f"unbalanced bookings: {unbalanced}"
    )
    return {"load_s": seconds, "bookings": bookings}


CHECK_SQL = """
SELECT
  (SELECT count(*) FROM person),
  (SELECT count(*) FROM booking),
  (SELECT count(*) FROM booking_line),
  (SELECT count(*) FROM donation_detail),
  (SELECT count(*) FROM booking b
     JOIN (SELECT booking_id, sum(amount_cents) AS total FROM booking_line GROUP BY booking_id) s
       ON s.booking_id = b.id
    WHERE s.total <> b.amount_cents)
"""


def signature_png() -> bytes:
    """A small facsimile signature (PNG with transparency), drawn with Pillow."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 160), (255, 255, 255, 0))
    pen = ImageDraw.Draw(image)
    points = [(20 + x * 6, 90 + int(35 * ((-1) ** x) * (x % 7) / 7)) for x in range(90)]
    pen.line(points, fill=(20, 30, 120, 255), width=5)
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# What the receipts say, built in memory (no database) ---------------------------------------------


def content_of(donor: Donor, number: str, issued_on: date):
    """The ReceiptContent the batch makes for `donor` (built as receipts.services does)."""
    from supportclub.receipts.content import (
        ContributionKind,
        Exemption,
        Item,
        ReceiptContent,
        ReceiptKind,
    )

    items = tuple(Item(day, ContributionKind(kind), waiver, cents)
                  for day, kind, waiver, cents in donor.contributions)  # fmt: skip
    waiver = any(item.waiver for item in items)
    facsimile = SETTINGS["machine_receipts"] and not waiver
    common = dict(
        number=number, issued_on=issued_on, issuer_name=SETTINGS["name"],
        issuer_address=(SETTINGS["street"], f"{SETTINGS['postal_code']} {SETTINGS['city']}"),
        place=SETTINGS["city"], exemption=Exemption(SETTINGS["exemption_kind"]),
        tax_office=SETTINGS["tax_office"], tax_number=SETTINGS["tax_number"],
        exemption_date=SETTINGS["exemption_date"], exemption_period=SETTINGS["exemption_period"],
        purposes=SETTINGS["purposes"], dues_block=not SETTINGS["dues_deductible"],
        signatory=SETTINGS["receipt_signatory"], donor_name=donor.full_name,
        donor_address=(donor.street, f"{donor.postal_code} {donor.city}"),
        total_cents=sum(item.amount_cents for item in items), machine_notice=facsimile,
        facsimile=facsimile, facsimile_key="", person_id=donor.pid,
    )  # fmt: skip
    if len(items) == 1:
        item = items[0]
        return ReceiptContent(
            kind=ReceiptKind.SINGLE,
            contribution_date=item.date,
            waiver=item.waiver,
            contribution_kind=item.kind,
            **common,
        )
    return ReceiptContent(
        kind=ReceiptKind.COLLECTIVE,
        period_start=date(YEAR, 1, 1),
        period_end=date(YEAR, 12, 31),
        items=items,
        **common,
    )


def sample_contents(args, issued_on: date) -> list:
    """The contents of an evenly spread sample of the donors (all with --sample 0)."""
    step = max(args.donors // args.sample, 1) if args.sample else 1
    donors = [d for d in generate_donors(args.donors, args.waivers) if (d.pid - 1) % step == 0]
    return [content_of(d, f"{YEAR}-{n:04d}", issued_on) for n, d in enumerate(donors, 1)]


def compare_contents(contents: list) -> tuple[int, int]:
    """How many in-memory contents equal what the batch stored for the same donors."""
    from supportclub.extensions import db
    from supportclub.receipts.content import ReceiptContent
    from supportclub.receipts.models import DonationReceipt

    by_person = {c.person_id: c for c in contents}
    stored = db.session.execute(
        sa.select(DonationReceipt.person_id, DonationReceipt.number, DonationReceipt.content)
        .where(DonationReceipt.person_id.in_(list(by_person)))
    ).all()  # fmt: skip
    same = 0
    for person_id, number, text in stored:
        expected = replace(by_person[person_id], number=number)
        actual = replace(ReceiptContent.from_json(text), facsimile_key="")
        same += actual == expected
    return same, len(contents)


# Databases and folders -------------------------------------------------------------------------


def make_app(url: str, upload_dir: str, processes: int):
    """The app in testing mode on `url`, CSRF off, its own upload folder and pool size."""
    from config import TestingConfig
    from supportclub import create_app

    overrides = {
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_DIR": upload_dir,
        "RECEIPT_RENDER_PROCESSES": processes,
        "REDIS_URL": None,  # the batch runs here, synchronously; no queue
    }
    return create_app(type("BenchConfig", (TestingConfig,), overrides))


@contextmanager
def database_copy(backend: str, base_url: str, number: int, keep: bool):
    """A copy of the loaded database for one run (file copy / CREATE DATABASE … TEMPLATE)."""
    base = sa.make_url(base_url)
    if backend == "sqlite":
        path = Path(base.database).with_name(f"run{number}.sqlite")
        shutil.copyfile(base.database, path)
        try:
            yield base.set(database=str(path)).render_as_string(hide_password=False)
        finally:
            if not keep:
                path.unlink(missing_ok=True)
        return
    name = f"{base.database}_run{number}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{base.database}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept: database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def upload_folder(signature_from: Path, keep: bool):
    """A fresh upload folder holding the facsimile signature; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="sc-receipts-bench-"))
    shutil.copytree(signature_from / "signature", folder / "signature")
    try:
        yield folder
    finally:
        if keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# Memory ----------------------------------------------------------------------------------------


def _status(pid: int | str) -> dict[str, int]:
    """VmRSS and VmHWM of a process in KiB (empty when it is gone)."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line[:5]] = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return values


def _process_tree() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(tree: dict[int, list[int]], root: int) -> list[int]:
    """The pids of every process below `root`."""
    found, todo = [], [root]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


_HELPERS: dict[int, bool] = {}


def _is_helper(pid: int) -> bool:
    """True for multiprocessing's fork server or resource tracker (cached per pid)."""
    if pid not in _HELPERS:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            command = b""
        _HELPERS[pid] = b"forkserver" in command or b"resource_tracker" in command
    return _HELPERS[pid]


def _workers() -> list[int]:
    """The render workers and the print merger: every process below this one but the helpers.

    The helpers (multiprocessing's fork server and resource tracker) are our direct children;
    the workers are forked by the fork server (so they carry its command line too) and sit one
    level further down.
    """
    tree, me = _process_tree(), os.getpid()
    direct = set(tree.get(me, []))
    return [p for p in _descendants(tree, me) if p not in direct or not _is_helper(p)]


def reset_peaks() -> None:
    """Reset the peak RSS (VmHWM) of this process and its children (Linux clear_refs 5)."""
    for pid in ["self", *_descendants(_process_tree(), os.getpid())]:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as handle:
                handle.write("5")
        except OSError:
            pass


class Sampler(threading.Thread):
    """Samples RSS of this process and its workers, with the number of PDFs stored so far."""

    def __init__(self, folder: Path, interval: float = 0.2):
        super().__init__(daemon=True)
        self.folder, self.interval = folder, interval
        self.samples: list[tuple[int, int, int]] = []  # (PDFs stored, parent KiB, worker KiB)
        self.worker_peaks: dict[int, int] = {}
        self.stopped = threading.Event()

    def _stored(self) -> int:
        try:
            return sum(1 for e in os.scandir(self.folder) if not e.name.startswith("."))
        except FileNotFoundError:
            return 0

    def sample(self) -> None:
        """One sample (also taken once more at the end)."""
        worker_rss = 0
        for pid in _workers():
            status = _status(pid)
            worker_rss = max(worker_rss, status.get("VmRSS", 0))
            self.worker_peaks[pid] = max(self.worker_peaks.get(pid, 0), status.get("VmHWM", 0))
        stored = self._stored()  # the print file lands in the same folder at the very end
        self.samples.append((stored, _status("self").get("VmRSS", 0), worker_rss))

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self.stopped.set()
        self.join()
        self.sample()


def memory_report(sampler: Sampler, receipts: int) -> dict:
    """RSS by receipts stored (every 1,000), and the peaks up to a quarter against the end."""
    step = 1000 if receipts >= 5000 else max(receipts // 10, 1)
    quarter = receipts // 4
    marks = []
    for mark in range(step, receipts + step, step):
        window = [s for s in sampler.samples if mark - step < s[0] <= mark]
        if window:
            marks.append(
                f"{min(mark, receipts):,}: {max(s[1] for s in window) / 1024:.0f}/"
                f"{max(s[2] for s in window) / 1024:.0f}"
            )
    early = [s for s in sampler.samples if s[0] <= quarter] or sampler.samples[:1]
    result = {
        "parent_early": max(s[1] for s in early) / 1024,
        "parent_all": max(s[1] for s in sampler.samples) / 1024,
        "worker_early": max(s[2] for s in early) / 1024,
        "worker_all": max(s[2] for s in sampler.samples) / 1024,
        "parent_hwm": _status("self").get("VmHWM", 0) / 1024,
        "worker_hwm": max(sampler.worker_peaks.values(), default=0) / 1024,
        "workers": len(sampler.worker_peaks),
        "quarter": quarter,
    }
    result["growth"] = max(
        result["parent_all"] / result["parent_early"],
        result["worker_all"] / result["worker_early"] if result["worker_early"] else 1.0,
    )
    children = "/".join(f"{kib / 1024:.0f}" for kib in sorted(sampler.worker_peaks.values()))
    print(
        f"    RSS MiB (this process/largest child) by PDFs stored: {', '.join(marks)}\n"
        f"    peak up to {quarter:,}: {result['parent_early']:.0f}/{result['worker_early']:.0f}"
        f" MiB; peak of the run: {result['parent_all']:.0f}/{result['worker_all']:.0f} MiB "
        f"(VmHWM this process {result['parent_hwm']:.0f} MiB, its {result['workers']} child "
        f"processes {children or '-'} MiB); growth {100 * (result['growth'] - 1):+.1f} % "
        f"({'flat' if result['growth'] <= 1 + FLAT_WITHIN else 'GROWS'}, "
        f"target within {FLAT_WITHIN:.0%})"
    )
    return result


# The batch -------------------------------------------------------------------------------------


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes (shared machines)."""
    with open("/proc/loadavg") as handle:
        return "load average " + " ".join(handle.read().split()[:3])


def batch_available() -> bool:
    """True once receipts/batch.py (helper B) is there."""
    try:
        from supportclub.receipts.batch import run_batch, start_batch  # noqa: F401
    except ImportError as error:
        print(f"    the year's batch is not there yet ({error}); batch runs skipped")
        return False
    return True


PHASES = (  # (owner in receipts.batch, attribute, label): the parent's time per step
    (None, "plan_year", "planning"),
    ("_Run", "_allocate_chunk", "numbering"),
    ("_Run", "_finish", "waiting for PDFs + attaching"),
    ("_Run", "_deliver", "print file + done"),
)


class Steps:
    """Wall time and SQL statements of this process per step of the batch."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.statements: dict[str, int] = {}
        self.current = ["other"]

    def count(self, *_args) -> None:
        """A `before_cursor_execute` listener: one statement for the current step."""
        self.statements[self.current[-1]] = self.statements.get(self.current[-1], 0) + 1

    def line(self, receipts: int) -> str:
        """ "numbering 12.3 s (14.0 statements/receipt), ..."."""
        labels = list(self.seconds) + [k for k in self.statements if k not in self.seconds]
        return ", ".join(
            f"{label} {self.seconds.get(label, 0.0):.1f} s "
            f"({self.statements.get(label, 0) / max(receipts, 1):.1f} SQL/receipt)"
            for label in labels
        )


@contextmanager
def phases(steps: Steps):
    """Time the batch's steps in this process by wrapping them (those that exist)."""
    from supportclub.receipts import batch as module

    patched = []
    for owner_name, name, label in PHASES:
        owner = getattr(module, owner_name) if owner_name else module
        original = getattr(owner, name, None)
        if original is None:
            continue

        def timed(*args, _original=original, _label=label, **kwargs):
            steps.current.append(_label)
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                steps.seconds[_label] = steps.seconds.get(_label, 0.0) + elapsed
                steps.current.pop()

        setattr(owner, name, timed)
        patched.append((owner, name, original))
    try:
        yield steps
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)


def measure_batch(app, processes: int, upload: Path) -> dict:
    """start_batch + run_batch of the year, send_mail off; wall time, receipts/s, memory."""
    from supportclub.auth.models import User
    from supportclub.extensions import db
    from supportclub.receipts.batch import run_batch, start_batch
    from supportclub.receipts.models import DonationReceipt, ReceiptBatch

    with app.app_context():
        treasurer = db.session.execute(sa.select(User).filter_by(email=EMAIL)).scalar_one()
        db.session.expunge_all()
        gc.collect()
        steps = Steps()
        sa.event.listen(db.engine, "before_cursor_execute", steps.count)
        sampler = Sampler(upload / "receipts")
        reset_peaks()
        sampler.start()
        with phases(steps):
            start = time.perf_counter()
            batch = start_batch(YEAR, treasurer, send_mail=False)
            db.session.commit()
            batch_id = batch.id
            db.session.remove()
            run_batch(batch_id)
            wall = time.perf_counter() - start
        sampler.stop()
        sa.event.remove(db.engine, "before_cursor_execute", steps.count)
        steps.seconds["other"] = wall - sum(steps.seconds.values())
        db.session.remove()
        batch = db.session.get(ReceiptBatch, batch_id)
        stored = db.session.execute(
            sa.select(sa.func.count()).where(DonationReceipt.storage_key.is_not(None))
        ).scalar()  # fmt: skip
        result = {
            "processes": processes,
            "wall": wall,
            "receipts": stored,
            "rate": stored / wall,
            "status": str(batch.status),
            "issued": batch.issued,
            "skipped": batch.skipped,
            "steps": steps.seconds,
            "statements": sum(steps.statements.values()),
        }
        printing = steps.seconds.get("print file + done", 0.0)
        result["rate_without_print"] = stored / (wall - printing)
    print(
        f"    pool {processes}: {stored:,} receipts stored in {wall:.1f} s = "
        f"{result['rate']:.1f} receipts/s (batch {result['status']}, issued {batch.issued:,}, "
        f"skipped {batch.skipped:,}); {result['statements'] / max(stored, 1):.1f} SQL "
        f"statements per receipt\n    this process's time by step: {steps.line(stored)}"
    )
    result["memory"] = memory_report(sampler, stored)
    return result


def measure_download(app) -> dict:
    """GET /zuwendungsbestaetigungen/<id>.pdf as the treasurer (or storage.read_pdf) 50 times."""
    from werkzeug.exceptions import HTTPException

    from supportclub.extensions import db
    from supportclub.receipts import storage
    from supportclub.receipts.content import ReceiptKind
    from supportclub.receipts.models import DonationReceipt

    with app.app_context():
        receipt = db.session.execute(
            sa.select(DonationReceipt)
            .where(DonationReceipt.storage_key.is_not(None))
            .order_by((DonationReceipt.kind == ReceiptKind.COLLECTIVE).desc(), DonationReceipt.id)
            .limit(1)
        ).scalar_one()  # fmt: skip
        receipt_id, size = receipt.id, receipt.pdf_size
        db.session.remove()
    url = f"/zuwendungsbestaetigungen/{receipt_id}.pdf"
    try:
        app.url_map.bind("localhost").match(url, method="GET")
        route = True
    except HTTPException:
        route = False
    times = []
    if route:
        client = app.test_client()
        client.post("/anmelden", data={"email": EMAIL, "password": PASSWORD})
        for run in range(DOWNLOADS + 3):
            gc.collect()
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, (url, response.status_code)
            assert len(response.data) >= size, "the download is not the stored PDF"
            if run >= 3:
                times.append(elapsed)
        how = f"GET {url} through the test client as the treasurer"
    else:
        with app.app_context():
            for run in range(DOWNLOADS + 3):
                gc.collect()
                start = time.perf_counter()
                data = storage.read_pdf(db.session.get(DonationReceipt, receipt_id))
                elapsed = time.perf_counter() - start
                db.session.remove()
                assert len(data) == size
                if run >= 3:
                    times.append(elapsed)
        how = "storage.read_pdf (the download route is not there yet)"
    median = statistics.median(times) * 1000
    p95 = statistics.quantiles(times, n=20)[18] * 1000
    verdict = "ok" if p95 <= TARGET_DOWNLOAD_MS else "MISSED"
    print(
        f"    download of receipt {receipt_id} ({size // 1024} KiB): median {median:.2f} ms, "
        f"p95 {p95:.2f} ms (target <= {TARGET_DOWNLOAD_MS:.0f} ms) {verdict}; {how}"
    )
    return {"median_ms": median, "p95_ms": p95, "route": route}


def issue_one(app) -> None:
    """Without the batch: issue donor 1's Sammelbestätigung, so a download can be timed."""
    from supportclub.auth.models import User
    from supportclub.extensions import db
    from supportclub.ledger.models import Person
    from supportclub.receipts.services import issue_collective

    with app.app_context():
        treasurer = db.session.execute(sa.select(User).filter_by(email=EMAIL)).scalar_one()
        issue_collective(db.session.get(Person, 1), YEAR, actor=treasurer)
        db.session.commit()


# Running ---------------------------------------------------------------------------------------


def measure_renderers(args, signature: bytes) -> dict:
    """Bare reportlab against our renderer alone, on one core, for a sample of the donors."""
    from supportclub.clock import today

    contents = sample_contents(args, today())
    collective = sum(c.kind == "collective" for c in contents)
    rows = sum(len(c.items) for c in contents)
    print(
        f"one core, {len(contents):,} receipts of the same donors ({collective:,} "
        f"Sammelbestätigungen with {rows:,} list rows), median of {args.runs} runs:"
    )
    result = time_renderers(contents, signature, args.runs)
    base, ours = result["baseline"], result["renderer"]
    result["ratio"] = ours["rate"] / base["rate"]
    result["contents"] = contents
    print(
        f"    bare reportlab (receipts_baseline.py): {base['rate']:.1f} receipts/s "
        f"({base['bytes'] // len(contents) // 1024} KiB each); runs "
        f"{', '.join(f'{r:.1f}' for r in base['runs'])}\n"
        f"    receipts.pdf.render_receipt alone:     {ours['rate']:.1f} receipts/s "
        f"({ours['bytes'] // len(contents) // 1024} KiB each); runs "
        f"{', '.join(f'{r:.1f}' for r in ours['runs'])}\n"
        f"    renderer / bare reportlab: {result['ratio']:.2f}"
    )
    return result


def run_backend(backend: str, args, signature: bytes, contents: list) -> dict:
    """Load one backend, then run the batch on fresh copies of it; download; memory.

    Right before each batch run, bare reportlab renders the sample once more on one core: the
    run's ratio is taken against that, so a machine that gets busier or quieter during the
    benchmark moves both sides.
    """
    from supportclub.extensions import db

    cores = os.cpu_count() or 1
    plan = [cores] * args.runs + ([1] if cores > 1 else [])
    outcome = {"backend": backend, "runs": [], "download": None}
    base_upload = Path(tempfile.mkdtemp(prefix="sc-receipts-base-"))
    try:
        with fresh_database(
            backend, server_url=args.pg_url, keep=args.keep, prefix="sc_bench_"
        ) as base_url:
            app = make_app(base_url, str(base_upload), 1)
            ids = prepare(app, signature)
            outcome.update(load(app, backend, ids, args))
            with app.app_context():
                db.engine.dispose()
            have_batch = batch_available()
            for number, processes in enumerate(plan if have_batch else plan[:1], 1):
                with (
                    database_copy(backend, base_url, number, args.keep) as url,
                    upload_folder(base_upload, args.keep) as upload,
                ):
                    app = make_app(url, str(upload), processes)
                    if have_batch:
                        print(f"[{backend}] run {number} of {len(plan)} ({load_average()}):")
                        bare = time_renderers(contents, signature, 1, ("baseline",))
                        result = measure_batch(app, processes, upload)
                        result["bare"] = bare["baseline"]["rate"]
                        result["ratio"] = result["rate"] / result["bare"]
                        print(
                            f"    bare reportlab on one core just before: {result['bare']:.1f} "
                            f"receipts/s; batch / bare reportlab: {result['ratio']:.2f}"
                        )
                        outcome["runs"].append(result)
                    else:
                        issue_one(app)
                    if number == 1:
                        if have_batch:
                            with app.app_context():
                                same, total = compare_contents(contents)
                            print(
                                f"    the baseline's in-memory contents equal the batch's "
                                f"stored ones for {same:,} of {total:,} sampled donors"
                            )
                        outcome["download"] = measure_download(app)
                    with app.app_context():
                        db.engine.dispose()
    finally:
        shutil.rmtree(base_upload, ignore_errors=True)
    return outcome


def _batch_lines(runs: list[dict], cores: int) -> list[str]:
    """Per pool size: medians of wall time, receipts/s, ratio; the gain of the extra cores."""
    lines, rates = [], {}
    for processes in sorted({r["processes"] for r in runs}, reverse=True):
        mine = [r for r in runs if r["processes"] == processes]
        rates[processes] = rate = statistics.median(r["rate"] for r in mine)
        ratio = statistics.median(r["ratio"] for r in mine)
        target = ""
        if processes == cores:
            target = f" (target >= {TARGET_RATIO}) {'ok' if ratio >= TARGET_RATIO else 'MISSED'}"
        no_print = statistics.median(r["rate_without_print"] for r in mine)
        lines.append(
            f"  batch, pool {processes}: {statistics.median(r['wall'] for r in mine):7.1f} s "
            f"{rate:7.1f} receipts/s, ours/bare {ratio:.2f}{target}; without the print file "
            f"{no_print:.1f} receipts/s (medians of {len(mine)}; bare reportlab next to them "
            f"{statistics.median(r['bare'] for r in mine):.1f} receipts/s)"
        )
    if cores in rates and 1 in rates and cores > 1:
        lines.append(f"  gain of {cores} render processes over 1: x{rates[cores] / rates[1]:.2f}")
    return lines


def summary(outcomes: list[dict], renderers: dict, args) -> None:
    """The figures the issue asks for, per backend."""
    cores = os.cpu_count() or 1
    print(f"\n== summary: {args.donors:,} donors, {YEAR}; os.cpu_count() = {cores} ==")
    print(
        f"one core, {len(renderers['contents']):,} receipts: bare reportlab "
        f"{renderers['baseline']['rate']:.1f} receipts/s, render_receipt alone "
        f"{renderers['renderer']['rate']:.1f} receipts/s, ratio {renderers['ratio']:.2f}"
    )
    for outcome in outcomes:
        runs = outcome["runs"]
        print(f"{outcome['backend']}: load {outcome['load_s']:.1f} s")
        for line in _batch_lines(runs, cores):
            print(line)
        if runs:
            memory = runs[0]["memory"]
            verdict = "flat" if memory["growth"] <= 1 + FLAT_WITHIN else "GROWS"
            print(
                f"  memory (run 1): peak RSS up to {memory['quarter']:,} receipts "
                f"{memory['parent_early']:.0f} MiB / children {memory['worker_early']:.0f} MiB, "
                f"whole run {memory['parent_all']:.0f} / {memory['worker_all']:.0f} MiB: "
                f"{100 * (memory['growth'] - 1):+.1f} % {verdict}"
            )
        download = outcome["download"]
        if download:
            how = "route" if download["route"] else "storage.read_pdf only"
            verdict = "ok" if download["p95_ms"] <= TARGET_DOWNLOAD_MS else "MISSED"
            print(
                f"  download ({how}): median {download['median_ms']:.2f} ms, p95 "
                f"{download['p95_ms']:.2f} ms (target <= {TARGET_DOWNLOAD_MS:.0f} ms) {verdict}"
            )


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--donors", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each")
    parser.add_argument(
        "--sample", type=int, default=1000, help="donors rendered by both renderers (0: all)"
    )
    parser.add_argument(
        "--waivers", type=float, default=0.01, help="share of donations that are waivers"
    )
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true", help="keep databases and PDFs afterwards")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Measure the renderers, then the batch on the chosen backends; print the summary."""
    args = parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    cores = os.cpu_count() or 1
    print(f"os.cpu_count() = {cores}; the batch's render pool: {cores} processes, and 1")
    started = time.perf_counter()
    signature = signature_png()
    renderers = measure_renderers(args, signature)
    contents = renderers["contents"]
    outcomes = [run_backend(backend, args, signature, contents) for backend in backends]
    summary(outcomes, renderers, args)
    print(f"total wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
