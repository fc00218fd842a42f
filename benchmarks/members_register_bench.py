"""Member register benchmark: 20,000 members with eleven years of dues, pages against bare SQL.

    .venv/bin/python benchmarks/members_register_bench.py [--backend sqlite|postgresql|both]
        [--persons 20000] [--runs 7] [--year 2026] [--pg-url postgresql+psycopg://...] [--keep]

For each backend: a fresh database, the Alembic migrations, a treasurer and four membership types
with their fee rates made through the services, then persons, memberships, dues runs, claims,
write-offs and payments (bookings with lines settling the claims) bulk-inserted. Each register
page (GET /mitglieder with a filter) is requested through the Flask test client as the
treasurer; its SQL statements are captured once and replayed on a raw DBAPI connection (see
ledger_bench.measure). Printed: medians of --runs runs, their ratio and the statements per page.
It is a measurement, not a test: it always exits 0 unless something breaks.
"""

import argparse
import os
import random
import sys
import time
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from dues_bench import TYPES, analyze, create_types
from ledger_bench import EMAIL, PASSWORD, BackendRun, Page, make_app, measure, summary
from ledger_data import PERSON_COLUMNS, generate_persons

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.py sits at the top level, next to supportclub/

from tests.dbutil import fresh_database  # noqa: E402  (needs ROOT on sys.path)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_RATIO = 2.0
YEARS_OF_DUES = 11  # claims from --year - 10 on (older dues were settled before the app)
PAYMENT_DAYS = 30  # a claim is due 30 days after the dues run (15 January) or the joining day
MANDATE_IBAN = "DE89370400440532013000"
CREATED = datetime(2015, 12, 1, 9, 0, tzinfo=UTC)


# The data ----------------------------------------------------------------------------------------


@dataclass
class Rows:
    """The rows to insert, table by table, as dicts for Core executemany (ids assigned here)."""

    person: list[dict] = field(default_factory=list)
    membership: list[dict] = field(default_factory=list)
    dues_run: list[dict] = field(default_factory=list)
    dues_claim: list[dict] = field(default_factory=list)
    claim_waiver: list[dict] = field(default_factory=list)
    booking: list[dict] = field(default_factory=list)
    booking_line: list[dict] = field(default_factory=list)

    def tables(self):
        """(table name, rows) in foreign-key order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


@dataclass(frozen=True)
class Setup:
    """What exists after the migrations and the services: ids the rows point to."""

    type_ids: dict[str, int]  # by code
    rates: dict[int, list[tuple[date, date | None, int, int]]]  # type id: (from, until, id, cents)
    bank_account: int
    dues_category: int
    general_fund: int


def _persons(count: int, rng: random.Random) -> list[dict]:
    """ledger_data's persons (a twentieth organisations), with member numbers and phones."""
    columns = [name.strip() for name in PERSON_COLUMNS.split(",")]
    persons = []
    for row in generate_persons(count, "", rng):
        person = dict(zip(columns, row, strict=True))
        pid = person["id"]
        person.update(
            is_active=True,
            created_at=CREATED,
            member_number=1000 + pid,
            phone=f"03641 {100000 + pid}" if pid % 4 else "",
        )
        persons.append(person)
    return persons


def _rate(setup: Setup, type_id: int, year: int) -> tuple[int, int]:
    """(fee rate id, cents per year) of the type on 1 January of `year`."""
    day = date(year, 1, 1)
    for valid_from, valid_until, rate_id, cents in setup.rates[type_id]:
        if valid_from <= day and (valid_until is None or day <= valid_until):
            return rate_id, cents
    raise LookupError((type_id, year))


class _Generator:
    """Memberships, claims, write-offs and payments for the persons (deterministic by seed)."""

    def __init__(self, setup: Setup, year: int, rng: random.Random):
        from supportclub.clock import today
        from supportclub.dues.services import prorated

        self.setup, self.year, self.rng, self.prorated = setup, year, rng, prorated
        self.first_year = year - YEARS_OF_DUES + 1
        self.today = today()
        private_types = [(code, share) for code, _n, share, _r in TYPES if code != "corporate"]
        self.private_type_ids = [setup.type_ids[code] for code, _s in private_types]
        self.private_shares = [share for _c, share in private_types]
        self.rows = Rows()
        self.runs: dict[int, dict] = {}

    def person(self, person: dict, persons: int) -> None:
        """One or two memberships (a change of type) with their claims."""
        rng, pid = self.rng, person["id"]
        organisation = person["kind"] == "organisation"
        first_day, last_day = date(1995, 1, 1), date(self.year, 9, 30)
        start = date.fromordinal(rng.randint(first_day.toordinal(), last_day.toordinal()))
        type_id = (
            self.setup.type_ids["corporate"]
            if organisation
            else rng.choices(self.private_type_ids, self.private_shares)[0]
        )
        payer = None
        if not organisation and rng.random() < 0.04:  # a relative pays
            payer = rng.randrange(1, persons * 19 // 20 + 1)
            payer = None if payer == pid else payer
        end = None
        left = start.year < self.year and rng.random() < 0.09
        changed = not (left or organisation) and start.year < self.year and rng.random() < 0.08
        if left or changed:
            end = date(rng.randint(start.year, self.year - 1), 12, 31)
        self.membership(person, type_id, start, end, payer, "Umzug" if left else "")
        if changed:  # a change of type: the new membership starts the next day
            other = rng.choice([t for t in self.private_type_ids if t != type_id])
            self.membership(person, other, end + timedelta(days=1), None, payer, "")

    def membership(self, person, type_id, start, end, payer, reason) -> None:
        """A membership (40 % of the running ones with a SEPA mandate) and its claims."""
        rng, mid = self.rng, len(self.rows.membership) + 1
        mandate = end is None and rng.random() < 0.4
        self.rows.membership.append(
            {
                "id": mid,
                "person_id": person["id"],
                "membership_type_id": type_id,
                "start_date": start,
                "end_date": end,
                "leave_reason": reason,
                "payer_id": payer,
                "mandate_reference": f"M{person['member_number']}-{mid}" if mandate else None,
                "mandate_date": max(start, date(2016, 1, 1)) if mandate else None,
                "mandate_iban": MANDATE_IBAN if mandate else None,
                "created_at": CREATED,
            }
        )
        last_year = min(end.year if end else self.year, self.year)
        for year in range(max(start.year, self.first_year), last_year + 1):
            self.claim(mid, payer or person["id"], type_id, start, year)

    def claim(self, mid: int, payer: int, type_id: int, start: date, year: int) -> None:
        """A claim as the dues run makes it (pro rata in the joining year), and what came of it."""
        rate_id, cents = _rate(self.setup, type_id, year)
        months = 12 - start.month + 1 if start.year == year else 12
        amount = self.prorated(cents, months)
        run_date = date(year, 1, 15)
        due = max(date(year, 1, 1), start, run_date) + timedelta(days=PAYMENT_DAYS)
        run = self.runs.setdefault(
            year,
            {"id": len(self.runs) + 1, "year": year, "claims_created": 0, "total_cents": 0},
        )
        run["claims_created"] += 1
        run["total_cents"] += amount
        cid = len(self.rows.dues_claim) + 1
        self.rows.dues_claim.append(
            {
                "id": cid,
                "membership_id": mid,
                "year": year,
                "amount_cents": amount,
                "months": months,
                "due_date": due,
                "fee_rate_id": rate_id,
                "run_id": run["id"],
                "created_at": datetime(year, 1, 15, 10, 0, tzinfo=UTC),
            }
        )
        # older claims are nearly all settled; this year's are often still open
        age = self.year - year
        paid_share, part_share, waived_share = (
            (0.85, 0.03, 0.0)
            if age == 0
            else (0.95, 0.02, 0.005)
            if age == 1
            else (0.985, 0.0, 0.01)
        )
        draw = self.rng.random()
        if draw < paid_share:
            self.payment(payer, cid, amount, due)
        elif draw < paid_share + part_share:
            self.payment(payer, cid, amount // 2, due)
        elif draw < paid_share + part_share + waived_share:
            self.rows.claim_waiver.append(
                {
                    "id": len(self.rows.claim_waiver) + 1,
                    "claim_id": cid,
                    "amount_cents": amount,
                    "reason": "Härtefall",
                    "created_at": CREATED,
                }
            )

    def payment(self, payer: int, claim_id: int, cents: int, due: date) -> None:
        """A bank booking with one dues line settling the claim (in part)."""
        day = min(due + timedelta(days=self.rng.randint(-20, 60)), self.today)
        bid = len(self.rows.booking) + 1
        self.rows.booking.append(
            {
                "id": bid,
                "booking_date": day,
                "account_id": self.setup.bank_account,
                "amount_cents": cents,
                "person_id": payer,
                "text": "Mitgliedsbeitrag",
                "channel": "bank",
                "created_at": datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC),
            }
        )
        self.rows.booking_line.append(
            {
                "id": bid,
                "booking_id": bid,
                "category_id": self.setup.dues_category,
                "fund_id": self.setup.general_fund,
                "amount_cents": cents,
                "text": "",
                "dues_claim_id": claim_id,
            }
        )


def generate(setup: Setup, persons: int, year: int, seed: int = 2016) -> Rows:
    """Every row of the register: persons, memberships, dues runs, claims, waivers, payments."""
    rng = random.Random(seed)
    gen = _Generator(setup, year, rng)
    gen.rows.person = _persons(persons, rng)
    for person in gen.rows.person:
        gen.person(person, persons)
    gen.rows.dues_run = [{**run, "created_at": CREATED} for run in gen.runs.values()]
    return gen.rows


# Setting up (not timed) --------------------------------------------------------------------------


def prepare(app) -> Setup:
    """Migrate; the treasurer and the membership types with their rates through the services."""
    from flask_migrate import upgrade

    from supportclub.auth.services import create_user
    from supportclub.extensions import db
    from supportclub.ledger.models import Account, Category
    from supportclub.ledger.services import general_fund
    from supportclub.members.models import FeeRate, MembershipType

    with app.app_context():
        upgrade()
        create_user(email=EMAIL, password=PASSWORD, role="treasurer", actor=None)
        create_types()
        db.session.commit()
        rates: dict[int, list] = {}
        for rate in db.session.execute(sa.select(FeeRate).order_by(FeeRate.valid_from)).scalars():
            rates.setdefault(rate.membership_type_id, []).append(
                (rate.valid_from, rate.valid_until, rate.id, rate.amount_cents)
            )
        setup = Setup(
            type_ids=dict(
                db.session.execute(sa.select(MembershipType.code, MembershipType.id)).all()
            ),
            rates=rates,
            bank_account=db.session.execute(sa.select(Account.id).filter_by(code="bank")).scalar(),
            dues_category=db.session.execute(
                sa.select(Category.id).filter_by(code="dues")
            ).scalar(),
            general_fund=general_fund().id,
        )
        db.session.remove()  # holds no connection (SQLite: no read lock) during the bulk insert
    return setup


def load(app, backend: str, setup: Setup, args) -> dict[str, float]:
    """Generate the rows and insert them in one transaction; print and return the timings."""
    from supportclub.extensions import db

    start = time.perf_counter()
    rows = generate(setup, args.persons, args.year)
    timings = {"generate": time.perf_counter() - start}
    with app.app_context():
        engine = db.engine
        metadata = db.metadata
        start = time.perf_counter()
        with engine.begin() as conn:
            for name, table_rows in rows.tables():
                if table_rows:
                    conn.execute(sa.insert(metadata.tables[name]), table_rows)
            if backend == "postgresql":
                for name, _rows in rows.tables():
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {name}))"
                        )
                    )
        timings["insert"] = time.perf_counter() - start
        start = time.perf_counter()
        analyze(engine, backend)
        timings["analyze"] = time.perf_counter() - start
        engine.dispose()  # new connections see the fresh statistics
    timings["total"] = sum(timings.values())
    running = sum(1 for m in rows.membership if m["end_date"] is None)
    print(
        f"[{backend}] loaded {len(rows.person):,} persons, {len(rows.membership):,} memberships "
        f"({running:,} running), {len(rows.dues_claim):,} claims {args.year - YEARS_OF_DUES + 1}"
        f"–{args.year}, {len(rows.booking):,} payments, {len(rows.claim_waiver):,} write-offs"
    )
    print(
        f"[{backend}] load time {timings['total']:.1f} s (generate {timings['generate']:.1f} s, "
        f"insert {timings['insert']:.1f} s, analyze {timings['analyze']:.1f} s)"
    )
    return timings


# Measuring ---------------------------------------------------------------------------------------


def pages(type_ids: dict[str, int]) -> list[Page]:
    """The register with the filters the issue names; each against its bare SQL."""
    family = type_ids["family"]
    return [
        Page("default", "/mitglieder", TARGET_RATIO),
        Page("name search müller", "/mitglieder?q=m%C3%BCller", TARGET_RATIO),
        Page("number prefix 123", "/mitglieder?q=123", TARGET_RATIO),
        Page("late payers", "/mitglieder?status=verspaetet", TARGET_RATIO),
        Page(
            "type + city desc",
            f"/mitglieder?membership_type_id={family}&sort=ort&direction=desc",
            TARGET_RATIO,
        ),
        Page(
            "all by joining, p.200", "/mitglieder?status=alle&sort=eintritt&seite=200", TARGET_RATIO
        ),
    ]


def matching(app, url: str) -> int:
    """How many members the page's filter matches (the register's own count)."""
    from supportclub.members import queries
    from supportclub.members.routes import _register_filter

    with app.test_request_context(url):
        return queries.register_count(_register_filter())


def run_backend(backend: str, args) -> BackendRun:
    """Create, load and measure one backend."""
    from supportclub.extensions import db

    run = BackendRun(backend)
    with fresh_database(backend, server_url=args.pg_url, keep=args.keep, prefix="sc_bench_") as url:
        app = make_app(url)
        setup = prepare(app)
        run.load_s = load(app, backend, setup, args)
        with app.app_context():
            engine = db.engine
        client = app.test_client()
        response = client.post("/anmelden", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        for page in pages(setup.type_ids):
            print(f"[{backend}] {page.name}: {matching(app, page.url):,} members match")
            run.results.append(measure(backend, engine, client, page, page.url, args.runs))
        with app.app_context():
            db.engine.dispose()
    return run


def statement_counts(runs: list[BackendRun]) -> None:
    """The statements per page: the same on every page, whatever the filter or the page."""
    for run in runs:
        counts = sorted({r.statements for r in run.results})
        verdict = "constant" if len(counts) == 1 else "NOT constant"
        print(
            f"statements per page {run.backend:<11}"
            f"{', '.join(str(c) for c in counts)} ({verdict} over {len(run.results)} pages)"
        )


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--persons", type=int, default=20_000, help="members (all with numbers)")
    parser.add_argument("--runs", type=int, default=7, help="measured runs per page")
    parser.add_argument("--year", type=int, default=2026, help="the last year with claims")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Run the benchmark on the chosen backends and print the summary."""
    args = parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    runs = [run_backend(backend, args) for backend in backends]
    summary(runs, args)
    statement_counts(runs)
    print(f"total wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
