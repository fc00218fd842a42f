"""The register query without HTTP: status rules, open dues, search, paging, history text."""

from datetime import date

import pytest
from sqlalchemy import Select, select

from supportclub.dues.payments import waive_claim
from supportclub.dues.services import run_dues
from supportclub.extensions import db as _db
from supportclub.ledger.models import Person
from supportclub.ledger.services import reverse_booking
from supportclub.members import queries as q
from supportclub.members.services import join, leave, set_mandate, set_payer, update_person
from tests.factories import make_member, make_membership_type, make_person, membership_of
from tests.members.test_routes import claim_of, make_club, pay

GOOD_IBAN = "DE89370400440532013000"


def names(flt: q.RegisterFilter, **kw) -> list[str]:
    page = q.register_page(flt, **kw)
    return [row.person.last_name for row in page.rows]


def test_register_query_is_a_select_the_benchmark_can_run(db):
    make_club(db)
    stmt = q.register_query(q.RegisterFilter(status=q.STATUS_ALL))
    assert isinstance(stmt, Select)
    rows = db.session.execute(stmt).all()
    assert [row[0].last_name for row in rows] == [
        "Albrecht",
        "Bauer",
        "Clausen",
        "Druckerei Dietz GmbH",
    ]
    assert [row.open_cents for row in rows] == [3600, 0, 0, 4000]


def test_paging_counts_the_whole_list_and_clamps_the_page(db):
    make_club(db)
    flt = q.RegisterFilter(status=q.STATUS_ALL)
    first = q.register_page(flt, page=1, per_page=3)
    assert (first.total, first.pages, first.page) == (4, 2, 1)
    assert [row.person.last_name for row in first.rows] == ["Albrecht", "Bauer", "Clausen"]
    last = q.register_page(flt, page=7, per_page=3)
    assert last.page == 2
    assert [row.person.last_name for row in last.rows] == ["Druckerei Dietz GmbH"]
    empty = q.register_page(q.RegisterFilter(q="nobody"), page=0)
    assert (empty.total, empty.pages, empty.page, empty.rows) == (0, 1, 1, [])


def test_late_means_overdue_and_unsettled_on_the_day(db):
    club = make_club(db)
    # 2025 claims are due 30 days after the run on 15.01.2025
    before_due = q.RegisterFilter(status=q.STATUS_LATE, on=date(2025, 2, 14))
    assert names(before_due) == []
    after_due = q.RegisterFilter(status=q.STATUS_LATE, on=date(2025, 2, 15))
    assert names(after_due) == ["Albrecht", "Druckerei Dietz GmbH"]
    waive_claim(claim_of(db, club.anna), reason="Härtefall", actor=None)
    pay(db, club.dora, claim_of(db, club.dora), 4000)
    db.session.commit()
    assert names(after_due) == []
    page = q.register_page(q.RegisterFilter(status=q.STATUS_ALL))
    assert [row.open_cents for row in page.rows] == [0, 0, 0, 0]
    assert not any(row.is_late for row in page.rows)


def test_active_and_left_on_a_day(db):
    mtype = make_membership_type()
    make_member(mtype, start_date=date(2030, 1, 1), last_name="Zukunft")
    leaving = make_member(mtype, start_date=date(2020, 1, 1), last_name="Geht")
    leave(membership_of(leaving), end_date=date(2025, 6, 30), actor=None)
    make_person(last_name="Spender")  # never joined: not in the register at all
    db.session.commit()
    on_day = q.RegisterFilter(on=date(2025, 6, 30))
    assert names(on_day) == ["Geht", "Zukunft"]
    day_after = q.RegisterFilter(on=date(2025, 7, 1))
    assert names(day_after) == ["Zukunft"]
    left = q.RegisterFilter(status=q.STATUS_LEFT, on=date(2025, 7, 1))
    assert names(left) == ["Geht"]
    (row,) = q.register_page(left).rows
    assert row.left_on == date(2025, 6, 30)
    assert names(q.RegisterFilter(status=q.STATUS_ALL)) == ["Geht", "Zukunft"]


def test_type_filter_looks_at_running_memberships_for_active_members(db):
    regular = make_membership_type("regular", name="Regulär")
    family = make_membership_type("family", name="Familie")
    switcher = make_member(family, start_date=date(2015, 1, 1), last_name="Wechsel")
    leave(membership_of(switcher), end_date=date(2022, 12, 31), actor=None)
    join(switcher, membership_type_id=regular.id, start_date=date(2023, 1, 1), actor=None)
    make_member(family, start_date=date(2018, 1, 1), last_name="Familie")
    db.session.commit()
    assert names(q.RegisterFilter(membership_type_id=family.id)) == ["Familie"]
    assert names(q.RegisterFilter(membership_type_id=regular.id)) == ["Wechsel"]
    both = q.RegisterFilter(status=q.STATUS_ALL, membership_type_id=family.id)
    assert names(both) == ["Familie", "Wechsel"]
    (row,) = [r for r in q.register_page(both).rows if r.person.last_name == "Wechsel"]
    assert row.types_label == "Regulär"  # the running membership, not the ended one
    assert row.joined_on == date(2015, 1, 1)
    assert row.left_on is None


def test_open_dues_count_only_the_members_own_memberships(db):
    mtype = make_membership_type()
    parent = make_member(mtype, start_date=date(2020, 1, 1), last_name="Eltern")
    child = make_member(mtype, start_date=date(2020, 1, 1), last_name="Kind")
    set_payer(membership_of(child), payer_id=parent.id, actor=None)
    run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    db.session.commit()
    rows = {r.person.last_name: r for r in q.register_page(q.RegisterFilter()).rows}
    assert rows["Eltern"].open_cents == 3600
    assert rows["Kind"].open_cents == 3600
    assert rows["Kind"].payer_names == ["Eltern, Anna"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ["Albrecht", "Bauer", "Clausen", "Druckerei Dietz GmbH"]),
        ("  ", ["Albrecht", "Bauer", "Clausen", "Druckerei Dietz GmbH"]),
        ("BAU", ["Bauer"]),
        ("clara erfurt", ["Clausen"]),
        ("clara jena", []),
        ("@dietz", ["Druckerei Dietz GmbH"]),
        ("_", []),  # a LIKE wildcard typed by the user matches only itself
        ("%", []),
    ],
)
def test_search_words(db, text, expected):
    make_club(db)
    assert names(q.RegisterFilter(q=text, status=q.STATUS_ALL)) == expected


def test_search_digits_match_the_member_number_from_the_start(db):
    mtype = make_membership_type()
    members = [make_member(mtype, last_name=f"M{i}") for i in range(12)]
    numbers = [m.member_number for m in members]
    assert numbers == list(range(numbers[0], numbers[0] + 12))
    tenth = str(numbers[9])
    assert names(q.RegisterFilter(q=tenth)) == ["M9"]
    prefix = str(numbers[0])[:-1]  # e.g. "100" for 1001..1009
    expected = sorted(f"M{i}" for i, n in enumerate(numbers) if str(n).startswith(prefix))
    assert names(q.RegisterFilter(q=prefix)) == expected
    assert names(q.RegisterFilter(q=str(numbers[0])[1:])) == []  # not in the middle


def test_register_rows_bring_memberships_payers_and_mandates(db):
    club = make_club(db)
    set_mandate(
        membership_of(club.bernd),
        reference="BAUER-1",
        signed_on=date(2025, 1, 1),
        iban=GOOD_IBAN,
        actor=None,
    )
    _db.session.commit()
    rows = {r.person.last_name: r for r in q.register_rows(q.RegisterFilter(status="alle"))}
    assert len(rows) == 4
    assert rows["Bauer"].mandate_references == ["BAUER-1"]
    assert rows["Clausen"].types_label == "Familie"
    assert rows["Clausen"].left_on == date(2024, 12, 31)


def test_history_reads_before_and_after(db):
    club = make_club(db)
    update_person(club.anna, actor=None, iban=GOOD_IBAN, kind="organisation")
    update_person(club.anna, actor=None, action="persons.self_updated", city="Gera")
    set_payer(membership_of(club.anna), payer_id=club.bernd.id, actor=None)
    db.session.commit()
    detail = q.member_detail(club.anna.id)
    by_title = {item.title: item for item in detail.history}
    assert by_title["vom Mitglied geändert"].by_member
    assert by_title["vom Mitglied geändert"].changes == [("Ort", "Jena", "Gera")]
    assert sorted(by_title["Daten geändert"].changes) == [
        ("Art", "Privatperson", "Organisation"),
        ("IBAN", "–", "DE89 3704 0044 0532 0130 00"),
    ]
    payer = by_title["Zahler geändert"]
    assert payer.changes == [("Zahler", "das Mitglied selbst", "Bauer, Bernd")]
    assert payer.subject == "Mitgliedschaft Regulär"
    assert detail.history[0].title == "Zahler geändert"  # newest first
    assert q.member_detail(999999) is None


def late_names_one_pass(db, day: date) -> list[str]:
    """Names the set-based late rule (used for counting on PostgreSQL) finds."""
    flt = q.RegisterFilter(status=q.STATUS_LATE, on=day)
    conditions = q.register_conditions(flt, late_in_one_pass=True)
    stmt = select(Person.last_name).where(*conditions).order_by(Person.last_name)
    return list(db.session.execute(stmt).scalars())


def test_both_late_rules_and_the_late_badge_agree(db):
    """Paid, partly paid, written off, reversed payment, overpaid, not yet due."""
    mtype = make_membership_type()
    people = {
        name: make_member(mtype, start_date=date(2020, 1, 1), last_name=name)
        for name in ("Offen", "Bezahlt", "Teilweise", "Erlassen", "Storniert")
    }
    make_member(mtype, start_date=date(2026, 1, 1), last_name="Neu")  # only 2026, not due
    run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    db.session.commit()
    pay(db, people["Bezahlt"], claim_of(db, people["Bezahlt"]), 3600)
    pay(db, people["Teilweise"], claim_of(db, people["Teilweise"]), 1000)
    waive_claim(claim_of(db, people["Erlassen"]), reason="Härtefall", actor=None)
    booking = pay(db, people["Storniert"], claim_of(db, people["Storniert"]), 3600)
    reverse_booking(booking, "Rücklastschrift", actor=None, reversal_date=date(2025, 3, 10))
    db.session.commit()
    # a claim of 2026 that is not due yet on the day looked at
    run_dues(2026, actor=None, run_date=date(2026, 1, 15))
    pay(db, people["Offen"], claim_of(db, people["Offen"], 2026), 3600, day=date(2026, 1, 20))
    day = date(2026, 1, 20)
    expected = ["Offen", "Storniert", "Teilweise"]
    assert late_names_one_pass(db, day) == expected
    assert names(q.RegisterFilter(status=q.STATUS_LATE, on=day)) == expected
    assert q.register_count(q.RegisterFilter(status=q.STATUS_LATE, on=day)) == 3
    rows = q.register_page(q.RegisterFilter(status=q.STATUS_ALL, on=day)).rows
    assert sorted(r.person.last_name for r in rows if r.is_late) == expected
    open_by_name = {r.person.last_name: r.open_cents for r in rows}
    assert open_by_name == {
        "Bezahlt": 3600,  # 2026 not paid yet (not due either)
        "Erlassen": 3600,
        "Neu": 3600,
        "Offen": 3600,
        "Storniert": 7200,
        "Teilweise": 2600 + 3600,
    }
    # before 2025's due date nobody is late, by either rule
    assert late_names_one_pass(db, date(2025, 2, 14)) == []
    assert names(q.RegisterFilter(status=q.STATUS_LATE, on=date(2025, 2, 14))) == []


def test_the_same_statement_serves_different_values(db):
    """Statements are cached per shape; the values of one search never leak into the next."""
    make_club(db)
    assert names(q.RegisterFilter(q="anna", status=q.STATUS_ALL)) == ["Albrecht"]
    assert names(q.RegisterFilter(q="clara", status=q.STATUS_ALL)) == ["Clausen"]
    assert names(q.RegisterFilter(q="weimar", status=q.STATUS_ALL)) == ["Bauer"]
    older = q.RegisterFilter(status=q.STATUS_ACTIVE, on=date(2024, 6, 1))
    assert names(older) == ["Albrecht", "Bauer", "Clausen", "Druckerei Dietz GmbH"]
    assert names(q.RegisterFilter()) == ["Albrecht", "Bauer", "Druckerei Dietz GmbH"]
    page = q.register_page_query(q.RegisterFilter(status=q.STATUS_ALL), limit=2, offset=1)
    assert [row[0].last_name for row in db.session.execute(page)] == ["Bauer", "Clausen"]
