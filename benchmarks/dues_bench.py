"""Dues benchmark: the yearly dues run for 20,000 memberships against a bare bulk insert.

    .venv/bin/python benchmarks/dues_bench.py [--backend sqlite|postgresql|both]
        [--members 20000] [--runs 5] [--year 2026] [--pg-url postgresql+psycopg://...]
        [--profile] [--keep]

For each backend: a fresh database, the Alembic migrations, four membership types with their fee
rates made through the services, then persons and memberships bulk-inserted (not timed). Timed,
each commit included: `run_dues(year, actor=None)` (the service behind the dues-run page and
`flask dues run`) against a bare Core executemany of the same claim rows into the emptied
table. The claims are deleted between runs. Printed: medians of --runs runs and their ratio.
It is a measurement, not a test: it always exits 0 unless something breaks.
"""

import argparse
import cProfile
import gc
import io
import os
import pstats
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from ledger_data import CITIES, FIRST_NAMES, LAST_NAMES, ORGANISATIONS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.py sits at the top level, next to supportclub/

from tests.dbutil import fresh_database  # noqa: E402  (needs ROOT on sys.path)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 5.0
TARGET_RATIO = 3.0
# code, name, share of the members, fee rates (valid from, cents per year)
TYPES = (
    ("regular", "Regulär", 55, ((date(2009, 1, 1), 3600), (date(2025, 1, 1), 4800))),
    ("reduced", "Ermäßigt", 15, ((date(2009, 1, 1), 1800),)),
    ("family", "Familie", 25, ((date(2009, 1, 1), 6000), (date(2020, 1, 1), 7200))),
    ("corporate", "Firma", 5, ((date(2009, 1, 1), 25000),)),
)
CLAIM_COLUMNS = (
    "membership_id",
    "year",
    "amount_cents",
    "months",
    "due_date",
    "fee_rate_id",
    "run_id",
    "created_at",
)


@dataclass
class BackendRun:
    """Everything measured on one backend (times in seconds)."""

    backend: str
    load_s: float = 0.0
    plan_s: float = 0.0
    statements: int = 0
    app_s: list[float] = field(default_factory=list)
    bare_s: list[float] = field(default_factory=list)

    @property
    def app(self) -> float:
        """Median time of the dues run, commit included."""
        return statistics.median(self.app_s)

    @property
    def bare(self) -> float:
        """Median time of the bare bulk insert, commit included."""
        return statistics.median(self.bare_s)

    @property
    def ratio(self) -> float:
        """The dues run against the bare insert of the same rows."""
        return self.app / self.bare

    @property
    def verdict(self) -> str:
        """ok, or which target was missed."""
        missed = []
        if self.app > TARGET_SECONDS:
            missed.append(f"time > {TARGET_SECONDS:g} s")
        if self.ratio > TARGET_RATIO:
            missed.append(f"ratio > {TARGET_RATIO:g}")
        return "ok" if not missed else "MISSED (" + ", ".join(missed) + ")"


# Setting up (not timed) --------------------------------------------------------------------------


def make_app(url: str):
    """The app in testing mode on `url`."""
    from config import TestingConfig
    from supportclub import create_app

    return create_app(type("BenchConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def create_types() -> list[int]:
    """The membership types with their fee rates, through the services; their ids by share."""
    from supportclub.members.services import add_fee_rate, create_membership_type

    weighted = []
    for order, (code, name, share, rates) in enumerate(TYPES, start=1):
        mtype = create_membership_type(code=code, name=name, sort_order=order, actor=None)
        for valid_from, cents in rates:
            add_fee_rate(mtype, valid_from=valid_from, amount_cents=cents, actor=None)
        weighted.append((mtype.id, share))
    return weighted


def generate(count: int, types: list[tuple[int, int]], year: int, seed: int = 2026):
    """`count` persons (a twentieth organisations) with one running membership each."""
    rng = random.Random(seed)
    created = datetime(2010, 12, 1, 9, 0, tzinfo=UTC)
    first_day, last_day = date(2009, 1, 1).toordinal(), date(year - 1, 12, 31).toordinal()
    type_ids, shares = zip(*types, strict=True)
    persons, memberships = [], []
    for pid in range(1, count + 1):
        organisation = pid > count - max(count // 20, 1)
        postal_code, city = rng.choice(CITIES)
        persons.append(
            {
                "id": pid,
                "kind": "organisation" if organisation else "private",
                "first_name": "" if organisation else rng.choice(FIRST_NAMES),
                "last_name": ORGANISATIONS[pid % len(ORGANISATIONS)]
                if organisation
                else rng.choice(LAST_NAMES),
                "street": f"{rng.choice(LAST_NAMES)}straße {rng.randrange(1, 120)}",
                "postal_code": postal_code,
                "city": city,
                "country": "DE",
                "email": f"person{pid}@example.org" if pid % 3 else None,
                "phone": "",
                "member_number": 1000 + pid,
                "is_active": True,
                "created_at": created,
            }
        )
        memberships.append(
            {
                "id": pid,
                "person_id": pid,
                "membership_type_id": rng.choices(type_ids, shares)[0],
                "start_date": date.fromordinal(rng.randint(first_day, last_day)),
                "leave_reason": "",
                "created_at": created,
            }
        )
    return persons, memberships


def load(app, backend: str, args) -> tuple[float, int]:
    """Types through the services, then persons and memberships in bulk; (seconds, run id)."""
    from flask_migrate import upgrade

    from supportclub.dues.models import DuesRun
    from supportclub.extensions import db
    from supportclub.ledger.models import Person
    from supportclub.members.models import Membership

    start = time.perf_counter()
    with app.app_context():
        upgrade()
        types = create_types()
        # the run the bare insert's rows point to (the app's runs are deleted between runs)
        bare_run = DuesRun(year=args.year, claims_created=args.members, total_cents=0)
        db.session.add(bare_run)
        db.session.flush()
        run_id = bare_run.id
        db.session.commit()
        db.session.remove()  # holds no connection (SQLite: no read lock) during the bulk insert
        persons, memberships = generate(args.members, types, args.year)
        with db.engine.begin() as conn:
            conn.execute(sa.insert(Person.__table__), persons)
            conn.execute(sa.insert(Membership.__table__), memberships)
            if backend == "postgresql":
                for table in ("person", "membership"):
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
        analyze(db.engine, backend)
    return time.perf_counter() - start, run_id


def analyze(engine, backend: str) -> None:
    """Fresh planner statistics (PostgreSQL: VACUUM ANALYZE, as autovacuum would)."""
    if backend == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM (ANALYZE)"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def reset(engine, backend: str, keep_run_id: int) -> None:
    """Delete every claim and the app's dues runs, so the next run starts from empty."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM dues_claim"))
        conn.execute(sa.text("DELETE FROM dues_run WHERE id <> :id"), {"id": keep_run_id})
    if backend == "postgresql":  # no dead rows left behind for the next run to step over
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM (ANALYZE) dues_claim, dues_run"))


# Measuring ---------------------------------------------------------------------------------------


def app_run(app, year: int, expected: int, profile: cProfile.Profile | None = None) -> float:
    """Wall time of run_dues(year) with its commit; checks that it created every claim."""
    from supportclub.dues.services import run_dues
    from supportclub.extensions import db

    with app.app_context():
        gc.collect()
        if profile:
            profile.enable()
        start = time.perf_counter()
        plan = run_dues(year, actor=None)
        db.session.commit()
        elapsed = time.perf_counter() - start
        if profile:
            profile.disable()
        assert plan.count == expected and not plan.skipped, (plan.count, len(plan.skipped))
    return elapsed


def bare_insert(engine, rows: list[dict]) -> float:
    """Wall time of a Core executemany of the claim rows with its commit."""
    from supportclub.dues.models import DuesClaim

    gc.collect()
    start = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.insert(DuesClaim.__table__), rows)
    return time.perf_counter() - start


def claim_rows(engine, run_id: int) -> list[dict]:
    """The claims the dues run created, as the dicts the bare insert sends."""
    from supportclub.dues.models import DuesClaim

    table = DuesClaim.__table__
    with engine.connect() as conn:
        result = conn.execute(sa.select(*(table.c[name] for name in CLAIM_COLUMNS)))
        return [{**row._asdict(), "run_id": run_id} for row in result]


def preview(app, year: int) -> float:
    """Time of plan_dues_run alone: the read-only preview, the run's first step."""
    from supportclub.dues.services import plan_dues_run
    from supportclub.extensions import db

    with app.app_context():
        gc.collect()
        start = time.perf_counter()
        plan_dues_run(year)
        elapsed = time.perf_counter() - start
        db.session.rollback()
    return elapsed


def count_statements(app, year: int) -> int:
    """How many SQL statements one dues run sends (executemany counted once)."""
    from supportclub.dues.services import run_dues
    from supportclub.extensions import db

    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            run_dues(year, actor=None)
            db.session.rollback()
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
    return sum(1 for s in statements if s.strip().upper() not in {"BEGIN", "COMMIT", "ROLLBACK"})


def run_backend(backend: str, args) -> BackendRun:
    """Create, load and measure one backend."""
    from supportclub.extensions import db

    run = BackendRun(backend)
    with fresh_database(backend, server_url=args.pg_url, keep=args.keep, prefix="sc_bench_") as url:
        app = make_app(url)
        run.load_s, run_id = load(app, backend, args)
        print(f"[{backend}] loaded {args.members:,} persons and memberships in {run.load_s:.1f} s")
        with app.app_context():
            engine = db.engine
        run.plan_s = preview(app, args.year)
        run.statements = count_statements(app, args.year)
        # warm-up: one of each, not counted; the dues run's rows become the bare insert's rows
        app_run(app, args.year, args.members)
        rows = claim_rows(engine, run_id)
        reset(engine, backend, run_id)
        bare_insert(engine, rows)
        reset(engine, backend, run_id)
        profile = cProfile.Profile() if args.profile else None
        for number in range(args.runs):
            # alternate the order so neither side always goes first
            for side in ("app", "bare") if number % 2 == 0 else ("bare", "app"):
                if side == "app":
                    run.app_s.append(app_run(app, args.year, args.members, profile))
                else:
                    run.bare_s.append(bare_insert(engine, rows))
                reset(engine, backend, run_id)
        report(run, args)
        if profile:
            print_profile(profile)
        with app.app_context():
            db.engine.dispose()
    return run


def report(run: BackendRun, args) -> None:
    """One backend's figures."""
    print(
        f"[{run.backend}] dues run {args.year} ({args.members:,} claims): app {run.app:.2f} s, "
        f"bare insert {run.bare:.2f} s, ratio {run.ratio:.2f} "
        f"(targets <= {TARGET_SECONDS:g} s, ratio <= {TARGET_RATIO:g}) {run.verdict}"
    )
    print(
        f"    runs app {', '.join(f'{t:.2f}' for t in run.app_s)} s; "
        f"bare {', '.join(f'{t:.2f}' for t in run.bare_s)} s"
    )
    print(
        f"    preview alone (plan_dues_run, read-only): {run.plan_s:.2f} s; "
        f"{run.statements} SQL statements per dues run (executemany counted once)"
    )


def print_profile(profile: cProfile.Profile) -> None:
    """The functions that take the most time in the dues runs (cumulative)."""
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(25)
    print(out.getvalue())


def summary(runs: list[BackendRun], args) -> None:
    """The compact table of all backends."""
    print()
    print(f"== summary: median of {args.runs} runs, commit included ==")
    print(f"{'backend':<11}{'claims':>8}{'app s':>8}{'bare s':>8}{'ratio':>7}  verdict")
    for run in runs:
        print(
            f"{run.backend:<11}{args.members:>8,}{run.app:>8.2f}{run.bare:>8.2f}"
            f"{run.ratio:>7.2f}  {run.verdict}"
        )


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each side")
    parser.add_argument("--year", type=int, default=2026, help="the year the dues run is for")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)
    parser.add_argument("--profile", action="store_true", help="profile the measured dues runs")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the benchmark on the chosen backends and print the summary."""
    args = parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    runs = [run_backend(backend, args) for backend in backends]
    summary(runs, args)
    print(f"total wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
