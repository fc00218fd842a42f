"""Starting an online payment: a member's open dues, or a donation from the public page.

The payment row and the Checkout session are made in one request: if Stripe fails, the route
rolls back and nothing remains (nothing booked, no payment row). The books change only when the
webhook confirms the money (settle.py).
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from supportclub import audit
from supportclub.clock import utcnow
from supportclub.dues.payments import beitrag_text
from supportclub.dues.queries import claims_of_person
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.members.services import clean_person_values
from supportclub.money import format_cents
from supportclub.payments import gateway
from supportclub.payments.models import (
    OnlinePayment,
    OnlinePaymentClaim,
    PaymentStatus,
    Purpose,
)

MIN_DONATION_CENTS = 1_00
MAX_DONATION_CENTS = 25_000_00
# (success URL, cancel URL) for a payment token
Urls = Callable[[str], tuple[str, str]]


def _association_name() -> str:
    """The association's name for the Checkout page."""
    from supportclub.admin.services import get_settings

    return get_settings().name or "supportclub"


def _open(payment: OnlinePayment, items: list[gateway.LineItem], urls: Urls, **kwargs) -> None:
    """Create the Checkout session for a flushed payment and remember it."""
    success, cancel = urls(payment.token)
    session = gateway.create_checkout(
        payment_id=payment.id,
        token=payment.token,
        items=items,
        success_url=success,
        cancel_url=cancel,
        email=payment.email,
        **kwargs,
    )
    payment.checkout_session_id = session.id
    payment.checkout_url = session.url
    payment.expires_at = session.expires_at


# Dues -----------------------------------------------------------------------------------------


def pending_claim_ids(person_id: int) -> set[int]:
    """Claims of the person whose online payment is being confirmed (no second payment)."""
    rows = db.session.execute(
        select(OnlinePaymentClaim.claim_id)
        .join(OnlinePayment)
        .where(
            OnlinePayment.person_id == person_id,
            OnlinePayment.status == PaymentStatus.PENDING,
        )
    )
    return {claim_id for (claim_id,) in rows}


def _reusable(person_id: int, claims: dict[int, int]) -> OnlinePayment | None:
    """An open, unexpired Checkout of the same claims and amounts (a second click reuses it)."""
    now = utcnow()
    for payment in db.session.scalars(
        select(OnlinePayment).where(
            OnlinePayment.person_id == person_id,
            OnlinePayment.purpose == Purpose.DUES,
            OnlinePayment.status == PaymentStatus.CREATED,
        )
    ):
        if payment.expires_at is not None and payment.expires_at <= now:
            continue
        if {c.claim_id: c.amount_cents for c in payment.claims} == claims:
            return payment
    return None


def start_dues_payment(
    *, person: Person, claim_ids: list[int] | None, user, urls: Urls, locale: str = "de"
) -> OnlinePayment:
    """Open Checkout for the person's open claims (all of them when `claim_ids` is None)."""
    open_rows = claims_of_person(person.id, only_open=True)
    if claim_ids is not None:
        wanted = set(claim_ids)
        unknown = wanted - {row.claim.id for row in open_rows}
        if unknown:
            raise ValidationError(
                _("Dieser Beitrag ist nicht (mehr) offen. Bitte laden Sie die Seite neu."),
                field="claims",
            )
        open_rows = [row for row in open_rows if row.claim.id in wanted]
    if not open_rows:
        raise ValidationError(_("Es ist kein offener Beitrag ausgewählt."), field="claims")
    busy = pending_claim_ids(person.id) & {row.claim.id for row in open_rows}
    if busy:
        raise ValidationError(
            _(
                "Für diesen Beitrag läuft bereits eine Zahlung, die gerade bestätigt wird. "
                "Bitte zahlen Sie nicht doppelt."
            ),
            field="claims",
        )
    claims = {row.claim.id: row.open_cents for row in open_rows}
    reuse = _reusable(person.id, claims)
    if reuse is not None:
        return reuse
    payment = OnlinePayment(
        token=secrets.token_urlsafe(32),
        purpose=Purpose.DUES,
        amount_cents=sum(claims.values()),
        person_id=person.id,
        user_id=getattr(user, "id", None),
        email=person.email,
        donor={},
    )
    for claim_id, cents in claims.items():
        payment.claims.append(OnlinePaymentClaim(claim_id=claim_id, amount_cents=cents))
    db.session.add(payment)
    db.session.flush()
    items = [gateway.LineItem(beitrag_text(row), row.open_cents) for row in open_rows]
    _open(
        payment,
        items,
        urls,
        description=_("Mitgliedsbeitrag %(name)s", name=_association_name()),
        donation=False,
        locale=locale,
    )
    audit.record(
        user,
        "payments.checkout_started",
        payment,
        {"purpose": "dues", "amount_cents": payment.amount_cents, "claims": list(claims)},
    )
    return payment


# Donations ------------------------------------------------------------------------------------


@dataclass
class DonationInput:
    """What the public donation form sends (amount already parsed to cents)."""

    amount_cents: int
    fund_id: int | None = None
    anonymous: bool = False
    wants_receipt: bool = False
    organisation: bool = False
    first_name: str = ""
    last_name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    email: str = ""


def check_donation(data: DonationInput, *, person: Person | None) -> dict:
    """Check the donation form; returns the donor's cleaned data. Raises at the field."""
    from supportclub.donations.services import earmark_fund_id

    if not isinstance(data.amount_cents, int) or data.amount_cents < MIN_DONATION_CENTS:
        raise ValidationError(
            _("Bitte mindestens %(min)s spenden.", min=format_cents(MIN_DONATION_CENTS)),
            field="amount",
        )
    if data.amount_cents > MAX_DONATION_CENTS:
        raise ValidationError(
            _(
                "Online sind höchstens %(max)s möglich. Für größere Spenden nutzen Sie bitte "
                "eine Überweisung.",
                max=format_cents(MAX_DONATION_CENTS),
            ),
            field="amount",
        )
    earmark_fund_id(data.fund_id)  # an unknown or closed project is refused at its field
    if person is not None:
        return {}
    if data.anonymous:
        if data.wants_receipt:
            raise ValidationError(
                _(
                    "Für eine Zuwendungsbestätigung brauchen wir Ihren Namen und Ihre Anschrift; "
                    "anonym ist keine Bestätigung möglich."
                ),
                field="wants_receipt",
            )
        email = clean_person_values({"email": data.email})["email"] if data.email else None
        return {"email": email}
    if not (data.email or "").strip():
        raise ValidationError(_("Bitte Ihre E-Mail-Adresse angeben."), field="email")
    values = {
        "first_name": data.first_name,
        "last_name": data.last_name,
        "street": data.street,
        "postal_code": data.postal_code,
        "city": data.city,
        "email": data.email,
    }
    if data.wants_receipt or any(
        (values[k] or "").strip() for k in ("street", "postal_code", "city")
    ):
        for key, message in (
            ("street", _("Bitte Straße und Hausnummer angeben (für die Bestätigung).")),
            ("postal_code", _("Bitte die Postleitzahl angeben.")),
            ("city", _("Bitte den Ort angeben.")),
        ):
            if not (values[key] or "").strip():
                raise ValidationError(message, field=key)
    clean = clean_person_values(values)
    clean["organisation"] = bool(data.organisation)
    return clean


def start_donation(data: DonationInput, *, user, urls: Urls, locale: str = "de") -> OnlinePayment:
    """Check the donation and open Checkout for it."""
    from supportclub.donations.services import earmark_fund_id

    person = getattr(user, "person", None) if user is not None else None
    donor = check_donation(data, person=person)
    fund_id = earmark_fund_id(data.fund_id)
    email = person.email if person is not None else donor.pop("email", None)
    payment = OnlinePayment(
        token=secrets.token_urlsafe(32),
        purpose=Purpose.DONATION,
        amount_cents=data.amount_cents,
        person_id=person.id if person is not None else None,
        user_id=getattr(user, "id", None),
        fund_id=fund_id,
        anonymous=bool(data.anonymous) and person is None,
        wants_receipt=bool(data.wants_receipt),
        donor=donor,
        email=email,
    )
    db.session.add(payment)
    db.session.flush()
    name = _association_name()
    label = _("Spende an %(name)s", name=name)
    if payment.fund is not None and payment.fund.is_earmarked:
        label = _("Spende an %(name)s für %(purpose)s", name=name, purpose=payment.fund.name)
    _open(
        payment,
        [gateway.LineItem(label, data.amount_cents)],
        urls,
        description=label,
        donation=True,
        locale=locale,
    )
    audit.record(
        user,
        "payments.checkout_started",
        payment,
        {"purpose": "donation", "amount_cents": data.amount_cents, "fund_id": fund_id},
    )
    return payment
