"""A large, realistic book for the ledger benchmark: generated in memory, bulk-loaded.

Persons, bookings and booking lines get their ids here; every booking's lines sum to its amount
(integer cents). PostgreSQL is loaded with COPY, SQLite with executemany, each in one transaction.
"""

import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import date

PERSON_COLUMNS = (
    "id, kind, first_name, last_name, street, postal_code, city, country, email, iban, "
    "is_active, created_at, phone"
)
BOOKING_COLUMNS = (
    "id, booking_date, account_id, amount_cents, person_id, text, channel, external_ref, "
    "reversal_of_id, reversal_reason, created_at, created_by_id"
)
LINE_COLUMNS = "id, booking_id, category_id, fund_id, amount_cents, text"


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one string."""
    return tuple(text.split())


FIRST_NAMES = _words(
    "Anna Ben Clara David Emma Felix Greta Hannah Jonas Julia Karl Lena Lukas Marie Max Mia "
    "Noah Paul Sophie Tim Jürgen Ursula Sabine Thomas Petra Stefan Monika Andreas Sören Hülya"
)
LAST_NAMES = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange "
    "Schmitt Werner Krause Meier Lehmann Köhler Yılmaz"
)
ORGANISATIONS = (
    "Druckerei Jena GmbH",
    "Stadtwerke Jena",
    "Grundschule am Park",
    "Gymnasium Lobeda",
    "Bäckerei Sommer",
    "Sparkasse Jena-Saale-Holzland",
    "Reisebüro Saaletal",
    "Bürobedarf Ost KG",
)
CITIES = (("07743", "Jena"), ("07745", "Jena"), ("99423", "Weimar"), ("04109", "Leipzig"))
DONATIONS = (500, 1000, 1500, 2000, 2500, 3000, 5000, 7500, 10000, 15000, 20000, 50000)
DUES = (1200, 2400, 3600, 6000)
REASONS = ("Doppelt erfasst", "Falscher Betrag", "Falsches Konto")


@dataclass(frozen=True)
class BookIds:
    """Ids that exist after the migrations (accounts, categories, funds) and the setup."""

    accounts: dict[str, int]
    categories: dict[str, int]
    general_fund: int
    earmarked_funds: tuple[int, ...]
    user_id: int


@dataclass
class Book:
    """The rows to load, in column order (dates as ISO strings, flags as 0/1)."""

    persons: list[tuple]
    bookings: list[list]
    lines: list[tuple]


class _Generator:
    """Draws bookings; each kind returns (account, person, text, channel, ref?, lines)."""

    def __init__(self, ids: BookIds, persons: int, rng: random.Random):
        self.ids, self.rng = ids, rng
        self.acc, self.cat = ids.accounts, ids.categories
        organisations = max(persons // 20, 1)
        self.orgs = range(persons - organisations + 1, persons + 1)
        self.privates = range(1, persons - organisations + 1) or self.orgs
        self.members = self.privates[: max(len(self.privates) * 3 // 10, 1)]
        self.kinds = [
            (self.donation, 20),
            (self.stripe_donation, 20),
            (self.split_donation, 8),
            (self.dues, 16),
            (self.dues_and_donation, 12),
            (self.event_income, 7),
            (self.expense, 8),
            (self.split_expense, 4),
            (self.grant, 2),
            (self.allocation, 1),
            (self.bank_fees, 1.5),
            (self.interest, 0.3),
        ]
        self.kind_funcs = [k for k, _w in self.kinds]
        self.kind_weights = [w for _k, w in self.kinds]

    def fund(self) -> int:
        """Mostly the general fund, sometimes an earmarked one."""
        if self.rng.random() < 0.75 or not self.ids.earmarked_funds:
            return self.ids.general_fund
        return self.rng.choice(self.ids.earmarked_funds)

    def donation(self):
        amount = self.rng.choice(DONATIONS)
        person = self.rng.choice(self.privates)
        lines = [(self.cat["donation"], self.fund(), amount, "")]
        return self.acc["bank"], person, "Spende", "bank", False, lines

    def stripe_donation(self):
        amount = self.rng.choice(DONATIONS)
        fee = 25 + amount * 14 // 1000
        lines = [
            (self.cat["donation"], self.fund(), amount, ""),
            (self.cat["bank_fees"], self.ids.general_fund, -fee, "Stripe-Gebühr"),
        ]
        person = self.rng.choice(self.privates)
        return self.acc["stripe"], person, "Online-Spende", "stripe", True, lines

    def split_donation(self):
        general, first, second = self.ids.general_fund, *self.rng.sample(self._earmarked(), 2)
        lines = [
            (self.cat["donation"], fund, self.rng.choice(DONATIONS), "")
            for fund in (general, first, second)
        ]
        person = self.rng.choice(self.privates)
        return self.acc["bank"], person, "Spende für mehrere Projekte", "bank", False, lines

    def _earmarked(self) -> tuple[int, ...]:
        """At least two funds to split between (the general fund stands in if need be)."""
        funds = self.ids.earmarked_funds
        return funds if len(funds) >= 2 else (*funds, self.ids.general_fund, self.ids.general_fund)

    def dues(self):
        lines = [(self.cat["dues"], self.ids.general_fund, self.rng.choice(DUES), "")]
        person = self.rng.choice(self.members)
        return self.acc["bank"], person, "Mitgliedsbeitrag", "bank", False, lines

    def dues_and_donation(self):
        lines = [
            (self.cat["dues"], self.ids.general_fund, self.rng.choice(DUES), ""),
            (self.cat["donation"], self.fund(), self.rng.choice(DONATIONS), "Aufrundung"),
        ]
        person = self.rng.choice(self.members)
        return self.acc["bank"], person, "Beitrag und Spende", "bank", False, lines

    def event_income(self):
        category = self.rng.choice(("sales", "campaign_fees"))
        amount = self.rng.randrange(2000, 80000)
        lines = [(self.cat[category], self.ids.general_fund, amount, "")]
        return self.acc["cash"], None, "Sommerfest Kasse", "cash", False, lines

    def expense(self):
        category = self.rng.choice(("admin_cost", "campaign_cost"))
        lines = [(self.cat[category], self.ids.general_fund, -self.rng.randrange(500, 60000), "")]
        person = self.rng.choice(self.orgs)
        return self.acc["bank"], person, "Rechnung", "bank", False, lines

    def split_expense(self):
        lines = [
            (self.cat["campaign_cost"], self.fund(), -self.rng.randrange(1000, 90000), "Material"),
            (self.cat["campaign_cost"], self.ids.general_fund, -self.rng.randrange(500, 9000), ""),
            (
                self.cat["admin_cost"],
                self.ids.general_fund,
                -self.rng.randrange(100, 3000),
                "Porto",
            ),
        ]
        person = self.rng.choice(self.orgs)
        return self.acc["bank"], person, "Rechnung Aktion", "bank", False, lines

    def grant(self):
        fund = self.rng.choice(self._earmarked())
        lines = [(self.cat["grant_payout"], fund, -self.rng.randrange(10000, 300000), "")]
        person = self.rng.choice(self.orgs)
        return self.acc["bank"], person, "Förderung", "bank", False, lines

    def allocation(self):
        amount = self.rng.randrange(10000, 500000)
        target = self.rng.choice(self._earmarked())
        lines = [
            (self.cat["allocation"], self.ids.general_fund, -amount, ""),
            (self.cat["allocation"], target, amount, ""),
        ]
        return None, None, "Mittelzuweisung", "manual", False, lines

    def bank_fees(self):
        lines = [(self.cat["bank_fees"], self.ids.general_fund, -self.rng.randrange(300, 2500), "")]
        return self.acc["bank"], None, "Kontoführung", "bank", False, lines

    def interest(self):
        lines = [(self.cat["interest"], self.ids.general_fund, self.rng.randrange(100, 20000), "")]
        return self.acc["bank"], None, "Zinsen", "bank", False, lines

    def pick(self, max_lines: int):
        """One booking of a random kind with at most `max_lines` lines."""
        while True:
            kind = self.rng.choices(self.kind_funcs, self.kind_weights)[0]
            booking = kind()
            if len(booking[5]) <= max_lines:
                return booking


def generate_persons(count: int, created_suffix: str, rng: random.Random) -> list[tuple]:
    """`count` persons; the last twentieth are organisations."""
    organisations = max(count // 20, 1)
    rows = []
    for pid in range(1, count + 1):
        postal_code, city = rng.choice(CITIES)
        street = f"{rng.choice(LAST_NAMES)}straße {rng.randrange(1, 120)}"
        if pid > count - organisations:
            first, last, kind = "", ORGANISATIONS[pid % len(ORGANISATIONS)], "organisation"
        else:
            first, last, kind = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), "private"
        email = f"person{pid}@example.org" if pid % 3 else None
        created = f"2010-12-01 09:00:00.000000{created_suffix}"
        rows.append(
            (pid, kind, first, last, street, postal_code, city, "DE", email, None, 1, created, "")
        )
    return rows


def booking_dates(count: int, first_year: int, years: int, rng: random.Random) -> list[str]:
    """`count` sorted ISO dates over `years` years; later years have more bookings."""
    starts = [date(first_year + y, 1, 1) for y in range(years + 1)]
    weights = [1 + 0.08 * y for y in range(years)]
    year_of = rng.choices(range(years), weights, k=count)
    ordinals = []
    for y in year_of:
        span = (starts[y + 1] - starts[y]).days
        ordinals.append(starts[y].toordinal() + rng.randrange(span))
    ordinals.sort()
    cache: dict[int, str] = {}
    return [cache.get(o) or cache.setdefault(o, date.fromordinal(o).isoformat()) for o in ordinals]


def generate_book(
    ids: BookIds,
    *,
    persons: int,
    lines: int,
    created_suffix: str,
    first_year: int = 2011,
    years: int = 15,
    seed: int = 2011,
    reversal_rate: float = 0.005,
) -> Book:
    """A book with exactly `lines` booking lines over `years` years (deterministic by seed)."""
    rng = random.Random(seed)
    gen = _Generator(ids, persons, rng)
    bookings: list[list] = []
    line_rows: list[tuple] = []
    while len(line_rows) < lines:
        account, person, text, channel, has_ref, parts = gen.pick(lines - len(line_rows))
        bid = len(bookings) + 1
        ref = f"pi_bench_{bid}" if has_ref else None
        amount = sum(p[2] for p in parts) if account is not None else 0
        bookings.append(
            [bid, None, account, amount, person, text, channel, ref, None, None, None, ids.user_id]
        )
        for category, fund, cents, line_text in parts:
            line_rows.append((len(line_rows) + 1, bid, category, fund, cents, line_text))
        left = lines - len(line_rows)
        if account is not None and left >= len(parts) and rng.random() < reversal_rate:
            rid = bid + 1
            reason = rng.choice(REASONS)
            bookings.append(
                [rid, None, account, -amount, person, f"Storno von Buchung {bid}: {text}",
                 channel, None, bid, reason, None, ids.user_id]
            )  # fmt: skip
            for category, fund, cents, line_text in parts:
                line_rows.append((len(line_rows) + 1, rid, category, fund, -cents, line_text))
    dates = booking_dates(len(bookings), first_year, years, rng)
    for row, day in zip(bookings, dates, strict=True):
        row[1] = day
        row[10] = f"{day} 10:00:00.000000{created_suffix}"
    return Book(generate_persons(persons, created_suffix, rng), bookings, line_rows)


def load_postgresql(conninfo: str, book: Book) -> dict[str, float]:
    """COPY the book into PostgreSQL in one transaction, fix the sequences, VACUUM ANALYZE.

    The foreign keys of booking and booking_line are dropped for the COPY and added back, with
    the same names and definitions, before the commit: adding a key checks every row in one
    join, instead of one trigger query per row (35 s down to 12 s here).
    """
    import psycopg

    timings = {}
    with psycopg.connect(conninfo) as conn:
        start = time.perf_counter()
        with conn.cursor() as cur:
            keys = cur.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' "
                "AND conrelid IN ('booking'::regclass, 'booking_line'::regclass)"
            ).fetchall()
            for table, name, _definition in keys:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for table, columns, rows in _tables(book):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            for table, name, definition in keys:
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for table in ("person", "booking", "booking_line"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        conn.commit()
        timings["insert"] = time.perf_counter() - start
        start = time.perf_counter()
        conn.autocommit = True
        # VACUUM as autovacuum would on a live system (visibility map for index-only scans).
        conn.execute("VACUUM (ANALYZE)")
        timings["analyze"] = time.perf_counter() - start
    return timings


def load_sqlite(path: str, book: Book) -> dict[str, float]:
    """executemany the book into SQLite in one transaction (fast pragmas for the load only).

    Foreign keys are checked once after the load (PRAGMA foreign_key_check) instead of per row.
    """
    timings = {}
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Only this loading connection skips fsync and the per-row key checks; the app's
        # connections use the defaults. A crash during the load means running it again.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-400000")
        conn.execute("PRAGMA foreign_keys=OFF")
        start = time.perf_counter()
        conn.execute("BEGIN")
        for table, columns, rows in _tables(book):
            marks = ", ".join("?" * len(columns.split(",")))
            conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            conn.execute("ROLLBACK")
            raise RuntimeError(f"foreign keys broken by the load: {broken[:5]}")
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=DELETE")  # back to the default the app expects
        timings["insert"] = time.perf_counter() - start
        start = time.perf_counter()
        conn.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - start
    finally:
        conn.close()
    return timings


def _tables(book: Book):
    """(table, columns, rows) in foreign-key order."""
    return (
        ("person", PERSON_COLUMNS, book.persons),
        ("booking", BOOKING_COLUMNS, book.bookings),
        ("booking_line", LINE_COLUMNS, book.lines),
    )


CHECK_SQL = """
SELECT
  (SELECT count(*) FROM person),
  (SELECT count(*) FROM booking),
  (SELECT count(*) FROM booking_line),
  (SELECT count(*) FROM booking WHERE reversal_of_id IS NOT NULL),
  (SELECT count(*) FROM booking b
     JOIN (SELECT booking_id, sum(amount_cents) AS total FROM booking_line GROUP BY booking_id) s
       ON s.booking_id = b.id
    WHERE s.total <> b.amount_cents)
"""


def date_span(book: Book) -> tuple[str, str]:
    """First and last booking date."""
    return book.bookings[0][1], book.bookings[-1][1]
