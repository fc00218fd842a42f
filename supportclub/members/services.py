"""Member verbs: types and fee rates, join and leave, mandates, person data. They flush only."""

from datetime import date, timedelta

from sqlalchemy import exists, or_, select

from supportclub import audit
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, Person, PersonKind
from supportclub.members.models import FeeRate, Membership, MembershipType
from supportclub.members.validation import (
    check_date_range,
    check_mandate_reference,
    check_postal_code,
    normalize_email,
    normalize_iban,
)
from supportclub.money import format_cents
from supportclub.numbering import next_number

MEMBER_NUMBER_SERIES = "member"
FIRST_MEMBER_NUMBER = 1001
# what a member may change about themself in the portal
SELF_SERVICE_FIELDS = ("street", "postal_code", "city", "email", "phone", "iban")
PERSON_FIELDS = ("kind", "first_name", "last_name", *SELF_SERVICE_FIELDS, "country")


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


# Membership types and fee rates ---------------------------------------------------------------


def create_membership_type(
    *, code: str, name: str, actor, description: str = "", sort_order: int = 0
) -> MembershipType:
    """Create a membership type ("regular", "Regulär")."""
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not code or not name:
        raise ValidationError(_("Bitte Kürzel und Namen der Mitgliedsart angeben."), field="name")
    if db.session.execute(select(MembershipType.id).filter_by(code=code)).first():
        raise ValidationError(
            _("Eine Mitgliedsart mit dem Kürzel %(code)s gibt es schon.", code=code), field="code"
        )
    mtype = MembershipType(
        code=code, name=name, description=(description or "").strip(), sort_order=sort_order
    )
    db.session.add(mtype)
    db.session.flush()
    audit.record(actor, "membership_types.created", mtype, {"code": code, "name": name})
    return mtype


def update_membership_type(
    mtype: MembershipType, *, actor, name: str, description: str = "", is_active: bool = True
) -> MembershipType:
    """Rename or (de)activate a membership type; its code and rates stay."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Bitte einen Namen angeben."), field="name")
    before = {"name": mtype.name, "description": mtype.description, "is_active": mtype.is_active}
    mtype.name, mtype.description, mtype.is_active = name, (description or "").strip(), is_active
    db.session.flush()
    after = {"name": mtype.name, "description": mtype.description, "is_active": mtype.is_active}
    audit.record(actor, "membership_types.updated", mtype, {"before": before, "after": after})
    return mtype


def add_fee_rate(mtype: MembershipType, *, valid_from: date, amount_cents: int, actor) -> FeeRate:
    """Add a fee from `valid_from` on; the open-ended rate before it ends the day before.

    A rate may only continue the price history: one starting inside or before an existing
    closed range, or on/before the latest start, would rewrite the past and is refused.
    Claims already created keep their amount whatever happens to the rates.
    """
    if not isinstance(amount_cents, int) or amount_cents < 0:
        raise ValidationError(_("Der Beitrag darf nicht negativ sein."), field="amount")
    rates = list(
        db.session.execute(
            select(FeeRate)
            .where(FeeRate.membership_type_id == mtype.id)
            .order_by(FeeRate.valid_from)
        ).scalars()
    )
    for rate in rates:
        ends = rate.valid_until
        overlaps_closed = ends is not None and rate.valid_from <= valid_from <= ends
        if rate.valid_from >= valid_from or overlaps_closed:
            raise ValidationError(
                _(
                    "Der Beitragssatz ab %(start)s überschneidet sich mit dem Satz "
                    "%(amount)s ab %(existing)s. Neue Sätze dürfen nur nach dem letzten "
                    "Satz beginnen.",
                    start=_day(valid_from),
                    amount=format_cents(rate.amount_cents),
                    existing=_day(rate.valid_from),
                ),
                field="valid_from",
            )
    closed = None
    if rates and rates[-1].valid_until is None:
        closed = rates[-1]
        closed.valid_until = valid_from - timedelta(days=1)
    rate = FeeRate(
        membership_type_id=mtype.id,
        valid_from=valid_from,
        amount_cents=amount_cents,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(rate)
    db.session.flush()
    audit.record(
        actor,
        "fee_rates.added",
        mtype,
        {
            "valid_from": valid_from,
            "amount_cents": amount_cents,
            "previous_rate_ends": closed.valid_until if closed else None,
        },
    )
    return rate


def fee_rate_on(membership_type_id: int, day: date) -> FeeRate | None:
    """The rate of a membership type valid on `day`, if any."""
    return db.session.execute(
        select(FeeRate).where(
            FeeRate.membership_type_id == membership_type_id,
            FeeRate.valid_from <= day,
            or_(FeeRate.valid_until.is_(None), FeeRate.valid_until >= day),
        )
    ).scalar_one_or_none()


# Persons --------------------------------------------------------------------------------------


def clean_person_values(values: dict, *, country: str = "DE") -> dict:
    """Normalise and check person fields (names, address, e-mail, IBAN); raise on bad input."""
    clean = {}
    for key, value in values.items():
        if key not in PERSON_FIELDS:
            raise TypeError(f"unknown person field {key}")
        clean[key] = value.strip() if isinstance(value, str) else value
    if "last_name" in clean and not clean["last_name"]:
        raise ValidationError(
            _("Bitte einen Namen angeben (Nachname oder Name der Organisation)."),
            field="last_name",
        )
    if "kind" in clean:
        clean["kind"] = PersonKind(clean["kind"])
    if "email" in clean:
        clean["email"] = normalize_email(clean["email"])
    if "iban" in clean:
        clean["iban"] = normalize_iban(clean["iban"])
    if "postal_code" in clean:
        clean["postal_code"] = check_postal_code(
            clean["postal_code"], clean.get("country") or country
        )
    for key in ("first_name", "street", "city", "phone"):
        if key in clean and clean[key] is None:
            clean[key] = ""
    return clean


def update_person(person: Person, *, actor, action: str = "persons.updated", **values) -> dict:
    """Change a person's data; the audit entry keeps what changed (before and after).

    Returns the changed fields as {field: (before, after)} (empty when nothing changed). A
    person locked after erasure (DSGVO) is not changed: their data is kept only as it was.
    """
    if person.locked_at is not None:
        raise DomainError(
            _(
                "Die Daten dieser Person sind nach einer Löschung gesperrt (DSGVO) und werden "
                "nur noch für die gesetzliche Aufbewahrung unverändert aufbewahrt."
            )
        )
    values = clean_person_values(values, country=person.country or "DE")
    changes = {}
    for key, value in values.items():
        before = getattr(person, key)
        if before != value:
            changes[key] = (before, value)
            setattr(person, key, value)
    if changes:
        db.session.flush()
        audit.record(
            actor,
            action,
            person,
            {
                "before": {k: v[0] for k, v in changes.items()},
                "after": {k: v[1] for k, v in changes.items()},
            },
        )
    return changes


def person_has_money(person_id: int) -> bool:
    """True when a booking names the person or a claim belongs to one of their memberships."""
    from supportclub.dues.models import DuesClaim

    booked = db.session.execute(select(exists().where(Booking.person_id == person_id))).scalar()
    claimed = db.session.execute(
        select(
            exists().where(
                DuesClaim.membership_id == Membership.id, Membership.person_id == person_id
            )
        )
    ).scalar()
    return bool(booked or claimed)


def deactivate_person(person: Person, *, actor) -> None:
    """Deactivate a person (persons with booked money are never deleted)."""
    if not person.is_active:
        return
    open_memberships = [m for m in person.memberships if m.end_date is None]
    if open_memberships:
        raise DomainError(_("Bitte zuerst den Austritt eintragen; die Mitgliedschaft läuft noch."))
    person.is_active = False
    db.session.flush()
    audit.record(actor, "persons.deactivated", person, {"name": person.display_name})


# Join, leave, payer, mandate ------------------------------------------------------------------


def join(
    person: Person,
    *,
    membership_type_id: int,
    start_date: date,
    actor,
    payer_id: int | None = None,
    end_date: date | None = None,
) -> Membership:
    """Start a membership; the person gets a member number on first joining (never reused)."""
    mtype = db.session.get(MembershipType, membership_type_id)
    if mtype is None or not mtype.is_active:
        raise ValidationError(
            _("Die Mitgliedsart ist unbekannt oder nicht mehr aktiv."), field="membership_type_id"
        )
    check_date_range(start_date, end_date)
    _refuse_overlap(person.id, mtype, start_date, end_date)
    payer = _check_payer(person, payer_id)
    if person.member_number is None:
        person.member_number = next_number(MEMBER_NUMBER_SERIES, first=FIRST_MEMBER_NUMBER)
    person.is_active = True
    membership = Membership(
        person=person,
        membership_type_id=mtype.id,
        start_date=start_date,
        end_date=end_date,
        payer=payer,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(membership)
    db.session.flush()
    audit.record(
        actor,
        "memberships.started",
        membership,
        {
            "person_id": person.id,
            "member_number": person.member_number,
            "type": mtype.code,
            "start_date": start_date,
            "end_date": end_date,
            "payer_id": membership.payer_id,
        },
    )
    return membership


def _refuse_overlap(
    person_id: int, mtype: MembershipType, start: date, end: date | None, ignore_id=None
) -> None:
    """A person may hold one membership of a type at a time."""
    query = select(Membership).where(
        Membership.person_id == person_id,
        Membership.membership_type_id == mtype.id,
        or_(Membership.end_date.is_(None), Membership.end_date >= start),
    )
    if end is not None:
        query = query.where(Membership.start_date <= end)
    if ignore_id is not None:
        query = query.where(Membership.id != ignore_id)
    other = db.session.execute(query.limit(1)).scalar_one_or_none()
    if other is not None:
        raise ValidationError(
            _(
                "Es gibt schon eine Mitgliedschaft „%(type)s“ ab %(start)s für diese Person; "
                "eine zweite derselben Art kann nicht gleichzeitig laufen.",
                type=mtype.name,
                start=_day(other.start_date),
            ),
            field="membership_type_id",
        )


def _check_payer(person: Person, payer_id: int | None) -> Person | None:
    if payer_id is None or payer_id == person.id:
        return None
    payer = db.session.get(Person, payer_id)
    if payer is None:
        raise ValidationError(_("Die zahlende Person ist unbekannt."), field="payer_id")
    return payer


def leave(membership: Membership, *, end_date: date, actor, reason: str = "") -> Membership:
    """End a membership on `end_date` (its person and everything booked stay)."""
    if membership.end_date is not None:
        raise DomainError(
            _("Die Mitgliedschaft endet bereits am %(end)s.", end=_day(membership.end_date))
        )
    check_date_range(membership.start_date, end_date)
    membership.end_date = end_date
    membership.leave_reason = (reason or "").strip()[:200]
    db.session.flush()
    audit.record(
        actor,
        "memberships.ended",
        membership,
        {
            "person_id": membership.person_id,
            "end_date": end_date,
            "reason": membership.leave_reason,
        },
    )
    return membership


def set_payer(membership: Membership, *, payer_id: int | None, actor) -> Membership:
    """Let another person pay this membership's dues (None: the member pays)."""
    payer = _check_payer(membership.person, payer_id)
    before = membership.payer_id
    membership.payer = payer
    db.session.flush()
    audit.record(
        actor,
        "memberships.payer_changed",
        membership,
        {"before": {"payer_id": before}, "after": {"payer_id": membership.payer_id}},
    )
    return membership


def set_mandate(
    membership: Membership,
    *,
    reference: str | None,
    signed_on: date | None,
    iban: str | None,
    actor,
    mandate_type: str = "RCUR",
) -> Membership:
    """Record (or, with all three empty, remove) the SEPA mandate of a membership.

    ``mandate_type``: RCUR for recurring dues, OOFF for a one-off mandate (collected once).
    """
    if mandate_type not in ("RCUR", "OOFF"):
        raise ValidationError(
            _("Bitte wiederkehrend (RCUR) oder einmalig (OOFF) wählen."), field="mandate_type"
        )
    reference = check_mandate_reference(reference)
    iban = normalize_iban(iban, field="mandate_iban")
    if reference is None and iban is None and signed_on is None:
        values = (None, None, None)
    else:
        if reference is None:
            raise ValidationError(
                _("Bitte die Mandatsreferenz angeben."), field="mandate_reference"
            )
        if signed_on is None:
            raise ValidationError(
                _("Bitte das Datum der Unterschrift angeben."), field="mandate_date"
            )
        if iban is None:
            raise ValidationError(_("Bitte die IBAN des Mandats angeben."), field="mandate_iban")
        clash = db.session.execute(
            select(Membership.id).where(
                Membership.mandate_reference == reference, Membership.id != membership.id
            )
        ).first()
        if clash:
            raise ValidationError(
                _("Die Mandatsreferenz %(reference)s ist schon vergeben.", reference=reference),
                field="mandate_reference",
            )
        values = (reference, signed_on, iban)
    before = {
        "reference": membership.mandate_reference,
        "signed_on": membership.mandate_date,
        "iban": membership.mandate_iban,
        "type": membership.mandate_type,
    }
    membership.mandate_reference, membership.mandate_date, membership.mandate_iban = values
    membership.mandate_type = mandate_type if values[0] else "RCUR"
    db.session.flush()
    after = {
        "reference": values[0],
        "signed_on": values[1],
        "iban": values[2],
        "type": membership.mandate_type,
    }
    audit.record(
        actor, "memberships.mandate_changed", membership, {"before": before, "after": after}
    )
    return membership


def default_mandate_reference(membership: Membership) -> str:
    """A suggested mandate reference: "M-<member number>-<membership id>"."""
    return f"M-{membership.person.member_number}-{membership.id}"
