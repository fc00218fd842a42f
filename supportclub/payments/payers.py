"""Who paid: a donor without a login is matched to a known person by e-mail, or created.

Clear cases decide themselves: the e-mail of exactly one person whose name (and, where the
donor gave one, address) is the same, or nobody known at all. Everything in between (same
e-mail but another name, two persons with that e-mail, a person of the same name and postal code
with another e-mail) waits for the treasurer, because the booking and later the receipt name
the payer and a booking is never re-pointed.
"""

from sqlalchemy import select

from supportclub import audit
from supportclub.clock import utcnow
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person, PersonKind
from supportclub.ledger.services import create_person
from supportclub.payments.models import AttentionKind, OnlinePayment


def _norm(value: str | None) -> str:
    """Case- and space-insensitive form of a name or address part."""
    return " ".join((value or "").split()).casefold()


def _same_name(person: Person, donor: dict) -> bool:
    """True when the person's name is the donor's."""
    return _norm(person.last_name) == _norm(donor.get("last_name")) and _norm(
        person.first_name
    ) == _norm(donor.get("first_name"))


def _same_address(person: Person, donor: dict) -> bool:
    """True when the donor gave no address or the same one."""
    if not donor.get("street") and not donor.get("postal_code"):
        return True
    return _norm(person.street) == _norm(donor.get("street")) and _norm(
        person.postal_code
    ) == _norm(donor.get("postal_code"))


def candidates(donor: dict, email: str | None) -> tuple[Person | None, list[Person]]:
    """(the certain match or None, the persons it might be)."""
    by_email = []
    if email:
        by_email = list(
            db.session.scalars(
                select(Person)
                # stored lower-cased (members.validation.normalize_email): the index serves
                .where(Person.email == email.lower(), Person.is_active.is_(True))
                .order_by(Person.id)
                .limit(10)
            )
        )
    if len(by_email) == 1 and _same_name(by_email[0], donor) and _same_address(by_email[0], donor):
        return by_email[0], []
    if by_email:
        return None, by_email
    if not donor.get("last_name"):
        return None, []
    name = " ".join(donor["last_name"].split())
    # the usual spellings of the name, so the name index serves (no scan of every person)
    spellings = {name, name.lower(), name.upper(), name.title(), name.capitalize()}
    same_name = list(
        db.session.scalars(
            select(Person)
            .where(Person.last_name.in_(spellings), Person.is_active.is_(True))
            .order_by(Person.id)
            .limit(50)
        )
    )
    doubtful = [
        p
        for p in same_name
        if _same_name(p, donor)
        and (not donor.get("postal_code") or p.postal_code == donor.get("postal_code"))
    ]
    return None, doubtful


def _create(payment: OnlinePayment, actor) -> Person:
    """A new person from what the donor entered."""
    donor = payment.donor or {}
    return create_person(
        actor=actor,
        kind=PersonKind.ORGANISATION if donor.get("organisation") else PersonKind.PRIVATE,
        last_name=donor.get("last_name") or "",
        first_name=donor.get("first_name") or "",
        street=donor.get("street") or "",
        postal_code=donor.get("postal_code") or "",
        city=donor.get("city") or "",
        email=payment.email,
    )


def resolve_payer(payment: OnlinePayment, *, actor=None) -> bool:
    """Link the payment to its payer when that is certain; else queue it. True when linked."""
    from supportclub.payments.settle import flag

    if payment.person_id is not None or payment.anonymous:
        return True
    if any(
        a.kind == AttentionKind.PAYER_UNCLEAR and a.resolved_at is None for a in payment.attention
    ):
        return False
    match, doubtful = candidates(payment.donor or {}, payment.email)
    if match is not None:
        payment.person_id = match.id
        audit.record(actor, "payments.payer_matched", payment, {"person_id": match.id})
        return True
    if doubtful:
        flag(
            payment,
            AttentionKind.PAYER_UNCLEAR,
            {"candidates": [p.id for p in doubtful]},
        )
        return False
    person = _create(payment, actor)
    payment.person_id = person.id
    audit.record(actor, "payments.payer_created", payment, {"person_id": person.id})
    return True


def assign_payer(payment: OnlinePayment, *, person_id: int | None, actor) -> Person:
    """The treasurer's answer for an unclear payer: this known person, or a new one (None)."""
    attention = next((a for a in payment.attention if a.kind == AttentionKind.PAYER_UNCLEAR), None)
    if payment.person_id is not None or attention is None or attention.resolved_at is not None:
        raise ValidationError(_("Für diese Zahlung ist der Zahler bereits geklärt."))
    if person_id is None:
        person = _create(payment, actor)
        resolution = _("Neue Person angelegt")
    else:
        person = db.session.get(Person, person_id)
        if person is None or not person.is_active:
            raise ValidationError(_("Die Person ist unbekannt."), field="person_id")
        resolution = _("Zugeordnet: %(name)s", name=person.full_name)
    payment.person_id = person.id
    attention.resolved_at = utcnow()
    attention.resolved_by_id = getattr(actor, "id", None)
    attention.resolution = resolution
    audit.record(actor, "payments.payer_assigned", payment, {"person_id": person.id})
    return person
