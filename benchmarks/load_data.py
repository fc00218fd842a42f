"""The load benchmark's database `loadbench`: the ledger benchmark's book (persons, bookings,
lines, bulk-loaded with COPY), then what the other pages need, made through the services:
logins for treasurer, board and member; a membership type and every tenth person a member with
dues claims for three years; the logged-in member with donations, payments and receipts;
projects with grants; one imported bank statement waiting for review."""

import time
from datetime import date

import sqlalchemy as sa
from ledger_data import CHECK_SQL, date_span, generate_book, load_postgresql

PASSWORD = "benchmark-password"
LOGINS = {
    "treasurer": "kasse@bench.example.org",  # made by ledger_bench.prepare
    "board": "vorstand@bench.example.org",
    "member": "mitglied@bench.example.org",
}
CLAIM_YEARS = (2023, 2024, 2025)
REVIEW_ENTRIES = 300


def recreate_database(server_url: str, name: str) -> str:
    """Drop database `name` if it exists, create it empty; its URL."""
    server = sa.make_url(server_url)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` (after ending its connections)."""
    server = sa.make_url(server_url)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def build(url: str, *, persons: int, lines: int, closed_until: int = 0) -> dict:
    """Fill the (empty) database at `url`; returns the ids the pages and the SQL need. With
    `closed_until`, the years up to it are closed through the closing service, as an association
    with this much history would have done (0: none)."""
    from ledger_bench import make_app, prepare

    started = time.perf_counter()
    app = make_app(url)
    ids = prepare(app)  # migrations, the treasurer, four earmarked funds
    book = generate_book(ids, persons=persons, lines=lines, created_suffix="+00")
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    load_postgresql(conninfo, book)
    with app.app_context():
        extra = _around_the_book(ids.user_id)
        from supportclub.extensions import db

        extra["closed"] = _close_years(int(str(date_span(book)[0])[:4]), closed_until)

        db.session.remove()
        db.engine.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
        counts = conn.execute(sa.text(CHECK_SQL)).one()
    engine.dispose()
    first, last = date_span(book)
    print(
        f"loaded {counts[0]:,} persons, {counts[1]:,} bookings, {counts[2]:,} lines "
        f"({first} to {last}), unbalanced bookings: {counts[4]}; "
        f"{extra['members']:,} members with {extra['claims']:,} claims; "
        f"closed years: {extra['closed'] or 'none'}; "
        f"{time.perf_counter() - started:.0f} s"
    )
    return extra


def _close_years(first: int, last: int) -> str:
    """Close the years first..last with the closing service (warnings confirmed)."""
    from supportclub.closing.services import close_year
    from supportclub.extensions import db

    if not last or last < first:
        return ""
    started = time.perf_counter()
    for year in range(first, last + 1):
        close_year(year, actor=None, note="load benchmark", confirm_warnings=True)
        db.session.commit()
    return f"{first}–{last} ({time.perf_counter() - started:.1f} s)"


def _around_the_book(treasurer_id: int) -> dict:
    """Users, members and claims, the member's receipts, projects, a bank statement."""
    from supportclub.admin.services import set_bank_iban
    from supportclub.auth.models import User
    from supportclub.auth.services import create_user
    from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053
    from supportclub.banking.imports import import_file
    from supportclub.dues.services import run_dues
    from supportclub.extensions import db
    from supportclub.ledger.models import Person
    from supportclub.members.services import join
    from supportclub.receipts.services import issue_collective
    from tests.factories import (
        make_contribution,
        make_grant,
        make_membership_type,
        make_person,
        make_project,
        make_receipt_settings,
    )

    treasurer = db.session.get(User, treasurer_id)
    make_receipt_settings()
    mtype = make_membership_type("regular", name="Regulär", rates=[(date(2009, 1, 1), 3600)])
    # every tenth generated person is a member (bulk, as a members import would write them)
    db.session.execute(
        sa.text(
            "INSERT INTO membership (person_id, membership_type_id, start_date, leave_reason, "
            "mandate_type, created_at) SELECT id, :type, DATE '2015-01-01', '', 'RCUR', now() "
            "FROM person WHERE id % 10 = 0"
        ),
        {"type": mtype.id},
    )
    db.session.execute(sa.text("UPDATE person SET member_number = 100000 + id WHERE id % 10 = 0"))
    # the member who logs in: a membership, donations, receipts
    member = make_person(first_name="Marta", last_name="Mitglied", email=LOGINS["member"])
    join(member, membership_type_id=mtype.id, start_date=date(2020, 1, 1), actor=treasurer)
    db.session.commit()
    create_user(email=LOGINS["board"], password=PASSWORD, role="board", actor=None)
    create_user(
        email=LOGINS["member"], password=PASSWORD, role="member", actor=None, person_id=member.id
    )
    db.session.commit()
    for year in CLAIM_YEARS:
        run_dues(year, actor=treasurer, run_date=date(year, 1, 15))
        db.session.commit()
    for year in (2023, 2024):
        for month in (3, 6, 11):
            make_contribution(member, 2500 * month, booking_date=date(year, month, 12))
        issue_collective(db.session.get(Person, member.id), year, actor=treasurer)
        db.session.commit()
    for n in range(30):
        make_grant(make_project(f"Projekt {n + 1}"), 50_000 + 1_000 * n)
    set_bank_iban(ASSOCIATION_IBAN, actor=treasurer)
    entries = [
        {
            "amount_cents": 1000 + 37 * n,
            "name": f"Zahler {n}",
            "purpose": f"Spende {n}",
            "ref": f"LOAD-{n}",
            "booking_date": date(2025, 3, 1 + n % 28),
        }
        for n in range(REVIEW_ENTRIES)
    ]
    import_file(camt053(entries, start=date(2025, 3, 1)), "auszug.xml", actor=treasurer)
    db.session.commit()
    members = db.session.scalar(sa.text("SELECT count(*) FROM membership"))
    claims = db.session.scalar(sa.text("SELECT count(*) FROM dues_claim"))
    return {
        "members": members,
        "claims": claims,
        "member_person_id": member.id,
        "detail_person_id": db.session.scalar(
            sa.text("SELECT min(person_id) FROM membership WHERE person_id % 10 = 0")
        ),
        "category_id": db.session.scalar(
            sa.text("SELECT id FROM category WHERE code = 'donation'")
        ),
    }
