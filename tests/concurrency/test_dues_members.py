"""Dues runs and new members at the same moment: one claim per membership and year, member
numbers unique and without gaps (a refused form uses no number)."""

from datetime import date

from sqlalchemy import func, select

from supportclub.dues.models import DuesClaim, DuesRun
from supportclub.extensions import db
from supportclub.ledger.models import Person
from supportclub.members.models import Membership
from supportclub.members.services import FIRST_MEMBER_NUMBER
from tests.concurrency.conftest import assert_audit_chain_intact, at_once, committed
from tests.conftest import PASSWORD
from tests.factories import make_member, make_membership_type, make_user

MEMBERS = 30


def test_eight_dues_runs_for_two_years_at_once_create_each_claim_once(pg_app):
    def make():
        regular = make_membership_type("regular", rates=[(date(2009, 1, 1), 3600)])
        reduced = make_membership_type("reduced", rates=[(date(2009, 1, 1), 1800)])
        for n in range(MEMBERS):
            make_member(regular if n % 3 else reduced, last_name=f"Beitrag{n:02d}")

    committed(pg_app, make)
    from supportclub.dues.services import run_dues

    years = [2024, 2025] * 4
    outcomes = at_once(
        pg_app,
        [lambda y=y: (y, run_dues(y, actor=None, run_date=date(y, 1, 15)).count) for y in years],
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    # per year: one run created every claim, the three others found them in place
    for year in (2024, 2025):
        assert sorted(n for y, n in outcomes if y == year) == [0, 0, 0, MEMBERS]
    per_year = 20 * 3600 + 10 * 1800

    def read():
        rows = db.session.execute(
            select(DuesClaim.year, func.count(), func.sum(DuesClaim.amount_cents))
            .group_by(DuesClaim.year)
            .order_by(DuesClaim.year)
        ).all()
        assert [tuple(r) for r in rows] == [(2024, MEMBERS, per_year), (2025, MEMBERS, per_year)]
        pairs = db.session.scalar(
            select(func.count(func.distinct(DuesClaim.membership_id * 10000 + DuesClaim.year)))
        )
        assert pairs == 2 * MEMBERS
        runs = db.session.execute(
            select(DuesRun.year, DuesRun.claims_created, DuesRun.total_cents).order_by(DuesRun.year)
        ).all()
        assert [tuple(r) for r in runs] == [(2024, MEMBERS, per_year), (2025, MEMBERS, per_year)]

    committed(pg_app, read)
    assert_audit_chain_intact(pg_app)


def member_form(type_id: int, thread: int, n: int, **overrides) -> dict:
    """The "Mitglied anlegen" form of one new member."""
    data = {
        "kind": "private",
        "first_name": f"Tina{thread}",
        "last_name": f"Parallel{thread}-{n}",
        "street": "Löbdergraben 1",
        "postal_code": "07743",
        "city": "Jena",
        "country": "DE",
        "email": f"tina{thread}.{n}@example.org",
        "phone": "",
        "iban": "DE89 3704 0044 0532 0130 00",
        "membership_type_id": str(type_id),
        "start_date": "2025-04-01",
        "payer": "",
        "mandate_reference": "",
        "mandate_date": "",
        "mandate_iban": "",
    }
    data.update(overrides)
    return data


def test_eight_treasurers_create_members_at_once_numbers_unique_without_gaps(pg_app):
    def make():
        users = [make_user("treasurer", email=f"kasse{t}@example.org") for t in range(8)]
        return make_membership_type("regular").id, [u.email for u in users]

    type_id, emails = committed(pg_app, make)
    per_thread = 5

    def create(thread: int):
        client = pg_app.test_client()
        login = client.post("/anmelden", data={"email": emails[thread], "password": PASSWORD})
        assert login.status_code == 302
        created, refused = 0, []
        for n in range(per_thread):
            data = member_form(type_id, thread, n)
            if n == 2:
                # refused after the number was drawn (the mandate comes last): nothing is kept
                data.update(mandate_reference="R" * 36, mandate_date="2025-03-01")
            response = client.post("/mitglieder/neu", data=data)
            if response.status_code == 302:
                created += 1
            else:
                refused.append((response.status_code, response.get_data(as_text=True)))
        return created, refused

    outcomes = at_once(pg_app, [lambda t=t: create(t) for t in range(8)], commit=False)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert [created for created, _r in outcomes] == [per_thread - 1] * 8
    for _created, refused in outcomes:
        ((status, page),) = refused
        assert status == 422
        assert "36 Zeichen lang; erlaubt sind höchstens 35" in page
    total = 8 * (per_thread - 1)

    def read():
        numbers = list(
            db.session.scalars(
                select(Person.member_number)
                .where(Person.member_number.is_not(None))
                .order_by(Person.member_number)
            )
        )
        assert numbers == list(range(FIRST_MEMBER_NUMBER, FIRST_MEMBER_NUMBER + total))
        assert db.session.scalar(select(func.count()).select_from(Person)) == total
        assert db.session.scalar(select(func.count()).select_from(Membership)) == total
        refused_names = db.session.scalar(
            select(func.count()).where(Person.last_name.like("Parallel%-2"))
        )
        assert refused_names == 0

    committed(pg_app, read)
    assert_audit_chain_intact(pg_app)
