"""Automatic anonymisation after the retention, expired mandates, the candidates' list, and the
CLI (anonymise [--dry-run], due, erase) with its messages."""

from datetime import date

from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.dues.models import Reminder, ReminderChannel
from supportclub.extensions import db
from supportclub.ledger.models import Person
from supportclub.privacy.erasure import anonymise_due, erase_person
from supportclub.privacy.queries import candidates
from tests.factories import make_member, make_person, membership_of
from tests.privacy.helpers import IBAN, former_member, ledger_sums

TODAY = date(2026, 11, 25)


def erased_erika(**kw):
    former = former_member(**kw)
    erase_person(former.person, actor=None, reason="Antrag", on=TODAY)
    db.session.commit()
    return former.person


def test_anonymised_only_after_retain_until(app):
    person = erased_erika()
    assert person.retain_until == date(2036, 12, 31)
    assert anonymise_due(date(2036, 12, 31)).persons == []
    assert person.anonymised_at is None and person.last_name == "Ehemalig"
    books = ledger_sums()
    result = anonymise_due(date(2037, 1, 1))
    db.session.commit()
    assert [p.id for p in result.persons] == [person.id]
    person = db.session.get(Person, person.id)
    assert (person.first_name, person.last_name) == ("Anonymisiert", f"#{person.id}")
    assert (person.street, person.postal_code, person.city) == ("", "", "")
    assert person.anonymised_at is not None and person.lock_reason == ""
    assert membership_of(person).leave_reason == ""
    assert ledger_sums() == books  # bookings untouched, they reference the person by id
    (entry,) = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "privacy.anonymised")
    ).scalars()
    assert (entry.target_type, entry.target_id) == ("Person", person.id)
    assert "Ehemalig" not in entry.data_json and "Erika" not in entry.data_json
    # a second run finds nothing
    assert anonymise_due(date(2037, 1, 2)).persons == []


def test_anonymisation_clears_letters_and_payment_records(app):
    person = erased_erika()
    reminder = Reminder(
        person_id=person.id, member_id=person.id, level=1, channel=ReminderChannel.EMAIL,
        email="erika@example.org", open_cents=3600, claim_ids=[], subject="Erinnerung",
        body="Liebe Erika",
    )  # fmt: skip
    db.session.add(reminder)
    db.session.commit()
    anonymise_due(date(2037, 1, 1))
    db.session.commit()
    db.session.refresh(reminder)
    assert (reminder.email, reminder.body, reminder.open_cents) == (None, "", 3600)


def test_a_kept_mandate_goes_14_months_after_its_last_use(app):
    former = former_member()
    membership = membership_of(former.person)
    membership.mandate_date = date(2025, 10, 1)
    db.session.commit()
    erase_person(former.person, actor=None, reason="Antrag", on=TODAY)
    db.session.commit()
    assert anonymise_due(date(2026, 12, 1)).mandates == []  # 14 months end on 01.12.2026
    assert membership.mandate_iban == IBAN
    result = anonymise_due(date(2026, 12, 2))
    db.session.commit()
    assert [m.id for m in result.mandates] == [membership.id] and result.persons == []
    assert (membership.mandate_reference, membership.mandate_date, membership.mandate_iban) == (
        None,
        None,
        None,
    )
    assert former.person.last_name == "Ehemalig"  # the person stays locked, not anonymised


def test_dry_run_changes_nothing(app):
    person = erased_erika()
    result = anonymise_due(date(2037, 1, 1), dry_run=True)
    assert [p.id for p in result.persons] == [person.id]
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.anonymised_at is None and person.last_name == "Ehemalig"


def test_candidates_are_former_members_past_retention(app):
    old = make_member(first_name="Otto", last_name="Alt", start_date=date(2010, 1, 1))
    from supportclub.members.services import leave

    leave(membership_of(old), end_date=date(2015, 6, 30), actor=None)
    recent = former_member(login=False, receipt=False)  # left 2024: kept until 2034
    make_member(first_name="Aktiv", last_name="Mitglied")
    make_person(first_name="Nie", last_name="Mitglied")
    db.session.commit()
    found = candidates(TODAY)
    assert [(c.person.id, c.left_on, c.retain_until) for c in found] == [
        (old.id, date(2015, 6, 30), date(2025, 12, 31))
    ]
    # Erika's last record is of 2024: a candidate from 2035 on
    assert recent.person.id in [c.person.id for c in candidates(date(2035, 1, 1))]


# CLI ------------------------------------------------------------------------------------------


def test_cli_anonymise_dry_run_and_run(app, runner):
    person = erased_erika()
    person.retain_until = date(2025, 12, 31)  # as if the ten years were over
    db.session.commit()
    result = runner.invoke(args=["privacy", "anonymise", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"Person #{person.id}: aufbewahrt bis 31.12.2025, würde anonymisiert." in result.output
    assert "Probelauf: 1 Person(en) und 0 Mandat(e) wären fällig" in result.output
    db.session.expire_all()
    assert db.session.get(Person, person.id).anonymised_at is None

    result = runner.invoke(args=["privacy", "anonymise"])
    assert result.exit_code == 0, result.output
    assert f"Person #{person.id}: aufbewahrt bis 31.12.2025, anonymisiert." in result.output
    assert "1 Person(en) anonymisiert, 0 Mandat(e) gelöscht." in result.output
    db.session.expire_all()
    assert db.session.get(Person, person.id).last_name == f"#{person.id}"


def test_cli_due_lists_candidates(app, runner):
    old = make_member(first_name="Otto", last_name="Alt", start_date=date(2010, 1, 1))
    from supportclub.members.services import leave

    leave(membership_of(old), end_date=date(2015, 6, 30), actor=None)
    db.session.commit()
    result = runner.invoke(args=["privacy", "due"])
    assert result.exit_code == 0, result.output
    assert (
        f"#{old.id} Alt, Otto: ausgetreten 30.06.2015, Aufbewahrung bis 31.12.2025" in result.output
    )
    assert "1 Kandidat(en)." in result.output


def test_cli_erase(app, runner):
    former = former_member()
    result = runner.invoke(args=["privacy", "erase", str(former.person.id), "--reason", "Antrag"])
    assert result.exit_code == 0, result.output
    assert "gelöscht: Telefonnummer" in result.output
    assert "gesperrt: Buchungen: 2" in result.output
    assert f"Person #{former.person.id} gelöscht und gesperrt bis 31.12.2036." in result.output
    db.session.expire_all()
    assert db.session.get(Person, former.person.id).locked_at is not None


def test_cli_erase_refusals(app, runner):
    member = make_member()
    result = runner.invoke(args=["privacy", "erase", str(member.id), "--reason", "Antrag"])
    assert result.exit_code == 1
    assert "Die Mitgliedschaft läuft noch." in result.output
    result = runner.invoke(args=["privacy", "erase", "999999", "--reason", "Antrag"])
    assert result.exit_code == 1 and "Keine Person mit der Nummer 999999." in result.output
    result = runner.invoke(args=["privacy", "erase", str(member.id), "--reason", "  "])
    assert result.exit_code == 1 and "Bitte den Grund der Löschung angeben" in result.output
    db.session.expire_all()
    assert db.session.get(Person, member.id).locked_at is None
