"""ledger.bulk.record_bookings: the same rows, balances and refusals as record_booking."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.errors import ClosedPeriodError, DomainError, ValidationError
from supportclub.ledger.bulk import BookingSpec, record_bookings
from supportclub.ledger.models import (
    Account,
    Booking,
    BookingLine,
    Category,
    Channel,
    ClosedYear,
    Fund,
)
from supportclub.ledger.services import LineInput, record_booking
from tests.factories import by_code, make_booking, make_campaign, make_person


def _ids():
    return (
        by_code(Account, "bank").id,
        by_code(Category, "donation").id,
        by_code(Category, "bank_fees").id,
        by_code(Fund, "general").id,
    )


def _specs(person_id=None, prefix="B"):
    bank, donation, fees, general = _ids()
    return [
        BookingSpec(
            date(2025, 3, 3),
            bank,
            5000,
            [LineInput(donation, general, 5000, "a")],
            person_id=person_id,
            text="Spende A",
            external_ref=f"{prefix}-1",
        ),
        BookingSpec(
            date(2025, 3, 4),
            bank,
            4000,
            [LineInput(donation, general, 4500), LineInput(fees, general, -500, "Geb")],
            text="Spende B",
            external_ref=f"{prefix}-2",
        ),
        BookingSpec(date(2025, 3, 5), bank, -300, [LineInput(fees, general, -300)], text="Gebühr"),
    ]


def _rows(db, ids):
    """What the bookings are: columns and lines (without ids and times)."""
    out = []
    for booking_id in ids:
        b = db.session.get(Booking, booking_id)
        lines = [
            (x.category_id, x.fund_id, x.amount_cents, x.text, x.dues_claim_id) for x in b.lines
        ]
        out.append(
            (b.booking_date, b.account_id, b.amount_cents, b.person_id, b.text, b.channel, lines)
        )
    return out


def _balance(db, account_id):
    return db.session.execute(
        select(func.coalesce(func.sum(Booking.amount_cents), 0)).where(
            Booking.account_id == account_id
        )
    ).scalar_one()


def test_same_rows_and_balances_as_record_booking(db, users):
    person = make_person()
    actor = users["treasurer"]
    bank = by_code(Account, "bank").id
    before = _balance(db, bank)
    one_by_one = [
        record_booking(
            booking_date=s.booking_date,
            account_id=s.account_id,
            amount_cents=s.amount_cents,
            lines=s.lines,
            actor=actor,
            person_id=s.person_id,
            text=s.text,
            channel=s.channel,
            external_ref=s.external_ref,
        ).id
        for s in _specs(person.id, "A")
    ]
    middle = _balance(db, bank)
    ids = record_bookings(_specs(person.id, "B"), actor=actor)
    assert len(ids) == 3 and ids == sorted(ids)
    assert _rows(db, ids) == _rows(db, one_by_one)
    assert middle - before == 8700
    assert _balance(db, bank) - middle == 8700
    booking = db.session.get(Booking, ids[0])
    assert booking.external_ref == "B-1" and booking.channel == Channel.BANK
    assert booking.created_by_id == actor.id
    entries = (
        db.session.execute(
            select(AuditEntry).where(
                AuditEntry.action == "bookings.recorded", AuditEntry.target_id.in_(ids)
            )
        )
        .scalars()
        .all()
    )
    assert len(entries) == 3
    assert {e.target_type for e in entries} == {"Booking"}
    data = json.loads(next(e for e in entries if e.target_id == ids[1]).data_json)
    assert data["amount_cents"] == 4000 and len(data["lines"]) == 2
    assert data["external_ref"] == "B-2" and data["channel"] == "bank"


def _refused(db, specs, exc_class, *words):
    count = db.session.execute(select(func.count(Booking.id))).scalar_one()
    with pytest.raises(exc_class) as info:
        record_bookings(specs, actor=None)
    for word in words:
        assert word in info.value.message
    assert db.session.execute(select(func.count(Booking.id))).scalar_one() == count
    return info.value


def test_refusals_name_the_booking_and_insert_nothing(db):
    bank, donation, fees, general = _ids()
    good = _specs()[0]

    def spec(**kw):
        values = dict(
            booking_date=date(2025, 3, 3),
            account_id=bank,
            amount_cents=100,
            lines=[LineInput(donation, general, 100)],
            text="Zweite",
        )
        values.update(kw)
        return BookingSpec(**values)

    err = _refused(
        db,
        [good, spec(amount_cents=200)],
        ValidationError,
        "Buchung 2 (Zweite)",
        "Die Positionen ergeben 1,00",
    )
    assert err.field == "lines"
    _refused(
        db,
        [good, spec(lines=[LineInput(donation, general, 0), LineInput(donation, general, 100)])],
        ValidationError,
        "Position 1 hat den Betrag 0",
    )
    _refused(db, [spec(lines=[])], ValidationError, "mindestens eine Position")
    _refused(db, [spec(account_id=999999)], ValidationError, "Konto ist unbekannt")
    _refused(db, [spec(lines=[LineInput(999999, general, 100)])], ValidationError, "Kategorie")
    _refused(db, [spec(lines=[LineInput(donation, 999999, 100)])], ValidationError, "Fonds")
    _refused(
        db,
        [spec(amount_cents=30_000_000_00, lines=[LineInput(donation, general, 30_000_000_00)])],
        ValidationError,
        "zu hoch",
    )
    _refused(db, [spec(booking_date=date(2099, 1, 1))], ValidationError, "Zukunft")
    _refused(db, [spec(person_id=999999)], ValidationError, "Person ist unbekannt")
    _refused(
        db,
        [spec(lines=[LineInput(donation, general, 100, campaign_id=999999)])],
        ValidationError,
        "Aktion (Position 1)",
    )
    _refused(
        db,
        [spec(lines=[LineInput(donation, general, 100, project_id=999999)])],
        ValidationError,
        "Projekt (Position 1)",
    )
    _refused(
        db,
        [spec(lines=[LineInput(donation, general, 100, quantity=3, unit_price_cents=30)])],
        ValidationError,
        "3 × 0,30",
    )


def test_closed_year_refused(db):
    db.session.add(ClosedYear(year=2024))
    db.session.flush()
    bank, donation, _fees, general = _ids()
    spec = BookingSpec(date(2024, 12, 30), bank, 100, [LineInput(donation, general, 100)])
    err = _refused(db, [spec], ClosedPeriodError, "Buchung 1", "2024 ist abgeschlossen")
    assert err.field == "booking_date"


def test_external_ref_unique_in_db_and_in_batch(db):
    existing = make_booking(100, channel=Channel.BANK, external_ref="X-1")
    bank, donation, _fees, general = _ids()

    def spec(ref, channel=Channel.BANK):
        return BookingSpec(
            date(2025, 3, 3),
            bank,
            100,
            [LineInput(donation, general, 100)],
            external_ref=ref,
            channel=channel,
        )

    _refused(db, [spec("X-2"), spec("X-1")], DomainError, "Buchung 2", f"Buchung {existing.id})")
    _refused(db, [spec("X-3"), spec("X-3")], DomainError, "Buchung 2", "(X-3) ist bereits gebucht")
    # another channel may carry the same reference
    assert len(record_bookings([spec("X-1", Channel.STRIPE)], actor=None)) == 1


def test_campaign_link_and_units(db):
    campaign = make_campaign()
    bank, _donation, _fees, general = _ids()
    sales = by_code(Category, "sales").id
    units = LineInput(
        sales, general, 300, campaign_id=campaign.id, quantity=12, unit_price_cents=25
    )
    (booking_id,) = record_bookings([BookingSpec(date(2025, 3, 3), bank, 300, [units])], actor=None)
    line = db.session.execute(select(BookingLine).filter_by(booking_id=booking_id)).scalar_one()
    assert (line.campaign_id, line.quantity, line.unit_price_cents) == (campaign.id, 12, 25)


def test_empty_batch(db):
    assert record_bookings([], actor=None) == []
