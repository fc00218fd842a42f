"""The load benchmark's two load generators, each run in a process of its own:

- `run_http`: N threads, each with its own keep-alive `http.client` connection to gunicorn and
  the logged-in session cookies of the three roles, loop over a weighted mix of pages;
- `run_sql`: N threads, each with its own psycopg connection, loop over the same mix, but send
  only the SQL each page essentially needs (its main list or aggregate queries).

Both record (page, status, seconds) per request and write them to a pickle file. Standard library
and psycopg only (no `requests`).
"""

import http.client
import pickle
import random
import re
import statistics
import threading
import time
import urllib.parse
from dataclasses import dataclass

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                  r'name="csrf_token" value="([^"]+)"')  # fmt: skip


@dataclass(frozen=True)
class Page:
    """One page of the mix: who asks for it, how often, and the bare SQL it stands for."""

    name: str
    role: str
    path: str
    weight: int
    sql: tuple[str, ...]


YEAR = 2025
YEAR_PARAMS = {"start": f"{YEAR}-01-01", "end": f"{YEAR + 1}-01-01"}


def pages(ids: dict) -> list[Page]:
    """The mix: treasurer, board and member pages with their weights and bare SQL."""
    person, member, category = ids["detail_person_id"], ids["member_person_id"], ids["category_id"]
    by_category = (
        "SELECT l.category_id, sum(CASE WHEN l.amount_cents > 0 THEN l.amount_cents ELSE 0 END), "
        "sum(CASE WHEN l.amount_cents < 0 THEN l.amount_cents ELSE 0 END) FROM booking_line l "
        "JOIN booking b ON b.id = l.booking_id "
        "WHERE b.booking_date >= %(start)s AND b.booking_date < %(end)s GROUP BY l.category_id"
    )
    account_balances = "SELECT account_id, sum(amount_cents) FROM booking GROUP BY account_id"
    fund_balances = "SELECT fund_id, sum(amount_cents) FROM booking_line GROUP BY fund_id"
    journal = (
        "SELECT b.id, b.booking_date, b.amount_cents, b.text, p.last_name, p.first_name "
        "FROM booking b LEFT JOIN person p ON p.id = b.person_id {where} "
        "ORDER BY b.booking_date DESC, b.id DESC LIMIT 50"
    )
    claims_paid = (
        "SELECT c.id, c.year, c.amount_cents, coalesce(sum(l.amount_cents), 0) FROM dues_claim c "
        "JOIN membership m ON m.id = c.membership_id "
        "LEFT JOIN booking_line l ON l.dues_claim_id = c.id "
        "WHERE m.person_id = {person} GROUP BY c.id, c.year, c.amount_cents ORDER BY c.year"
    )
    return [
        Page(
            "Berichte (Kassenwart)",
            "treasurer",
            "/berichte",
            3,
            (by_category, account_balances),
        ),
        Page(
            "Buchungen, 1. Seite",
            "treasurer",
            "/buchungen",
            4,
            (
                journal.format(where=""),
                "SELECT count(*), sum(amount_cents) FROM booking",
            ),
        ),
        Page(
            f"Buchungen {YEAR - 5}, Spenden",
            "treasurer",
            f"/buchungen?year={YEAR - 5}&category_id={category}",
            2,
            (
                journal.format(
                    where=f"WHERE b.booking_date >= '{YEAR - 5}-01-01' "
                    f"AND b.booking_date < '{YEAR - 4}-01-01' AND EXISTS (SELECT 1 FROM "
                    f"booking_line l WHERE l.booking_id = b.id AND l.category_id = {category})"
                ),
                "SELECT count(DISTINCT b.id), sum(l.amount_cents) FROM booking_line l "
                f"JOIN booking b ON b.id = l.booking_id WHERE l.category_id = {category} "
                f"AND b.booking_date >= '{YEAR - 5}-01-01' AND b.booking_date < '{YEAR - 4}-01-01'",
            ),
        ),
        Page(
            "Mitglied (Detail)",
            "treasurer",
            f"/mitglieder/{person}",
            2,
            (
                f"SELECT * FROM person WHERE id = {person}",
                f"SELECT * FROM membership WHERE person_id = {person}",
                claims_paid.format(person=person),
                f"SELECT id, booking_date, amount_cents, text FROM booking WHERE person_id = "
                f"{person} ORDER BY booking_date DESC LIMIT 50",
            ),
        ),
        Page(
            "Beiträge (Übersicht)",
            "treasurer",
            "/beitraege",
            2,
            (
                "SELECT c.year, count(*), sum(c.amount_cents), coalesce(sum(p.paid), 0) "
                "FROM dues_claim c LEFT JOIN (SELECT dues_claim_id, sum(amount_cents) AS paid "
                "FROM booking_line WHERE dues_claim_id IS NOT NULL GROUP BY dues_claim_id) p "
                "ON p.dues_claim_id = c.id GROUP BY c.year ORDER BY c.year",
            ),
        ),
        Page(
            "Bank prüfen",
            "treasurer",
            "/bank/pruefen",
            2,
            (
                "SELECT * FROM bank_line WHERE state = 'open' ORDER BY booking_date, id LIMIT 50",
                "SELECT count(*), sum(amount_cents) FROM bank_line WHERE state = 'open'",
            ),
        ),
        Page("Berichte (Vorstand)", "board", "/berichte", 3, (by_category, account_balances)),
        Page("Salden", "board", "/salden", 3, (account_balances, fund_balances)),
        Page(
            "Jahresübersicht",
            "board",
            "/jahresuebersicht",
            2,
            (
                by_category,
                "SELECT DISTINCT extract(year FROM booking_date) FROM booking ORDER BY 1 DESC",
            ),
        ),
        Page(
            "Projekte",
            "board",
            "/projekte",
            2,
            (
                "SELECT p.id, p.title, coalesce(sum(g.amount_cents), 0) FROM project p "
                "LEFT JOIN project_grant g ON g.project_id = p.id GROUP BY p.id, p.title "
                "ORDER BY p.id DESC LIMIT 50",
            ),
        ),
        Page(
            "Mein Konto",
            "member",
            "/mein-konto",
            4,
            (
                f"SELECT * FROM person WHERE id = {member}",
                claims_paid.format(person=member),
                f"SELECT id, booking_date, amount_cents, text FROM booking WHERE person_id = "
                f"{member} ORDER BY booking_date DESC LIMIT 20",
            ),
        ),
        Page(
            "Meine Zuwendungsbestätigungen",
            "member",
            "/mein-konto/zuwendungsbestaetigungen",
            2,
            (
                "SELECT id, number, year, total_cents, issued_on FROM donation_receipt "
                f"WHERE person_id = {member} ORDER BY year DESC, seq DESC",
            ),
        ),
    ]


# HTTP ------------------------------------------------------------------------------------------


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    """Take the response's cookies into `jar` (name -> value; attributes ignored)."""
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _sep, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def login(host: str, port: int, email: str, password: str) -> str:
    """Log in through the real form (CSRF token included); the session's Cookie header."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    jar: dict[str, str] = {}
    conn.request("GET", "/anmelden")
    response = conn.getresponse()
    _cookies(response, jar)
    page = response.read().decode()
    match = CSRF.search(page)
    if match is None:
        raise RuntimeError("Anmeldeseite ohne CSRF-Token")
    body = urllib.parse.urlencode(
        {"csrf_token": match.group(1) or match.group(2), "email": email, "password": password}
    )
    conn.request(
        "POST",
        "/anmelden",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _cookie_header(jar),
        },
    )
    response = conn.getresponse()
    response.read()
    _cookies(response, jar)
    conn.close()
    if response.status != 302:
        raise RuntimeError(f"Anmeldung von {email} fehlgeschlagen: HTTP {response.status}")
    return _cookie_header(jar)


def _http_thread(host, port, cookies, mix, deadline, seed, out) -> None:
    """One client: a keep-alive connection, pages drawn by weight until the deadline."""
    rng = random.Random(seed)
    weights = [p.weight for p in mix]
    conn = http.client.HTTPConnection(host, port, timeout=60)
    while time.perf_counter() < deadline:
        page = rng.choices(mix, weights)[0]
        start = time.perf_counter()
        try:
            conn.request("GET", page.path, headers={"Cookie": cookies[page.role]})
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            status = 0  # connection refused or dropped: an error
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
        out.append((page.name, status, time.perf_counter() - start))
    conn.close()


def run_http(host, port, logins, password, mix, seconds, workers, result_path) -> None:
    """The HTTP load generator (a process of its own): log in once per role, then load."""
    cookies = {role: login(host, port, email, password) for role, email in logins.items()}
    _run_threads(
        lambda seed, deadline, out: _http_thread(host, port, cookies, mix, deadline, seed, out),
        seconds,
        workers,
        result_path,
    )


# Bare SQL --------------------------------------------------------------------------------------


def _sql_thread(conninfo, mix, deadline, seed, out) -> None:
    """One client: a psycopg connection, each page's statements fetched whole, then rolled back
    (as the app's pool does after a request)."""
    import psycopg

    rng = random.Random(seed)
    weights = [p.weight for p in mix]
    with psycopg.connect(conninfo) as conn:
        while time.perf_counter() < deadline:
            page = rng.choices(mix, weights)[0]
            start = time.perf_counter()
            status = 200
            try:
                with conn.cursor() as cur:
                    for statement in page.sql:
                        cur.execute(statement, YEAR_PARAMS if "%(start)s" in statement else None)
                        cur.fetchall()
                conn.rollback()
            except psycopg.Error:
                status = 0
                conn.rollback()
            out.append((page.name, status, time.perf_counter() - start))


def run_sql(conninfo, mix, seconds, workers, result_path) -> None:
    """The bare-SQL load generator (a process of its own)."""
    _run_threads(
        lambda seed, deadline, out: _sql_thread(conninfo, mix, deadline, seed, out),
        seconds,
        workers,
        result_path,
    )


def _run_threads(work, seconds, workers, result_path) -> None:
    """Start `workers` threads at once for `seconds`; pickle (results, elapsed) to the path."""
    barrier = threading.Barrier(workers + 1)
    outs: list[list] = [[] for _ in range(workers)]
    box = {}

    def target(index: int) -> None:
        barrier.wait()
        work(index, box["deadline"], outs[index])

    threads = [threading.Thread(target=target, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    box["deadline"] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with open(result_path, "wb") as handle:
        pickle.dump(([r for out in outs for r in out], elapsed), handle)


# Figures ---------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Requests, errors, throughput and latency percentiles (ms) of a set of requests."""

    requests: int
    errors: int
    per_second: float
    p50: float
    p95: float
    p99: float


def figures(rows: list[tuple], elapsed: float) -> Figures:
    """The figures of `rows` ((page, status, seconds), ...) measured over `elapsed` seconds."""
    times = sorted(seconds * 1000 for _page, _status, seconds in rows)
    errors = sum(1 for _page, status, _s in rows if not 200 <= status < 400)
    if len(times) >= 2:
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        p50, p95, p99 = cuts[49], cuts[94], cuts[98]
    else:
        p50 = p95 = p99 = times[0] if times else 0.0
    return Figures(len(rows), errors, len(rows) / elapsed if elapsed else 0.0, p50, p95, p99)
