"""Bank statements and direct debits at scale (issue 7).

Per backend (SQLite and PostgreSQL), on a fresh migrated database with 20,000 persons, their
memberships (5,000 with a SEPA mandate) and this year's open dues:

1. **pain.008 with 5,000 collections**: ``create_collection`` (plan under a lock on the claims,
   the debits inserted, the XML built and validated against its XSD, stored).
   Target ≤ 3 s. Ratio to a bare lxml parse of the file it wrote.
2. **Read, match and review**: a camt.053.001.08 file with 10,000 entries (a fifth our own debits'
   credits, 1 % returns of them, member numbers, remembered IBANs, names, strangers' donations,
   costs) through ``import_file`` (read, check, match, insert), then ``GET /bank/pruefen`` for that
   import through the Flask test client. Target ≤ 5 s. Ratio to a bare lxml parse of the file.
3. **Confirm all**: ``POST /bank/pruefen/bestaetigen`` with scope "all" for the import. Target
   ≤ 10 s. Afterwards the books are checked: every bookable line is booked exactly once, the bank
   balance equals the sum of the booked lines, every collected claim is paid.

    .venv/bin/python benchmarks/bank_bench.py                  # both backends, full size
    .venv/bin/python benchmarks/bank_bench.py --backend sqlite --persons 4000 --entries 2000
"""

import argparse
import contextlib
import logging
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from bank_data import SEPA_TYPE, YEAR, load_association, statement_entries
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053  # noqa: E402
from tests.dbutil import fresh_database  # noqa: E402

EMAIL = "kasse@bench.example.org"
PASSWORD = "benchmark-password"
TARGETS = {"pain008": 3.0, "review": 5.0, "confirm": 10.0}


def make_app(url: str):
    """The app in testing mode (fast password hashing) on `url`, CSRF off, mails to the log."""
    from config import TestingConfig
    from supportclub import create_app

    overrides = {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False}
    return create_app(type("BenchConfig", (TestingConfig,), overrides))


def prepare(app, args):
    """Migrate; treasurer, bank IBAN, creditor settings and the association's members."""
    from flask_migrate import upgrade

    from supportclub.admin.services import set_bank_iban
    from supportclub.auth.services import create_user
    from supportclub.banking.settings import update_direct_debit_settings
    from supportclub.extensions import db

    with app.app_context():
        logging.disable(logging.INFO)
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        user = create_user(email=EMAIL, password=PASSWORD, role="treasurer", actor=None)
        set_bank_iban(ASSOCIATION_IBAN, actor=user)
        from supportclub.admin.services import update_settings

        update_settings({"name": "Förderverein Grundschule am Lindenpark e. V."}, actor=user)
        update_direct_debit_settings(
            {"creditor_id": "DE98ZZZ09999999999", "prenotification_days": 14}, actor=user
        )
        started = time.perf_counter()
        assoc = load_association(db.session, persons=args.persons, sepa=args.sepa)
        db.session.commit()
        print(
            f"  setup: {args.persons:,} persons with memberships and claims loaded in "
            f"{time.perf_counter() - started:.1f} s"
        )
        return user.id, assoc


def bare_parse(data: bytes, runs: int = 5) -> float:
    """Median seconds of a plain lxml parse of `data` (the floor of any reader)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        etree.fromstring(data)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def step_pain008(app, user_id: int) -> tuple[float, float, list]:
    """Create the 5,000-debit collection; (seconds, bare parse seconds, debits)."""
    from supportclub.auth.models import User
    from supportclub.banking.collections import create_collection, earliest_collection_date
    from supportclub.banking.models import DirectDebit
    from supportclub.extensions import db
    from supportclub.members.models import MembershipType

    with app.app_context():
        user = db.session.get(User, user_id)
        type_id = db.session.execute(
            sa.select(MembershipType.id).filter_by(code=SEPA_TYPE)
        ).scalar_one()
        started = time.perf_counter()
        collection = create_collection(
            year=YEAR,
            membership_type_id=type_id,
            collection_date=earliest_collection_date(),
            actor=user,
        )
        db.session.commit()
        elapsed = time.perf_counter() - started
        xml = collection.file_xml
        debits = db.session.execute(
            sa.select(DirectDebit.end_to_end_id, DirectDebit.amount_cents, DirectDebit.person_id)
            .where(DirectDebit.collection_id == collection.id)
            .order_by(DirectDebit.id)
        ).all()
        print(
            f"  pain.008: {collection.count:,} debits, {collection.total_cents / 100:,.2f} EUR, "
            f"{len(xml) / 1e6:.1f} MB"
        )
        return elapsed, bare_parse(xml), [tuple(d) for d in debits]


def login(client) -> None:
    """Log the test client in as the treasurer."""
    response = client.post("/anmelden", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 302, response.status_code


def step_review(app, user_id: int, data: bytes) -> tuple[float, float, float, int]:
    """Import the statement and open its review page; (import s, page s, bare s, import id)."""
    from supportclub.auth.models import User
    from supportclub.banking.imports import import_file
    from supportclub.extensions import db

    with app.app_context():
        user = db.session.get(User, user_id)
        started = time.perf_counter()
        bank_import = import_file(data, "kontoauszug-bench.xml", actor=user)
        db.session.commit()
        import_s = time.perf_counter() - started
        import_id = bank_import.id
        print(
            f"  statement: {bank_import.entries_count:,} entries, {bank_import.new_count:,} new "
            f"lines, {len(data) / 1e6:.1f} MB"
        )
    client = app.test_client()
    login(client)
    started = time.perf_counter()
    response = client.get(f"/bank/pruefen?import={import_id}")
    page_s = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return import_s, page_s, bare_parse(data), import_id


def kinds(app, import_id: int) -> dict[str, int]:
    """How many lines each kind of suggestion got."""
    from supportclub.banking.models import StatementLine
    from supportclub.extensions import db

    with app.app_context():
        rows = db.session.execute(
            sa.select(StatementLine.match_kind, sa.func.count())
            .where(StatementLine.import_id == import_id)
            .group_by(StatementLine.match_kind)
        ).all()
        return {str(kind): n for kind, n in sorted(rows, key=lambda r: -r[1])}


def step_confirm(app, import_id: int) -> float:
    """POST "Alle Vorschläge bestätigen" for the import; seconds."""
    client = app.test_client()
    login(client)
    started = time.perf_counter()
    response = client.post(
        "/bank/pruefen/bestaetigen", data={"scope": "all", "import": str(import_id)}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return elapsed


def check_books(app, import_id: int) -> str:
    """The books after confirming: a line per booking, the bank balance, the collected claims."""
    from supportclub.banking.models import DirectDebit, LineState, StatementLine
    from supportclub.dues.models import DuesClaim
    from supportclub.dues.queries import OPEN
    from supportclub.extensions import db
    from supportclub.ledger.models import Account, Booking

    with app.app_context():
        done, done_sum, open_ = db.session.execute(
            sa.select(
                sa.func.count().filter(StatementLine.state == LineState.DONE),
                sa.func.coalesce(
                    sa.func.sum(StatementLine.amount_cents).filter(
                        StatementLine.state == LineState.DONE
                    ),
                    0,
                ),
                sa.func.count().filter(StatementLine.state == LineState.OPEN),
            ).where(StatementLine.import_id == import_id)
        ).one()
        bank = db.session.execute(sa.select(Account.id).filter_by(code="bank")).scalar_one()
        balance, bookings = db.session.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(Booking.amount_cents), 0), sa.func.count()
            ).where(Booking.account_id == bank)
        ).one()
        paid_debits = db.session.execute(
            sa.select(sa.func.count()).where(DirectDebit.paid_line_id.is_not(None))
        ).scalar_one()
        still_open = db.session.execute(
            sa.select(sa.func.count())
            .select_from(DirectDebit)
            .join(DuesClaim, DuesClaim.id == DirectDebit.claim_id)
            .where(DirectDebit.paid_line_id.is_not(None), DirectDebit.returned_line_id.is_(None))
            .where(OPEN > 0)
        ).scalar_one()
        ok = balance == done_sum and bookings == done and still_open == 0
        return (
            f"{done:,} lines booked ({bookings:,} bank bookings), {open_:,} left for review; "
            f"bank balance {balance / 100:,.2f} EUR = booked lines {done_sum / 100:,.2f} EUR; "
            f"{paid_debits:,} debits paid, collected claims still open: {still_open} -> "
            + ("OK" if ok else "MISMATCH")
        )


def run_backend(backend: str, args) -> dict:
    """All three steps on a fresh database of `backend`."""
    print(f"\n== {backend} ==")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(
            fresh_database(backend, server_url=args.pg_url, keep=False, prefix="sc_bench_")
        )
        app = make_app(url)
        stack.callback(lambda: _dispose(app))
        user_id, assoc = prepare(app, args)
        pain_s, pain_bare, debits = step_pain008(app, user_id)
        entries = statement_entries(assoc, debits, entries=args.entries)
        data = camt053(entries, opening_cents=1_000_000)
        import_s, page_s, camt_bare, import_id = step_review(app, user_id, data)
        print("  suggestions:", ", ".join(f"{k} {n:,}" for k, n in kinds(app, import_id).items()))
        confirm_s = step_confirm(app, import_id)
        print("  books:", check_books(app, import_id))
        review_s = import_s + page_s
        print(
            f"  pain.008 with {len(debits):,} debits: {pain_s:.2f} s "
            f"(target {TARGETS['pain008']} s,"
            f" ratio to target {pain_s / TARGETS['pain008']:.2f}); bare parse {pain_bare:.3f} s,"
            f" ratio {pain_s / pain_bare:.0f}x"
        )
        print(
            f"  read + match + review page: {review_s:.2f} s (import {import_s:.2f} s + page "
            f"{page_s:.2f} s; target {TARGETS['review']} s, ratio to target "
            f"{review_s / TARGETS['review']:.2f}); bare parse {camt_bare:.3f} s, "
            f"ratio {review_s / camt_bare:.0f}x"
        )
        print(
            f"  confirm all: {confirm_s:.2f} s (target {TARGETS['confirm']} s, ratio to target "
            f"{confirm_s / TARGETS['confirm']:.2f}); "
            f"ratio to bare parse {confirm_s / camt_bare:.0f}x"
        )
        return {"pain008": pain_s, "review": review_s, "confirm": confirm_s}


def _dispose(app) -> None:
    from supportclub.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--sepa", type=int, default=5_000)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("TEST_DATABASE_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    )
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = {backend: run_backend(backend, args) for backend in backends}
    print("\nsummary (seconds; target):")
    for step, target in TARGETS.items():
        figures = ", ".join(f"{b} {r[step]:.2f}" for b, r in results.items())
        print(f"  {step:<8} {figures}  (≤ {target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
