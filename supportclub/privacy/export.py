"""The data export of Art. 15 DSGVO: everything held about one person, with purposes, legal
bases, recipients, retention periods and the person's rights.

`person_data(person)` gathers it with one query per category (no query per row); `export_json`
writes it as the machine-readable file, privacy.export_pdf as the readable one. Never in it: the
login's password hash and second-factor secret.
"""

import json
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, joinedload

from supportclub import audit
from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.auth.models import User
from supportclub.banking.models import DebitCollection, DirectDebit, KnownIban, StatementLine
from supportclub.clock import utcnow
from supportclub.donations.models import DonationDetail
from supportclub.dues.models import DuesClaim, Reminder
from supportclub.dues.queries import claims_select, rows
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, BookingLine, Category, Fund, Person
from supportclub.members.models import Membership, MembershipType
from supportclub.payments.models import OnlinePayment
from supportclub.privacy.categories import CATEGORIES, RIGHTS
from supportclub.projects.models import Project
from supportclub.receipts.models import DonationReceipt

FORMAT = "supportclub-auskunft/1"


def _iso(value):
    """Dates and times as ISO text (None stays None)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _master(person: Person) -> dict:
    return {
        "id": person.id,
        "kind": person.kind.value,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "street": person.street,
        "postal_code": person.postal_code,
        "city": person.city,
        "country": person.country,
        "email": person.email,
        "phone": person.phone,
        "iban": person.iban,
        "member_number": person.member_number,
        "is_active": person.is_active,
        "created_at": _iso(person.created_at),
        "locked_at": _iso(person.locked_at),
        "retain_until": _iso(person.retain_until),
    }


def _memberships(person_id: int) -> list[dict]:
    """Own memberships and those the person pays for, with type, payer and mandate."""
    member, payer = aliased(Person), aliased(Person)
    stmt = (
        select(Membership, MembershipType.name, member, payer)
        .join(MembershipType, Membership.membership_type_id == MembershipType.id)
        .join(member, Membership.person_id == member.id)
        .outerjoin(payer, Membership.payer_id == payer.id)
        .where(or_(Membership.person_id == person_id, Membership.payer_id == person_id))
        .order_by(Membership.start_date, Membership.id)
    )
    result = []
    for m, type_name, owner, paying in db.session.execute(stmt):
        result.append(
            {
                "id": m.id,
                "type": type_name,
                "member": owner.full_name if owner.id != person_id else None,
                "start_date": _iso(m.start_date),
                "end_date": _iso(m.end_date),
                "leave_reason": m.leave_reason,
                "payer": paying.full_name if paying is not None else None,
                "mandate": {
                    "reference": m.mandate_reference,
                    "signed_on": _iso(m.mandate_date),
                    "iban": m.mandate_iban,
                    "type": m.mandate_type,
                }
                if m.has_mandate
                else None,
            }
        )
    return result


def _claims(person_id: int) -> list[dict]:
    query = claims_select().where(Membership.person_id == person_id)
    claim_rows = rows(query.order_by(DuesClaim.year, DuesClaim.id))
    return [
        {
            "id": row.claim.id,
            "year": row.claim.year,
            "membership_type": row.membership.membership_type.name,
            "due_date": _iso(row.claim.due_date),
            "amount_cents": row.claim.amount_cents,
            "paid_cents": row.paid_cents,
            "waived_cents": row.waived_cents,
            "open_cents": row.open_cents,
            "status": row.status.value,
        }
        for row in claim_rows
    ]


def _bookings(person_id: int) -> list[dict]:
    stmt = (
        select(Booking.id, Booking.booking_date, Booking.amount_cents, Booking.text,
               Booking.channel, Booking.reversal_of_id)
        .where(Booking.person_id == person_id)
        .order_by(Booking.booking_date, Booking.id)
    )  # fmt: skip
    return [
        {
            "id": bid,
            "date": _iso(day),
            "amount_cents": cents,
            "text": text,
            "channel": channel.value,
            "reversal_of": reversal_of,
        }
        for bid, day, cents, text, channel, reversal_of in db.session.execute(stmt)
    ]


def _donations(person_id: int) -> list[dict]:
    stmt = (
        select(BookingLine.id, Booking.booking_date, BookingLine.amount_cents, Fund.name,
               DonationDetail.kind, DonationDetail.description, Booking.id)
        .join(Booking, BookingLine.booking_id == Booking.id)
        .join(Category, BookingLine.category_id == Category.id)
        .join(Fund, BookingLine.fund_id == Fund.id)
        .outerjoin(DonationDetail, DonationDetail.booking_line_id == BookingLine.id)
        .where(Booking.person_id == person_id, Category.code == "donation")
        .order_by(Booking.booking_date, BookingLine.id)
    )  # fmt: skip
    return [
        {
            "booking_id": booking_id,
            "date": _iso(day),
            "amount_cents": cents,
            "kind": kind.value if kind is not None else "money",
            "fund": fund,
            "description": description or "",
        }
        for _line, day, cents, fund, kind, description, booking_id in db.session.execute(stmt)
    ]


def _receipts(person_id: int) -> list[dict]:
    stmt = (
        select(DonationReceipt)
        .where(DonationReceipt.person_id == person_id)
        .order_by(DonationReceipt.issued_on, DonationReceipt.id)
    )
    return [
        {
            "number": r.number,
            "issued_on": _iso(r.issued_on),
            "kind": r.kind.value,
            "period_start": _iso(r.period_start),
            "period_end": _iso(r.period_end),
            "total_cents": r.total_cents,
            "donor_name": r.donor_name,
            "donor_address": r.address_lines,
            "revoked": r.is_revoked,
            "delivered_to": r.delivered_to,
        }
        for r in db.session.execute(stmt).scalars()
    ]


def _online_payments(person_id: int) -> list[dict]:
    stmt = (
        select(OnlinePayment)
        .where(OnlinePayment.person_id == person_id)
        .order_by(OnlinePayment.created_at, OnlinePayment.id)
    )
    return [
        {
            "id": p.id,
            "created_at": _iso(p.created_at),
            "purpose": p.purpose.value,
            "status": p.status.value,
            "amount_cents": p.amount_cents,
            "paid_cents": p.paid_cents,
            "refunded_cents": p.refunded_cents,
            "method": p.method,
            "paid_at": _iso(p.paid_at),
            "email": p.email,
            "donor": p.donor or {},
        }
        for p in db.session.execute(stmt).scalars()
    ]


def _bank(person_id: int) -> dict:
    known = db.session.execute(
        select(KnownIban).where(KnownIban.person_id == person_id).order_by(KnownIban.id)
    ).scalars()
    lines = db.session.execute(
        select(StatementLine)
        .outerjoin(Booking, StatementLine.booking_id == Booking.id)
        .where(or_(StatementLine.match_person_id == person_id, Booking.person_id == person_id))
        .order_by(StatementLine.booking_date, StatementLine.id)
    ).scalars()
    debits = db.session.execute(
        select(DirectDebit)
        .options(joinedload(DirectDebit.collection))
        .join(DebitCollection, DirectDebit.collection_id == DebitCollection.id)
        .where(DirectDebit.person_id == person_id)
        .order_by(DebitCollection.collection_date, DirectDebit.id)
    ).scalars()
    return {
        "known_ibans": [
            {
                "iban": k.iban,
                "confirmed_count": k.confirmed_count,
                "last_confirmed_at": _iso(k.last_confirmed_at),
            }
            for k in known
        ],
        "statement_lines": [
            {
                "date": _iso(line.booking_date),
                "amount_cents": line.amount_cents,
                "counterparty_name": line.counterparty_name,
                "counterparty_iban": line.counterparty_iban,
                "purpose": line.purpose,
            }
            for line in lines
        ],
        "direct_debits": [
            {
                "collection_date": _iso(d.collection.collection_date),
                "amount_cents": d.amount_cents,
                "mandate_reference": d.mandate_reference,
                "iban": d.iban,
                "debtor_name": d.debtor_name,
                "remittance": d.remittance,
            }
            for d in debits
        ],
    }


def _reminders(person_id: int) -> list[dict]:
    stmt = (
        select(Reminder)
        .where(or_(Reminder.person_id == person_id, Reminder.member_id == person_id))
        .order_by(Reminder.created_at, Reminder.id)
    )
    return [
        {
            "created_at": _iso(r.created_at),
            "level": r.level,
            "channel": r.channel.value,
            "email": r.email,
            "open_cents": r.open_cents,
            "subject": r.subject,
        }
        for r in db.session.execute(stmt).scalars()
    ]


def _projects(person_id: int) -> list[dict]:
    stmt = select(Project).where(Project.applicant_id == person_id).order_by(Project.id)
    return [
        {
            "title": p.title,
            "applied_on": _iso(p.applied_on),
            "requested_cents": p.requested_cents,
            "status": p.status.value,
            "contact_name": p.contact_name,
            "contact_email": p.contact_email,
            "contact_phone": p.contact_phone,
        }
        for p in db.session.execute(stmt).scalars()
    ]


def _login(person_id: int) -> dict | None:
    """The login's e-mail, role and times; never the password hash or the TOTP secret."""
    user = db.session.execute(select(User).where(User.person_id == person_id)).scalar_one_or_none()
    if user is None:
        return None
    return {
        "email": user.email,
        "role": user.role.value,
        "is_active": user.is_active,
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
        "second_factor": user.totp_enabled_at is not None,
    }


def _audit(person_id: int) -> list[dict]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.target_type == "Person", AuditEntry.target_id == person_id)
        .order_by(AuditEntry.id)
    )
    return [
        {
            "created_at": _iso(e.created_at),
            "action": e.action,
            "actor": e.actor_label,
            "data": e.data,
        }
        for e in db.session.execute(stmt).scalars()
    ]


COLLECTORS = {
    "master_data": lambda person: _master(person),
    "memberships": lambda person: _memberships(person.id),
    "dues_claims": lambda person: _claims(person.id),
    "bookings": lambda person: _bookings(person.id),
    "donations": lambda person: _donations(person.id),
    "receipts": lambda person: _receipts(person.id),
    "online_payments": lambda person: _online_payments(person.id),
    "bank": lambda person: _bank(person.id),
    "reminders": lambda person: _reminders(person.id),
    "projects": lambda person: _projects(person.id),
    "login": lambda person: _login(person.id),
    "audit": lambda person: _audit(person.id),
}


def _controller() -> dict:
    settings = get_settings()
    return {
        "name": settings.name,
        "address": [
            line
            for line in (settings.street, f"{settings.postal_code} {settings.city}".strip())
            if line
        ],
    }


def person_data(person: Person) -> dict:
    """Everything held about `person`, per category with purpose, legal basis, recipients and
    retention, and the person's rights (one query per category)."""
    categories = {}
    for key, (title, purpose, bases, recipients, retention) in CATEGORIES.items():
        categories[key] = {
            "title": _(title),
            "purpose": _(purpose),
            "legal_basis": [_(basis) for basis in bases],
            "recipients": [_(recipient) for recipient in recipients],
            "retention": [_(period) for period in retention],
            "data": COLLECTORS[key](person),
        }
    return {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "controller": _controller(),
        "person_id": person.id,
        "categories": categories,
        "rights": [_(right) for right in RIGHTS],
    }


def export_json(data: dict) -> bytes:
    """The export as UTF-8 JSON (indented, umlauts as they are)."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def file_name(person: Person, suffix: str) -> str:
    """auskunft-<id>.json / .pdf"""
    return f"auskunft-{person.id}.{suffix}"


FORMATS = ("json", "pdf")


def export_file(person: Person, *, actor, fmt: str) -> bytes:
    """The export of `person` as JSON or PDF bytes; audited ("privacy.exported")."""
    from supportclub.privacy.export_pdf import render_export

    if fmt not in FORMATS:
        raise ValueError(fmt)
    data = person_data(person)
    body = export_json(data) if fmt == "json" else render_export(data)
    audit.record(actor, "privacy.exported", person, {"format": fmt})
    db.session.flush()
    return body
