"""Ledger benchmark: a 15-year book with 1,000,000 booking lines, pages against their bare SQL.

    .venv/bin/python benchmarks/ledger_bench.py [--backend sqlite|postgresql|both]
        [--lines 1000000] [--persons 20000] [--runs 7] [--pg-url postgresql+psycopg://...]

For each backend: a fresh database, the Alembic migrations, a treasurer and earmarked funds made
through the services, then persons, bookings and lines bulk-loaded (COPY / executemany). Each page
is requested through the Flask test client as the treasurer; its SQL statements are captured once
and replayed on a raw DBAPI connection. Printed: medians of --runs runs and their ratio.
It is a measurement, not a test: it always exits 0 unless something breaks.
"""

import argparse
import gc
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from ledger_data import (
    CHECK_SQL,
    BookIds,
    date_span,
    generate_book,
    load_postgresql,
    load_sqlite,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.py sits at the top level, next to supportclub/

from tests.dbutil import fresh_database  # noqa: E402  (needs ROOT on sys.path)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EMAIL = "kasse@bench.example.org"
PASSWORD = "benchmark-password"
EARMARKED_FUNDS = (
    ("schulgarten", "Schulgarten"),
    ("klassenfahrten", "Klassenfahrten"),
    ("bibliothek", "Schulbibliothek"),
    ("notfall", "Notfallhilfe für Familien"),
)
WARMUP = 2


@dataclass(frozen=True)
class Page:
    """A page to measure; target is the largest acceptable app/bare ratio (None: info only)."""

    name: str
    url: str
    target: float | None


def pages(year: int, extra: bool) -> list[Page]:
    """The pages of the issue, plus more for diagnosis with --extra."""
    result = [
        Page(f"bookings list {year}", f"/buchungen?year={year}", 3.0),
        Page("balances", "/salden", 1.5),
    ]
    if extra:
        result += [
            Page("bookings, all years", "/buchungen", None),
            Page("bookings, donations", "/buchungen?category_id={donation}", None),
            Page(f"year overview {year}", f"/jahresuebersicht?jahr={year}", None),
            Page("start page", "/", None),
        ]
    return result


@dataclass
class Result:
    """The medians of one page on one backend."""

    backend: str
    page: Page
    statements: int
    app_ms: float
    bare_ms: float
    data_bare_ms: float

    @property
    def ratio(self) -> float:
        """Server time against the bare SQL of the page."""
        return self.app_ms / self.bare_ms


@dataclass
class BackendRun:
    """Everything measured on one backend."""

    backend: str
    load_s: dict[str, float] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)


# Databases ---------------------------------------------------------------------------------------


def make_app(url: str):
    """The app in testing mode (fast password hashing) on `url`, CSRF off."""
    from config import TestingConfig
    from supportclub import create_app

    overrides = {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False}
    return create_app(type("BenchConfig", (TestingConfig,), overrides))


def prepare(app) -> BookIds:
    """Migrate, create the treasurer and the earmarked funds; return the ids the book needs."""
    from flask_migrate import upgrade

    from supportclub.auth.services import create_user
    from supportclub.extensions import db
    from supportclub.ledger.models import Account, Category
    from supportclub.ledger.services import create_fund, general_fund

    with app.app_context():
        upgrade()
        user = create_user(email=EMAIL, password=PASSWORD, role="treasurer", actor=None)
        funds = [
            create_fund(code=code, name=name, earmarked=True, actor=user)
            for code, name in EARMARKED_FUNDS
        ]
        db.session.commit()
        return BookIds(
            accounts=dict(db.session.execute(sa.select(Account.code, Account.id)).all()),
            categories=dict(db.session.execute(sa.select(Category.code, Category.id)).all()),
            general_fund=general_fund().id,
            earmarked_funds=tuple(f.id for f in funds),
            user_id=user.id,
        )


def load(backend: str, url: str, ids: BookIds, args) -> dict[str, float]:
    """Generate the book and bulk-load it; print and return the timings in seconds."""
    start = time.perf_counter()
    suffix = "" if backend == "sqlite" else "+00"  # created_at: naive UTC on SQLite
    book = generate_book(ids, persons=args.persons, lines=args.lines, created_suffix=suffix)
    timings = {"generate": time.perf_counter() - start}
    if backend == "sqlite":
        timings.update(load_sqlite(sa.make_url(url).database, book))
    else:
        conninfo = sa.make_url(url).set(drivername="postgresql")
        timings.update(load_postgresql(conninfo.render_as_string(hide_password=False), book))
    timings["total"] = sum(timings.values())
    first, last = date_span(book)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        persons, bookings, lines, reversals, unbalanced = conn.execute(sa.text(CHECK_SQL)).one()
    engine.dispose()
    print(
        f"[{backend}] loaded {persons:,} persons, {bookings:,} bookings ({reversals:,} reversals), "
        f"{lines:,} lines, {first} to {last}; unbalanced bookings: {unbalanced}"
    )
    print(
        f"[{backend}] load time {timings['total']:.1f} s (generate {timings['generate']:.1f} s, "
        f"insert {timings['insert']:.1f} s, analyze {timings['analyze']:.1f} s)"
    )
    return timings


# Measuring ---------------------------------------------------------------------------------------


def kind_of(statement: str) -> str:
    """What a statement is for: transaction, session (login), select boxes, or page data."""
    flat = " ".join(statement.split())
    if flat.upper() in {"BEGIN", "COMMIT", "ROLLBACK"}:
        return "transaction"
    if 'FROM "user"' in flat or "FROM user " in flat:
        return "session"
    for table in ("account", "category", "fund"):
        if (
            flat.startswith(f"SELECT {table}.id")
            and f"FROM {table} WHERE {table}.is_active" in flat
        ):
            return "select box"
    return "data"


def capture(engine, client, url: str) -> list[tuple[str, object]]:
    """The statements (with parameters) that one request of `url` sends."""
    captured = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)
    assert response.status_code == 200, (url, response.status_code)
    return captured


def replay(dbapi_conn, statements) -> tuple[float, list[float]]:
    """Run the statements on a raw DBAPI connection, fetch every row, roll back (as the pool)."""
    per_statement = []
    start = time.perf_counter()
    cursor = dbapi_conn.cursor()
    for statement, parameters in statements:
        t = time.perf_counter()
        cursor.execute(statement, parameters)
        if cursor.description is not None:
            cursor.fetchall()
        per_statement.append(time.perf_counter() - t)
    cursor.close()
    dbapi_conn.rollback()
    return time.perf_counter() - start, per_statement


def timed_get(client, url: str) -> float:
    """Wall time of one request through the test client."""
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def measure(backend: str, engine, client, page: Page, url: str, runs: int) -> Result:
    """Median app and bare-SQL times of one page, interleaved run by run."""
    for _ in range(WARMUP):
        timed_get(client, url)
    statements = capture(engine, client, url)
    raw = engine.raw_connection()
    try:
        dbapi_conn = raw.driver_connection
        replay(dbapi_conn, statements)  # warm-up, as for the app
        app_times, bare_times, per_statement = [], [], []
        for run in range(runs):
            gc.collect()
            if run % 2:  # alternate the order so neither side always goes first
                bare, per = replay(dbapi_conn, statements)
                app = timed_get(client, url)
            else:
                app = timed_get(client, url)
                bare, per = replay(dbapi_conn, statements)
            app_times.append(app)
            bare_times.append(bare)
            per_statement.append(per)
    finally:
        raw.close()
    medians = [statistics.median(col) * 1000 for col in zip(*per_statement, strict=True)]
    kinds = [kind_of(s) for s, _p in statements]
    result = Result(
        backend=backend,
        page=page,
        statements=sum(k != "transaction" for k in kinds),
        app_ms=statistics.median(app_times) * 1000,
        bare_ms=statistics.median(bare_times) * 1000,
        data_bare_ms=sum(m for m, k in zip(medians, kinds, strict=True) if k == "data"),
    )
    report(result, statements, kinds, medians)
    return result


def report(result: Result, statements, kinds, medians) -> None:
    """Print one page's figures and the statements that make up its bare SQL."""
    page = result.page
    target = f" (target <= {page.target})" if page.target else " (no target, for information)"
    verdict = "" if page.target is None else (" ok" if result.ratio <= page.target else " MISSED")
    print(
        f"[{result.backend}] {page.name}: app {result.app_ms:.2f} ms, bare SQL "
        f"{result.bare_ms:.2f} ms, ratio {result.ratio:.2f}{target}{verdict}"
    )
    tally = {k: kinds.count(k) for k in ("session", "select box", "data") if k in kinds}
    parts = ", ".join(f"{n} {k}" for k, n in tally.items())
    print(f"    {result.statements} SQL statements per request ({parts}; BEGIN not counted)")
    print(
        f"    bare SQL of the page-data statements alone: {result.data_bare_ms:.2f} ms "
        f"(app/data ratio {result.app_ms / result.data_bare_ms:.2f})"
    )
    for (statement, _params), kind, ms in zip(statements, kinds, medians, strict=True):
        print(f"      {ms:8.2f} ms  {kind:<11} {' '.join(statement.split())[:90]}")


def run_backend(backend: str, args) -> BackendRun:
    """Create, load and measure one backend."""
    from supportclub.extensions import db

    run = BackendRun(backend)
    with fresh_database(backend, server_url=args.pg_url, keep=args.keep, prefix="sc_bench_") as url:
        app = make_app(url)
        ids = prepare(app)
        run.load_s = load(backend, url, ids, args)
        with app.app_context():
            db.engine.dispose()  # new connections see the fresh statistics
            engine = db.engine
        client = app.test_client()
        response = client.post("/anmelden", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        for page in pages(args.year, args.extra):
            url_ = page.url.format(donation=ids.categories["donation"])
            run.results.append(measure(backend, engine, client, page, url_, args.runs))
        with app.app_context():
            db.engine.dispose()
    return run


def summary(runs: list[BackendRun], args) -> None:
    """The compact table of all backends."""
    print()
    print(f"== summary: median of {args.runs} runs; ratio = app time / bare SQL time ==")
    print(
        f"{'backend':<11}{'page':<24}{'stmts':>6}{'app ms':>10}{'bare ms':>10}{'ratio':>7}  target"
    )
    for run in runs:
        for r in run.results:
            target = "-"
            if r.page.target is not None:
                target = f"<= {r.page.target} {'ok' if r.ratio <= r.page.target else 'MISSED'}"
            print(
                f"{r.backend:<11}{r.page.name:<24}{r.statements:>6}{r.app_ms:>10.2f}"
                f"{r.bare_ms:>10.2f}{r.ratio:>7.2f}  {target}"
            )
    for run in runs:
        t = run.load_s
        print(
            f"load {run.backend:<11}{t['total']:6.1f} s  (generate {t['generate']:.1f} s, "
            f"insert {t['insert']:.1f} s, analyze {t['analyze']:.1f} s)"
        )


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--lines", type=int, default=1_000_000, help="booking lines in all")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7, help="measured runs per page")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)
    parser.add_argument("--year", type=int, default=2020, help="the year the list is filtered to")
    parser.add_argument("--extra", action="store_true", help="also measure more pages")
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
