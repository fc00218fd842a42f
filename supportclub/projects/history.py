"""The history of a project: its audit entries (projects.* and grants.*) made readable."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select

from supportclub.audit import AuditEntry
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.money import format_cents
from supportclub.projects.models import Project

ACTION_TITLES = {
    "projects.created": N_("Antrag erfasst"),
    "projects.updated": N_("Angaben geändert"),
    "grants.approved": N_("Bewilligt"),
    "grants.revoked": N_("Bewilligung zurückgenommen"),
    "projects.rejected": N_("Abgelehnt"),
    "projects.funds_allocated": N_("Mittel zugewiesen"),
    "projects.funds_released": N_("Mittel zurückgebucht"),
    "projects.paid_out": N_("Ausgezahlt"),
    "projects.proof_received": N_("Verwendungsnachweis erhalten"),
    "projects.closed": N_("Abgeschlossen"),
    "projects.document_uploaded": N_("Dokument hochgeladen"),
}
FIELD_LABELS = {
    "title": N_("Titel"),
    "purpose": N_("Zweck"),
    "contact_name": N_("Ansprechperson"),
    "contact_email": N_("E-Mail"),
    "contact_phone": N_("Telefon"),
    "requested_cents": N_("Beantragt"),
    "applied_on": N_("Antrag vom"),
    "is_public": N_("Auf der Transparenzseite"),
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class HistoryItem:
    """One audit entry, readable."""

    created_at: datetime
    actor: str
    action: str
    title: str
    details: list[str] = field(default_factory=list)
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    booking_id: int | None = None


def _show(key: str, value) -> str:
    """An audited value as a treasurer reads it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if key.endswith("cents") and isinstance(value, int):
        return format_cents(value)
    if isinstance(value, str) and ISO_DATE.match(value):
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    return str(value)


def _amount_line(data: dict) -> list[str]:
    """The amount of an entry, if it has one."""
    cents = data.get("amount_cents")
    return [format_cents(int(cents))] if isinstance(cents, int) else []


def _details(action: str, data: dict) -> list[str]:
    """Short lines describing an entry without before/after values."""
    lines: list[str] = []
    if action == "projects.created":
        lines.append(_("Beantragt: %(amount)s", amount=_show("cents", data.get("requested_cents"))))
    elif action == "grants.approved":
        lines.append(
            _(
                "Beschluss vom %(day)s: %(amount)s",
                day=_show("d", data.get("resolution_date")),
                amount=_show("amount_cents", data.get("amount_cents")),
            )
        )
        if data.get("over_free_cents"):
            lines.append(
                _(
                    "über die freien Mittel hinaus: %(over)s; Begründung: %(reason)s",
                    over=format_cents(int(data["over_free_cents"])),
                    reason=data.get("override_reason", ""),
                )
            )
    elif action in ("grants.revoked", "projects.funds_released"):
        lines += _amount_line(data) + [_("Grund: %(reason)s", reason=data.get("reason", ""))]
    elif action in ("projects.funds_allocated", "projects.paid_out"):
        lines += _amount_line(data)
    elif action == "projects.rejected":
        lines.append(_("am %(day)s", day=_show("d", data.get("decided_on"))))
        if data.get("note"):
            lines.append(str(data["note"]))
    elif action == "projects.proof_received":
        lines.append(_("am %(day)s", day=_show("d", data.get("received_on"))))
    elif action == "projects.closed":
        lines.append(_("am %(day)s", day=_show("d", data.get("closed_on"))))
        if data.get("released_cents"):
            lines.append(
                _(
                    "Restmittel zurückgebucht: %(amount)s",
                    amount=format_cents(int(data["released_cents"])),
                )
            )
    elif action == "projects.document_uploaded":
        lines.append(str(data.get("filename", "")))
    return lines


def _changes(data: dict) -> list[tuple[str, str, str]]:
    """(label, before, after) of a projects.updated entry."""
    result = []
    for key, pair in sorted((data.get("changes") or {}).items()):
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        label = _(FIELD_LABELS[key]) if key in FIELD_LABELS else key
        result.append((label, _show(key, old), _show(key, new)))
    return result


def project_history(project: Project) -> list[HistoryItem]:
    """Audit entries of projects.* and grants.* about this project, newest first (one query)."""
    entries = db.session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.target_type == "Project",
            AuditEntry.target_id == project.id,
            or_(AuditEntry.action.like("projects.%"), AuditEntry.action.like("grants.%")),
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).scalars()
    items = []
    for entry in entries:
        data = entry.data if isinstance(entry.data, dict) else {}
        title = ACTION_TITLES.get(entry.action)
        booking_id = data.get("booking_id")
        items.append(
            HistoryItem(
                created_at=entry.created_at,
                actor=entry.actor_label,
                action=entry.action,
                title=_(title) if title else entry.action,
                details=_details(entry.action, data),
                changes=_changes(data) if entry.action == "projects.updated" else [],
                booking_id=booking_id if isinstance(booking_id, int) else None,
            )
        )
    return items
