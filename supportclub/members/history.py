"""The history of a member's record: audit entries made readable, and the reminders sent.

A member's page shows what changed from what to what (the person, their memberships and their
claims, from the audit log) and every reminder that concerned the person, as member or payer.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from supportclub.audit import AuditEntry
from supportclub.dues.models import Reminder
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.ledger.models import Person
from supportclub.members.models import Membership
from supportclub.members.validation import format_iban
from supportclub.money import format_cents

FIELD_LABELS = {
    "kind": N_("Art"),
    "first_name": N_("Vorname"),
    "last_name": N_("Name"),
    "street": N_("Straße"),
    "postal_code": N_("PLZ"),
    "city": N_("Ort"),
    "country": N_("Land"),
    "email": N_("E-Mail"),
    "phone": N_("Telefon"),
    "iban": N_("IBAN"),
    "payer_id": N_("Zahler"),
    "reference": N_("Mandatsreferenz"),
    "signed_on": N_("Unterschrieben am"),
}
ACTION_TITLES = {
    "persons.created": N_("Angelegt"),
    "persons.updated": N_("Daten geändert"),
    "persons.self_updated": N_("vom Mitglied geändert"),
    "persons.deactivated": N_("Deaktiviert"),
    "memberships.started": N_("Mitgliedschaft begonnen"),
    "memberships.ended": N_("Austritt eingetragen"),
    "memberships.payer_changed": N_("Zahler geändert"),
    "memberships.mandate_changed": N_("SEPA-Mandat geändert"),
    "dues.claim_waived": N_("Forderung erlassen"),
    "dues.payment_recorded": N_("Zahlung erfasst"),
}
SELF_SERVICE_ACTION = "persons.self_updated"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class HistoryItem:
    """One audit entry, readable: what changed from what to what."""

    created_at: datetime
    actor: str
    action: str
    title: str
    subject: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    booking_id: int | None = None

    @property
    def by_member(self) -> bool:
        """True for changes the member made in the portal."""
        return self.action == SELF_SERVICE_ACTION


def _show(key: str, value, names: dict[int, str]) -> str:
    """An audited value as a treasurer reads it."""
    if key == "payer_id":
        return names.get(value, f"#{value}") if value else _("das Mitglied selbst")
    if value is None or value == "":
        return "–"
    if key == "kind":
        labels = {"private": N_("Privatperson"), "organisation": N_("Organisation")}
        return _(labels.get(value, str(value)))
    if key.endswith("iban"):
        return format_iban(str(value))
    if key.endswith("cents") and isinstance(value, int):
        return format_cents(value)
    if isinstance(value, str) and ISO_DATE.match(value):
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    return str(value)


def _changes(data: dict, names: dict[int, str]) -> list[tuple[str, str, str]]:
    """(label, before, after) for each field of a before/after entry."""
    before, after = data.get("before") or {}, data.get("after") or {}
    result = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        label = _(FIELD_LABELS[key]) if key in FIELD_LABELS else key
        result.append((label, _show(key, old, names), _show(key, new, names)))
    return result


def _details(entry: AuditEntry, data: dict, type_names: dict[str, str], names) -> list[str]:
    """Short lines for entries without before/after."""
    action = entry.action
    if action == "persons.created":
        return [data.get("name", "")]
    if action == "memberships.started":
        lines = [
            _(
                "%(type)s ab %(start)s",
                type=type_names.get(data.get("type"), data.get("type") or ""),
                start=_show("start_date", data.get("start_date"), names),
            )
        ]
        if data.get("payer_id"):
            lines.append(_("Zahler: %(name)s", name=_show("payer_id", data["payer_id"], names)))
        if data.get("member_number"):
            lines.append(_("Mitgliedsnummer %(number)s", number=data["member_number"]))
        return lines
    if action == "memberships.ended":
        lines = [_("zum %(day)s", day=_show("end_date", data.get("end_date"), names))]
        if data.get("reason"):
            lines.append(_("Grund: %(reason)s", reason=data["reason"]))
        return lines
    if action == "dues.claim_waived":
        return [
            _(
                "Beitrag %(year)s: %(amount)s",
                year=data.get("year", ""),
                amount=format_cents(int(data.get("amount_cents") or 0)),
            ),
            _("Grund: %(reason)s", reason=data.get("reason", "")),
        ]
    if action == "dues.payment_recorded":
        lines = [format_cents(int(data.get("amount_cents") or 0))]
        if data.get("donation_cents"):
            lines.append(
                _("davon Spende: %(amount)s", amount=format_cents(int(data["donation_cents"])))
            )
        return lines
    if "before" in data or "after" in data:
        return []
    return [f"{key}: {_show(key, value, names)}" for key, value in sorted(data.items())]


def _payer_ids(entries: list[AuditEntry]) -> set[int]:
    ids = set()
    for entry in entries:
        data = entry.data
        for part in (data, data.get("before") or {}, data.get("after") or {}):
            if isinstance(part, dict) and isinstance(part.get("payer_id"), int):
                ids.add(part["payer_id"])
    return ids


def member_history(person: Person, memberships: list[Membership], claims) -> list[HistoryItem]:
    """Audit entries of the person, their memberships and their claims, newest first."""
    targets = [and_(AuditEntry.target_type == "Person", AuditEntry.target_id == person.id)]
    membership_ids = [m.id for m in memberships]
    claim_ids = [c.id for c in claims]
    if membership_ids:
        targets.append(
            and_(AuditEntry.target_type == "Membership", AuditEntry.target_id.in_(membership_ids))
        )
    if claim_ids:
        targets.append(
            and_(AuditEntry.target_type == "DuesClaim", AuditEntry.target_id.in_(claim_ids))
        )
    entries = list(
        db.session.execute(
            select(AuditEntry)
            .where(or_(*targets))
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        ).scalars()
    )
    names: dict[int, str] = {m.person_id: m.person.display_name for m in memberships}
    names[person.id] = person.display_name
    wanted = _payer_ids(entries) - set(names)
    if wanted:
        for other in db.session.execute(select(Person).where(Person.id.in_(wanted))).scalars():
            names[other.id] = other.display_name
    by_membership = {m.id: m for m in memberships}
    type_names = {m.membership_type.code: m.membership_type.name for m in memberships}
    claim_years = {c.id: c.year for c in claims}
    items = []
    for entry in entries:
        data = entry.data
        subject = ""
        if entry.target_type == "Membership" and entry.target_id in by_membership:
            name = by_membership[entry.target_id].membership_type.name
            subject = _("Mitgliedschaft %(type)s", type=name)
        elif entry.target_type == "DuesClaim" and entry.target_id in claim_years:
            subject = _("Beitrag %(year)s", year=claim_years[entry.target_id])
        title = ACTION_TITLES.get(entry.action)
        items.append(
            HistoryItem(
                created_at=entry.created_at,
                actor=entry.actor_label,
                action=entry.action,
                title=_(title) if title else entry.action,
                subject=subject,
                changes=_changes(data, names),
                details=_details(entry, data, type_names, names),
                booking_id=data.get("booking_id") if isinstance(data, dict) else None,
            )
        )
    return items


def member_reminders(person_id: int) -> list[Reminder]:
    """Reminders that concerned the person, as member or as payer, newest first."""
    return list(
        db.session.execute(
            select(Reminder)
            .where(or_(Reminder.member_id == person_id, Reminder.person_id == person_id))
            .options(joinedload(Reminder.person), joinedload(Reminder.member))
            .order_by(Reminder.created_at.desc(), Reminder.id.desc())
        ).scalars()
    )
