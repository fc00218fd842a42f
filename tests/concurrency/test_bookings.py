"""Eight treasurers booking at the same moment: 200 bookings, reversals of each other's bookings
(each reversed once, the second one refused in German), the same bank reference eight times."""

from datetime import date

from sqlalchemy import func, select

from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.ledger.models import Account, Booking, BookingLine, Category, Channel, Fund
from supportclub.ledger.services import LineInput, record_booking, reverse_booking
from tests.concurrency.conftest import assert_audit_chain_intact, at_once, committed, message_of
from tests.factories import by_code

THREADS = 8
PER_THREAD = 25
ROUNDS = 5  # reversal rounds: in each, four pairs of threads reverse the same booking at once


def amount_of(thread: int, n: int) -> int:
    """A distinct amount per booking, so every sum below is checked to the cent."""
    return 10_000 * (thread + 1) + 101 * n + 7


def setup_ids(app) -> dict:
    """The ids of the bank account, two categories and the two funds the bookings use."""

    def read():
        from supportclub.ledger.services import create_fund

        project = create_fund(code="schulgarten", name="Schulgarten", earmarked=True, actor=None)
        db.session.commit()
        return {
            "bank": by_code(Account, "bank").id,
            "donation": by_code(Category, "donation").id,
            "dues": by_code(Category, "dues").id,
            "general": by_code(Fund, "general").id,
            "project": project.id,
        }

    return committed(app, read)


def book(ids: dict, thread: int, n: int) -> Booking:
    """One two-line booking (a donation split between the general and the project fund)."""
    amount = amount_of(thread, n)
    earmarked = amount // 3
    return record_booking(
        booking_date=date(2025, 1 + n % 12, 1 + thread),
        account_id=ids["bank"],
        amount_cents=amount,
        lines=[
            LineInput(ids["donation"], ids["general"], amount - earmarked),
            LineInput(ids["dues"] if n % 2 else ids["donation"], ids["project"], earmarked),
        ],
        actor=None,
        text=f"Thread {thread} Nr. {n}",
    )


def test_eight_threads_book_200_and_reverse_each_others_bookings_once(pg_app):
    import threading

    ids = setup_ids(pg_app)
    mine: dict[int, list[int]] = {}
    second = threading.Barrier(THREADS)
    round_barrier = threading.Barrier(THREADS)

    def work(thread: int):
        made = []
        for n in range(PER_THREAD):
            made.append(book(ids, thread, n).id)
            db.session.commit()
        mine[thread] = made
        second.wait(timeout=60)  # every thread has committed its 25 bookings
        won, lost = [], []
        # threads 2k and 2k+1 reverse the same booking of thread (2k + 2) at once, five rounds
        owner = (thread // 2 * 2 + 2) % THREADS
        for r in range(ROUNDS):
            target = mine[owner][r * 3]
            round_barrier.wait(timeout=60)
            try:
                reversal = reverse_booking(
                    db.session.get(Booking, target), f"Fehlbuchung Runde {r}", actor=None
                )
                db.session.commit()
                won.append((target, reversal.id))
            except DomainError as exc:
                db.session.rollback()
                lost.append((target, message_of(exc)))
        return won, lost

    outcomes = at_once(pg_app, [lambda t=t: work(t) for t in range(THREADS)])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    won = [w for o in outcomes for w in o[0]]
    lost = [x for o in outcomes for x in o[1]]
    # each of the 20 bookings was reversed by exactly one of its two threads
    assert len(won) == len(lost) == ROUNDS * THREADS // 2
    assert sorted(t for t, _r in won) == sorted(t for t, _m in lost)
    assert len({t for t, _r in won}) == ROUNDS * THREADS // 2
    winner = dict(won)
    for target, message in lost:
        # the loser waited for the winner's lock and names the winner's reversal
        assert message == f"Diese Buchung wurde bereits storniert (Buchung {winner[target]}).", (
            message
        )

    expected = {(t, n): amount_of(t, n) for t in range(THREADS) for n in range(PER_THREAD)}
    reversed_amounts = sum(
        amount_of(t, n)
        for t in range(THREADS)
        for n in range(PER_THREAD)
        if mine[t][n] in {target for target, _r in won}
    )

    def read():
        originals = db.session.scalars(
            select(Booking).where(Booking.reversal_of_id.is_(None)).order_by(Booking.id)
        ).all()
        reversals = db.session.scalars(
            select(Booking).where(Booking.reversal_of_id.is_not(None)).order_by(Booking.id)
        ).all()
        assert len(originals) == THREADS * PER_THREAD == 200
        assert sorted(b.amount_cents for b in originals) == sorted(expected.values())
        # each reversal negates exactly one booking, line by line, and no booking twice
        assert len(reversals) == len({r.reversal_of_id for r in reversals}) == 20
        for reversal in reversals:
            original = db.session.get(Booking, reversal.reversal_of_id)
            assert original.reversal_of_id is None
            assert reversal.amount_cents == -original.amount_cents
            assert [(x.category_id, x.fund_id, -x.amount_cents) for x in original.lines] == [
                (x.category_id, x.fund_id, x.amount_cents) for x in reversal.lines
            ]
        # every booking's lines sum to its amount (checked in SQL over all 220)
        line_sums = (
            select(BookingLine.booking_id, func.sum(BookingLine.amount_cents).label("total"))
            .group_by(BookingLine.booking_id)
            .subquery()
        )
        unbalanced = db.session.scalar(
            select(func.count())
            .select_from(Booking)
            .join(line_sums, line_sums.c.booking_id == Booking.id)
            .where(line_sums.c.total != Booking.amount_cents)
        )
        without_lines = db.session.scalar(select(func.count()).where(~Booking.lines.any()))
        assert (unbalanced, without_lines) == (0, 0)
        balance = db.session.scalar(
            select(func.sum(Booking.amount_cents)).where(Booking.account_id == ids["bank"])
        )
        lines_total = db.session.scalar(select(func.sum(BookingLine.amount_cents)))
        return balance, lines_total

    balance, lines_total = committed(pg_app, read)
    exact = sum(expected.values()) - reversed_amounts
    assert balance == lines_total == exact
    # 200 bookings, 20 reversals, the fund: one audit entry each, in one unbroken chain
    assert assert_audit_chain_intact(pg_app) == 200 + 20 + 1


def test_the_same_bank_reference_eight_times_at_once_is_booked_once(pg_app):
    ids = setup_ids(pg_app)

    def work(thread: int):
        return record_booking(
            booking_date=date(2025, 6, 2),
            account_id=ids["bank"],
            amount_cents=4200,
            lines=[LineInput(ids["donation"], ids["general"], 4200)],
            actor=None,
            channel=Channel.BANK,
            external_ref="2025-06-02/UMSATZ-4711",
            text=f"Spende (Import {thread})",
        ).id

    outcomes = at_once(pg_app, [lambda t=t: work(t) for t in range(THREADS)])
    booked = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if not isinstance(o, int)]
    assert len(booked) == 1 and len(refused) == THREADS - 1
    for exc in refused:
        # the same German message a sequential second attempt gets, never a database error
        assert isinstance(exc, DomainError), repr(exc)
        assert message_of(exc) == (
            f"Dieser Vorgang (2025-06-02/UMSATZ-4711) ist bereits gebucht (Buchung {booked[0]})."
        )

    def read():
        return db.session.execute(
            select(func.count(), func.sum(Booking.amount_cents)).where(
                Booking.channel == Channel.BANK,
                Booking.external_ref == "2025-06-02/UMSATZ-4711",
            )
        ).one()

    assert tuple(committed(pg_app, read)) == (1, 4200)
    assert assert_audit_chain_intact(pg_app) == 2
