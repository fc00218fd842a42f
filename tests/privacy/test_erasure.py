"""Erasure with lock: what is refused, what is deleted at once, what is locked until when,
what becomes of mandates, that the books do not change by a cent, and the audit entry."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.auth.models import User, UserToken
from supportclub.auth.services import authenticate
from supportclub.banking.models import KnownIban
from supportclub.dues.payments import waive_claim
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.ledger.models import Person
from supportclub.members.services import leave, set_payer
from supportclub.privacy.erasure import erase_person, plan_erasure
from tests.factories import make_claim, make_member, make_person, make_user, membership_of
from tests.privacy.helpers import IBAN, former_member, ledger_sums

TODAY = date(2026, 11, 25)


def audit_of(person, action):
    return (
        db.session.execute(
            select(AuditEntry).where(
                AuditEntry.action == action,
                AuditEntry.target_type == "Person",
                AuditEntry.target_id == person.id,
            )
        )
        .scalars()
        .all()
    )


def test_refused_while_the_membership_runs(app):
    person = make_member(start_date=date(2020, 1, 1))
    with pytest.raises(DomainError, match="Mitgliedschaft läuft noch"):
        erase_person(person, actor=None, reason="Antrag", on=TODAY)
    assert person.locked_at is None and person.email


def test_refused_while_the_membership_ends_later(app):
    person = make_member(start_date=date(2020, 1, 1))
    leave(membership_of(person), end_date=date(2026, 12, 31), actor=None)
    plan = plan_erasure(person, on=TODAY)
    assert not plan.allowed
    assert "Austritt" in plan.refusals[0]


def test_refused_while_claims_are_open(app):
    person = make_member(start_date=date(2020, 1, 1))
    make_claim(person, 2024)
    leave(membership_of(person), end_date=date(2024, 12, 31), actor=None)
    with pytest.raises(DomainError, match=r"Beiträge über 36,00\s€ offen"):
        erase_person(person, actor=None, reason="Antrag", on=TODAY)
    assert db.session.get(Person, person.id).locked_at is None


def test_a_waived_claim_is_not_open(app):
    person = make_member(start_date=date(2020, 1, 1))
    claim = make_claim(person, 2024)
    waive_claim(claim, reason="Härtefall", actor=None)
    leave(membership_of(person), end_date=date(2024, 12, 31), actor=None)
    assert plan_erasure(person, on=TODAY).allowed


def test_refused_while_paying_for_a_running_membership(app):
    child = make_member(start_date=date(2020, 1, 1))
    parent = make_person()
    set_payer(membership_of(child), payer_id=parent.id, actor=None)
    plan = plan_erasure(parent, on=TODAY)
    assert plan.refusals == [
        "Die Person zahlt noch für 1 laufende Mitgliedschaft(en) anderer. "
        "Bitte dort zuerst den Zahler ändern."
    ]


def test_refused_for_a_staff_login(app):
    person = make_person()
    make_user(role="treasurer", person_id=person.id)
    with pytest.raises(DomainError, match="Rolle „treasurer“"):
        erase_person(person, actor=None, reason="Antrag", on=TODAY)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_a_reason_is_required(app, reason):
    person = make_person()
    with pytest.raises(ValidationError) as caught:
        erase_person(person, actor=None, reason=reason, on=TODAY)
    assert caught.value.field == "reason"
    assert db.session.get(Person, person.id).locked_at is None


def test_erase_deletes_and_locks_exactly(app):
    former = former_member()
    person, user = former.person, former.user
    books = ledger_sums()
    treasurer = make_user(role="treasurer")

    plan = erase_person(person, actor=treasurer, reason="Antrag per Brief vom 01.11.2026", on=TODAY)
    db.session.commit()
    db.session.expire_all()

    person = db.session.get(Person, person.id)
    # deleted at once
    assert (person.phone, person.email, person.iban, person.is_active) == ("", None, None, False)
    assert db.session.execute(select(func.count(KnownIban.id))).scalar() == 0
    user = db.session.get(User, user.id)
    assert user.email == f"geloescht-{user.id}@invalid"
    assert not user.is_active and user.password_hash == "!" and user.totp_secret is None
    assert user.person_id == person.id  # the row stays for the audit trail
    assert db.session.execute(select(func.count(UserToken.id))).scalar() == 0
    assert authenticate("erika@example.org", "correct-horse-battery") is None
    # the mandate was last used when signed (2020): more than 14 months ago, removed at once
    membership = membership_of(person)
    assert (membership.mandate_reference, membership.mandate_iban) == (None, None)
    # kept, locked until 31.12. of (2026 + 10): the receipt copy was issued in 2026
    assert (person.first_name, person.last_name) == ("Erika", "Ehemalig")
    assert (person.street, person.postal_code, person.city) == ("Hauptstraße 1", "07743", "Jena")
    assert person.locked_at is not None and person.anonymised_at is None
    assert person.retain_until == date(2036, 12, 31) == plan.retain_until
    assert person.lock_reason == "Antrag per Brief vom 01.11.2026"
    assert membership.leave_reason == "Umzug nach Hamburg"
    # the books: not a cent changed
    assert ledger_sums() == books
    assert plan.locked == [
        "Name und Anschrift (für Buchungen und Zuwendungsbestätigungen)",
        "Buchungen: 2",
        "Beitragsforderungen: 1",
        "Zuwendungsbestätigungen (Kopien): 1",
    ]
    assert plan.deleted == [
        "Telefonnummer",
        "E-Mail-Adresse",
        "IBAN im Personeneintrag",
        "bekannte IBANs aus Kontoauszügen: 1",
        "Zugang zum Mitgliederportal (Anmeldeadresse, Passwort, zweiter Faktor, Links)",
        "SEPA-Mandat M-ERIKA-1 (seit mehr als 14 Monaten nicht genutzt)",
    ]


def test_the_audit_entry_names_what_not_the_values(app):
    former = former_member()
    erase_person(former.person, actor=None, reason="Antrag", on=TODAY)
    db.session.commit()
    (entry,) = audit_of(former.person, "privacy.erased")
    assert entry.data == {
        "reason": "Antrag",
        "deleted": {
            "phone": True,
            "email": True,
            "iban": True,
            "known_ibans": 1,
            "login": True,
            "tokens": 1,
            "mandates": 1,
        },
        "locked": {"bookings": 2, "claims": 1, "receipts": 1, "reminders": 0, "mandates": 0},
        "retain_until": "2036-12-31",
    }
    for secret in ("03641", "erika@example.org", IBAN, "DE02500105170137075030"):
        assert secret not in entry.data_json


def test_a_recent_mandate_is_kept_and_locked(app):
    former = former_member()
    # pretend the mandate was signed in October 2025 (less than 14 months before TODAY)
    membership_of(former.person).mandate_date = date(2025, 10, 1)
    db.session.commit()
    plan = erase_person(former.person, actor=None, reason="Antrag", on=TODAY)
    assert membership_of(former.person).mandate_iban == IBAN
    assert (
        "SEPA-Mandat M-ERIKA-1 (Nachweis bis 14 Monate nach der letzten Lastschrift)" in plan.locked
    )


def test_nothing_to_keep_is_anonymised_at_once(app):
    person = make_person(first_name="Nora", last_name="Nurinteressiert")
    person.phone = "0170 1"
    db.session.commit()
    plan = erase_person(person, actor=None, reason="Antrag", on=TODAY)
    db.session.commit()
    assert plan.anonymise_now and plan.locked == []
    assert (person.first_name, person.last_name) == ("Anonymisiert", f"#{person.id}")
    assert (person.street, person.postal_code, person.city, person.email) == ("", "", "", None)
    assert person.anonymised_at is not None and person.locked_at is not None
    assert person.retain_until == TODAY
    assert len(audit_of(person, "privacy.anonymised")) == 1
    assert "Nurinteressiert" not in audit_of(person, "privacy.anonymised")[0].data_json


def test_erasing_twice_is_refused(app):
    former = former_member()
    erase_person(former.person, actor=None, reason="Antrag", on=TODAY)
    with pytest.raises(DomainError, match="bereits gelöscht"):
        erase_person(former.person, actor=None, reason="Antrag", on=TODAY)


def test_retention_counts_from_the_last_record(app):
    """Bookings and the claim of 2024: until 31.12.2034; a donation of 2026: until 2036."""
    from tests.factories import make_contribution

    former = former_member(receipt=False)
    assert plan_erasure(former.person, on=TODAY).retain_until == date(2034, 12, 31)
    make_contribution(former.person, 2000, booking_date=date(2026, 2, 1))
    assert plan_erasure(former.person, on=TODAY).retain_until == date(2036, 12, 31)


def test_an_export_after_erasure_shows_what_is_kept(app):
    """The export after erasure shows only what is kept."""
    from supportclub.privacy.export import person_data

    former = former_member()
    erase_person(former.person, actor=None, reason="Antrag", on=TODAY)
    data = person_data(former.person)
    master = data["categories"]["master_data"]["data"]
    assert (master["email"], master["phone"], master["iban"]) == (None, "", None)
    assert data["categories"]["bank"]["data"]["known_ibans"] == []
    assert data["categories"]["login"]["data"]["email"].startswith("geloescht-")
