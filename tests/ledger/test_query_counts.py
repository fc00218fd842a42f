"""The ledger pages send a fixed number of SQL statements, however many bookings there are.

Each page is requested once with 3 bookings and again with 60 (more persons, categories, funds,
multi-line bookings and a reversal). A lazy load per row (an N+1) makes the second count grow.
"""

import collections
import contextlib
from datetime import date

from sqlalchemy import event

from supportclub.auth.models import User
from supportclub.ledger.models import Account, Category, Fund
from supportclub.ledger.services import LineInput, create_fund, record_booking, reverse_booking
from tests.factories import by_code, make_booking, make_person

# Transaction bookkeeping of the test fixture, not work the page asks for.
IGNORED_PREFIXES = ("SAVEPOINT", "RELEASE", "ROLLBACK TO")
MAX_STATEMENTS = 15

PAGES = {
    "bookings": "/buchungen",
    "bookings of a year": "/buchungen?year=2025",
    "bookings of a category": "/buchungen?category_id={donation}",
    "balances": "/salden",
    "year overview": "/jahresuebersicht?jahr=2025",
    "start page": "/",
    "booking detail": "/buchungen/{detail}",
}


@contextlib.contextmanager
def recorded_statements(engine):
    """Collect the SQL statements sent on `engine` (savepoints left out)."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(IGNORED_PREFIXES):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def page_statements(db, client, url: str) -> list[str]:
    """The statements one GET of `url` sends, starting from an empty session like a new request."""
    db.session.remove()  # a fresh identity map: nothing is loaded already
    with recorded_statements(db.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return statements


def tally(statements: list[str]) -> list[str]:
    """Statements shortened to their start, with how often each was sent (for messages)."""
    counts = collections.Counter(" ".join(s.split())[:90] for s in statements)
    return [f"{n} x {start}" for start, n in counts.items()]


def all_page_statements(db, client, detail_id: int) -> dict[str, list[str]]:
    """The statements of every page, by page name."""
    donation = by_code(Category, "donation").id
    return {
        name: page_statements(db, client, url.format(donation=donation, detail=detail_id))
        for name, url in PAGES.items()
    }


def split_booking(booking_date: date, account: str, parts, *, actor, person=None):
    """A booking with several lines, given as (category code, fund code, cents)."""
    lines = [
        LineInput(by_code(Category, cat).id, by_code(Fund, fund).id, cents)
        for cat, fund, cents in parts
    ]
    return record_booking(
        booking_date=booking_date,
        account_id=by_code(Account, account).id,
        amount_cents=sum(line.amount_cents for line in lines),
        lines=lines,
        actor=actor,
        person_id=person.id if person else None,
        text="Aufgeteilt",
    )


def book_a_few(db, actor_id: int) -> int:
    """3 bookings for 2 persons; returns the id of the one-line donation."""
    actor = db.session.get(User, actor_id)
    create_fund(code="garten", name="Schulgarten", earmarked=True, actor=actor)
    anna, ben = make_person(), make_person(first_name="Ben")
    one_line = make_booking(5000, person_id=anna.id, booking_date=date(2025, 2, 1), actor=actor)
    split_booking(
        date(2025, 3, 1),
        "bank",
        [("dues", "general", 6000), ("donation", "garten", 4000)],
        actor=actor,
        person=ben,
    )
    make_booking(-1500, category="admin_cost", booking_date=date(2025, 4, 1), actor=actor)
    db.session.commit()
    return one_line.id


def book_many_more(db, actor_id: int) -> tuple[int, int]:
    """57 more bookings for 10 more persons, one of them reversed (60 in all).

    Returns the ids of a reversed three-line booking (three categories, two funds) and of its
    reversal.
    """
    actor = db.session.get(User, actor_id)
    create_fund(code="reise", name="Klassenfahrten", earmarked=True, actor=actor)
    persons = [make_person(first_name=f"Person{i}") for i in range(10)]
    three_lines = None
    for i in range(56):
        person = persons[i % len(persons)]
        day = date(2025 if i % 7 else 2024, 1 + i % 12, 1 + i % 28)
        kind = i % 4
        if kind == 0:
            make_booking(1000 + i, person_id=person.id, booking_date=day, actor=actor)
        elif kind == 1:
            make_booking(2400, category="dues", person_id=person.id, booking_date=day, actor=actor)
        elif kind == 2:
            booking = split_booking(
                day,
                "stripe",
                [
                    ("dues", "general", 2400),
                    ("donation", "reise", 3000 + i),
                    ("bank_fees", "general", -95),
                ],
                actor=actor,
                person=person,
            )
            three_lines = three_lines or booking
        else:
            make_booking(
                -(700 + i),
                category="campaign_cost",
                fund="garten",
                booking_date=day,
                actor=actor,
                person_id=person.id,
            )
    reversal = reverse_booking(
        three_lines, "Doppelt erfasst", actor=actor, reversal_date=date(2025, 12, 1)
    )
    db.session.commit()
    return three_lines.id, reversal.id


def test_page_statement_counts_do_not_grow_with_the_books(db, users, clients):
    """Same number of statements per page with 3 and with 60 bookings, and at most 15."""
    client = clients["treasurer"]
    treasurer = users["treasurer"].id
    detail_id = book_a_few(db, treasurer)
    few = all_page_statements(db, client, detail_id)

    reversed_id, reversal_id = book_many_more(db, treasurer)
    many = all_page_statements(db, client, reversed_id)
    many_reversal = page_statements(db, client, f"/buchungen/{reversal_id}")

    counts_few = {name: len(statements) for name, statements in few.items()}
    counts_many = {name: len(statements) for name, statements in many.items()}
    grown = {name: tally(many[name]) for name in PAGES if counts_many[name] != counts_few[name]}
    assert min(counts_few.values()) >= 2, counts_few  # the counter sees the page's queries
    assert counts_many == counts_few, f"statements with 60 bookings: {grown}"
    assert len(many_reversal) == counts_few["booking detail"], tally(many_reversal)
    assert max(counts_many.values()) <= MAX_STATEMENTS, counts_many


def test_the_big_list_really_shows_many_persons_and_lines(db, users, clients):
    """The N+1 check above only bites if the page shows rows with persons and categories."""
    treasurer = users["treasurer"].id
    book_a_few(db, treasurer)
    book_many_more(db, treasurer)
    db.session.remove()
    page = clients["treasurer"].get("/buchungen").get_data(as_text=True)
    assert page.count('href="/buchungen/') >= 50
    assert sum(f"Person{i}" in page for i in range(10)) == 10
    assert "Bank- und Zahlungsgebühren" in page
    assert "storniert" in page
