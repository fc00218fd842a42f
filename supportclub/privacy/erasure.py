"""Erasure on request (Art. 17 DSGVO) against tax retention (Art. 17(3)(b)), the lock (Art. 18)
and the automatic anonymisation when the retention has run out.

1. `plan_erasure` says what erasing a person would do: why it is refused (a running membership,
   a membership the person pays for, open claims, a staff login), what is deleted at once and
   what is locked, and until when.
2. `erase_person` deletes what no law asks to keep (phone, e-mail, IBAN, known IBANs, the login's
   e-mail, password, second factor and links, mandates unused for 14 months), locks the rest
   (name and address, bookings, claims, receipt copies, a recent mandate) until `retain_until`
   and hides the person from everyday views; with nothing to keep it anonymises at once.
3. `anonymise_due` (the daily `flask privacy anonymise`) anonymises locked persons whose
   retention has run out, and removes mandates of locked persons unused for 14 months.

Mandate evidence: the SEPA rulebook asks the creditor to keep a mandate 14 months after its last
collection. A locked person's mandate (reference, date of signature, IBAN: the database keeps
the three together) is removed once those 14 months have passed, at the latest on anonymisation.
The debits already submitted keep their copy in the collection files (booking documents).

Bookings, booking lines, receipts and the audit trail are never touched: they reference the
person by id, and the database refuses to change them.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, or_, select, update

from supportclub import audit
from supportclub.auth.models import RecoveryCode, User, UserToken
from supportclub.banking.mandates import last_uses
from supportclub.banking.models import KnownIban
from supportclub.clock import today, utcnow
from supportclub.dues.models import DuesClaim, Reminder
from supportclub.dues.queries import claims_of_person
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, Person, PersonKind
from supportclub.members.models import Membership
from supportclub.money import format_cents
from supportclub.payments.models import OnlinePayment
from supportclub.permissions import Role
from supportclub.privacy.retention import (
    MANDATE_MONTHS,
    add_months,
    last_record_year,
    retain_until_for,
)
from supportclub.receipts.models import DonationReceipt

ANONYMOUS_FIRST_NAME = "Anonymisiert"
REASON_MAX = 200


@dataclass
class ErasurePlan:
    """What erasing a person does, in words, before anything is changed."""

    person: Person
    refusals: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # what is deleted at once
    locked: list[str] = field(default_factory=list)  # what is kept, locked, until retain_until
    retain_until: date | None = None
    mandates_now: list[Membership] = field(default_factory=list)  # removed at once
    mandates_kept: list[Membership] = field(default_factory=list)  # removed later
    user: User | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        """True when nothing stands in the way."""
        return not self.refusals

    @property
    def anonymise_now(self) -> bool:
        """True when no law asks to keep anything: the person is anonymised at once."""
        return self.retain_until is None


def _count(stmt) -> int:
    return int(db.session.execute(stmt).scalar() or 0)


def _refusals(person: Person, on: date, user: User | None) -> list[str]:
    """Why the person cannot be erased now (empty: nothing stands in the way)."""
    if person.anonymised_at is not None:
        return [_("Die Person ist bereits anonymisiert.")]
    if person.locked_at is not None:
        return [_("Die Person ist bereits gelöscht und gesperrt.")]
    refusals = []
    running = [m for m in person.memberships if m.end_date is None or m.end_date >= on]
    if running:
        refusals.append(
            _(
                "Die Mitgliedschaft läuft noch. Bitte zuerst den Austritt eintragen "
                "(und das Ende abwarten); dann kann gelöscht werden."
            )
        )
    pays_for = _count(
        select(func.count(Membership.id)).where(
            Membership.payer_id == person.id,
            Membership.person_id != person.id,
            or_(Membership.end_date.is_(None), Membership.end_date >= on),
        )
    )
    if pays_for:
        refusals.append(
            _(
                "Die Person zahlt noch für %(count)s laufende Mitgliedschaft(en) anderer. "
                "Bitte dort zuerst den Zahler ändern.",
                count=pays_for,
            )
        )
    open_cents = sum(row.open_cents for row in claims_of_person(person.id, only_open=True))
    if open_cents:
        refusals.append(
            _(
                "Es sind noch Beiträge über %(amount)s offen. Bitte zuerst bezahlen lassen "
                "oder erlassen.",
                amount=format_cents(open_cents),
            )
        )
    if user is not None and user.role != Role.MEMBER:
        refusals.append(
            _(
                "Der Zugang der Person hat die Rolle „%(role)s“. Bitte ihn zuerst in der "
                "Benutzerverwaltung ändern (Rolle Mitglied oder andere Person).",
                role=user.role.value,
            )
        )
    return refusals


def _mandates(person: Person, on: date) -> tuple[list[Membership], list[Membership]]:
    """The person's mandates to remove at once (unused for 14 months) and to keep for now."""
    with_mandate = [m for m in person.memberships if m.has_mandate]
    uses = last_uses(m.id for m in with_mandate)
    now, kept = [], []
    for membership in with_mandate:
        last = uses.get((membership.id, membership.mandate_reference.upper()))
        last = last or membership.mandate_date
        (now if add_months(last, MANDATE_MONTHS) < on else kept).append(membership)
    return now, kept


def plan_erasure(person: Person, *, on: date | None = None) -> ErasurePlan:
    """What erasing `person` on `on` (default today) would delete, lock or refuse."""
    on = on or today()
    user = db.session.execute(select(User).where(User.person_id == person.id)).scalar_one_or_none()
    plan = ErasurePlan(person=person, user=user, refusals=_refusals(person, on, user))
    plan.retain_until = retain_until_for(last_record_year(person.id))
    plan.mandates_now, plan.mandates_kept = _mandates(person, on)
    counts = plan.counts
    counts["known_ibans"] = _count(
        select(func.count(KnownIban.id)).where(KnownIban.person_id == person.id)
    )
    counts["bookings"] = _count(
        select(func.count(Booking.id)).where(Booking.person_id == person.id)
    )
    counts["claims"] = _count(
        select(func.count(DuesClaim.id))
        .join(Membership, DuesClaim.membership_id == Membership.id)
        .where(Membership.person_id == person.id)
    )
    counts["receipts"] = _count(
        select(func.count(DonationReceipt.id)).where(DonationReceipt.person_id == person.id)
    )
    counts["reminders"] = _count(
        select(func.count(Reminder.id)).where(
            or_(Reminder.person_id == person.id, Reminder.member_id == person.id)
        )
    )
    counts["tokens"] = (
        _count(select(func.count(UserToken.id)).where(UserToken.user_id == user.id))
        if user is not None
        else 0
    )
    _describe(plan)
    return plan


def _describe(plan: ErasurePlan) -> None:
    """The plan's deleted and locked items, in words."""
    person, counts = plan.person, plan.counts
    deleted = plan.deleted
    if person.phone:
        deleted.append(_("Telefonnummer"))
    if person.email:
        deleted.append(_("E-Mail-Adresse"))
    if person.iban:
        deleted.append(_("IBAN im Personeneintrag"))
    if counts["known_ibans"]:
        deleted.append(
            _("bekannte IBANs aus Kontoauszügen: %(count)s", count=counts["known_ibans"])
        )
    if plan.user is not None:
        deleted.append(
            _("Zugang zum Mitgliederportal (Anmeldeadresse, Passwort, zweiter Faktor, Links)")
        )
    for membership in plan.mandates_now:
        deleted.append(
            _(
                "SEPA-Mandat %(reference)s (seit mehr als 14 Monaten nicht genutzt)",
                reference=membership.mandate_reference,
            )
        )
    if plan.retain_until is None:
        deleted.append(_("Name und Anschrift (nichts muss aufbewahrt werden: sofort anonymisiert)"))
        return
    locked = plan.locked
    locked.append(_("Name und Anschrift (für Buchungen und Zuwendungsbestätigungen)"))
    if counts["bookings"]:
        locked.append(_("Buchungen: %(count)s", count=counts["bookings"]))
    if counts["claims"]:
        locked.append(_("Beitragsforderungen: %(count)s", count=counts["claims"]))
    if counts["receipts"]:
        locked.append(_("Zuwendungsbestätigungen (Kopien): %(count)s", count=counts["receipts"]))
    if counts["reminders"]:
        locked.append(_("Zahlungserinnerungen und Mahnungen: %(count)s", count=counts["reminders"]))
    for membership in plan.mandates_kept:
        locked.append(
            _(
                "SEPA-Mandat %(reference)s (Nachweis bis 14 Monate nach der letzten Lastschrift)",
                reference=membership.mandate_reference,
            )
        )


def _clear_mandate(membership: Membership) -> None:
    """Remove a mandate (reference, date and IBAN go together, a database rule)."""
    membership.mandate_reference = None
    membership.mandate_date = None
    membership.mandate_iban = None


def _scrub_login(user: User) -> None:
    """Deactivate the login and delete its personal data; the row stays (audit entries name it)."""
    user.is_active = False
    user.email = f"geloescht-{user.id}@invalid"
    user.password_hash = "!"  # no hash: no password can ever match
    user.session_epoch = (user.session_epoch or 0) + 1  # ends every session and remembered login
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.locale = None
    db.session.execute(delete(UserToken).where(UserToken.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def erase_person(person: Person, *, actor, reason: str, on: date | None = None) -> ErasurePlan:
    """Delete what is not needed, lock what tax law keeps (or anonymise at once); audited."""
    on = on or today()
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(
            _("Bitte den Grund der Löschung angeben (z. B. „Antrag vom …“)."), field="reason"
        )
    if len(reason) > REASON_MAX:
        raise ValidationError(
            _("Der Grund ist zu lang (höchstens %(max)s Zeichen).", max=REASON_MAX), field="reason"
        )
    plan = plan_erasure(person, on=on)
    if not plan.allowed:
        raise DomainError(" ".join(plan.refusals))
    done = {
        "phone": bool(person.phone),
        "email": bool(person.email),
        "iban": bool(person.iban),
        "known_ibans": plan.counts["known_ibans"],
        "login": plan.user is not None,
        "tokens": plan.counts["tokens"],
        "mandates": len(plan.mandates_now),
    }
    person.phone = ""
    person.email = None
    person.iban = None
    person.is_active = False
    db.session.execute(delete(KnownIban).where(KnownIban.person_id == person.id))
    if plan.user is not None:
        _scrub_login(plan.user)
    for membership in plan.mandates_now:
        _clear_mandate(membership)
    person.locked_at = utcnow()
    person.lock_reason = reason
    person.retain_until = plan.retain_until or on
    db.session.flush()
    kept = {key: plan.counts[key] for key in ("bookings", "claims", "receipts", "reminders")}
    kept["mandates"] = len(plan.mandates_kept)
    audit.record(
        actor,
        "privacy.erased",
        person,
        {"reason": reason, "deleted": done, "locked": kept, "retain_until": plan.retain_until},
    )
    if plan.anonymise_now:
        anonymise_person(person, actor=actor)
    return plan


def anonymise_person(person: Person, *, actor) -> None:
    """Replace the person's name and address for good; clear what still names them."""
    if person.kind == PersonKind.ORGANISATION:
        person.first_name, person.last_name = "", f"{ANONYMOUS_FIRST_NAME} #{person.id}"
    else:
        person.first_name, person.last_name = ANONYMOUS_FIRST_NAME, f"#{person.id}"
    person.street = person.postal_code = person.city = ""
    person.phone = ""
    person.email = None
    person.iban = None
    person.lock_reason = ""
    person.anonymised_at = utcnow()
    mandates = 0
    for membership in person.memberships:
        if membership.has_mandate:
            _clear_mandate(membership)
            mandates += 1
        membership.leave_reason = ""
    # letters and payment records that copied the address: their retention has run out too
    db.session.execute(
        update(Reminder)
        .where(or_(Reminder.person_id == person.id, Reminder.member_id == person.id))
        .values(email=None, body="")
    )
    db.session.execute(
        update(OnlinePayment)
        .where(OnlinePayment.person_id == person.id)
        .values(email=None, donor={})
    )
    db.session.flush()
    audit.record(actor, "privacy.anonymised", person, {"mandates_removed": mandates})


def due_for_anonymisation(on: date) -> list[Person]:
    """Locked persons whose retention ended before `on` and who are not anonymised yet."""
    return list(
        db.session.execute(
            select(Person)
            .where(
                Person.locked_at.is_not(None),
                Person.anonymised_at.is_(None),
                Person.retain_until < on,
            )
            .order_by(Person.id)
        ).scalars()
    )


def expired_mandates(on: date) -> list[Membership]:
    """Mandates of locked, not yet anonymised persons, unused for more than 14 months."""
    memberships = list(
        db.session.execute(
            select(Membership)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Person.locked_at.is_not(None),
                Person.anonymised_at.is_(None),
                Membership.mandate_reference.is_not(None),
            )
            .order_by(Membership.id)
        ).scalars()
    )
    uses = last_uses(m.id for m in memberships)
    return [
        m
        for m in memberships
        if add_months(
            uses.get((m.id, m.mandate_reference.upper())) or m.mandate_date, MANDATE_MONTHS
        )
        < on
    ]


@dataclass
class AnonymiseResult:
    """What a run of `anonymise_due` did (or, in a dry run, would do)."""

    persons: list[Person] = field(default_factory=list)
    mandates: list[Membership] = field(default_factory=list)


def anonymise_due(on: date | None = None, actor=None, *, dry_run: bool = False) -> AnonymiseResult:
    """Anonymise every locked person whose retention has run out; remove expired mandates."""
    on = on or today()
    result = AnonymiseResult(persons=due_for_anonymisation(on))
    due_ids = {person.id for person in result.persons}
    result.mandates = [m for m in expired_mandates(on) if m.person_id not in due_ids]
    if dry_run:
        return result
    for person in result.persons:
        anonymise_person(person, actor=actor)
    for membership in result.mandates:
        _clear_mandate(membership)
        audit.record(
            actor, "privacy.mandate_removed", membership.person, {"membership": membership.id}
        )
    db.session.flush()
    return result


def locked_persons() -> list[Person]:
    """Locked persons not yet anonymised, the soonest to be anonymised first."""
    return list(
        db.session.execute(
            select(Person)
            .where(Person.locked_at.is_not(None), Person.anonymised_at.is_(None))
            .order_by(Person.retain_until, Person.id)
        ).scalars()
    )


def anonymised_count() -> int:
    """How many persons have been anonymised."""
    return _count(select(func.count(Person.id)).where(Person.anonymised_at.is_not(None)))
