"""The receipt services: issuing each kind, gap-free numbers, revoking and replacing, the payer,
the rules on what may be receipted, the signature rules, the § 63 Abs. 5 AO gate, refusals that
write nothing, and receipts that the database keeps unchanged."""

import hashlib
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.ledger.services import reverse_booking
from supportclub.receipts import services
from supportclub.receipts.content import ContributionKind, ReceiptContent, ReceiptKind
from supportclub.receipts.contributions import open_contributions
from supportclub.receipts.downloads import duplicate_pdf
from supportclub.receipts.issuer import ExemptionExpired, SettingsIncomplete, check_gate
from supportclub.receipts.models import DonationReceipt, ReceiptItem
from supportclub.receipts.signature import store_signature
from supportclub.receipts.storage import read_pdf
from tests.factories import make_booking, make_member, make_user
from tests.receipts.ui_helpers import (
    donation_line,
    issue,
    last_number,
    make_contribution,
    make_person,
    make_receipt_settings,
    pdf_text,
    png_bytes,
    receipt_count,
)


@pytest.fixture
def treasurer(app):
    """The acting treasurer, with complete receipt settings."""
    make_receipt_settings()
    return make_user("treasurer")


def _open(person, dues_deductible=True):
    """The person's open contributions of 2025."""
    return open_contributions(
        person.id, date(2025, 1, 1), date(2025, 12, 31), dues_deductible=dues_deductible
    )


def _refused(call, exc_type=ValidationError):
    """Run a service that must refuse; roll back like a route; return the message."""
    with pytest.raises(exc_type) as info:
        call()
    db.session.rollback()
    return info.value.message


# Each kind ------------------------------------------------------------------------------------


def test_single_money_receipt_is_numbered_stored_and_audited(treasurer):
    donor = make_person(first_name="Erika", last_name="Mustermann")
    receipt = issue(donor, 12345, actor=treasurer)
    assert receipt.number == "2025-0001"
    assert receipt.kind == ReceiptKind.SINGLE
    assert receipt.total_cents == 12345
    assert receipt.donor_name == "Erika Mustermann"
    assert receipt.address_lines == ["Hauptstraße 1", "07743 Jena"]
    assert [item.amount_cents for item in receipt.items] == [12345]
    data = read_pdf(receipt)
    assert hashlib.sha256(data).hexdigest() == receipt.pdf_sha256
    assert receipt.pdf_size == len(data)
    text = pdf_text(data)
    assert "Bestätigung über Geldzuwendungen/Mitgliedsbeitrag" in text
    assert "einhundertdreiundzwanzig Euro und fünfundvierzig Cent" in text
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "receipts.issued")
    ).scalar_one()
    assert entry.target_id == receipt.id and entry.actor_id == treasurer.id


def test_single_dues_receipt_says_dues(treasurer):
    receipt = issue(make_person(), 4800, kind="dues", actor=treasurer)
    content = ReceiptContent.from_json(receipt.content)
    assert receipt.kind == ReceiptKind.SINGLE
    assert content.contribution_kind == ContributionKind.DUES
    assert receipt.items[0].kind == ContributionKind.DUES


def test_in_kind_donation_gets_anlage_4(treasurer):
    receipt = issue(make_person(), 45000, kind="in_kind", actor=treasurer)
    assert receipt.kind == ReceiptKind.IN_KIND
    assert "Bestätigung über Sachzuwendungen" in pdf_text(read_pdf(receipt))


def test_collective_receipt_covers_money_and_dues_of_the_year(treasurer):
    donor = make_person()
    make_contribution(donor, 5000, booking_date=date(2025, 2, 1))
    make_contribution(donor, 4800, kind="dues", booking_date=date(2025, 3, 1))
    make_contribution(donor, 2500, booking_date=date(2025, 11, 30))
    make_contribution(donor, 9999, booking_date=date(2024, 12, 31))  # another year
    receipt = services.issue_collective(donor, 2025, actor=treasurer)
    db.session.commit()
    assert receipt.kind == ReceiptKind.COLLECTIVE
    assert receipt.total_cents == 12300
    assert (receipt.period_start, receipt.period_end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert [i.amount_cents for i in receipt.items] == [5000, 4800, 2500]
    assert "Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge" in pdf_text(read_pdf(receipt))
    assert _open(donor) == []


def test_collective_of_one_contribution_is_a_single_receipt(treasurer):
    donor = make_person()
    make_contribution(donor, 5000)
    receipt = services.issue_collective(donor, 2025, actor=treasurer)
    assert receipt.kind == ReceiptKind.SINGLE


def test_collective_for_a_period_within_the_year(treasurer):
    donor = make_person()
    make_contribution(donor, 1000, booking_date=date(2025, 2, 1))
    make_contribution(donor, 2000, booking_date=date(2025, 3, 1))
    make_contribution(donor, 4000, booking_date=date(2025, 9, 1))
    receipt = services.issue_collective(
        donor, 2025, actor=treasurer, period=(date(2025, 1, 1), date(2025, 6, 30))
    )
    assert receipt.total_cents == 3000
    assert [c.amount_cents for c in _open(donor)] == [4000]


def test_slip_for_small_amounts_only(treasurer):
    donor = make_person()
    small = make_contribution(donor, 30000)
    receipt = services.issue_single(donation_line(small).id, actor=treasurer, slip=True)
    assert receipt.kind == ReceiptKind.SLIP
    db.session.commit()
    large = make_contribution(donor, 30001)
    message = _refused(
        lambda: services.issue_single(donation_line(large).id, actor=treasurer, slip=True)
    )
    assert "300,00 €" in message and "300,01 €" in message
    waiver = make_contribution(donor, 2000, kind="waiver")
    assert "Aufwandsspende" in _refused(
        lambda: services.issue_single(donation_line(waiver).id, actor=treasurer, slip=True)
    )
    thing = make_contribution(donor, 2000, kind="in_kind")
    assert "Sachzuwendungen" in _refused(
        lambda: services.issue_single(donation_line(thing).id, actor=treasurer, slip=True)
    )


# Numbers --------------------------------------------------------------------------------------


def test_numbers_are_gap_free_per_year_and_a_refusal_uses_none(treasurer):
    donor = make_person()
    first = issue(donor, 1000, actor=treasurer)
    second = issue(donor, 2000, day=date(2025, 5, 1), actor=treasurer)
    older = issue(donor, 3000, day=date(2024, 12, 31), actor=treasurer)
    assert [first.number, second.number, older.number] == ["2025-0001", "2025-0002", "2024-0001"]
    before = receipt_count()
    line = first.items[0].booking_line_id
    message = _refused(
        lambda: services.issue_single(line, actor=treasurer), services.AlreadyReceipted
    )
    assert "2025-0001" in message
    assert receipt_count() == before
    assert last_number(2025) == 2
    third = issue(donor, 4000, day=date(2025, 6, 1), actor=treasurer)
    assert third.number == "2025-0003"
    assert (third.year, third.seq) == (2025, 3)


# Revoke and replace ---------------------------------------------------------------------------


def test_revoke_keeps_the_pdf_and_frees_the_contributions(treasurer):
    donor = make_person()
    receipt = issue(donor, 5000, actor=treasurer)
    sha, key = receipt.pdf_sha256, receipt.storage_key
    services.revoke(receipt, "Anschrift falsch", actor=treasurer)
    db.session.commit()
    assert receipt.is_revoked and receipt.revoke_reason == "Anschrift falsch"
    assert receipt.revoked_by_id == treasurer.id
    assert (receipt.storage_key, receipt.pdf_sha256) == (key, sha)
    assert read_pdf(receipt)  # still on file, unchanged
    assert all(item.revoked for item in receipt.items)
    assert [c.amount_cents for c in _open(donor)] == [5000]
    again = services.issue_single(receipt.items[0].booking_line_id, actor=treasurer)
    assert again.number == "2025-0002"


def test_revoke_twice_or_without_reason_is_refused(treasurer):
    receipt = issue(make_person(), actor=treasurer)
    assert "Grund" in _refused(lambda: services.revoke(receipt, "  ", actor=treasurer))
    services.revoke(receipt, "doppelt", actor=treasurer)
    db.session.commit()
    message = _refused(lambda: services.revoke(receipt, "nochmal", actor=treasurer))
    assert "2025-0001" in message and "bereits" in message
    db.session.refresh(receipt)
    assert receipt.revoke_reason == "doppelt"


def test_replace_issues_a_new_number_over_the_same_contributions(treasurer):
    donor = make_person()
    make_contribution(donor, 1000, booking_date=date(2025, 2, 1))
    make_contribution(donor, 2000, booking_date=date(2025, 3, 1))
    old = services.issue_collective(donor, 2025, actor=treasurer)
    db.session.commit()
    assert "storniert" in _refused(lambda: services.replace(old, actor=treasurer))
    services.revoke(old, "Betrag falsch zugeordnet", actor=treasurer)
    new = services.replace(old, actor=treasurer)
    db.session.commit()
    assert new.number == "2025-0002" and new.kind == ReceiptKind.COLLECTIVE
    assert new.replaces_id == old.id and old.replaced_by.id == new.id
    assert new.total_cents == old.total_cents == 3000
    assert "2025-0002" in _refused(lambda: services.replace(old, actor=treasurer))


def test_duplicate_changes_nothing_but_the_audit_trail(treasurer):
    receipt = issue(make_person(), 5000, actor=treasurer)
    columns = DonationReceipt.__table__.columns
    row_before = db.session.execute(select(*columns).where(DonationReceipt.id == receipt.id)).one()
    items_before = db.session.execute(select(*ReceiptItem.__table__.columns)).all()
    counts, number = receipt_count(), last_number(2025)
    data = duplicate_pdf(receipt, actor=treasurer)
    db.session.commit()
    text = pdf_text(data)
    assert "Duplikat" in text and "2025-0001" in text
    assert (
        db.session.execute(select(*columns).where(DonationReceipt.id == receipt.id)).one()
        == row_before
    )
    assert db.session.execute(select(*ReceiptItem.__table__.columns)).all() == items_before
    assert receipt_count() == counts and last_number(2025) == number
    assert read_pdf(receipt)  # the stored file is untouched (sha still matches)
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.target_id == receipt.id)
    ).scalars()
    assert "receipts.duplicate_printed" in list(actions)


def test_no_duplicate_of_a_revoked_receipt(treasurer):
    receipt = issue(make_person(), actor=treasurer)
    services.revoke(receipt, "falsch", actor=treasurer)
    db.session.commit()
    assert "storniert" in _refused(lambda: duplicate_pdf(receipt, actor=treasurer))


# Who and what ---------------------------------------------------------------------------------


def test_the_payer_of_the_booking_is_named(treasurer):
    child = make_member(first_name="Paul", last_name="Kind")
    parent = make_person(first_name="Petra", last_name="Elternteil", street="Am Hang 3")
    booking = make_booking(4800, category="dues", person_id=parent.id, text="Beitrag Paul")
    receipt = services.issue_single(donation_line(booking).id, actor=treasurer)
    assert receipt.person_id == parent.id
    assert receipt.donor_name == "Petra Elternteil"
    assert ReceiptContent.from_json(receipt.content).donor_address[0] == "Am Hang 3"
    db.session.commit()
    message = _refused(lambda: services.issue_collective(child, 2025, actor=treasurer))
    assert "keine offenen Zuwendungen" in message


def test_reversed_bookings_are_not_receiptable(treasurer):
    donor = make_person()
    booking = make_contribution(donor, 5000)
    reverse_booking(booking, "Fehlbuchung", actor=None)
    db.session.commit()
    assert _open(donor) == []
    before = receipt_count()
    message = _refused(lambda: services.issue_single(donation_line(booking).id, actor=treasurer))
    assert "storniert" in message
    assert receipt_count() == before and last_number(2025) == 0


def test_dues_are_not_receipted_when_not_deductible(treasurer):
    make_receipt_settings(dues_deductible=False)
    donor = make_person()
    dues = make_contribution(donor, 4800, kind="dues")
    make_contribution(donor, 1000, booking_date=date(2025, 4, 1))
    make_contribution(donor, 2000, booking_date=date(2025, 5, 1))
    message = _refused(lambda: services.issue_single(donation_line(dues).id, actor=treasurer))
    assert "nicht abziehbar" in message
    receipt = services.issue_collective(donor, 2025, actor=treasurer)
    assert receipt.total_cents == 3000
    content = ReceiptContent.from_json(receipt.content)
    assert content.dues_block is True


def test_in_kind_is_never_in_a_collective_receipt(treasurer):
    donor = make_person()
    make_contribution(donor, 1000, booking_date=date(2025, 2, 1))
    make_contribution(donor, 2000, booking_date=date(2025, 3, 1))
    thing = make_contribution(donor, 45000, kind="in_kind", booking_date=date(2025, 4, 1))
    receipt = services.issue_collective(donor, 2025, actor=treasurer)
    assert receipt.total_cents == 3000
    assert donation_line(thing).id not in {i.booking_line_id for i in receipt.items}
    assert [c.line_id for c in _open(donor)] == [donation_line(thing).id]


# Signature ------------------------------------------------------------------------------------


@pytest.fixture
def machine(treasurer):
    """Machine receipts notified to the tax office, with a stored facsimile signature."""
    make_receipt_settings(machine_receipts=True, machine_receipts_notified_on=date(2024, 6, 1))
    store_signature(png_bytes(), actor=treasurer)
    db.session.commit()
    return treasurer


def test_facsimile_only_when_notified(treasurer):
    store_signature(png_bytes(), actor=treasurer)
    db.session.commit()
    assert issue(make_person(), actor=treasurer).facsimile is False


def test_facsimile_on_money_receipts_when_notified(machine):
    receipt = issue(make_person(), actor=machine)
    assert receipt.facsimile is True
    assert "maschinelle Erstellung" in pdf_text(read_pdf(receipt))


def test_never_a_facsimile_in_kind_or_with_a_waiver(machine):
    donor = make_person()
    assert issue(donor, 45000, kind="in_kind", actor=machine).facsimile is False
    assert issue(donor, 2000, kind="waiver", day=date(2025, 4, 1), actor=machine).facsimile is False
    make_contribution(donor, 1000, booking_date=date(2025, 6, 1))
    make_contribution(donor, 3000, kind="waiver", booking_date=date(2025, 7, 1))
    collective = services.issue_collective(donor, 2025, actor=machine)
    assert collective.kind == ReceiptKind.COLLECTIVE and collective.waiver is True
    assert collective.facsimile is False
    other = make_person()
    make_contribution(other, 1000, booking_date=date(2025, 6, 1))
    make_contribution(other, 3000, booking_date=date(2025, 7, 1))
    assert services.issue_collective(other, 2025, actor=machine).facsimile is True


# The gate (§ 63 Abs. 5 AO) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "notice", "last_day"),
    [
        ("freistellungsbescheid", date(2020, 3, 15), date(2025, 3, 15)),
        ("feststellung_60a", date(2022, 3, 15), date(2025, 3, 15)),
        ("freistellungsbescheid", date(2020, 2, 29), date(2025, 2, 28)),
        ("feststellung_60a", date(2024, 2, 29), date(2027, 2, 28)),
    ],
)
def test_gate_is_day_exact(treasurer, kind, notice, last_day):
    settings = make_receipt_settings(exemption_kind=kind, exemption_date=notice)
    assert check_gate(settings, last_day).ok
    assert check_gate(settings, last_day).valid_until == last_day
    day_after = date.fromordinal(last_day.toordinal() + 1)
    assert not check_gate(settings, day_after).ok
    donor = make_person()
    line = donation_line(make_contribution(donor, 1000, booking_date=date(2025, 1, 2))).id
    receipt = services.allocate_single(line, actor=treasurer, issued_on=last_day)
    assert receipt.issued_on == last_day
    db.session.rollback()
    message = _refused(
        lambda: services.allocate_single(line, actor=treasurer, issued_on=day_after),
        ExemptionExpired,
    )
    assert notice.strftime("%d.%m.%Y") in message
    assert last_day.strftime("%d.%m.%Y") in message
    assert "§ 63 Abs. 5 AO" in message
    assert last_number(2025) == 0


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("name", "Name des Vereins"),
        ("street", "Straße und Hausnummer"),
        ("postal_code", "PLZ"),
        ("city", "Ort"),
        ("tax_office", "Finanzamt"),
        ("tax_number", "Steuernummer"),
        ("exemption_date", "Datum des Bescheids"),
        ("purposes", "Steuerbegünstigte Zwecke"),
        ("exemption_period", "Letzter Veranlagungszeitraum"),
    ],
)
def test_each_missing_setting_is_named(treasurer, field, label):
    make_receipt_settings(**{field: None if field == "exemption_date" else ""})
    booking = make_contribution(make_person(), 1000)
    before = receipt_count()
    message = _refused(
        lambda: services.issue_single(donation_line(booking).id, actor=treasurer),
        SettingsIncomplete,
    )
    assert label in message
    assert receipt_count() == before and last_number(2025) == 0


def test_notification_date_is_required_for_machine_receipts(app):
    settings = get_settings()
    settings.machine_receipts = True
    settings.machine_receipts_notified_on = None
    problems = check_gate(settings, date(2025, 1, 1)).problems
    db.session.rollback()
    assert any("Datum der Anzeige beim Finanzamt" in p for p in problems)


def test_donor_without_address_is_refused(treasurer):
    donor = make_person(first_name="Otto", last_name="Ohneort", street="", city="")
    booking = make_contribution(donor, 1000)
    before = receipt_count()
    message = _refused(lambda: services.issue_single(donation_line(booking).id, actor=treasurer))
    assert "Otto Ohneort" in message and "Postanschrift" in message
    assert receipt_count() == before and last_number(2025) == 0


def test_period_across_two_years_is_refused(treasurer):
    donor = make_person()
    make_contribution(donor, 1000, booking_date=date(2025, 12, 1))
    make_contribution(donor, 2000, booking_date=date(2026, 1, 10))
    message = _refused(
        lambda: services.issue_collective(
            donor, 2025, actor=treasurer, period=(date(2025, 12, 1), date(2026, 1, 31))
        )
    )
    assert "Kalenderjahr" in message
    assert receipt_count() == (0, 0) and last_number(2025) == 0 and last_number(2026) == 0


# Immutability ---------------------------------------------------------------------------------


def _refused_by_database(change) -> None:
    """`change` must be refused by the database at flush; the session goes on unharmed."""
    with pytest.raises(DBAPIError), db.session.begin_nested():
        change()
        db.session.flush()


def test_database_refuses_changes_and_deletes(treasurer):
    receipt = issue(make_person(), 5000, actor=treasurer)
    item = receipt.items[0]
    receipt_id, item_id = receipt.id, item.id
    snapshot = db.session.execute(
        select(*DonationReceipt.__table__.columns).where(DonationReceipt.id == receipt_id)
    ).one()
    item_snapshot = db.session.execute(
        select(*ReceiptItem.__table__.columns).where(ReceiptItem.id == item_id)
    ).one()

    def set_total():
        db.session.get(DonationReceipt, receipt_id).total_cents = 1

    def set_name():
        db.session.get(DonationReceipt, receipt_id).donor_name = "Jemand anderes"

    def set_item_amount():
        db.session.get(ReceiptItem, item_id).amount_cents = 1

    def delete_item():
        db.session.delete(db.session.get(ReceiptItem, item_id))

    def delete_receipt():
        db.session.delete(db.session.get(DonationReceipt, receipt_id))

    def attach_again():
        db.session.get(DonationReceipt, receipt_id).pdf_sha256 = "0" * 64

    for change in (set_total, set_name, set_item_amount, delete_item, delete_receipt, attach_again):
        _refused_by_database(change)
    db.session.rollback()
    assert (
        db.session.execute(
            select(*DonationReceipt.__table__.columns).where(DonationReceipt.id == receipt_id)
        ).one()
        == snapshot
    )
    assert (
        db.session.execute(
            select(*ReceiptItem.__table__.columns).where(ReceiptItem.id == item_id)
        ).one()
        == item_snapshot
    )


def test_a_revocation_is_never_changed(treasurer):
    receipt = issue(make_person(), actor=treasurer)
    services.revoke(receipt, "falsch", actor=treasurer)
    db.session.commit()
    receipt_id = receipt.id

    def change_reason():
        db.session.get(DonationReceipt, receipt_id).revoke_reason = "anders"

    def unrevoke_item():
        db.session.get(DonationReceipt, receipt_id).items[0].revoked = False

    _refused_by_database(change_reason)
    _refused_by_database(unrevoke_item)
    db.session.rollback()
    db.session.expire_all()
    receipt = db.session.get(DonationReceipt, receipt_id)
    assert receipt.revoke_reason == "falsch" and receipt.items[0].revoked is True


def test_service_refusals_are_domain_errors(treasurer):
    """Every refusal above reaches the route as a DomainError with a message (never a crash)."""
    receipt = issue(make_person(), actor=treasurer)
    services.revoke(receipt, "x", actor=treasurer)
    db.session.commit()
    with pytest.raises(DomainError):
        services.revoke(receipt, "y", actor=treasurer)
