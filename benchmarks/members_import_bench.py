"""Member import benchmark: 5,000 members from a CSV file, against the 10 s target.

    .venv/bin/python benchmarks/members_import_bench.py [--backend sqlite|postgresql|both]
        [--rows 5000] [--runs 5] [--pg-url postgresql+psycopg://...] [--no-routes]
        [--write-csv PATH] [--keep]

A realistic member list (German names with umlauts, addresses, e-mails, valid IBANs, entry and
exit dates, membership types by name, SEPA mandates) is generated as a UTF-8 CSV with ';'.
For each backend and each run, on fresh migrated databases with the membership types and a
treasurer made through the services:

- timed: `import_members_from_file(path, actor=treasurer)` and the commit (reading the file,
  guessing the mapping, checking every row, inserting persons and memberships);
- for reference, timed: a bare Core executemany of the same person and membership rows (read
  back from the import) into a second fresh database, commit included.

Then once per backend the same file through the pages with the Flask test client (upload,
mapping, preview, import, result), each step timed. Printed: medians of --runs runs, the import
against the 10 s target and against the bare insert. It is a measurement, not a test: it always
exits 0 unless something breaks.
"""

import argparse
import csv
import gc
import io
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from ledger_data import FIRST_NAMES, LAST_NAMES, ORGANISATIONS
from schwifty import IBAN

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # config.py sits at the top level, next to supportclub/

from tests.dbutil import fresh_database  # noqa: E402  (needs ROOT on sys.path)


def words(text: str) -> tuple[str, ...]:
    """A word list written as one string."""
    return tuple(text.split())


DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 10.0
EMAIL = "kasse@bench.example.org"
PASSWORD = "benchmark-password"
BANK_CODE = "37040044"
# code, name (as the CSV names it), share of the private members
TYPES = (
    ("regular", "Regulär", 60),
    ("reduced", "Ermäßigt", 20),
    ("family", "Familie", 20),
    ("corporate", "Firma", 0),  # organisations
)
HEADER = (
    "Mitgliedsnummer",
    "Vorname",
    "Nachname",
    "Firma",
    "Straße",
    "PLZ",
    "Ort",
    "Land",
    "E-Mail",
    "Telefon",
    "IBAN",
    "Beitragsart",
    "Eintritt",
    "Austritt",
    "Mandatsreferenz",
    "Mandatsdatum",
)
MORE_FIRST_NAMES = words(
    "Jörg Björn Ömer Özlem Käthe Günther Jürgen Bärbel Dörte Lüder Anna-Lena Hans-Jürgen "
    "Marie-Luise Süleyman Zoë René Chloé Ümit Gülşen"
)
MORE_LAST_NAMES = words(
    "Großmann Weiß Vöhringer Jäger Märtens Schäfer Böttcher Müller-Lüdenscheidt Öztürk Çelik "
    "Straßburger Rößler Fuß Küster Bähr"
)
STREETS = (
    "Hauptstraße",
    "Schulstraße",
    "Gartenweg",
    "Am Mühlgraben",
    "Lindenallee",
    "Goethestraße",
    "Schillerplatz",
    "Jenaer Straße",
    "Löbdergraben",
    "Fröbelstieg",
    "Käthe-Kollwitz-Straße",
    "Über den Gärten",
)
CITIES = (
    ("07743", "Jena"),
    ("07745", "Jena"),
    ("07747", "Jena"),
    ("07749", "Jena"),
    ("99423", "Weimar"),
    ("04109", "Leipzig"),
    ("01067", "Dresden"),
    ("10115", "Berlin"),
    ("80331", "München"),
    ("50667", "Köln"),
    ("07318", "Saalfeld/Saale"),
    ("98527", "Suhl"),
)
TODAY = date.today()


@dataclass
class BackendRun:
    """Everything measured on one backend (times in seconds)."""

    backend: str
    import_s: list[float] = field(default_factory=list)
    bare_s: list[float] = field(default_factory=list)
    parse_s: list[float] = field(default_factory=list)
    check_s: list[float] = field(default_factory=list)
    setup_s: list[float] = field(default_factory=list)
    statements: int = 0
    summary: dict = field(default_factory=dict)
    routes_s: dict[str, float] = field(default_factory=dict)

    @property
    def app(self) -> float:
        """Median time of the import through the service, commit included."""
        return statistics.median(self.import_s)

    @property
    def bare(self) -> float:
        """Median time of the bare bulk insert, commit included."""
        return statistics.median(self.bare_s)

    @property
    def target_ratio(self) -> float:
        """The import against the target of 10 s (<= 1 meets it)."""
        return self.app / TARGET_SECONDS

    @property
    def verdict(self) -> str:
        """ok, or that the target was missed."""
        return "ok" if self.app <= TARGET_SECONDS else f"MISSED (> {TARGET_SECONDS:g} s)"


# The member list ---------------------------------------------------------------------------------


def email_name(text: str) -> str:
    """A name as the local part of an e-mail address: umlauts spelled out, only a-z and '-'."""
    text = text.lower().replace("ß", "ss")
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, spelled)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def random_date(rng: random.Random, first: date, last: date) -> date:
    """A day between `first` and `last`, both included."""
    return date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def member_row(i: int, rng: random.Random, private_types, weights) -> list[str]:
    """One line of the member list (the i-th member, from 1)."""
    organisation = i % 20 == 0
    first = "" if organisation else rng.choice(FIRST_NAMES + tuple(MORE_FIRST_NAMES))
    last = "" if organisation else rng.choice(LAST_NAMES + tuple(MORE_LAST_NAMES))
    company = f"{ORGANISATIONS[i % len(ORGANISATIONS)]} ({i})" if organisation else ""
    postal_code, city, country = *rng.choice(CITIES), ""
    if i % 50 == 7:
        postal_code, city, country = "1010", "Wien", "Österreich"
    elif i % 4 == 1:
        country = "Deutschland"
    if organisation:
        email = f"kontakt@{email_name(company.split(' (')[0])}-{i}.example.org"
    elif i % 7:
        email = f"{email_name(first)}.{email_name(last)}.{i}@example.org"
    else:
        email = ""  # some members have no e-mail address
    phone = f"+49 3641 {rng.randrange(100000, 999999)}" if i % 5 < 3 else ""
    has_iban = i % 10 < 7
    iban = IBAN.generate("DE", bank_code=BANK_CODE, account_code=str(100_000_000 + i))
    iban_text = (iban.formatted if i % 2 else str(iban)) if has_iban else ""
    entry = random_date(rng, date(1985, 1, 1), TODAY - timedelta(days=30))
    exit_date = ""
    if i % 16 == 3:
        exit_date = random_date(rng, entry, TODAY + timedelta(days=180)).strftime("%d.%m.%Y")
    reference, signed_on = "", ""
    if has_iban and i % 10 < 4:  # a SEPA mandate on the member's IBAN
        reference = f"MITGL-{i:05d}"
        signed_on = random_date(rng, entry, TODAY).strftime("%d.%m.%Y")
    mtype = "Firma" if organisation else rng.choices(private_types, weights)[0]
    number = "" if i % 10 == 9 else str(1000 + i)  # the others get the next free numbers
    street = f"{rng.choice(STREETS)} {rng.randrange(1, 150)}{rng.choice(('', '', '', 'a', 'b'))}"
    return [
        number,
        first,
        last,
        company,
        street,
        postal_code,
        city,
        country,
        email,
        phone,
        iban_text,
        mtype,
        entry.strftime("%d.%m.%Y"),
        exit_date,
        reference,
        signed_on,
    ]


def member_list(rows: int, seed: int = 2026) -> bytes:
    """The CSV file as Excel writes it with "CSV UTF-8": BOM, ';', CRLF."""
    rng = random.Random(seed)
    private = [(name, share) for _code, name, share in TYPES if share]
    names, weights = zip(*private, strict=True)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(1, rows + 1):
        writer.writerow(member_row(i, rng, names, weights))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def expected_counts(data: bytes) -> dict[str, int]:
    """What the import must create: persons, memberships, mandates."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    return {
        "persons_created": len(rows),
        "memberships_created": len(rows),
        "mandates_created": sum(1 for row in rows if row["Mandatsreferenz"]),
    }


# Databases ---------------------------------------------------------------------------------------


def make_app(url: str, import_dir: str):
    """The app in testing mode (fast password hashing) on `url`, CSRF off."""
    from config import TestingConfig
    from supportclub import create_app

    overrides = {
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "MEMBER_IMPORT_DIR": import_dir,
    }
    return create_app(type("BenchConfig", (TestingConfig,), overrides))


def prepare(app) -> int:
    """Migrate; the membership types and the treasurer through the services; the user's id."""
    from flask_migrate import upgrade

    from supportclub.auth.services import create_user
    from supportclub.extensions import db
    from supportclub.members.services import create_membership_type

    with app.app_context():
        logging.disable(logging.INFO)  # each run migrates two databases: no Alembic chatter
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        for order, (code, name, _share) in enumerate(TYPES, start=1):
            create_membership_type(code=code, name=name, sort_order=order, actor=None)
        user = create_user(email=EMAIL, password=PASSWORD, role="treasurer", actor=None)
        db.session.commit()
        return user.id


def fresh_app(backend: str, args, stack) -> tuple[object, int]:
    """A new migrated database with types and treasurer; (app, treasurer id). Setup not timed."""
    url = stack.enter_context(
        fresh_database(backend, server_url=args.pg_url, keep=args.keep, prefix="sc_bench_")
    )
    import_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="sc-import-bench-"))
    app = make_app(url, import_dir)
    user_id = prepare(app)
    stack.callback(dispose, app)
    return app, user_id


def dispose(app) -> None:
    """Close the app's connections (before its database is dropped)."""
    from supportclub.extensions import db

    with app.app_context():
        db.engine.dispose()


def count_rows(app) -> tuple[int, int]:
    """Persons and memberships in the database."""
    from supportclub.extensions import db
    from supportclub.ledger.models import Person
    from supportclub.members.models import Membership

    with app.app_context():
        return tuple(
            db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()
            for model in (Person, Membership)
        )


# Measuring ---------------------------------------------------------------------------------------


def service_import(app, user_id: int, path: Path) -> tuple[float, dict, int]:
    """Wall time of import_members_from_file with its commit; (seconds, summary, statements)."""
    from supportclub.auth.models import User
    from supportclub.extensions import db
    from supportclub.members.importer import import_members_from_file

    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        actor = db.session.get(User, user_id)
        engine = db.engine
        gc.collect()
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            start = time.perf_counter()
            summary = import_members_from_file(path, actor=actor)
            db.session.commit()
            elapsed = time.perf_counter() - start
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)
    count = sum(1 for s in statements if s.strip().upper() not in {"BEGIN", "COMMIT", "ROLLBACK"})
    return elapsed, summary.to_json(), count


def imported_rows(app) -> tuple[list[dict], list[dict]]:
    """The persons and memberships the import wrote, as the dicts the bare insert sends."""
    from supportclub.extensions import db
    from supportclub.ledger.models import Person
    from supportclub.members.models import Membership

    with app.app_context(), db.engine.connect() as conn:
        return tuple(
            [row._asdict() for row in conn.execute(sa.select(model.__table__))]
            for model in (Person, Membership)
        )


def phases(app, data: bytes) -> tuple[float, float]:
    """Reading the file alone, and checking every row alone (read-only); seconds each."""
    from supportclub.extensions import db
    from supportclub.members.import_checks import validate_rows
    from supportclub.members.import_files import parse_file
    from supportclub.members.import_mapping import ImportOptions, guess_mapping

    with app.app_context():
        gc.collect()
        start = time.perf_counter()
        parsed = parse_file(data)
        parsed_at = time.perf_counter()
        validation = validate_rows(parsed, guess_mapping(parsed.headers), ImportOptions())
        checked_at = time.perf_counter()
        db.session.rollback()
    assert not validation.errors, validation.errors[:5]
    return parsed_at - start, checked_at - parsed_at


def bare_insert(app, persons: list[dict], memberships: list[dict]) -> float:
    """Wall time of a Core executemany of the same persons and memberships, commit included."""
    from supportclub.extensions import db
    from supportclub.ledger.models import Person
    from supportclub.members.models import Membership

    with app.app_context():
        engine = db.engine
        gc.collect()
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.insert(Person.__table__), persons)
            conn.execute(sa.insert(Membership.__table__), memberships)
        return time.perf_counter() - start


def one_run(backend: str, number: int, path: Path, data: bytes, expected, args, run) -> None:
    """One repetition: the import in one fresh database, the bare insert in another."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        started = time.perf_counter()
        app, user_id = fresh_app(backend, args, stack)
        bare_app, _bare_user = fresh_app(backend, args, stack)
        run.setup_s.append(time.perf_counter() - started)
        seconds, summary, run.statements = service_import(app, user_id, path)
        assert {key: summary[key] for key in expected} == expected, summary
        assert count_rows(app) == (expected["persons_created"],) * 2
        run.import_s.append(seconds)
        run.summary = summary
        persons, memberships = imported_rows(app)
        parse_s, check_s = phases(bare_app, data)
        run.parse_s.append(parse_s)
        run.check_s.append(check_s)
        run.bare_s.append(bare_insert(bare_app, persons, memberships))
        assert count_rows(bare_app) == (len(persons), len(memberships))
    print(
        f"[{backend}] run {number}: import {run.import_s[-1]:.2f} s, bare insert "
        f"{run.bare_s[-1]:.2f} s (setup of both databases {run.setup_s[-1]:.1f} s, not timed)"
    )


ROUTE_STEPS = ("upload", "mapping page", "mapping saved", "preview", "import", "result page")


def through_pages(backend: str, data: bytes, expected, args) -> dict[str, float]:
    """The file through the pages once, as the treasurer; seconds per step."""
    from contextlib import ExitStack

    from supportclub.members.import_mapping import guess_mapping

    with ExitStack() as stack:
        app, _user_id = fresh_app(backend, args, stack)
        client = app.test_client()
        response = client.post("/anmelden", data={"email": EMAIL, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        times: dict[str, float] = {}

        def step(name: str, method: str, url: str, status: int, **kwargs):
            gc.collect()
            start = time.perf_counter()
            response = client.open(url, method=method, **kwargs)
            times[name] = time.perf_counter() - start
            assert response.status_code == status, (name, response.status_code)
            return response

        upload = step(
            "upload",
            "POST",
            "/mitglieder/import",
            302,
            data={"file": (io.BytesIO(data), "mitglieder.csv"), "encoding": "UTF-8"},
            content_type="multipart/form-data",
        )
        base = upload.headers["Location"].rsplit("/", 1)[0]
        step("mapping page", "GET", f"{base}/zuordnung", 200)
        headers = data.decode("utf-8-sig").split("\r\n", 1)[0].split(";")
        form = {f"map_{key}": value or "" for key, value in guess_mapping(headers).items()}
        form.update(default_type_id="", default_entry_date="", submit="Weiter zur Prüfung")
        step("mapping saved", "POST", f"{base}/zuordnung", 302, data=form)
        step("preview", "GET", f"{base}/vorschau", 200)
        step("import", "POST", f"{base}/vorschau", 302, data={"existing": "skip", "submit": "x"})
        step("result page", "GET", f"{base}/ergebnis", 200)
        assert count_rows(app) == (expected["persons_created"],) * 2
    times["total"] = sum(times.values())
    print(
        f"[{backend}] through the pages: {times['total']:.2f} s in all ("
        + ", ".join(f"{name} {times[name]:.2f} s" for name in ROUTE_STEPS)
        + ")"
    )
    return times


def run_backend(backend: str, path: Path, data: bytes, args) -> BackendRun:
    """All runs on one backend, then the pages once."""
    run = BackendRun(backend)
    expected = expected_counts(data)
    for number in range(1, args.runs + 1):
        one_run(backend, number, path, data, expected, args, run)
    report(run, args)
    if args.routes:
        run.routes_s = through_pages(backend, data, expected, args)
    return run


def report(run: BackendRun, args) -> None:
    """One backend's figures."""
    s = run.summary
    print(
        f"[{run.backend}] import of {args.rows:,} rows: median {run.app:.2f} s = "
        f"{run.target_ratio:.2f} x the target of {TARGET_SECONDS:g} s {run.verdict}; "
        f"bare insert {run.bare:.2f} s, ratio import/bare {run.app / run.bare:.1f}"
    )
    print(
        f"    created {s['persons_created']:,} persons, {s['memberships_created']:,} "
        f"memberships, {s['mandates_created']:,} mandates, numbers {s['first_number']} to "
        f"{s['last_number']}; {run.statements} SQL statements (executemany counted once)"
    )
    print(
        f"    of which, measured apart: reading the file {statistics.median(run.parse_s):.2f} s, "
        f"checking every row {statistics.median(run.check_s):.2f} s (medians)"
    )


def summary(runs: list[BackendRun], args) -> None:
    """The compact table of all backends."""
    print()
    print(f"== summary: {args.rows:,} rows, median of {args.runs} runs, commit included ==")
    print(
        f"{'backend':<11}{'import s':>9}{'/ 10 s':>8}{'bare s':>8}{'import/bare':>12}"
        f"{'pages s':>9}  verdict"
    )
    for run in runs:
        pages = f"{run.routes_s['total']:>9.2f}" if run.routes_s else f"{'-':>9}"
        print(
            f"{run.backend:<11}{run.app:>9.2f}{run.target_ratio:>8.2f}{run.bare:>8.2f}"
            f"{run.app / run.bare:>12.1f}{pages}  {run.verdict}"
        )


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=5_000, help="members in the file")
    parser.add_argument("--runs", type=int, default=5, help="repetitions on fresh databases")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)
    parser.add_argument(
        "--no-routes", dest="routes", action="store_false", help="skip the run through the pages"
    )
    parser.add_argument("--write-csv", type=Path, help="also save the generated file here")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """Generate the file, run the benchmark on the chosen backends, print the summary."""
    args = parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    started = time.perf_counter()
    data = member_list(args.rows)
    if args.write_csv:
        args.write_csv.write_bytes(data)
    with tempfile.TemporaryDirectory(prefix="sc-import-bench-") as tmp:
        path = Path(tmp) / "mitglieder.csv"
        path.write_bytes(data)
        print(f"member list: {args.rows:,} rows, {len(data) / 1024:.0f} KiB ({path.name})")
        runs = [run_backend(backend, path, data, args) for backend in backends]
    summary(runs, args)
    print(f"total wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
