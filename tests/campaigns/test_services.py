"""Campaign verbs, tested without HTTP: create, change, book revenue and costs."""

from datetime import date

import pytest
from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.campaigns.models import Campaign
from supportclub.campaigns.services import (
    CampaignLine,
    CampaignLineError,
    create_campaign,
    record_campaign_booking,
    update_campaign,
)
from supportclub.errors import ClosedPeriodError, ValidationError
from supportclub.ledger.models import Account, Booking, BookingLine, ClosedYear, Fund
from tests.campaigns.helpers import book, campaign, count
from tests.factories import by_code, make_person

# Campaigns ------------------------------------------------------------------------------------


def test_create_campaign_defaults_the_name_and_is_audited(app, db, users):
    made = create_campaign(
        name="  ",
        series=" Familienwandertag ",
        year=2025,
        event_date=date(2025, 9, 14),
        description="Rund um Jena",
        actor=users["treasurer"],
    )
    db.session.commit()
    assert (made.name, made.series, made.year) == (
        "Familienwandertag 2025",
        "Familienwandertag",
        2025,
    )
    assert made.created_by_id == users["treasurer"].id
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "campaigns.created")
    ).scalar_one()
    assert entry.target_id == made.id
    assert entry.data["event_date"] == "2025-09-14"


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        (dict(series=""), "series", "Bitte die Reihe angeben"),
        (dict(year=1989), "year", "zwischen 1990 und 2200"),
        (dict(year=2201), "year", "zwischen 1990 und 2200"),
        (dict(event_date=date(2024, 12, 31)), "event_date", "im Jahr 2025 liegen"),
        (dict(name="Weihnachtskarten 2025"), "name", "gibt es schon"),
        (dict(name="weihnachtskarten 2025"), "name", "gibt es schon"),
        (dict(name="x" * 201), "name", "zu lang"),
    ],
)
def test_create_campaign_refuses_bad_values(app, db, kwargs, field, message):
    campaign("Weihnachtskarten", 2025)
    before = count(Campaign)
    values = dict(name="", series="Familienwandertag", year=2025, actor=None) | kwargs
    with pytest.raises(ValidationError, match=message) as caught:
        create_campaign(**values)
    assert caught.value.field == field
    db.session.rollback()
    assert count(Campaign) == before


def test_update_campaign_records_before_and_after(app, db, users):
    made = campaign("Familienwandertag", 2024)
    update_campaign(
        made, actor=users["treasurer"], year=2025, name="", event_date=date(2025, 9, 14)
    )
    db.session.commit()
    assert (made.name, made.year, made.event_date) == (
        "Familienwandertag 2025",
        2025,
        date(2025, 9, 14),
    )
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "campaigns.updated")
    ).scalar_one()
    assert entry.data["before"] == {
        "event_date": None,
        "name": "Familienwandertag 2024",
        "year": 2024,
    }
    assert entry.data["after"]["name"] == "Familienwandertag 2025"


def test_update_campaign_refuses_a_taken_name_and_unknown_fields(app, db):
    campaign("Weihnachtskarten", 2025)
    made = campaign("Familienwandertag", 2025)
    with pytest.raises(ValidationError, match="gibt es schon"):
        update_campaign(made, actor=None, name="Weihnachtskarten 2025")
    db.session.rollback()
    assert db.session.get(Campaign, made.id).name == "Familienwandertag 2025"
    with pytest.raises(TypeError):
        update_campaign(made, actor=None, colour="rot")


def test_update_without_change_writes_no_audit(app, db):
    made = campaign()
    update_campaign(made, actor=None, name=made.name, series=made.series)
    assert not db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "campaigns.updated")
    ).first()


# Bookings -------------------------------------------------------------------------------------


def test_mixed_booking_signs_follow_the_categories(app, db, users):
    made = campaign()
    person = make_person()
    booking = book(
        made,
        ("campaign_fees", None, 80, 500),
        ("sales", 61250),
        ("donation", 12000),
        ("campaign_cost", 23480),
        ("purpose_cost", 9000),
        person_id=person.id,
        actor=users["treasurer"],
    )
    assert booking.amount_cents == 40000 + 61250 + 12000 - 23480 - 9000
    assert [(ln.category.code, ln.amount_cents, ln.quantity) for ln in booking.lines] == [
        ("campaign_fees", 40000, 80),
        ("sales", 61250, None),
        ("donation", 12000, None),
        ("campaign_cost", -23480, None),
        ("purpose_cost", -9000, None),
    ]
    general = by_code(Fund, "general").id
    assert {ln.fund_id for ln in booking.lines} == {general}
    assert {ln.campaign_id for ln in booking.lines} == {made.id}
    assert booking.text == "Familienwandertag 2025"
    assert booking.person_id == person.id
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "campaigns.booked")
    ).scalar_one()
    assert entry.data == {
        "amount_cents": booking.amount_cents,
        "booking_id": booking.id,
        "lines": 5,
    }


def test_quantity_and_unit_price_give_the_amount(app, db):
    made = campaign("Weihnachtskarten")
    booking = book(made, ("sales", 30000, 120, 250), ("sales", None, 40, 300))
    assert [(ln.amount_cents, ln.quantity, ln.unit_price_cents) for ln in booking.lines] == [
        (30000, 120, 250),
        (12000, 40, 300),
    ]


def test_a_cost_line_keeps_its_units_in_the_text(app, db):
    made = campaign("Weihnachtskarten")
    booking = book(made, ("campaign_cost", None, 500, 40))
    line = booking.lines[0]
    assert (line.amount_cents, line.quantity, line.unit_price_cents) == (-20000, None, None)
    assert line.text == "500 × 0,40 €"


@pytest.mark.parametrize(
    "line, field, message",
    [
        (CampaignLine("sales", 30100, "", 120, 250), "amount", "120 × 2,50 € ergibt 300,00 €"),
        (CampaignLine("sales", None, "", 120, None), "unit_price", "Stückzahl und Stückpreis"),
        (CampaignLine("sales", None, "", None, 250), "quantity", "Stückzahl und Stückpreis"),
        (CampaignLine("sales", None, "", 0, 250), "quantity", "Stückzahl muss größer"),
        (CampaignLine("sales", None, "", 3, 0), "unit_price", "Stückpreis muss größer"),
        (CampaignLine("sales", None), "amount", "Bitte einen Betrag"),
        (CampaignLine("sales", -500), "amount", "größer als 0"),
        (CampaignLine("sales", 10**13), "amount", "zu groß"),
        (CampaignLine("dues", 3600), "category_id", "gehört nicht zu einer Aktion"),
        (CampaignLine("grant_payout", 3600), "category_id", "gehört nicht zu einer Aktion"),
        (CampaignLine(999999, 3600), "category_id", "gehört nicht zu einer Aktion"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(app, db, line, field, message):
    made = campaign()
    bookings, lines = count(Booking), count(BookingLine)
    with pytest.raises(CampaignLineError, match=message) as caught:
        record_campaign_booking(
            made,
            booking_date=date(2025, 6, 1),
            account_id=by_code(Account, "cash").id,
            text="",
            lines=[CampaignLine("donation", 1000), line],
            actor=None,
        )
    assert (caught.value.index, caught.value.field) == (1, field)
    assert caught.value.message.startswith("Position 2:")
    db.session.rollback()
    assert (count(Booking), count(BookingLine)) == (bookings, lines)


@pytest.mark.parametrize(
    "lines, account, field, message",
    [
        ([], "cash", "lines", "mindestens eine Position"),
        ([CampaignLine("donation", 100)] * 11, "cash", "lines", "Höchstens 10"),
        (
            [CampaignLine("sales", 5000), CampaignLine("campaign_cost", 5000)],
            "cash",
            "lines",
            "heben sich genau auf",
        ),
        ([CampaignLine("donation", 100)], None, "account_id", "Konto"),
    ],
)
def test_bad_bookings_are_refused(app, db, lines, account, field, message):
    made = campaign()
    with pytest.raises(ValidationError, match=message) as caught:
        record_campaign_booking(
            made,
            booking_date=date(2025, 6, 1),
            account_id=by_code(Account, account).id if account else None,
            text="",
            lines=lines,
            actor=None,
        )
    assert caught.value.field == field
    db.session.rollback()
    assert count(Booking) == 0


def test_a_closed_year_is_refused_at_the_date(app, db):
    made = campaign(year=2024)
    db.session.add(ClosedYear(year=2024))
    db.session.commit()
    with pytest.raises(ClosedPeriodError, match="2024 ist abgeschlossen") as caught:
        book(made, ("sales", 1000), booking_date=date(2024, 9, 14))
    assert caught.value.field == "booking_date"
    db.session.rollback()
    assert count(Booking) == 0
    # a late payment for the closed year's campaign is booked in the open year
    assert book(made, ("campaign_cost", 1000), booking_date=date(2025, 1, 10)).amount_cents == -1000
