"""Donation services without HTTP: each kind, earmarks, the donation box, and refusals."""

from datetime import date

import pytest
from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.donations.models import DonationDetail, DonationKind, InKindOrigin
from supportclub.donations.services import (
    record_cash_batch,
    record_donation,
    record_in_kind,
    record_waiver,
)
from supportclub.errors import ClosedPeriodError, ValidationError
from supportclub.ledger.models import ClosedYear
from tests.donations.helpers import (
    acc,
    cat,
    closed_project,
    counts,
    general,
    rejected_project,
)
from tests.factories import make_campaign, make_person, make_project

DAY = date(2025, 6, 14)


def money(db, **kw):
    """A money donation with defaults (100 € by bank from a new person)."""
    values = dict(
        booking_date=DAY,
        account_id=acc("bank"),
        amount_cents=10000,
        actor=None,
    )
    values.update(kw)
    if "person_id" not in values:
        values["person_id"] = make_person().id
    return record_donation(**values)


def in_kind(**kw):
    """A donation in kind with defaults (a used bicycle worth 80 €)."""
    values = dict(
        booking_date=DAY,
        value_cents=8000,
        description="Kinderfahrrad, 3 Jahre alt, guter Zustand",
        origin=InKindOrigin.PRIVATE,
        value_basis="Vergleichspreise Kleinanzeigen",
        actor=None,
    )
    values.update(kw)
    if "person_id" not in values:
        values["person_id"] = make_person().id
    return record_in_kind(**values)


def waiver(**kw):
    """A waived reimbursement with defaults (travel costs of 42,50 €)."""
    values = dict(
        booking_date=DAY,
        amount_cents=4250,
        description="Fahrtkosten Vorstandssitzung",
        claim_date=date(2025, 6, 1),
        claim_basis="Vorstandsbeschluss vom 10.01.2025",
        expense_category_id=cat("admin_cost"),
        actor=None,
    )
    values.update(kw)
    if "person_id" not in values:
        values["person_id"] = make_person().id
    return record_waiver(**values)


# money ----------------------------------------------------------------------------------------


def test_money_donation_books_one_donation_line_on_the_general_fund(db, users):
    donor = make_person()
    booking = money(db, person_id=donor.id, amount_cents=12345, actor=users["treasurer"])
    db.session.commit()
    assert booking.account_id == acc("bank")
    assert booking.amount_cents == 12345
    assert booking.person_id == donor.id
    assert booking.text == "Spende"
    [line] = booking.lines
    assert (line.category_id, line.fund_id, line.amount_cents) == (
        cat("donation"),
        general(),
        12345,
    )
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "donations.recorded")
    ).scalar_one()
    assert entry.target_id == booking.id
    assert entry.data["amount_cents"] == 12345
    assert entry.data["kind"] == "money"


def test_earmarked_donation_goes_to_the_open_projects_fund_with_campaign(db):
    project = make_project("Lesefest")
    campaign = make_campaign()
    booking = money(db, fund_id=project.fund_id, campaign_id=campaign.id, text="Für das Lesefest")
    [line] = booking.lines
    assert line.fund_id == project.fund_id
    assert line.campaign_id == campaign.id
    assert booking.text == "Für das Lesefest"


def test_general_fund_id_means_free(db):
    booking = money(db, fund_id=general())
    assert booking.lines[0].fund_id == general()


@pytest.mark.parametrize(
    "make, message",
    [
        (closed_project, "ist abgeschlossen; zweckgebundene Spenden sind nicht mehr möglich"),
        (rejected_project, "wurde abgelehnt; zweckgebundene Spenden sind nicht möglich"),
    ],
)
def test_earmark_to_closed_or_rejected_project_is_refused(db, make, message):
    project = make(db, "Spielplatz")
    person = make_person()
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        money(db, person_id=person.id, fund_id=project.fund_id)
    assert err.value.field == "fund_id"
    assert "„Spielplatz“" in err.value.message and message in err.value.message
    db.session.rollback()
    assert counts(db) == before


def test_earmark_to_a_fund_without_project_is_refused(db):
    from supportclub.ledger.services import create_fund

    fund = create_fund(code="sonder", name="Sonderfonds", earmarked=True, actor=None)
    with pytest.raises(ValidationError) as err:
        money(db, fund_id=fund.id)
    assert err.value.field == "fund_id"


def test_anonymous_donation_only_in_cash(db):
    booking = money(db, person_id=None, account_id=acc("cash"), amount_cents=500)
    assert booking.person_id is None
    make_person()
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        record_donation(
            booking_date=DAY, account_id=acc("bank"), amount_cents=500, person_id=None, actor=None
        )
    assert err.value.field == "person"
    assert "anonym sind nur Bargeldspenden" in err.value.message
    assert counts(db) == before


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"amount_cents": 0}, "amount"),
        ({"amount_cents": -500}, "amount"),
        ({"account_id": None}, "account_id"),
        ({"campaign_id": 999999}, "campaign_id"),
        ({"person_id": 999999}, "person"),
        ({"booking_date": date(1980, 1, 1)}, "booking_date"),
    ],
)
def test_money_donation_bad_input_is_refused_at_its_field(db, kw, field):
    person = make_person()
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        money(db, **{"person_id": person.id, **kw})
    assert err.value.field == field
    db.session.rollback()
    assert counts(db) == before


def test_float_amount_is_a_programming_error(db):
    with pytest.raises(TypeError):
        money(db, amount_cents=10.5)


def test_closed_year_is_refused_at_the_date(db):
    db.session.add(ClosedYear(year=2024))
    db.session.commit()
    person = make_person()
    before = counts(db)
    for record in (
        lambda: money(db, person_id=person.id, booking_date=date(2024, 12, 31)),
        lambda: in_kind(person_id=person.id, booking_date=date(2024, 12, 31)),
        lambda: waiver(
            person_id=person.id, booking_date=date(2024, 12, 31), claim_date=date(2024, 12, 1)
        ),
        lambda: record_cash_batch(booking_date=date(2024, 7, 1), items=[(100, "")], actor=None),
    ):
        with pytest.raises(ClosedPeriodError) as err:
            record()
        assert err.value.field == "booking_date"
        assert "2024 ist abgeschlossen" in err.value.message
        db.session.rollback()
    assert counts(db) == before


# in kind --------------------------------------------------------------------------------------


def test_in_kind_is_a_cashless_booking_with_two_lines_and_a_detail(db, users):
    donor = make_person()
    booking = in_kind(person_id=donor.id, documents_present=True, actor=users["treasurer"])
    db.session.commit()
    assert booking.account_id is None and booking.amount_cents == 0
    donation, use = booking.lines
    assert (donation.category_id, donation.amount_cents) == (cat("donation"), 8000)
    assert (use.category_id, use.amount_cents) == (cat("in_kind_use"), -8000)
    assert donation.fund_id == use.fund_id == general()
    detail = db.session.execute(select(DonationDetail)).scalar_one()
    assert detail.booking_line_id == donation.id
    assert detail.kind == DonationKind.IN_KIND
    assert detail.origin == InKindOrigin.PRIVATE
    assert detail.value_basis == "Vergleichspreise Kleinanzeigen"
    assert detail.documents_present is True
    assert booking.text.startswith("Sachspende: Kinderfahrrad")
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "donations.in_kind_recorded")
    ).scalar_one()
    assert entry.data["amount_cents"] == 8000


def test_in_kind_used_for_a_campaign_on_a_projects_fund(db):
    project = make_project()
    campaign = make_campaign()
    booking = in_kind(
        use_category_id=cat("campaign_cost"), fund_id=project.fund_id, campaign_id=campaign.id
    )
    donation, use = booking.lines
    assert use.category_id == cat("campaign_cost")
    assert {donation.fund_id, use.fund_id} == {project.fund_id}
    assert {donation.campaign_id, use.campaign_id} == {campaign.id}


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"description": "  "}, "description"),
        ({"value_basis": ""}, "value_basis"),
        ({"value_cents": 0}, "value"),
        ({"value_cents": -100}, "value"),
        ({"origin": "geschenkt"}, "origin"),
        ({"person_id": None}, "person"),
        ({"use_category_id": "donation"}, "use_category_id"),  # an income category
    ],
)
def test_in_kind_missing_or_wrong_fields_are_refused_with_nothing_written(db, kw, field):
    if kw.get("use_category_id") == "donation":
        kw = {"use_category_id": cat("donation")}
    person = make_person()
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        in_kind(**{"person_id": person.id, **kw})
    assert err.value.field == field
    assert err.value.message
    db.session.rollback()
    assert counts(db) == before


def test_in_kind_to_closed_project_is_refused(db):
    project = closed_project(db)
    person = make_person()
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        in_kind(person_id=person.id, fund_id=project.fund_id)
    assert err.value.field == "fund_id"
    db.session.rollback()
    assert counts(db) == before


# waiver ---------------------------------------------------------------------------------------


def test_waiver_books_donation_against_the_expense_it_replaces(db):
    booking = waiver()
    donation, expense = booking.lines
    assert (donation.category_id, donation.amount_cents) == (cat("donation"), 4250)
    assert (expense.category_id, expense.amount_cents) == (cat("admin_cost"), -4250)
    assert booking.account_id is None and booking.amount_cents == 0
    detail = db.session.execute(select(DonationDetail)).scalar_one()
    assert detail.kind == DonationKind.WAIVER
    assert detail.claim_date == date(2025, 6, 1)
    assert detail.claim_basis == "Vorstandsbeschluss vom 10.01.2025"
    assert detail.origin is None


def test_waiver_claim_on_the_booking_day_is_fine(db):
    assert waiver(claim_date=DAY).amount_cents == 0


@pytest.mark.parametrize(
    "kw, field, words",
    [
        ({"claim_date": date(2025, 6, 15)}, "claim_date", "liegt nach dem Buchungsdatum"),
        ({"claim_date": None}, "claim_date", "Datum"),
        ({"claim_basis": " "}, "claim_basis", "Satzung, Vertrag oder Vorstandsbeschluss"),
        ({"description": ""}, "description", "Aufwendungen"),
        ({"amount_cents": 0}, "amount", "größer als 0"),
        ({"person_id": None}, "person", "Spender"),
        ({"expense_category_id": None}, "expense_category_id", "Ausgabenkategorie"),
    ],
)
def test_waiver_bad_input_is_refused_with_nothing_written(db, kw, field, words):
    person = make_person()
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        waiver(**{"person_id": person.id, **kw})
    assert err.value.field == field
    assert words in err.value.message
    db.session.rollback()
    assert counts(db) == before


# the donation box -----------------------------------------------------------------------------

BOX = [(200, "Kind mit Luftballon"), (50, ""), (1000, ""), (235, ""), (5, ""), (120, "")] + [
    (100 * n + n, "") for n in range(1, 7)
]


def test_cash_batch_is_one_cash_booking_summing_exactly(db, users):
    campaign = make_campaign()
    booking = record_cash_batch(
        booking_date=DAY, items=BOX, campaign_id=campaign.id, actor=users["treasurer"]
    )
    db.session.commit()
    assert len(BOX) == 12
    assert booking.account_id == acc("cash")
    assert booking.person_id is None
    assert booking.amount_cents == sum(cents for cents, _t in BOX) == 3731
    assert [line.amount_cents for line in booking.lines] == [cents for cents, _t in BOX]
    assert {line.category_id for line in booking.lines} == {cat("donation")}
    assert {line.campaign_id for line in booking.lines} == {campaign.id}
    assert booking.lines[0].text == "Kind mit Luftballon"
    assert booking.text == "Sammelbuchung Bargeldspenden"
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "donations.batch_recorded")
    ).scalar_one()
    assert entry.data["items"] == 12 and entry.data["amount_cents"] == 3731


def test_cash_batch_to_open_project(db):
    project = make_project()
    booking = record_cash_batch(
        booking_date=DAY, items=[(500, ""), (700, "")], fund_id=project.fund_id, actor=None
    )
    assert {line.fund_id for line in booking.lines} == {project.fund_id}


@pytest.mark.parametrize(
    "items, words",
    [
        ([], "mindestens einen Betrag"),
        ([(100, ""), (0, "")], "Zeile 2"),
        ([(100, ""), (-100, "")], "Zeile 2"),
    ],
)
def test_cash_batch_bad_items_are_refused(db, items, words):
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        record_cash_batch(booking_date=DAY, items=items, actor=None)
    assert err.value.field == "items"
    assert words in err.value.message
    assert counts(db) == before


def test_cash_batch_to_rejected_project_is_refused(db):
    project = rejected_project(db)
    before = counts(db)
    with pytest.raises(ValidationError) as err:
        record_cash_batch(booking_date=DAY, items=[(100, "")], fund_id=project.fund_id, actor=None)
    assert err.value.field == "fund_id"
    db.session.rollback()
    assert counts(db) == before
