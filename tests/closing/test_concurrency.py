"""A year closing racing bookings on PostgreSQL: several threads keep booking into the year
while another closes it. Nothing may slip in: the stored closing balances equal the sums of all
lines dated in the year, and every booking that lost the race got the closed-year error."""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.clock import today
from supportclub.closing.services import close_year
from supportclub.errors import ClosedPeriodError
from supportclub.extensions import db
from supportclub.ledger.bulk import BookingSpec, record_bookings
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    ClosedYear,
    ClosedYearBalance,
    Fund,
)
from supportclub.ledger.services import LineInput, create_fund, record_booking
from tests.conftest import own_postgresql_app
from tests.dbutil import PG_URL
from tests.factories import by_code

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="PostgreSQL only (set TEST_DATABASE_URL): SQLite serialises all writers"
)

LAST = today().year - 1
THREADS = 6
MAX_PER_THREAD = 400
CLOSED = (
    f"Das Jahr {LAST} ist abgeschlossen (festgeschrieben); darin kann nicht mehr gebucht werden."
)


@pytest.fixture(params=["postgresql"])
def pg_app():
    """A real app on its own new PostgreSQL database (h1_…), dropped afterwards."""
    with own_postgresql_app(prefix="h1_") as app:
        yield app


def _ids(app) -> dict:
    """Accounts, categories and funds the bookings use (a project fund is created)."""
    with app.app_context():
        project = create_fund(code="garten", name="Schulgarten", earmarked=True, actor=None)
        db.session.commit()
        ids = {
            "bank": by_code(Account, "bank").id,
            "cash": by_code(Account, "cash").id,
            "donation": by_code(Category, "donation").id,
            "general": by_code(Fund, "general").id,
            "project": project.id,
        }
        db.session.remove()
        return ids


def _book(ids: dict, thread: int, n: int) -> None:
    """One booking dated in LAST: single via record_booking, every third via the bulk path."""
    amount = 1000 * (thread + 1) + n
    account = ids["bank"] if n % 2 else ids["cash"]
    lines = [
        LineInput(ids["donation"], ids["general"], amount - 100),
        LineInput(ids["donation"], ids["project"], 100),
    ]
    day = date(LAST, 1 + n % 12, 1 + thread)
    if n % 3 == 0:
        record_bookings([BookingSpec(day, account, amount, lines)], actor=None)
    else:
        record_booking(
            booking_date=day, account_id=account, amount_cents=amount, lines=lines, actor=None
        )


def test_no_booking_slips_into_a_year_while_it_is_closed(pg_app):
    ids = _ids(pg_app)
    barrier = threading.Barrier(THREADS + 1)
    booked: list[list[int]] = [[] for _ in range(THREADS)]
    refusals: list[list[str]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def booker(thread: int) -> None:
        with pg_app.app_context():
            try:
                barrier.wait(timeout=60)
                for n in range(MAX_PER_THREAD):
                    try:
                        _book(ids, thread, n)
                        db.session.commit()
                        booked[thread].append(n)
                    except ClosedPeriodError as exc:
                        db.session.rollback()
                        refusals[thread].append(exc.message)
                        break
            except BaseException as exc:  # noqa: BLE001 - asserted below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    def closer() -> None:
        with pg_app.app_context():
            try:
                barrier.wait(timeout=60)
                time.sleep(0.3)  # the bookers are in full swing
                close_year(LAST, None, note="Wettlauf", confirm_warnings=True)
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - asserted below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=booker, args=(t,)) for t in range(THREADS)]
    threads.append(threading.Thread(target=closer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a worker hangs (deadlock?)"
    assert not errors, errors

    # every booker ran into the closed year, with the German message, and booked before that
    # (the bulk path names the booking of its batch: "Buchung 1: …")
    assert all(
        len(messages) == 1 and messages[0] in (CLOSED, f"Buchung 1: {CLOSED}")
        for messages in refusals
    ), refusals
    made = sum(len(b) for b in booked)
    assert made > 0

    with pg_app.app_context():
        try:
            assert db.session.get(ClosedYear, LAST) is not None
            count = db.session.execute(
                select(func.count(Booking.id)).where(
                    Booking.booking_date.between(date(LAST, 1, 1), date(LAST, 12, 31))
                )
            ).scalar_one()
            assert count == made  # exactly the bookings that reported success
            accounts = dict(
                db.session.execute(
                    select(Booking.account_id, func.sum(Booking.amount_cents))
                    .where(Booking.booking_date <= date(LAST, 12, 31))
                    .group_by(Booking.account_id)
                ).all()
            )
            funds = dict(
                db.session.execute(
                    select(BookingLine.fund_id, func.sum(BookingLine.amount_cents))
                    .join(Booking, Booking.id == BookingLine.booking_id)
                    .where(Booking.booking_date <= date(LAST, 12, 31))
                    .group_by(BookingLine.fund_id)
                ).all()
            )
            stored = (
                db.session.execute(select(ClosedYearBalance).filter_by(year=LAST)).scalars().all()
            )
            stored_accounts = {b.account_id: b.closing_cents for b in stored if b.account_id}
            stored_funds = {b.fund_id: b.closing_cents for b in stored if b.fund_id}
            expected = {(t, n): 1000 * (t + 1) + n for t in range(THREADS) for n in booked[t]}
            assert sum(expected.values()) == sum(accounts.values())
            assert stored_accounts[ids["bank"]] == int(accounts.get(ids["bank"], 0))
            assert stored_accounts[ids["cash"]] == int(accounts.get(ids["cash"], 0))
            assert stored_funds[ids["general"]] == int(funds[ids["general"]])
            assert stored_funds[ids["project"]] == int(funds[ids["project"]]) == 100 * made
            assert all(b.opening_cents == 0 for b in stored)
        finally:
            db.session.remove()


def test_a_first_closing_and_a_booking_into_the_year_before_never_both_succeed(pg_app):
    """The first year closed needs no predecessor only while nothing is booked before it: a
    booking into the year before that races the closing either blocks it or is refused."""
    ids = _ids(pg_app)
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(3)

    def work(name: str, action) -> None:
        with pg_app.app_context():
            try:
                barrier.wait(timeout=60)
                action()
                db.session.commit()
                outcomes[name] = "ok"
            except BaseException as exc:  # noqa: BLE001 - asserted below
                db.session.rollback()
                outcomes[name] = exc
            finally:
                db.session.remove()

    def book_before() -> None:
        time.sleep(0.01)
        record_booking(
            booking_date=date(LAST - 1, 12, 31),
            account_id=ids["bank"],
            amount_cents=500,
            lines=[LineInput(ids["donation"], ids["general"], 500)],
            actor=None,
        )

    def book_in() -> None:
        _book(ids, 0, 1)

    def close() -> None:
        close_year(LAST, None, confirm_warnings=True)

    threads = [
        threading.Thread(target=work, args=("before", book_before)),
        threading.Thread(target=work, args=("in", book_in)),
        threading.Thread(target=work, args=("close", close)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hangs (deadlock?)"
    with pg_app.app_context():
        try:
            closed = db.session.get(ClosedYear, LAST) is not None
            before = db.session.execute(
                select(func.count(Booking.id)).where(Booking.booking_date < date(LAST, 1, 1))
            ).scalar_one()
            in_year = db.session.execute(
                select(func.coalesce(func.sum(Booking.amount_cents), 0)).where(
                    Booking.booking_date.between(date(LAST, 1, 1), date(LAST, 12, 31))
                )
            ).scalar_one()
            if closed:
                assert outcomes["close"] == "ok"
                assert before == 0, "a booking slipped in before the first closed year"
                assert isinstance(outcomes["before"], ClosedPeriodError), outcomes
                stored = db.session.execute(
                    select(func.sum(ClosedYearBalance.closing_cents)).where(
                        ClosedYearBalance.year == LAST, ClosedYearBalance.account_id.is_not(None)
                    )
                ).scalar_one()
                assert stored == in_year
            else:
                assert before == 1
                assert isinstance(outcomes["close"], ClosedPeriodError), outcomes
                assert "ist noch nicht abgeschlossen" in outcomes["close"].message
        finally:
            db.session.remove()
