"""Webhook benchmark: Stripe events for thousands of paid payments through gunicorn on PostgreSQL.

    .venv/bin/python benchmarks/webhook_bench.py [--payments 3000] [--threads 32] [--workers 2]
        [--gthreads 8] [--duplicates 0.1] [--seed 2026] [--pg-url postgresql+psycopg://...]
        [--instrument] [--profile] [--keep]

A fresh PostgreSQL database, the migrations, members with one open dues claim each, three
projects with earmarked funds and the online payments (bulk-inserted, status created). The Stripe
fake runs in a process of its own, seeded from the same deterministic spec (webhook_data.py):
paid sessions, refunds, disputes, payouts, and every event Stripe would send. gunicorn serves the
app in production mode; all events plus --duplicates of them, shuffled, are posted by --threads
client threads, each payload signed before the clock starts. Printed: events/s of the whole run,
the rate per 5-second slice, every non-200 answer, the fake's bare fetch rate (same run), and
the count check of the books in SQL. A measurement, not a test: it always exits 0.
"""

import argparse
import contextlib
import itertools
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import requests
import sqlalchemy as sa
import webhook_data as data

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.py sits at the top level, next to supportclub/

from tests.dbutil import fresh_database  # noqa: E402  (needs ROOT on sys.path)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_RATE = 200.0
SLICE_SECONDS = 5.0
RESIGN_AFTER = 240  # seconds; the app refuses signatures older than 300 s
SECRET_KEY = "webhook-bench-secret-key-0123456789"


# Setting up (not timed) --------------------------------------------------------------------------


def start_fake(args, now: int):
    """The Stripe fake in a child process; (process, what it sent: base_url, ids, events)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(
        target=data.serve_fake, args=(child, args.payments, args.seed, now), daemon=True
    )
    process.start()
    child.close()
    if not parent.poll(900):
        raise RuntimeError("the Stripe fake did not report within 900 s")
    info = parent.recv()
    if "error" in info:
        raise RuntimeError(f"seeding the Stripe fake failed: {info['error']}")
    return process, info


def make_app(url: str):
    """The app in testing mode on `url` (for seeding and the count check)."""
    from config import TestingConfig
    from supportclub import create_app

    return create_app(type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def _services() -> dict:
    """Membership type, projects (with their earmarked funds) through the services."""
    from supportclub.extensions import db
    from supportclub.ledger.models import Account, PersonKind
    from supportclub.ledger.services import create_person, general_fund
    from supportclub.members.services import add_fee_rate, create_membership_type
    from supportclub.projects.services import create_project

    mtype = create_membership_type(code="regular", name="Regulär", actor=None)
    rate = add_fee_rate(mtype, valid_from=date(2009, 1, 1), amount_cents=3600, actor=None)
    applicant = create_person(
        actor=None, kind=PersonKind.ORGANISATION, last_name="Kita Sonnenschein"
    )
    funds = {}
    for number in range(data.PROJECTS):
        project = create_project(
            applicant_id=applicant.id,
            title=f"Projekt {number + 1}",
            requested_cents=500_000,
            applied_on=date.today(),
            actor=None,
        )
        funds[number] = project.fund_id
    ids = {
        "type": mtype.id,
        "rate": rate.id,
        "general": general_fund().id,
        "funds": funds,
        "accounts": dict(db.session.execute(sa.select(Account.code, Account.id)).all()),
    }
    db.session.commit()
    return ids


def _member_rows(work: data.Workload, ids: dict, now: datetime) -> dict[str, list[dict]]:
    """Persons, memberships and claims as rows for Core inserts."""
    year = now.year
    persons, memberships, claims = [], [], []
    for p in work.persons:
        persons.append(
            dict(
                id=p.id, kind="private", first_name=p.first_name, last_name=p.last_name,
                street=p.street, postal_code=p.postal_code, city=p.city, country="DE",
                email=p.email, phone="", member_number=1000 + p.id, is_active=True,
                created_at=now,
            )
        )  # fmt: skip
        memberships.append(
            dict(
                id=p.id, person_id=p.id, membership_type_id=ids["type"],
                start_date=date(2020, 1, 1), leave_reason="", created_at=now,
            )
        )  # fmt: skip
        claims.append(
            dict(
                id=p.id, membership_id=p.id, year=year, amount_cents=p.claim_cents, months=12,
                due_date=date(year, 1, 31), fee_rate_id=ids["rate"], run_id=None, created_at=now,
            )
        )  # fmt: skip
    return {"person": persons, "membership": memberships, "dues_claim": claims}


def _payment_rows(work, ids: dict, info: dict, now: datetime) -> dict[str, list[dict]]:
    """The online payments (status created, each with its Checkout session) and their claims."""
    payments, claims = [], []
    for spec in work.payments:
        session_id = info["ids"][spec.id][0]
        fund = None
        if spec.purpose == "donation":
            fund = ids["general"] if spec.project is None else ids["funds"][spec.project]
        payments.append(
            dict(
                id=spec.id, token=spec.token, purpose=spec.purpose, status="created",
                amount_cents=spec.asked, currency="eur", checkout_session_id=session_id,
                checkout_url=f"{info['base_url']}/checkout/{session_id}",
                expires_at=datetime.fromtimestamp(spec.created + 86_400, UTC),
                payment_intent_id=None, charge_id=None, method="", paid_cents=0, fee_cents=0,
                refunded_cents=0, disputed_cents=0, dispute_status="", failure_message="",
                paid_at=None, person_id=spec.person_id, user_id=None, fund_id=fund,
                anonymous=spec.donor_kind == "anonymous", wants_receipt=False,
                donor=spec.donor, email=spec.email, first_booking_id=None, booking_id=None,
                revision=0, created_at=datetime.fromtimestamp(spec.created - 120, UTC),
            )
        )  # fmt: skip
        if spec.claim_id is not None:
            claims.append(
                dict(
                    id=len(claims) + 1,
                    payment_id=spec.id,
                    claim_id=spec.claim_id,
                    amount_cents=spec.claim_cents,
                )
            )
    return {"online_payment": payments, "online_payment_claim": claims}


def prepare_database(url: str, work: data.Workload, info: dict) -> dict:
    """Migrations, services, bulk rows, fresh statistics; the ids the count check needs."""
    from flask_migrate import upgrade

    from supportclub.extensions import db

    now = datetime.now(UTC)
    app = make_app(url)
    with app.app_context():
        upgrade()
        tables = db.metadata.tables
        # the members first: the services' applicant then gets the next id
        rows = _member_rows(work, {"type": None, "rate": None}, now)
        with db.engine.begin() as conn:
            conn.execute(sa.insert(tables["person"]), rows["person"])
            _setval(conn, "person")
        ids = _services()
        rows = {**_member_rows(work, ids, now), **_payment_rows(work, ids, info, now)}
        del rows["person"]
        with db.engine.begin() as conn:
            for table, values in rows.items():
                conn.execute(sa.insert(tables[table]), values)
                _setval(conn, table)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM (ANALYZE)"))
        db.session.remove()
        db.engine.dispose()
    return ids


def _setval(conn, table: str) -> None:
    """Move the id sequence past the bulk-inserted ids."""
    conn.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    )


# The fake's bare fetch rate ----------------------------------------------------------------------


def bare_fetch_rate(url: str, base_url: str, sessions: list[str], count: int, threads: int):
    """Reads of a payment's state straight from the fake, per second: the app's own
    `gateway.state_of_session` (the stripe library, the app's expand, parsed into a StripeState;
    no database, no request) and raw HTTP GETs of the same URL (the fake alone), each sequential
    and with `threads` in parallel (the app's concurrency)."""
    from supportclub.payments import gateway

    app = make_app(url)
    app.config.update(
        STRIPE_SECRET_KEY=data.API_KEY, STRIPE_API_BASE=base_url, STRIPE_MAX_RETRIES=0
    )
    local = threading.local()
    query = [(f"expand[{n}]", path) for n, path in enumerate(gateway.SESSION_EXPAND)]
    headers = {"Authorization": f"Bearer {data.API_KEY}"}

    def through_gateway(index: int) -> None:
        with app.app_context():
            gateway.state_of_session(sessions[index % len(sessions)])

    def raw(index: int) -> None:
        if getattr(local, "session", None) is None:
            local.session = requests.Session()
        address = f"{base_url}/v1/checkout/sessions/{sessions[index % len(sessions)]}"
        local.session.get(address, params=query, headers=headers, timeout=30).raise_for_status()

    rates = {"threads": threads}
    for name, fetch in (("gateway", through_gateway), ("raw", raw)):
        fetch(0)  # warm-up: connection, imports
        start = time.perf_counter()
        for index in range(count):
            fetch(index)
        rates[f"{name} sequential"] = count / (time.perf_counter() - start)
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(fetch, range(count * 2)))
        rates[f"{name} parallel"] = count * 2 / (time.perf_counter() - start)
    requests.post(f"{base_url}/_bench/reset", timeout=10)
    return rates


# gunicorn --------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(args, url: str, base_url: str, workdir: Path):
    """gunicorn with the app in production mode; returns (process, webhook URL, log path)."""
    port = free_port()
    env = dict(os.environ)
    for name in ("TEST_DATABASE_URL", "REDIS_URL", "STRIPE_PAYMENT_METHODS"):
        env.pop(name, None)
    env.update(
        SUPPORTCLUB_ENV="production",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=url,
        STRIPE_SECRET_KEY=data.API_KEY,
        STRIPE_WEBHOOK_SECRET=data.WEBHOOK_SECRET,
        STRIPE_API_BASE=base_url,
        BENCH_STATS_DIR=str(workdir),
        BENCH_PROFILE="1" if args.profile else "",
        BENCH_APP=args.app,
    )
    target, paths = args.app, list(args.pythonpath)
    if args.instrument or args.profile:
        target = "webhook_bench:instrumented_app()"
        paths.append(str(ROOT / "benchmarks"))
    extra = ["--pythonpath", ",".join(paths)] if paths else []
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        *("-w", str(args.workers), "-k", "gthread", "--threads", str(args.gthreads)),
        *("-b", f"127.0.0.1:{port}", "--graceful-timeout", "30", *extra, target),
    ]
    log_path = workdir / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    webhook = f"http://127.0.0.1:{port}/stripe/webhook"
    try:
        _wait_until_up(process, webhook, args.workers, log_path)
    except BaseException:
        stop(process)
        raise
    return process, webhook, log_path


def _wait_until_up(process, webhook: str, workers: int, log_path: Path) -> None:
    """Wait until every worker is forked and the webhook answers an unsigned post with 400."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn ended at start:\n{log_path.read_text()[-3000:]}")
        try:
            answered = requests.post(webhook, data=b"{}", timeout=30).status_code == 400
        except requests.RequestException:  # not listening yet, or the workers still booting
            answered = False
        if answered and len(children(process.pid)) >= workers:
            time.sleep(1)  # every worker has loaded the app
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(process) -> None:
    """End a process this benchmark started (SIGTERM, then SIGKILL after 30 s)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc; 0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


# The run ---------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One event to post: its payload, signature and what it is."""

    payload: bytes
    event_id: str
    type: str
    signature: str = ""


@dataclass
class RunResult:
    """What the load generator saw."""

    seconds: float = 0.0
    done: list[float] = field(default_factory=list)  # completion time of each 200 answer
    failures: list[tuple] = field(default_factory=list)  # (status, type, event id, body)
    resigned: int = 0


def deliveries(events: list[dict], share: float, seed: int) -> tuple[list[Delivery], int]:
    """Every event once plus `share` of them again, shuffled; (list, number of duplicates)."""
    from tests.stripe_fake.webhooks import payload_of

    rng = random.Random(seed)
    unique = [Delivery(payload_of(e), e["id"], e["type"]) for e in events]
    again = [unique[i] for i in rng.sample(range(len(unique)), round(len(unique) * share))]
    every = unique + again
    rng.shuffle(every)
    return every, len(again)


def send_all(webhook: str, items: list[Delivery], threads: int) -> RunResult:
    """Post every item from `threads` threads (a keep-alive http.client connection each, the
    lightest client the standard library has: the load generator shares the 2 cores with the
    app); the clock runs from the first post to the last answer."""
    import http.client
    from urllib.parse import urlsplit

    from tests.stripe_fake.webhooks import sign

    target = urlsplit(webhook)
    signed_at = int(time.time())
    for item in items:  # signing is not part of the run
        item.signature = sign(item.payload, data.WEBHOOK_SECRET, signed_at)
    result, lock, counter = RunResult(), threading.Lock(), itertools.count()

    def post(connection, item, signature):
        """One POST on the thread's connection; (status, body)."""
        headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
        connection.request("POST", target.path, body=item.payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()[:300].decode("utf-8", "replace")

    def worker() -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        while True:
            with lock:
                index = next(counter)
            if index >= len(items):
                connection.close()
                return
            item = items[index]
            signature = item.signature
            if time.time() - signed_at > RESIGN_AFTER:  # a slow run: keep the signature fresh
                signature = sign(item.payload, data.WEBHOOK_SECRET)
                with lock:
                    result.resigned += 1
            try:
                try:
                    status, body = post(connection, item, signature)
                except (http.client.HTTPException, ConnectionError):
                    connection.close()  # the server closed the kept-alive connection: reconnect
                    status, body = post(connection, item, signature)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                status, body = None, f"{type(exc).__name__}: {exc}"[:300]
            finished = time.perf_counter() - start
            with lock:
                if status == 200:
                    result.done.append(finished)
                else:
                    result.failures.append((status, item.type, item.event_id, body))

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, name=f"client-{n}") for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    result.seconds = time.perf_counter() - start
    return result


def slices(done: list[float], seconds: float) -> list[float]:
    """Answers per second in each full 5-second slice (the last, partial slice is left out
    unless it is the only one)."""
    count = max(int(seconds // SLICE_SECONDS), 1)
    buckets = [0] * (count + 1)
    for moment in done:
        buckets[min(int(moment // SLICE_SECONDS), count)] += 1
    if seconds < SLICE_SECONDS:
        return [len(done) / seconds] if seconds else []
    return [n / SLICE_SECONDS for n in buckets[:count]]


def pg_stats(url: str) -> dict:
    """The database's counters: transactions, rollbacks, deadlocks, sessions, busy time."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT xact_commit, xact_rollback, deadlocks, sessions, active_time "
                    "FROM pg_stat_database WHERE datname = current_database()"
                )
            ).one()
        return dict(row._mapping)
    finally:
        engine.dispose()


# The count check -------------------------------------------------------------------------------


def _one_live_booking(conn, work, info, ids, problems: list[str]) -> None:
    """Every payment: its intent, status, exactly one live booking of the expected amount and
    payer."""
    payments = {
        row.id: row
        for row in conn.execute(
            sa.text(
                "SELECT p.id, p.status, p.payment_intent_id, p.booking_id, b.amount_cents, "
                "b.person_id, b.account_id, per.email AS payer_email, "
                "(SELECT count(*) FROM booking r WHERE r.reversal_of_id = b.id) AS reversed "
                "FROM online_payment p LEFT JOIN booking b ON b.id = p.booking_id "
                "LEFT JOIN person per ON per.id = b.person_id"
            )
        )
    }
    live = dict(
        conn.execute(
            sa.text(
                "SELECT split_part(b.external_ref, '/', 1), count(*) FROM booking b "
                "WHERE b.channel = 'stripe' AND b.external_ref LIKE 'pi_%' "
                "AND b.reversal_of_id IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM booking r WHERE r.reversal_of_id = b.id) GROUP BY 1"
            )
        ).all()
    )
    emails = {p.id: p.email for p in work.persons}
    for spec in work.payments:
        row, intent = payments[spec.id], info["ids"][spec.id][1]
        payer = emails.get(spec.person_id) if spec.person_id else spec.email
        if spec.donor_kind == "anonymous":
            payer = None
        checks = (
            ("intent", row.payment_intent_id, intent),
            ("status", row.status, spec.status),
            ("live bookings", live.get(intent, 0), 1),
            ("booking amount", row.amount_cents, spec.net),
            ("booking reversed", row.reversed, 0),
            ("account", row.account_id, ids["accounts"]["stripe"]),
            ("payer", row.payer_email, payer),
        )
        for what, got, want in checks:
            if got != want:
                problems.append(f"payment {spec.id} ({spec.purpose}): {what} {got!r}, not {want!r}")


def _balances(conn, expected: data.Expected, ids, problems: list[str]) -> None:
    """Account balances, fund balances and what each claim got."""
    accounts = dict(
        conn.execute(
            sa.text(
                "SELECT a.code, coalesce(sum(b.amount_cents), 0) FROM account a "
                "LEFT JOIN booking b ON b.account_id = a.id GROUP BY a.code"
            )
        ).all()
    )
    funds = dict(
        conn.execute(
            sa.text("SELECT fund_id, sum(amount_cents) FROM booking_line GROUP BY fund_id")
        ).all()
    )
    want = {("account", "stripe"): expected.stripe_cents, ("account", "bank"): expected.bank_cents}
    got = {("account", "stripe"): accounts.get("stripe"), ("account", "bank"): accounts.get("bank")}
    want[("fund", "general")] = expected.general_cents
    got[("fund", "general")] = funds.get(ids["general"], 0)
    for number, cents in expected.projects_cents.items():
        want[("fund", f"project {number + 1}")] = cents
        got[("fund", f"project {number + 1}")] = funds.get(ids["funds"][number], 0)
    for key, cents in want.items():
        if got[key] != cents:
            problems.append(f"{key[0]} {key[1]}: balance {got[key]}, not {cents}")
    claims = dict(
        conn.execute(
            sa.text(
                "SELECT dues_claim_id, sum(amount_cents) FROM booking_line "
                "WHERE dues_claim_id IS NOT NULL GROUP BY dues_claim_id"
            )
        ).all()
    )
    wrong = [(cid, claims.get(cid, 0), c) for cid, c in expected.claims_cents.items()]
    wrong = [w for w in wrong if w[1] != w[2]]
    problems.extend(f"claim {cid}: paid {got_}, not {want_}" for cid, got_, want_ in wrong)


def _events_and_payouts(conn, work, expected, info, problems: list[str]) -> dict:
    """Stored events (once each, none failed), payouts and their transfers, attention items."""
    outcomes = dict(
        conn.execute(sa.text("SELECT outcome, count(*) FROM webhook_event GROUP BY 1")).all()
    )
    distinct = len({e["id"] for e in info["events"]})
    if sum(outcomes.values()) != distinct:
        problems.append(f"{sum(outcomes.values())} events stored, not {distinct}")
    if outcomes.get("failed") or outcomes.get("processing"):
        problems.append(f"events not processed: {outcomes}")
    payouts = conn.execute(
        sa.text(
            "SELECT p.amount_cents, p.status, o.amount_cents AS out_cents, "
            "i.amount_cents AS in_cents FROM stripe_payout p "
            "LEFT JOIN booking o ON o.id = p.out_booking_id "
            "LEFT JOIN booking i ON i.id = p.in_booking_id ORDER BY p.amount_cents, p.status"
        )
    ).all()
    got = sorted((p.amount_cents, p.status, p.out_cents, p.in_cents) for p in payouts)
    want = sorted(
        (cents, status, -cents if status == "paid" else None, cents if status == "paid" else None)
        for cents, status in work.payouts
    )
    if got != want:
        problems.append(f"payouts {got}, not {want}")
    kinds = dict(
        conn.execute(sa.text("SELECT kind, count(*) FROM payment_attention GROUP BY 1")).all()
    )
    if kinds.get("amount_mismatch", 0) != expected.mismatches:
        problems.append(f"{kinds.get('amount_mismatch', 0)} amount mismatches flagged, "
                        f"not {expected.mismatches}")  # fmt: skip
    if kinds.get("disputed", 0) != expected.disputes:
        problems.append(f"{kinds.get('disputed', 0)} disputes flagged, not {expected.disputes}")
    others = {k: n for k, n in kinds.items() if k not in {"amount_mismatch", "disputed"}}
    if others:
        problems.append(f"unexpected attention items: {others}")
    created = conn.execute(
        sa.text("SELECT count(*) FROM person WHERE email LIKE 'spender%@example.net'")
    ).scalar_one()
    if created != expected.new_persons:
        problems.append(f"{created} new donors created, not {expected.new_persons}")
    return outcomes


def count_check(url: str, work, info, ids) -> tuple[list[str], dict]:
    """Compare the books with the spec; (differences, event outcomes)."""
    expected = data.expected(work)
    problems: list[str] = []
    if info["balance"] != expected.stripe_cents:
        problems.append(f"the fake's balance {info['balance']}, spec {expected.stripe_cents}")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            _one_live_booking(conn, work, info, ids, problems)
            _balances(conn, expected, ids, problems)
            outcomes = _events_and_payouts(conn, work, expected, info, problems)
    finally:
        engine.dispose()
    return problems, outcomes


# Instrumented app (inside the gunicorn workers, with --instrument or --profile) ----------------


def instrumented_app():
    """The app with timing logs per webhook: thread CPU, SQL statements and time, Stripe requests
    and time, commit time per event type, and the time of each SQL statement; written to
    $BENCH_STATS_DIR/stats-<pid>.json (and a cProfile of thread CPU with BENCH_PROFILE=1)."""
    import atexit
    import io

    from gunicorn.util import import_app
    from sqlalchemy.orm import Session
    from stripe import _http_client

    app = import_app(os.environ.get("BENCH_APP") or "supportclub:create_app()")
    out_dir, profiling = Path(os.environ["BENCH_STATS_DIR"]), bool(os.environ.get("BENCH_PROFILE"))
    probe = _Probe(profiling)
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", probe.before_sql)
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", probe.after_sql)
    _wrap(_http_client.HTTPClient, "request_with_retries", probe.add, 2)
    _wrap(Session, "commit", probe.add, 4)
    inner = app.wsgi_app

    def wsgi(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            kind = json.loads(body).get("type", "?")
        except ValueError:
            kind = "?"
        with probe.request(kind):
            return inner(environ, start_response)

    app.wsgi_app = wsgi
    atexit.register(probe.dump, out_dir)
    return app


class _Probe:
    """Per-thread accumulators of one request, summed per event type and per statement."""

    def __init__(self, profiling: bool):
        """Empty sums; `profiling` adds a cProfile (thread CPU time) per thread."""
        self.local, self.lock, self.profiling = threading.local(), threading.Lock(), profiling
        self.types: dict[str, list] = {}
        self.statements: dict[str, list] = {}
        self.profiles: list = []

    def add(self, slot: int, started: float) -> None:
        """Count one call and its time into the running request's slot."""
        acc = getattr(self.local, "acc", None)
        if acc is not None:
            acc[slot] += 1
            acc[slot + 1] += time.perf_counter() - started

    def before_sql(self, conn, cursor, statement, parameters, context, executemany) -> None:
        """Remember when the statement started."""
        self.local.sql_started = time.perf_counter()

    def after_sql(self, conn, cursor, statement, parameters, context, executemany) -> None:
        """Count the statement for the request and under its text."""
        started = self.local.sql_started
        self.add(0, started)
        key = " ".join(statement.split())[:150]
        with self.lock:
            row = self.statements.setdefault(key, [0, 0.0])
            row[0] += 1
            row[1] += time.perf_counter() - started

    @contextlib.contextmanager
    def request(self, kind: str):
        """Measure one request (wall, thread CPU, the slots) and add it to its event type."""
        import cProfile

        self.local.acc = [0, 0.0, 0, 0.0, 0, 0.0]
        profile = getattr(self.local, "profile", None)
        if self.profiling and profile is None:
            profile = self.local.profile = cProfile.Profile(time.thread_time)
            with self.lock:
                self.profiles.append(profile)
        wall, cpu = time.perf_counter(), time.thread_time()
        if profile:
            profile.enable()
        try:
            yield
        finally:
            if profile:
                profile.disable()
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            acc, self.local.acc = self.local.acc, None
            with self.lock:
                row = self.types.setdefault(kind, [0] * 9)
                for index, value in enumerate([1, wall, cpu, *acc]):
                    row[index] += value

    def dump(self, out_dir: Path) -> None:
        """Write the sums (and the profile) of this worker."""
        with self.lock:
            text = json.dumps({"types": self.types, "statements": self.statements})
        (out_dir / f"stats-{os.getpid()}.json").write_text(text)
        if self.profiles:
            import pstats

            pstats.Stats(*self.profiles).dump_stats(out_dir / f"profile-{os.getpid()}.out")


def _wrap(owner, name: str, add, slot: int) -> None:
    """Time every call of owner.name into the request's slot."""
    original = getattr(owner, name)

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            add(slot, started)

    setattr(owner, name, timed)


def _summed(workdir: Path, part: str) -> dict[str, list]:
    """One part of the workers' stats files, summed over the workers."""
    totals: dict[str, list] = {}
    for path in workdir.glob("stats-*.json"):
        for key, row in json.loads(path.read_text())[part].items():
            into = totals.setdefault(key, [0] * len(row))
            for index, value in enumerate(row):
                into[index] += value
    return totals


def instrument_report(workdir: Path) -> None:
    """Per event type: wall, thread CPU, SQL, Stripe and commit time; the costliest statements;
    the profile."""
    totals = _summed(workdir, "types")
    if not totals:
        print("    (no instrumentation stats were written)")
        return
    print(
        f"    {'per event, mean':<40}{'n':>6}{'wall ms':>9}{'CPU ms':>8}{'SQL n':>7}{'SQL ms':>8}"
        f"{'Stripe n':>9}{'Stripe ms':>10}{'commit ms':>10}"
    )
    rows = sorted(totals.items(), key=lambda item: -item[1][0])
    overall = [sum(row[i] for _, row in rows) for i in range(9)]
    for kind, row in [*rows, ("all", overall)]:
        n = row[0] or 1
        print(
            f"    {kind[:39]:<40}{row[0]:>6}{row[1] / n * 1e3:>9.1f}{row[2] / n * 1e3:>8.1f}"
            f"{row[3] / n:>7.1f}{row[4] / n * 1e3:>8.1f}{row[5] / n:>9.2f}"
            f"{row[6] / n * 1e3:>10.1f}{row[8] / n * 1e3:>10.1f}"
        )
    statements = sorted(_summed(workdir, "statements").items(), key=lambda item: -item[1][1])
    print("    SQL statements by total time (count, mean ms, total s):")
    for text, (count, seconds) in statements[:15]:
        print(f"    {count:>7} {seconds / count * 1e3:>7.2f} {seconds:>7.2f}  {text[:110]}")
    profiles = [str(p) for p in workdir.glob("profile-*.out")]
    if profiles:
        import pstats

        print("    cProfile of the requests' thread CPU time, both workers (top 35 by own time):")
        stats = pstats.Stats(*profiles, stream=sys.stdout)
        stats.strip_dirs().sort_stats("tottime").print_stats(35)
        stats.sort_stats("cumulative").print_stats(35)


# Report ----------------------------------------------------------------------------------------


def report(args, items, duplicates, result: RunResult, extra: dict) -> None:
    """The figures of the run."""
    distinct = len(items) - duplicates
    rate = len(result.done) / result.seconds if result.seconds else 0.0
    per_slice = slices(result.done, result.seconds)
    bare, fake = extra["bare"], extra["fake"]
    print(
        f"== webhook benchmark: {args.payments:,} payments, gunicorn -w {args.workers} -k gthread "
        f"--threads {args.gthreads}, {args.threads} client threads, PostgreSQL =="
    )
    print(
        f"events: {len(items):,} sent = {distinct:,} distinct + {duplicates:,} duplicates "
        f"({args.duplicates:.0%}), shuffled (seed {args.seed})"
    )
    verdict = "ok" if rate >= TARGET_RATE and not result.failures else "MISSED"
    print(
        f"time {result.seconds:.2f} s: {rate:.1f} events/s sustained (200 answers / wall time); "
        f"target {TARGET_RATE:.0f}/s: ratio {rate / TARGET_RATE:.2f} {verdict}"
    )
    shown = ", ".join(f"{r:.0f}" for r in per_slice[:40]) + (" …" if len(per_slice) > 40 else "")
    print(f"per {SLICE_SECONDS:.0f}-s slice: {shown} (min {min(per_slice, default=0):.1f}/s)")
    _print_failures(result)
    print(
        f"bare reads of a payment's state from the fake, per second: gateway.state_of_session "
        f"{bare['gateway sequential']:.0f} sequential, {bare['gateway parallel']:.0f} with "
        f"{bare['threads']} threads; raw HTTP {bare['raw sequential']:.0f} sequential, "
        f"{bare['raw parallel']:.0f} with {bare['threads']} threads"
    )
    print(
        f"app events/s ÷ bare parallel reads/s: {rate / bare['gateway parallel']:.2f} "
        f"(gateway), {rate / bare['raw parallel']:.2f} (raw HTTP)"
    )
    print(
        f"during the run the app sent {fake['requests']:,} Stripe requests "
        f"({fake['requests'] / max(len(items), 1):.2f} per event sent, "
        f"{fake['requests'] / max(distinct, 1):.2f} per distinct event), "
        f"{fake['seconds'] / max(fake['requests'], 1) * 1000:.2f} ms each inside the fake; "
        f"by kind {fake['by_kind']}"
    )
    _print_cpu(extra, result.seconds)


def _print_failures(result: RunResult) -> None:
    """Every non-200 answer, grouped, with the first few bodies."""
    if result.resigned:
        print(f"{result.resigned} payloads were signed again (the run passed {RESIGN_AFTER} s)")
    if not result.failures:
        print("answers: all 200")
        return
    groups: dict = {}
    for status, kind, _event_id, _body in result.failures:
        groups[(status, kind)] = groups.get((status, kind), 0) + 1
    print(f"answers: {len(result.failures)} NOT 200: {groups}")
    for status, kind, event_id, body in result.failures[:10]:
        print(f"    {status} {kind} {event_id}: {body}")


def _print_cpu(extra: dict, seconds: float) -> None:
    """Where the machine's CPU went during the run, and what PostgreSQL counted."""
    cpu, pg = extra["cpu"], extra["pg"]
    cores = os.cpu_count() or 1
    parts = ", ".join(f"{name} {value:.1f} s" for name, value in cpu.items())
    print(
        f"CPU during the run ({cores} cores = {cores * seconds:.1f} core-s): {parts}; "
        f"load average before {extra['load'][0]:.2f}, after {extra['load'][1]:.2f}"
    )
    print(
        f"PostgreSQL: {pg['xact_commit']:,} commits, {pg['xact_rollback']:,} rollbacks, "
        f"{pg['deadlocks']} deadlocks, {pg['sessions']} new sessions, statements busy "
        f"{pg['active_time'] / 1000:.1f} s (summed over connections)"
    )


# Main ------------------------------------------------------------------------------------------


def run(args) -> None:
    """Set everything up, run the load, check the books, report."""
    now = int(time.time())
    work = data.build(args.payments, args.seed, now)
    started = time.perf_counter()
    fake, info = start_fake(args, now)
    print(
        f"fake seeded in {time.perf_counter() - started:.1f} s: {len(info['events']):,} events "
        f"for {args.payments:,} payments and {len(work.payouts)} payouts ({info['base_url']})"
    )
    workdir = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    gunicorn = None
    try:
        with fresh_database(
            "postgresql", server_url=args.pg_url, keep=args.keep, prefix="sc_bench_"
        ) as url:
            started = time.perf_counter()
            ids = prepare_database(url, work, info)
            print(f"database seeded in {time.perf_counter() - started:.1f} s")
            sessions = [info["ids"][spec.id][0] for spec in work.payments]
            bare = bare_fetch_rate(
                url, info["base_url"], sessions, args.bare, args.workers * args.gthreads
            )
            gunicorn, webhook, log_path = start_gunicorn(args, url, info["base_url"], workdir)
            items, duplicates = deliveries(info["events"], args.duplicates, args.seed)
            extra = {"bare": bare, "load": [os.getloadavg()[0]]}
            result = measure(args, url, gunicorn, fake, webhook, items, extra)
            extra["fake"] = requests.get(f"{info['base_url']}/_bench/stats", timeout=10).json()
            stop(gunicorn)
            report(args, items, duplicates, result, extra)
            problems, outcomes = count_check(url, work, info, ids)
            _print_check(problems, outcomes, log_path)
            if args.instrument or args.profile:
                instrument_report(workdir)
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        fake.terminate()
        fake.join(10)
        if args.keep:
            print(f"kept: gunicorn log and worker stats in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def measure(args, url, gunicorn, fake, webhook, items, extra) -> RunResult:
    """The timed run, with the CPU time of each process and PostgreSQL's counters around it."""
    workers = children(gunicorn.pid)
    pids = {"app workers": workers, "Stripe fake": [fake.pid], "load generator": [os.getpid()]}
    before = {name: sum(cpu_seconds(p) for p in group) for name, group in pids.items()}
    pg_before = pg_stats(url)
    result = send_all(webhook, items, args.threads)
    extra["load"].append(os.getloadavg()[0])
    extra["cpu"] = {
        name: sum(cpu_seconds(p) for p in group) - before[name] for name, group in pids.items()
    }
    pg_after = pg_stats(url)
    extra["pg"] = {key: pg_after[key] - pg_before[key] for key in pg_after}
    return result


def _print_check(problems: list[str], outcomes: dict, log_path: Path) -> None:
    """The count check's verdict, and the app's logged failures."""
    print(f"stored events by outcome: {outcomes}")
    if not problems:
        print("count check: OK")
    else:
        print(f"count check: {len(problems)} DIFFERENCES")
        for line in problems[:40]:
            print(f"    {line}")
        if len(problems) > 40:
            print(f"    … and {len(problems) - 40} more")
    log = log_path.read_text(errors="replace")
    failed = log.count("webhook evt_")
    if failed:
        print(f"gunicorn log: {failed} webhook failures logged; the first one:")
        first = log.index("webhook evt_")
        print("    " + log[first : first + 2500].replace("\n", "\n    "))


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=3000, help="payments (and members)")
    parser.add_argument("--threads", type=int, default=32, help="client threads posting events")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--gthreads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--duplicates", type=float, default=0.10, help="share sent twice")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--bare", type=int, default=500, help="sequential bare fetches")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)
    parser.add_argument(
        "--app",
        default="supportclub:create_app()",
        help="the app gunicorn serves (a variant with a proposed change, for comparison)",
    )
    parser.add_argument(
        "--pythonpath", action="append", default=[], help="a folder gunicorn adds to sys.path"
    )
    parser.add_argument(
        "--instrument", action="store_true", help="timing logs per event type in the workers"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the workers' requests")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the benchmark; a failure is printed, the exit code stays 0."""
    args = parse_args(argv)
    started = time.perf_counter()
    try:
        run(args)
    except Exception as exc:  # noqa: BLE001  (a measurement: report and end normally)
        import traceback

        traceback.print_exc()
        print(f"benchmark aborted: {type(exc).__name__}: {exc}")
    print(f"total wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
