"""Load benchmark: gunicorn with 2 workers on PostgreSQL, a weighted mix of treasurer, board and
member pages, against the same mix of bare SQL.

    .venv/bin/python benchmarks/load_bench.py [--persons 20000] [--lines 1000000]
        [--seconds 60] [--sql-seconds 15] [--workers 8] [--port 8765] [--pg-url ...] [--keep]
    .venv/bin/python benchmarks/load_bench.py --quick      # 2,000 persons, 100,000 lines, 10 s

1. The database `loadbench` is (re)created and filled (load_data.py: the ledger benchmark's book
   by COPY, then logins, members and claims, receipts, projects, a bank statement).
2. `gunicorn -w 2 "supportclub:create_app()"` starts with SUPPORTCLUB_ENV=production, a SECRET_KEY,
   DATABASE_URL pointing at loadbench and high rate limits; the script waits for /healthz.
3. A load generator process (load_client.run_http) logs in once per role through the real login
   form and runs --workers threads for --seconds over the weighted page mix.
4. A second process (load_client.run_sql) runs the same mix as bare SQL (psycopg, the main
   queries of each page) with the same number of threads for --sql-seconds.
5. A Markdown table: requests, errors (non-2xx/3xx; must be 0), req/s and p50/p95/p99 per page
   and overall, bare SQL req/s and p95, and the ratios app/bare.

It is a measurement, not a test; the database is dropped at the end unless --keep.
"""

import argparse
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # config.py and tests/ sit at the top level
sys.path.insert(0, str(HERE))

import load_client  # noqa: E402
import load_data  # noqa: E402

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DATABASE = "loadbench"


def parse_args(argv=None):
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="HTTP load duration")
    parser.add_argument("--sql-seconds", type=float, default=15.0, help="bare SQL duration")
    parser.add_argument("--workers", type=int, default=8, help="client threads")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)
    parser.add_argument("--quick", action="store_true", help="2,000 persons, 100k lines, 10 s")
    parser.add_argument("--keep", action="store_true", help="keep the loadbench database")
    parser.add_argument(
        "--closed-until",
        type=int,
        default=date.today().year - 2,
        help="close the years up to this one before the load (0: none; default: the year "
        "before last, as an association with this history would have)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.persons, args.lines, args.seconds, args.sql_seconds = 2_000, 100_000, 10.0, 5.0
    return args


def start_gunicorn(url: str, port: int, log_path: str, upload_dir: str) -> subprocess.Popen:
    """gunicorn -w 2 on 127.0.0.1:port with production settings; waits for /healthz."""
    env = dict(
        os.environ,
        SUPPORTCLUB_ENV="production",
        SECRET_KEY="load-benchmark-" + "x" * 32,
        DATABASE_URL=url,
        LOGIN_RATE_LIMIT="1000000 per minute",
        ACCOUNT_LOCKOUT_LIMIT="1000000 per minute",
        RESET_PER_ADDRESS_LIMIT="1000000 per minute",
        MAIL_BACKEND="console",
        UPLOAD_DIR=upload_dir,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(log_path, "wb")  # noqa: SIM115 - open while gunicorn runs
    process = subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "supportclub:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn ended at start; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    """Stop gunicorn (its master ends the workers)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def in_process(target, *args):
    """Run `target(*args, result_path)` in a spawned process; (rows, elapsed) it measured."""
    fd, path = tempfile.mkstemp(prefix="loadbench-", suffix=".pickle")
    os.close(fd)
    try:
        process = multiprocessing.get_context("spawn").Process(target=target, args=(*args, path))
        process.start()
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"load generator failed (exit code {process.exitcode})")
        import pickle

        with open(path, "rb") as handle:
            return pickle.load(handle)
    finally:
        os.unlink(path)


def table(mix, app_rows, app_elapsed, sql_rows, sql_elapsed, args) -> str:
    """The Markdown table of the run, per page and overall."""
    lines = [
        f"Load: {args.persons:,} persons, {args.lines:,} booking lines, closed years: "
        f"{getattr(args, 'closed_label', '') or 'none'}; gunicorn -w 2; "
        f"{args.workers} client threads; app {args.seconds:g} s, bare SQL {args.sql_seconds:g} s.",
        "",
        "| Seite (Rolle) | Anfragen | Fehler | req/s | p50 ms | p95 ms | p99 ms "
        "| SQL req/s | SQL p95 ms | req/s SQL/App | p95 App/SQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(label, app, sql):
        speed = sql.per_second / app.per_second if app.per_second else float("nan")
        slow = app.p95 / sql.p95 if sql.p95 else float("nan")
        return (
            f"| {label} | {app.requests:,} | {app.errors} | {app.per_second:,.1f} "
            f"| {app.p50:.1f} | {app.p95:.1f} | {app.p99:.1f} | {sql.per_second:,.1f} "
            f"| {sql.p95:.2f} | {speed:.1f} | {slow:.1f} |"
        )

    for page in mix:
        app = load_client.figures([r for r in app_rows if r[0] == page.name], app_elapsed)
        sql = load_client.figures([r for r in sql_rows if r[0] == page.name], sql_elapsed)
        lines.append(row(f"{page.name} ({page.role})", app, sql))
    overall_app = load_client.figures(app_rows, app_elapsed)
    overall_sql = load_client.figures(sql_rows, sql_elapsed)
    lines.append(row("**alle**", overall_app, overall_sql))
    lines.append("")
    verdict = "ok" if overall_app.errors == 0 else "FEHLER"
    lines.append(f"Fehler (nicht 2xx/3xx): {overall_app.errors} ({verdict})")
    return "\n".join(lines)


def main(argv=None) -> int:
    """Build the database, start gunicorn, load it, load the bare SQL, print the table."""
    args = parse_args(argv)
    url = load_data.recreate_database(args.pg_url, DATABASE)
    gunicorn = None
    upload_dir = tempfile.mkdtemp(prefix="loadbench-uploads-")
    try:
        ids = load_data.build(
            url, persons=args.persons, lines=args.lines, closed_until=args.closed_until
        )
        args.closed_label = ids.get("closed", "")
        mix = load_client.pages(ids)
        log_path = os.path.join(tempfile.gettempdir(), "loadbench-gunicorn.log")
        gunicorn = start_gunicorn(url, args.port, log_path, upload_dir)
        print(f"gunicorn -w 2 on 127.0.0.1:{args.port} (log: {log_path}); HTTP load ...")
        app_rows, app_elapsed = in_process(
            load_client.run_http,
            "127.0.0.1",
            args.port,
            load_data.LOGINS,
            load_data.PASSWORD,
            mix,
            args.seconds,
            args.workers,
        )
        stop(gunicorn)
        gunicorn = None
        print("bare SQL ...")
        conninfo = sa.make_url(url).set(drivername="postgresql")
        sql_rows, sql_elapsed = in_process(
            load_client.run_sql,
            conninfo.render_as_string(hide_password=False),
            mix,
            args.sql_seconds,
            args.workers,
        )
        print()
        print(table(mix, app_rows, app_elapsed, sql_rows, sql_elapsed, args))
        codes = Counter(status for _p, status, _s in app_rows)
        print(f"Statuscodes: {dict(sorted(codes.items()))}")
        redirected = sorted({p for p, status, _s in app_rows if 300 <= status < 400})
        if redirected:  # a page that redirects (e.g. to the login) measures nothing
            print(f"WARNUNG: umgeleitet statt angezeigt: {', '.join(redirected)}")
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        shutil.rmtree(upload_dir, ignore_errors=True)
        if not args.keep:
            load_data.drop_database(args.pg_url, DATABASE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
