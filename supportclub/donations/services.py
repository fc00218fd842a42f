"""Donation verbs: money, in kind, waived reimbursement, the donation box. They flush, never commit.

Every donation is a ledger booking with lines of the category "donation"; an earmark puts the
line on the project's fund. Donations in kind and waived reimbursements move no money: their
booking has no account and two lines that cancel out (the value as a donation, the same value as
the expense it replaces), plus a DonationDetail with what the receipt must state.
"""

from datetime import date

from sqlalchemy import select

from supportclub import audit
from supportclub.donations.models import DonationDetail, DonationKind, InKindOrigin
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Account, Booking, Category, Channel
from supportclub.ledger.services import LineInput, general_fund, record_booking

DONATION = "donation"
IN_KIND_USE = "in_kind_use"
CASH = "cash"
MAX_BATCH_ITEMS = 200
NON_CASH_ACTIONS = {
    DonationKind.IN_KIND: "donations.in_kind_recorded",
    DonationKind.WAIVER: "donations.waiver_recorded",
}


def _category_id(code: str) -> int:
    """The id of a category by its code (seeded by the migrations)."""
    return db.session.execute(select(Category.id).filter_by(code=code)).scalar_one()


def earmark_fund_id(fund_id: int | None) -> int:
    """The fund a donation goes to: the general fund, or the fund of a project taking donations."""
    from supportclub.projects.models import ProjectStatus
    from supportclub.projects.queries import accepts_earmarked_donations, project_for_fund

    general = general_fund()
    if fund_id is None or fund_id == general.id:
        return general.id
    project = project_for_fund(fund_id)
    if project is None:
        raise ValidationError(
            _("Dieser Zweck ist unbekannt. Bitte ein Projekt aus der Liste wählen."),
            field="fund_id",
        )
    if not accepts_earmarked_donations(project):
        if project.status == ProjectStatus.REJECTED:
            message = _(
                "Das Projekt „%(title)s“ wurde abgelehnt; zweckgebundene Spenden sind nicht "
                "möglich.",
                title=project.title,
            )
        else:
            message = _(
                "Das Projekt „%(title)s“ ist abgeschlossen; zweckgebundene Spenden sind nicht "
                "mehr möglich.",
                title=project.title,
            )
        raise ValidationError(message, field="fund_id")
    return project.fund_id


def _check_campaign(campaign_id: int | None) -> None:
    """Refuse an unknown campaign at its field (the ledger would only name the line)."""
    from supportclub.campaigns.models import Campaign

    if campaign_id is not None and db.session.get(Campaign, campaign_id) is None:
        raise ValidationError(_("Die Aktion ist unbekannt."), field="campaign_id")


def _check_positive(cents: int, field: str) -> None:
    """Refuse an amount that is not a positive integer number of cents."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError("amounts must be int cents")
    if cents <= 0:
        raise ValidationError(_("Der Betrag muss größer als 0 sein."), field=field)


def _required_text(value: str | None, field: str, message: str) -> str:
    """The stripped text, or a refusal with `message` at `field` when it is empty."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, field=field)
    return value


def _expense_category(category_id: int | None, field: str) -> Category:
    """An active expense category (direction -1), or a refusal at `field`."""
    category = db.session.get(Category, category_id) if category_id is not None else None
    if category is None or not category.is_active or category.direction != -1:
        raise ValidationError(
            _("Bitte eine aktive Ausgabenkategorie wählen."),
            field=field,
        )
    return category


def _require_donor(person_id: int | None) -> None:
    """Donations in kind and waivers need a donor: a receipt names one."""
    if person_id is None:
        raise ValidationError(
            _("Bitte den Spender angeben (eine Zuwendungsbestätigung braucht Name und Anschrift)."),
            field="person",
        )


def _audit(actor, action: str, booking: Booking, kind: DonationKind, **data) -> None:
    """The audit entry of a recorded donation."""
    lines = [line for line in booking.lines if line.category.code == DONATION]
    audit.record(
        actor,
        action,
        booking,
        {
            "kind": kind,
            "booking_date": booking.booking_date,
            "person_id": booking.person_id,
            "amount_cents": sum(line.amount_cents for line in lines),
            "fund_id": lines[0].fund_id,
            "campaign_id": lines[0].campaign_id,
            **data,
        },
    )


def record_donation(
    *,
    booking_date: date,
    account_id: int | None,
    amount_cents: int,
    person_id: int | None,
    fund_id: int | None = None,
    text: str = "",
    campaign_id: int | None = None,
    channel: Channel = Channel.MANUAL,
    actor,
    external_ref: str | None = None,
) -> Booking:
    """Record a money donation (bank or cash) to the general fund or a project's fund."""
    _check_positive(amount_cents, "amount")
    account = db.session.get(Account, account_id) if account_id is not None else None
    if account is None:
        raise ValidationError(_("Bitte ein Konto wählen."), field="account_id")
    if person_id is None and account.code != CASH:
        raise ValidationError(
            _("Bitte den Spender angeben; anonym sind nur Bargeldspenden möglich."),
            field="person",
        )
    fund = earmark_fund_id(fund_id)
    _check_campaign(campaign_id)
    line = LineInput(_category_id(DONATION), fund, amount_cents, campaign_id=campaign_id)
    booking = record_booking(
        booking_date=booking_date,
        account_id=account.id,
        amount_cents=amount_cents,
        lines=[line],
        actor=actor,
        person_id=person_id,
        text=(text or "").strip() or _("Spende"),
        channel=channel,
        external_ref=external_ref,
    )
    _audit(actor, "donations.recorded", booking, DonationKind.MONEY)
    return booking


def _record_non_cash(
    *,
    kind: DonationKind,
    booking_date: date,
    person_id: int,
    cents: int,
    fund_id: int | None,
    campaign_id: int | None,
    other_category_id: int,
    text: str,
    detail: dict,
    actor,
) -> Booking:
    """A booking without account: +cents as donation, -cents on the category it replaces,
    with the DonationDetail on the donation line and an audit entry."""
    fund = earmark_fund_id(fund_id)
    _check_campaign(campaign_id)
    booking = record_booking(
        booking_date=booking_date,
        account_id=None,
        amount_cents=0,
        lines=[
            LineInput(_category_id(DONATION), fund, cents, campaign_id=campaign_id),
            LineInput(other_category_id, fund, -cents, campaign_id=campaign_id),
        ],
        actor=actor,
        person_id=person_id,
        text=text[:500],
    )
    donation_line = booking.lines[0]
    row = DonationDetail(booking_line_id=donation_line.id, kind=kind, **detail)
    db.session.add(row)
    db.session.flush()
    _audit(
        actor,
        NON_CASH_ACTIONS[kind],
        booking,
        kind,
        detail_id=row.id,
        other_category_id=other_category_id,
    )
    return booking


def _checked_in_kind(description, value_cents, value_basis, origin) -> tuple:
    """The cleaned description, value basis and origin of a donation in kind, or a refusal."""
    description = _required_text(
        description,
        "description",
        _("Bitte die Sache genau bezeichnen (mit Alter, Zustand, Kaufpreis usw.)."),
    )
    _check_positive(value_cents, "value")
    value_basis = _required_text(
        value_basis,
        "value_basis",
        _("Bitte angeben, worauf der Wert beruht (z. B. Rechnung, Gutachten, Marktpreis)."),
    )
    try:
        origin = InKindOrigin(origin)
    except ValueError:
        raise ValidationError(
            _("Bitte die Herkunft der Sachspende angeben."), field="origin"
        ) from None
    return description, value_basis, origin


def record_in_kind(
    *,
    booking_date: date,
    person_id: int | None,
    value_cents: int,
    description: str,
    origin: InKindOrigin,
    value_basis: str,
    documents_present: bool = False,
    use_category_id: int | None = None,
    fund_id: int | None = None,
    campaign_id: int | None = None,
    actor,
) -> Booking:
    """Record a donation in kind (Sachspende) with what Anlage 4 of the receipt must state."""
    description, value_basis, origin = _checked_in_kind(
        description, value_cents, value_basis, origin
    )
    _require_donor(person_id)
    if use_category_id is None:
        use_category_id = _category_id(IN_KIND_USE)
    use = _expense_category(use_category_id, "use_category_id")
    return _record_non_cash(
        kind=DonationKind.IN_KIND,
        booking_date=booking_date,
        person_id=person_id,
        cents=value_cents,
        fund_id=fund_id,
        campaign_id=campaign_id,
        other_category_id=use.id,
        text=_("Sachspende: %(what)s", what=description),
        detail=dict(
            description=description,
            origin=origin,
            value_basis=value_basis,
            documents_present=bool(documents_present),
        ),
        actor=actor,
    )


def _checked_claim(booking_date, description, claim_date, claim_basis) -> tuple:
    """The cleaned description and claim basis of a waiver, or a refusal."""
    description = _required_text(
        description, "description", _("Bitte angeben, welche Aufwendungen erstattet würden.")
    )
    if claim_date is None:
        raise ValidationError(
            _("Bitte das Datum angeben, an dem der Erstattungsanspruch entstand."),
            field="claim_date",
        )
    if claim_date > booking_date:
        raise ValidationError(
            _(
                "Der Anspruch muss vor dem Verzicht entstanden sein: Das Datum des Anspruchs "
                "(%(claim)s) liegt nach dem Buchungsdatum (%(booking)s).",
                claim=claim_date.strftime("%d.%m.%Y"),
                booking=booking_date.strftime("%d.%m.%Y"),
            ),
            field="claim_date",
        )
    claim_basis = _required_text(
        claim_basis,
        "claim_basis",
        _(
            "Bitte angeben, worauf der Erstattungsanspruch beruht "
            "(Satzung, Vertrag oder Vorstandsbeschluss)."
        ),
    )
    return description, claim_basis


def record_waiver(
    *,
    booking_date: date,
    person_id: int | None,
    amount_cents: int,
    description: str,
    claim_date: date | None,
    claim_basis: str,
    expense_category_id: int | None,
    fund_id: int | None = None,
    campaign_id: int | None = None,
    actor,
) -> Booking:
    """Record a waived reimbursement (Aufwandsspende): the claim becomes a donation."""
    _check_positive(amount_cents, "amount")
    description, claim_basis = _checked_claim(booking_date, description, claim_date, claim_basis)
    _require_donor(person_id)
    expense = _expense_category(expense_category_id, "expense_category_id")
    return _record_non_cash(
        kind=DonationKind.WAIVER,
        booking_date=booking_date,
        person_id=person_id,
        cents=amount_cents,
        fund_id=fund_id,
        campaign_id=campaign_id,
        other_category_id=expense.id,
        text=_("Aufwandsspende: %(what)s", what=description),
        detail=dict(description=description, claim_date=claim_date, claim_basis=claim_basis),
        actor=actor,
    )


def _cash_account_id(account_id: int | None) -> int:
    """The given account, or the cash box."""
    if account_id is not None:
        return account_id
    return db.session.execute(select(Account.id).filter_by(code=CASH)).scalar_one()


def record_cash_batch(
    *,
    booking_date: date,
    items: list[tuple[int, str]],
    campaign_id: int | None = None,
    fund_id: int | None = None,
    account_id: int | None = None,
    text: str = "",
    actor,
) -> Booking:
    """Record many small anonymous cash donations (the donation box) as ONE booking."""
    if not items:
        raise ValidationError(_("Bitte mindestens einen Betrag eintragen."), field="items")
    if len(items) > MAX_BATCH_ITEMS:
        raise ValidationError(
            _("Höchstens %(n)s Beträge je Sammelbuchung.", n=MAX_BATCH_ITEMS), field="items"
        )
    for number, (cents, _text) in enumerate(items, start=1):
        try:
            _check_positive(cents, "items")
        except ValidationError:
            raise ValidationError(
                _("Zeile %(number)s: Der Betrag muss größer als 0 sein.", number=number),
                field="items",
            ) from None
    fund = earmark_fund_id(fund_id)
    _check_campaign(campaign_id)
    donation = _category_id(DONATION)
    lines = [
        LineInput(donation, fund, cents, text=(item_text or "")[:500], campaign_id=campaign_id)
        for cents, item_text in items
    ]
    total = sum(cents for cents, _text in items)
    booking = record_booking(
        booking_date=booking_date,
        account_id=_cash_account_id(account_id),
        amount_cents=total,
        lines=lines,
        actor=actor,
        text=(text or "").strip() or _("Sammelbuchung Bargeldspenden"),
    )
    _audit(actor, "donations.batch_recorded", booking, DonationKind.MONEY, items=len(items))
    return booking
