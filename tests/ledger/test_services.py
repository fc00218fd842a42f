"""Ledger rules, tested on the services without HTTP."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.clock import today
from supportclub.errors import ClosedPeriodError, DomainError, ImmutableError, ValidationError
from supportclub.ledger import queries as q
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    Channel,
    ClosedYear,
    Fund,
    TaxSphere,
)
from supportclub.ledger.services import LineInput, create_fund, record_booking, reverse_booking
from tests.factories import by_code, make_booking, make_person


def count(db, model) -> int:
    """Rows of a table."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def line(category: str, amount: int, fund: str = "general") -> LineInput:
    """A LineInput by codes."""
    return LineInput(by_code(Category, category).id, by_code(Fund, fund).id, amount)


def test_record_booking_with_split_lines_and_audit(app, db, users):
    person = make_person()
    booking = record_booking(
        booking_date=date(2025, 5, 2),
        account_id=by_code(Account, "bank").id,
        amount_cents=6000,
        lines=[line("dues", 3600), line("donation", 2400)],
        person_id=person.id,
        text="Beitrag 2025 und Spende",
        actor=users["treasurer"],
    )
    db.session.commit()
    assert [ln.amount_cents for ln in booking.lines] == [3600, 2400]
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "bookings.recorded")
    ).scalar_one()
    assert entry.target_id == booking.id
    assert entry.actor_id == users["treasurer"].id
    assert entry.data["amount_cents"] == 6000


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lines_amounts": [3600, 2000]}, "Die Positionen ergeben 56,00 €"),
        ({"account_id": 999999}, "Das Konto ist unbekannt"),
        ({"fund_id": 999999}, "Der Fonds (Position 1) ist unbekannt"),
        ({"booking_date": today() + timedelta(days=90)}, "zu weit in der Zukunft"),
        ({"booking_date": date(1970, 1, 1)}, "zu weit in der Vergangenheit"),
        ({"lines_amounts": []}, "mindestens eine Position"),
    ],
)
def test_bad_bookings_are_refused_and_nothing_is_written(app, db, kwargs, message):
    before = (count(db, Booking), count(db, BookingLine), count(db, AuditEntry))
    kwargs = dict(kwargs)
    amounts = kwargs.pop("lines_amounts", [6000])
    fund_id = kwargs.pop("fund_id", by_code(Fund, "general").id)
    args = dict(
        booking_date=date(2025, 5, 2),
        account_id=by_code(Account, "bank").id,
        amount_cents=6000,
        lines=[LineInput(by_code(Category, "donation").id, fund_id, a) for a in amounts],
        actor=None,
    )
    args.update(kwargs)
    with pytest.raises(DomainError) as excinfo:
        record_booking(**args)
    assert message in excinfo.value.message
    db.session.rollback()
    assert (count(db, Booking), count(db, BookingLine), count(db, AuditEntry)) == before


def test_inactive_category_is_refused(app, db):
    category = by_code(Category, "interest")
    category.is_active = False
    db.session.flush()
    with pytest.raises(ValidationError, match="Kategorie"):
        record_booking(
            booking_date=date(2025, 1, 1),
            account_id=by_code(Account, "bank").id,
            amount_cents=100,
            lines=[line("interest", 100)],
            actor=None,
        )


def test_closed_year_refuses_bookings_and_reversals(app, db):
    booking = make_booking(1000, booking_date=date(2024, 6, 1))
    db.session.add(ClosedYear(year=2024))
    db.session.commit()
    with pytest.raises(ClosedPeriodError, match="2024 ist abgeschlossen"):
        make_booking(1000, booking_date=date(2024, 12, 31))
    db.session.rollback()
    with pytest.raises(ClosedPeriodError):
        reverse_booking(booking, "falsch", actor=None, reversal_date=date(2024, 12, 1))
    db.session.rollback()
    # a reversal dated in the open year is allowed
    reversal = reverse_booking(booking, "falsch", actor=None, reversal_date=date(2025, 1, 2))
    assert reversal.amount_cents == -1000


def test_external_ref_is_unique_per_channel(app, db):
    make_booking(1000, channel=Channel.BANK, external_ref="E2E-1")
    with pytest.raises(DomainError, match="bereits gebucht"):
        make_booking(1000, channel=Channel.BANK, external_ref="E2E-1")
    db.session.rollback()
    # the same reference on another channel is a different thing
    make_booking(1000, channel=Channel.STRIPE, external_ref="E2E-1")


def test_external_ref_unique_at_database_level(app, db):
    make_booking(1000, channel=Channel.BANK, external_ref="X-1")
    duplicate = Booking(
        booking_date=date(2025, 1, 1),
        account_id=by_code(Account, "bank").id,
        amount_cents=500,
        channel=Channel.BANK,
        external_ref="X-1",
    )
    duplicate.lines.append(
        BookingLine(
            category_id=by_code(Category, "donation").id,
            fund_id=by_code(Fund, "general").id,
            amount_cents=500,
        )
    )
    db.session.add(duplicate)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_saved_booking_cannot_be_changed_or_deleted_through_the_orm(app, db):
    booking = make_booking(1000)
    booking.amount_cents = 2000
    with pytest.raises(ImmutableError, match="nicht geändert"):
        db.session.flush()
    db.session.rollback()
    booking = db.session.get(Booking, booking.id)
    booking.lines[0].amount_cents = 5
    with pytest.raises(ImmutableError):
        db.session.flush()
    db.session.rollback()
    booking = db.session.get(Booking, booking.id)
    db.session.delete(booking)
    with pytest.raises(ImmutableError, match="nicht gelöscht"):
        db.session.flush()
    db.session.rollback()
    booking = db.session.get(Booking, booking.id)
    booking.lines.append(
        BookingLine(
            category_id=by_code(Category, "donation").id,
            fund_id=by_code(Fund, "general").id,
            amount_cents=1,
        )
    )
    with pytest.raises(ImmutableError, match="hinzugefügt"):
        db.session.flush()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE booking SET amount_cents = 1",
        "DELETE FROM booking_line",
        "UPDATE booking_line SET amount_cents = amount_cents + 1",
        "DELETE FROM audit_entry",
    ],
)
def test_database_triggers_refuse_changes(app, db, statement):
    make_booking(1000)
    with pytest.raises(sa.exc.DatabaseError, match="unveränderlich"), db.session.begin_nested():
        db.session.execute(sa.text(statement))


def test_reversal_negates_links_and_restores_balances(app, db, users):
    booking = make_booking(123456, booking_date=date(2025, 2, 1))
    assert dict((f.code, t) for f, t in q.fund_balances())["general"] == 123456
    reversal = reverse_booking(booking, "Doppelt erfasst", actor=users["treasurer"])
    db.session.commit()
    assert reversal.reversal_of_id == booking.id
    assert reversal.amount_cents == -123456
    assert [ln.amount_cents for ln in reversal.lines] == [-123456]
    assert reversal.reversal_reason == "Doppelt erfasst"
    assert db.session.get(Booking, booking.id).reversed_by.id == reversal.id
    assert dict((f.code, t) for f, t in q.fund_balances())["general"] == 0
    assert dict((a.code, t) for a, t in q.account_balances())["bank"] == 0
    # the reversal (dated today) lowers this year's donation income; it is no expense
    donation = next(r for r in q.category_summary(today().year) if r.category.code == "donation")
    assert (donation.income_cents, donation.expense_cents) == (-123456, 0)
    totals = q.filter_totals(q.BookingFilter())
    assert (totals.count, totals.income_cents, totals.expense_cents) == (2, 0, 0)
    reversed_year = q.category_summary(2025)
    assert [(r.category.code, r.income_cents) for r in reversed_year] == [("donation", 123456)]
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "bookings.reversed")
    ).scalar_one()
    assert entry.data == {
        "amount_cents": 123456,
        "reason": "Doppelt erfasst",
        "reversal_id": reversal.id,
    }


def test_reversal_rules(app, db):
    booking = make_booking(1000, booking_date=date(2025, 2, 1))
    with pytest.raises(ValidationError, match="Grund"):
        reverse_booking(booking, "  ", actor=None)
    with pytest.raises(ValidationError, match="nicht vor dem Datum"):
        reverse_booking(booking, "falsch", actor=None, reversal_date=date(2025, 1, 1))
    reversal = reverse_booking(booking, "falsch", actor=None)
    db.session.commit()
    with pytest.raises(DomainError, match="bereits storniert"):
        reverse_booking(booking, "nochmal", actor=None)
    db.session.rollback()
    with pytest.raises(DomainError, match="Stornobuchung kann nicht storniert"):
        reverse_booking(reversal, "zurück", actor=None)
    db.session.rollback()
    assert count(db, Booking) == 2


def test_reversal_is_unique_at_database_level(app, db):
    booking = make_booking(1000)
    reverse_booking(booking, "falsch", actor=None)
    second = Booking(
        booking_date=today(),
        account_id=booking.account_id,
        amount_cents=-1000,
        channel=Channel.MANUAL,
        reversal_of_id=booking.id,
        reversal_reason="x",
    )
    second.lines.append(
        BookingLine(
            category_id=by_code(Category, "donation").id,
            fund_id=by_code(Fund, "general").id,
            amount_cents=-1000,
        )
    )
    db.session.add(second)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_balances_and_year_summary_are_exact_sums(app, db):
    project = create_fund(code="spielplatz", name="Projekt Spielplatz", earmarked=True, actor=None)
    bank, cash = by_code(Account, "bank").id, by_code(Account, "cash").id
    record_booking(
        booking_date=date(2025, 1, 10),
        account_id=bank,
        amount_cents=6000,
        lines=[line("dues", 3600), line("donation", 2400)],
        actor=None,
    )
    record_booking(
        booking_date=date(2025, 6, 1),
        account_id=cash,
        amount_cents=45050,
        lines=[line("sales", 30050), line("donation", 15000, "spielplatz")],
        actor=None,
    )
    record_booking(
        booking_date=date(2025, 6, 2),
        account_id=cash,
        amount_cents=-12000,
        lines=[line("campaign_cost", -12000)],
        actor=None,
    )
    record_booking(
        booking_date=date(2025, 7, 1),
        account_id=None,
        amount_cents=0,
        lines=[line("allocation", -5000), line("allocation", 5000, "spielplatz")],
        actor=None,
    )
    record_booking(
        booking_date=date(2025, 8, 1),
        account_id=bank,
        amount_cents=-20000,
        lines=[line("grant_payout", -20000, "spielplatz")],
        actor=None,
    )
    record_booking(
        booking_date=date(2024, 8, 1),
        account_id=bank,
        amount_cents=99,
        lines=[line("interest", 99)],
        actor=None,
    )
    db.session.commit()

    accounts = {a.code: t for a, t in q.account_balances()}
    assert accounts == {"bank": -13901, "cash": 33050, "stripe": 0}
    assert {a.code: t for a, t in q.account_balances(as_of=date(2024, 12, 31))}["bank"] == 99
    funds = {f.code: t for f, t in q.fund_balances()}
    assert funds == {"general": 19149, project.code: 0}
    assert sum(accounts.values()) == sum(funds.values())

    rows = {r.category.code: (r.income_cents, r.expense_cents) for r in q.category_summary(2025)}
    assert rows == {
        "dues": (3600, 0),
        "donation": (17400, 0),
        "sales": (30050, 0),
        "campaign_cost": (0, -12000),
        "allocation": (5000, -5000),
        "grant_payout": (0, -20000),
    }
    spheres = {s: (i, e) for s, i, e in q.sphere_summary(q.category_summary(2025))}
    # the allocation moves money between funds: neither income nor expense of a sphere
    assert spheres[TaxSphere.IDEELL] == (21000, -20000)
    assert spheres[TaxSphere.WIRTSCHAFTLICH] == (30050, -12000)
    assert spheres[TaxSphere.VERMOEGENSVERWALTUNG] == (0, 0)
    assert {r.category.code for r in q.category_summary(2024)} == {"interest"}
    overview = q.year_overview(2025)
    assert [r.category.code for r in overview.neutral] == ["allocation"]
    assert "allocation" not in {r.category.code for r in overview.rows}
    assert (overview.income_cents, overview.expense_cents) == (51050, -32000)


def test_filtered_list_and_totals(app, db):
    alice, bob = make_person(last_name="Albrecht"), make_person(last_name="Bauer")
    make_booking(1000, booking_date=date(2024, 3, 1), person_id=alice.id)
    make_booking(2000, booking_date=date(2025, 3, 1), person_id=alice.id, category="dues")
    make_booking(-500, booking_date=date(2025, 4, 1), person_id=bob.id, category="bank_fees")
    year = q.BookingFilter(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31))
    totals = q.filter_totals(year)
    assert (totals.count, totals.income_cents, totals.expense_cents) == (2, 2000, -500)
    assert totals.net_cents == 1500
    rows = q.list_bookings(year, page=1, per_page=50)
    assert [(b.booking_date, amount) for b, amount in rows] == [
        (date(2025, 4, 1), -500),
        (date(2025, 3, 1), 2000),
    ]
    by_person = q.filter_totals(q.BookingFilter(person_id=alice.id))
    assert (by_person.count, by_person.income_cents) == (2, 3000)
    dues = q.BookingFilter(category_id=by_code(Category, "dues").id)
    assert q.filter_totals(dues).income_cents == 2000
    assert len(q.list_bookings(q.BookingFilter(), page=2, per_page=2)) == 1


def test_create_person_refuses_a_malformed_email(db):
    from supportclub.ledger.services import create_person

    with pytest.raises(ValidationError) as error:
        create_person(actor=None, last_name="Muster", email="kein-at-zeichen")
    assert error.value.field == "email"
    person = create_person(actor=None, last_name="Muster", email=" Anna@Example.ORG ")
    assert person.email == "anna@example.org"


def test_an_amount_beyond_what_the_columns_hold_is_refused_with_a_message(db):
    """30 million euros would overflow the 32-bit amount column: refused at the field."""
    before = db.session.execute(select(func.count()).select_from(Booking)).scalar_one()
    with pytest.raises(ValidationError, match="zu hoch") as err:
        make_booking(3_000_000_000)
    assert err.value.field == "amount"
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Booking)).scalar_one() == before
    assert make_booking(2_000_000_000).amount_cents == 2_000_000_000
