"""Reports benchmark: the dashboard and the Kassenbericht on the 15-year book plus 5,000 projects.

    .venv/bin/python benchmarks/reports_bench.py [--backend sqlite|postgresql|both]
        [--lines 1000000] [--projects 5000] [--runs 7] [--year 2020] [--pg-url ...] [--keep]

For each backend: the ledger benchmark's book (ledger_data.py: 1,000,000 lines over 15 years),
its event takings and costs linked to two campaigns a year, plus 5,000 projects across their
lifecycle with grants, allocations and payouts, bulk-inserted. Measured, median of --runs:
(a) the dashboard service `reports.queries.dashboard()` for one year and since founding against
its bare SQL (the statements it sends, captured once and replayed on a raw DBAPI connection),
with the number of statements; (b) the Kassenbericht PDF of one year. It is a measurement, not a
test: it always exits 0 unless something breaks.
"""

import argparse
import gc
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import ledger_data
import sqlalchemy as sa
from dues_bench import analyze
from ledger_bench import load, make_app, prepare, replay

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.py sits at the top level, next to supportclub/

from tests.dbutil import fresh_database  # noqa: E402  (needs ROOT on sys.path)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CAMPAIGN_SERIES = ("Familienwandertag", "Weihnachtskarten")
CAMPAIGN_CATEGORIES = ("sales", "campaign_fees", "campaign_cost")
FIRST_YEAR, YEARS = 2011, 15
TARGET_RATIO, TARGET_PDF_S = 1.5, 3.0
# stored statuses of the projects, by share: applied, rejected, approved, proof received, closed
STATUSES = (
    ("applied", 10),
    ("rejected", 5),
    ("approved", 40),
    ("proof_received", 15),
    ("closed", 30),
)


# The book ----------------------------------------------------------------------------------------


def create_campaigns(app) -> dict[tuple[int, int], int]:
    """Two campaigns a year through the service; (year, 0|1) -> campaign id."""
    from supportclub.campaigns.services import create_campaign
    from supportclub.extensions import db

    with app.app_context():
        ids = {}
        for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
            for index, series in enumerate(CAMPAIGN_SERIES):
                made = create_campaign(
                    name=f"{series} {year}", series=series, year=year, actor=None
                )
                ids[(year, index)] = made.id
        db.session.commit()
        return ids


CAMPAIGNS: dict[tuple[int, int], int] = {}  # (year, 0|1) -> campaign id of the current database
CAMPAIGN_CATEGORY_IDS: set[int] = set()


def generate_with_campaigns(*args, _generate=ledger_data.generate_book, **kwargs):
    """ledger_data's book, each line with a campaign_id (event takings and costs get one)."""
    book = _generate(*args, **kwargs)
    years = {row[0]: int(row[1][:4]) for row in book.bookings}
    book.lines = [
        (
            *line,
            CAMPAIGNS[(years[line[1]], line[1] % 2)] if line[2] in CAMPAIGN_CATEGORY_IDS else None,
        )
        for line in book.lines
    ]
    return book


def link_campaign_lines() -> None:
    """Make the ledger benchmark's loader write campaign_id with every line (once)."""
    import ledger_bench

    if ledger_bench.generate_book is not generate_with_campaigns:
        ledger_bench.generate_book = generate_with_campaigns
        ledger_data.LINE_COLUMNS += ", campaign_id"


TABLES = ("fund", "project", "project_grant", "booking", "booking_line")


class ProjectBook:
    """The rows of the projects: funds, projects, grants, allocation and payout bookings."""

    def __init__(self, ids, persons: int, start_ids: dict[str, int], seed: int = 5000):
        """Start after the ids in use; applicants are the book's organisations."""
        self.ids, self.rng, self.next_id = ids, random.Random(seed), dict(start_ids)
        self.rows: dict[str, list[dict]] = {name: [] for name in TABLES}
        self.statuses = [s for s, weight in STATUSES for _ in range(weight)]
        self.organisations = range(persons - max(persons // 20, 1) + 1, persons + 1)

    def _id(self, table: str) -> int:
        """The next id of `table`."""
        self.next_id[table] += 1
        return self.next_id[table]

    def booking(self, day: date, account, amount: int, person, text: str, lines) -> None:
        """A booking with lines (category, fund, cents, project)."""
        bid = self._id("booking")
        channel = "bank" if account else "manual"
        self.rows["booking"].append(
            {"id": bid, "booking_date": day, "account_id": account, "amount_cents": amount,
             "person_id": person, "text": text, "channel": channel,
             "created_by_id": self.ids.user_id}
        )  # fmt: skip
        for category, fund, cents, project in lines:
            self.rows["booking_line"].append(
                {"id": self._id("booking_line"), "booking_id": bid, "category_id": category,
                 "fund_id": fund, "amount_cents": cents, "text": "", "project_id": project}
            )  # fmt: skip

    def project(self, number: int) -> None:
        """One project with its fund; approved ones get a grant, an allocation, payouts."""
        rng, pid, fid = self.rng, self._id("project"), self._id("fund")
        applied = date(FIRST_YEAR, 1, 1) + timedelta(days=rng.randrange(YEARS * 365 - 120))
        status, applicant = rng.choice(self.statuses), rng.choice(self.organisations)
        title = f"Projekt {number:04d}"
        self.rows["fund"].append(
            {"id": fid, "code": f"bench-{number:04d}", "name": f"Projekt: {title}",
             "is_earmarked": True, "is_active": True}
        )  # fmt: skip
        self.rows["project"].append(
            {"id": pid, "title": title, "applicant_id": applicant, "requested_cents": 500_000,
             "applied_on": applied, "status": status, "fund_id": fid, "is_public": True,
             "rejected_on": applied + timedelta(days=30) if status == "rejected" else None,
             "closed_on": applied + timedelta(days=300) if status == "closed" else None}
        )  # fmt: skip
        if status not in ("applied", "rejected"):
            self.grant(pid, fid, applicant, title, status, applied + timedelta(days=30))

    def grant(self, pid: int, fid: int, applicant: int, title: str, status: str, resolved: date):
        """The approval, the allocation of its amount, and one or two payouts."""
        ids, rng = self.ids, self.rng
        approved = rng.randrange(50_000, 500_000)
        self.rows["project_grant"].append(
            {"id": self._id("project_grant"), "project_id": pid, "resolution_date": resolved,
             "amount_cents": approved, "over_free_cents": 0}
        )  # fmt: skip
        allocation, general = ids.categories["allocation"], ids.general_fund
        lines = [(allocation, general, -approved, pid), (allocation, fid, approved, pid)]
        self.booking(resolved + timedelta(days=1), None, 0, None, f"Zuweisung {title}", lines)
        parts = 1 if status == "approved" and rng.random() < 0.5 else 2
        paid = approved if status != "approved" else approved * rng.randrange(0, 3) // 2
        for part in range(parts):
            cents = paid // parts if part else paid - paid // parts * (parts - 1)
            if cents:
                line = (ids.categories["grant_payout"], fid, -cents, pid)
                day = resolved + timedelta(days=20 + 40 * part)
                self.booking(day, ids.accounts["bank"], -cents, applicant, title, [line])


def project_rows(count: int, persons: int, ids, start_ids: dict[str, int]) -> dict:
    """Funds, projects, grants, and the allocation and payout bookings of `count` projects."""
    book = ProjectBook(ids, persons, start_ids)
    for number in range(1, count + 1):
        book.project(number)
    return book.rows


def load_projects(app, backend: str, ids, args) -> float:
    """Insert the projects and their bookings in one transaction; returns the seconds."""
    from supportclub.extensions import db

    with app.app_context():
        engine, tables = db.engine, db.metadata.tables
        with engine.connect() as conn:
            start_ids = {
                name: conn.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {name}")).scalar()
                for name in TABLES
            }
        rows = project_rows(args.projects, args.persons, ids, start_ids)
        start = time.perf_counter()
        with engine.begin() as conn:
            for name in TABLES:
                conn.execute(sa.insert(tables[name]), rows[name])
                if backend == "postgresql":
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )
        analyze(engine, backend)
        engine.dispose()
        seconds = time.perf_counter() - start
    grants = len(rows["project_grant"])
    print(
        f"[{backend}] loaded {args.projects:,} projects, {grants:,} grants, "
        f"{len(rows['booking']):,} allocation and payout bookings "
        f"({len(rows['booking_line']):,} lines) in {seconds:.1f} s"
    )
    return seconds


# Measuring ---------------------------------------------------------------------------------------


def timed(func) -> float:
    """Wall time of one call, from an empty session (as a new request starts)."""
    from supportclub.extensions import db

    db.session.remove()
    gc.collect()
    start = time.perf_counter()
    func()
    elapsed = time.perf_counter() - start
    db.session.remove()
    return elapsed


def captured(engine, func) -> list[tuple[str, object]]:
    """The statements (with parameters) one call of `func` sends."""
    from supportclub.extensions import db

    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    db.session.remove()
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        func()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        db.session.remove()
    return statements


def measure_service(engine, label: str, func, runs: int) -> dict:
    """Median service time against the median replay of its statements (alternating)."""
    statements = captured(engine, func)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        func(), replay(conn, statements)  # warm-up
        app_times, bare_times, per_statement = [], [], []
        for run in range(runs):
            gc.collect()
            if run % 2:
                bare, per = replay(conn, statements)
                app_times.append(timed(func))
            else:
                app_times.append(timed(func))
                bare, per = replay(conn, statements)
            bare_times.append(bare)
            per_statement.append(per)
    finally:
        raw.close()
    counted = [
        s for s, _p in statements if s.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")
    ]
    result = {
        "label": label,
        "statements": len(counted),
        "app_ms": statistics.median(app_times) * 1000,
        "bare_ms": statistics.median(bare_times) * 1000,
    }
    result["ratio"] = result["app_ms"] / result["bare_ms"]
    verdict = "ok" if result["ratio"] <= TARGET_RATIO else "MISSED"
    print(
        f"    {label}: service {result['app_ms']:.1f} ms, bare SQL {result['bare_ms']:.1f} ms, "
        f"ratio {result['ratio']:.2f} (target <= {TARGET_RATIO}) {verdict}; "
        f"{result['statements']} SQL statements"
    )
    medians = [statistics.median(col) * 1000 for col in zip(*per_statement, strict=True)]
    for (statement, _params), ms in zip(statements, medians, strict=True):
        print(f"      {ms:8.2f} ms  {' '.join(statement.split())[:100]}")
    return result


def measure_pdf(year: int, runs: int) -> dict:
    """Median time of the Kassenbericht PDF of `year` (queries, layout, charts)."""
    from supportclub.reports.annual_report import annual_report_pdf

    size = len(annual_report_pdf(year, today=date(2026, 1, 15)))  # warm-up (fonts)
    times = [timed(lambda: annual_report_pdf(year, today=date(2026, 1, 15))) for _ in range(runs)]
    seconds = statistics.median(times)
    verdict = "ok" if seconds <= TARGET_PDF_S else "MISSED"
    print(
        f"    Kassenbericht {year} PDF: {seconds:.2f} s (target <= {TARGET_PDF_S} s) {verdict}; "
        f"{size // 1024} KiB; runs {', '.join(f'{t:.2f}' for t in times)}"
    )
    return {"label": f"PDF {year}", "seconds": seconds}


def measure_page(client, url: str, runs: int) -> float:
    """Median time of a GET through the test client (for information)."""
    client.get(url)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def run_backend(backend: str, args) -> list[dict]:
    """Create, load and measure one backend."""
    from ledger_bench import EMAIL, PASSWORD

    from supportclub.extensions import db
    from supportclub.reports.queries import dashboard

    with fresh_database(backend, server_url=args.pg_url, keep=args.keep, prefix="sc_bench_") as url:
        app = make_app(url)
        ids = prepare(app)
        CAMPAIGNS.clear()
        CAMPAIGNS.update(create_campaigns(app))
        CAMPAIGN_CATEGORY_IDS.clear()
        CAMPAIGN_CATEGORY_IDS.update(ids.categories[code] for code in CAMPAIGN_CATEGORIES)
        link_campaign_lines()
        load(backend, url, ids, args)
        load_projects(app, backend, ids, args)
        results = []
        with app.app_context():
            engine = db.engine
            for label, year in ((f"dashboard {args.year}", args.year), ("since founding", None)):
                func = lambda year=year: dashboard(year, current_year=2025)  # noqa: E731
                results.append(measure_service(engine, label, func, args.runs))
            for year in sorted({args.year, FIRST_YEAR + YEARS - 1}):
                results.append(measure_pdf(year, args.runs))
        client = app.test_client()
        client.post("/anmelden", data={"email": EMAIL, "password": PASSWORD})
        for url_ in (f"/berichte?jahr={args.year}", "/berichte?jahr=alle"):
            print(f"    page {url_}: {measure_page(client, url_, args.runs):.1f} ms (information)")
        with app.app_context():
            db.engine.dispose()
    for result in results:
        result["backend"] = backend
    return results


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--lines", type=int, default=1_000_000, help="booking lines of the book")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--projects", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each")
    parser.add_argument("--year", type=int, default=2020, help="the year of dashboard and PDF")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the benchmark on the chosen backends and print the summary."""
    args = parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    results = [r for backend in backends for r in run_backend(backend, args)]
    print(f"\n== summary: median of {args.runs} runs ==")
    for r in results:
        if "ratio" in r:
            print(
                f"{r['backend']:<11}{r['label']:<18}{r['statements']:>3} stmts  service "
                f"{r['app_ms']:8.1f} ms  bare {r['bare_ms']:8.1f} ms  ratio {r['ratio']:.2f}"
            )
        else:
            print(f"{r['backend']:<11}{r['label']:<18}        {r['seconds']:.2f} s")
    print(f"total wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
