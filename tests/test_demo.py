"""The demo association: the command, its idempotency and the books it produces."""

from datetime import date

from sqlalchemy import func, select

from supportclub import clock
from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.auth.models import User
from supportclub.demo import DEMO_LOGINS, MEMBER_EMAIL, load_demo
from supportclub.demo_plan import FIRST_YEAR, GRANTS_TOTAL_CENTS
from supportclub.ledger import queries as q
from supportclub.ledger.models import Booking, BookingLine, Category, Channel, Fund, Person
from tests.factories import make_person

COUNTED = (Person, Booking, BookingLine, User, Fund, AuditEntry)


def counts(db) -> dict[str, int]:
    """Rows of every table the demo writes to."""
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in COUNTED
    }


def assert_logins_printed(output: str) -> None:
    """The command lists every demo login with its password."""
    assert "Demo-Zugänge:" in output
    for email, _role, password in DEMO_LOGINS:
        assert any(email in line and password in line for line in output.splitlines()), email


def test_demo_command_loads_once_and_prints_the_logins(app, db, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo geladen" in first.output
    assert_logins_printed(first.output)
    loaded = counts(db)
    assert 150 <= loaded["Person"] <= 160
    assert loaded["Booking"] > 1000
    assert loaded["User"] == len(DEMO_LOGINS) == 4
    assert loaded["Fund"] == 7  # general + six projects
    first_day, last_day = db.session.execute(
        select(func.min(Booking.booking_date), func.max(Booking.booking_date))
    ).one()
    assert (first_day.year, last_day.year) == (FIRST_YEAR, clock.today().year - 1)

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "bereits geladen" in second.output
    assert_logins_printed(second.output)
    assert counts(db) == loaded

    # A missing demo login is created again, and nothing else.
    db.session.delete(db.session.execute(select(User).filter_by(email=MEMBER_EMAIL)).scalar_one())
    db.session.commit()
    third = runner.invoke(args=["demo"])
    assert third.exit_code == 0, third.output
    assert "Neu angelegte Demo-Zugänge: 1." in third.output
    assert counts(db) == {**loaded, "AuditEntry": loaded["AuditEntry"] + 1}


def test_demo_books_balance_and_grant_total(app, db):
    result = load_demo(today=date(2025, 3, 1))
    assert not result.already_loaded
    assert result.last_year == 2024

    grants = db.session.execute(
        select(func.sum(BookingLine.amount_cents))
        .join(Category, Category.id == BookingLine.category_id)
        .where(Category.code == "grant_payout")
    ).scalar_one()
    assert -grants == GRANTS_TOTAL_CENTS
    assert 10_700_000 <= -grants <= 10_800_000

    first, last = db.session.execute(
        select(func.min(Booking.booking_date), func.max(Booking.booking_date))
    ).one()
    assert (first.year, last.year) == (FIRST_YEAR, 2024)
    channels = db.session.execute(select(Booking.channel).distinct()).scalars().all()
    assert channels == [Channel.DEMO]

    unbalanced = db.session.execute(
        select(Booking.id)
        .join(BookingLine, BookingLine.booking_id == Booking.id)
        .group_by(Booking.id, Booking.amount_cents)
        .having(func.sum(BookingLine.amount_cents) != Booking.amount_cents)
    ).all()
    assert unbalanced == []

    for year in range(FIRST_YEAR, 2025):
        year_end = date(year, 12, 31)
        for fund, cents in q.fund_balances(as_of=year_end):
            assert cents >= 0, (year, fund.code, cents)
        for account, cents in q.account_balances(as_of=year_end):
            assert cents >= 0, (year, account.code, cents)
    general = dict((f.code, cents) for f, cents in q.fund_balances())["general"]
    assert general > 0

    settings = get_settings()
    assert settings.name.startswith("Förderkreis")
    assert (settings.founding_year, settings.tax_office) == (2009, "Finanzamt Jena")
    member = db.session.execute(select(User).filter_by(email=MEMBER_EMAIL)).scalar_one()
    assert member.person is not None and member.person.first_name

    for email, _role, password in DEMO_LOGINS:
        response = app.test_client().post("/anmelden", data={"email": email, "password": password})
        assert response.status_code == 302, email


def test_demo_refuses_a_database_with_other_data(app, db, runner):
    make_person()
    before = counts(db)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "leere Datenbank" in result.output
    assert counts(db) == before
