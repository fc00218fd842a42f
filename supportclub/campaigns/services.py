"""Campaign verbs: create and change a campaign, book its revenue and costs. They flush only."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from supportclub import audit
from supportclub.campaigns.models import Campaign
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Booking, Category, Channel
from supportclub.ledger.services import LineInput, general_fund, record_booking
from supportclub.money import MAX_CENTS, format_cents

MIN_YEAR, MAX_YEAR = 1990, 2200
MAX_LINES = 10
# The categories a campaign books: revenue first, then costs (the form offers them in this order).
REVENUE_CATEGORIES = ("campaign_fees", "sales", "donation", "other_income")
COST_CATEGORIES = ("campaign_cost", "purpose_cost", "admin_cost")
CAMPAIGN_CATEGORIES = REVENUE_CATEGORIES + COST_CATEGORIES
CAMPAIGN_FIELDS = ("name", "series", "year", "event_date", "description")


class CampaignLineError(ValidationError):
    """A refused campaign line; `index` (0-based) and `field` say where to show it."""

    def __init__(self, message: str, *, index: int, field: str):
        """Keep the message, the row and the row's field."""
        super().__init__(message, field=field)
        self.index = index


@dataclass(frozen=True)
class CampaignLine:
    """One line as entered: category, a positive amount (or quantity × unit price), text."""

    category: str | int  # category code or id
    amount_cents: int | None
    text: str = ""
    quantity: int | None = None
    unit_price_cents: int | None = None


# Campaigns ------------------------------------------------------------------------------------


def _clean(values: dict, *, campaign: Campaign | None = None) -> dict:
    """Checked and trimmed campaign values; refuses bad ones at their field."""
    series = (values.get("series") or "").strip()
    if not series:
        raise ValidationError(
            _("Bitte die Reihe angeben (z. B. Familienwandertag)."), field="series"
        )
    year = values.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(
            _("Das Jahr muss zwischen %(min)s und %(max)s liegen.", min=MIN_YEAR, max=MAX_YEAR),
            field="year",
        )
    name = (values.get("name") or "").strip() or f"{series} {year}"
    event_date = values.get("event_date")
    if event_date is not None and event_date.year != year:
        raise ValidationError(
            _("Das Datum der Aktion muss im Jahr %(year)s liegen.", year=year), field="event_date"
        )
    if len(name) > 200 or len(series) > 100:
        raise ValidationError(_("Name oder Reihe ist zu lang."), field="name")
    taken = select(Campaign.id).where(func.lower(Campaign.name) == name.lower())
    if campaign is not None:
        taken = taken.where(Campaign.id != campaign.id)
    if db.session.execute(taken).first():
        raise ValidationError(
            _("Eine Aktion mit dem Namen „%(name)s“ gibt es schon.", name=name), field="name"
        )
    description = (values.get("description") or "").strip()
    return dict(name=name, series=series, year=year, event_date=event_date, description=description)


def _flush_unique(name: str) -> None:
    """Flush; a name taken by a concurrent request becomes the same field message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise ValidationError(
            _("Eine Aktion mit dem Namen „%(name)s“ gibt es schon.", name=name), field="name"
        ) from exc


def create_campaign(
    *,
    name: str,
    series: str,
    year: int,
    event_date: date | None = None,
    description: str = "",
    actor,
) -> Campaign:
    """Create a campaign ("Familienwandertag 2025" of the series "Familienwandertag")."""
    values = _clean(
        dict(name=name, series=series, year=year, event_date=event_date, description=description)
    )
    campaign = Campaign(**values, created_by_id=getattr(actor, "id", None))
    db.session.add(campaign)
    _flush_unique(values["name"])
    audit.record(actor, "campaigns.created", campaign, values)
    return campaign


def update_campaign(campaign: Campaign, *, actor, **fields) -> Campaign:
    """Change name, series, year, date or description; the audit keeps before and after."""
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"unknown campaign fields: {sorted(unknown)}")
    before = {key: getattr(campaign, key) for key in CAMPAIGN_FIELDS}
    values = _clean({**before, **fields}, campaign=campaign)
    changed = {key for key in CAMPAIGN_FIELDS if values[key] != before[key]}
    if not changed:
        return campaign
    for key in changed:
        setattr(campaign, key, values[key])
    _flush_unique(values["name"])
    audit.record(
        actor,
        "campaigns.updated",
        campaign,
        {
            "before": {key: before[key] for key in sorted(changed)},
            "after": {key: values[key] for key in sorted(changed)},
        },
    )
    return campaign


# Bookings -------------------------------------------------------------------------------------


def campaign_categories() -> list[Category]:
    """The active categories a campaign line may use: revenue first, then costs."""
    rows = db.session.execute(
        select(Category).where(Category.code.in_(CAMPAIGN_CATEGORIES), Category.is_active.is_(True))
    ).scalars()
    return sorted(rows, key=lambda c: CAMPAIGN_CATEGORIES.index(c.code))


def _category(value: str | int, categories: list[Category], index: int) -> Category:
    """The line's category by code or id, if it is one a campaign may use."""
    for category in categories:
        if value in (category.code, category.id):
            return category
    raise CampaignLineError(
        _(
            "Position %(number)s: Diese Kategorie gehört nicht zu einer Aktion. Erlaubt sind "
            "Startgelder, Verkaufserlöse, Spenden, sonstige Einnahmen und Aktions- oder "
            "Verwaltungskosten.",
            number=index + 1,
        ),
        index=index,
        field="category_id",
    )


def _amount(line: CampaignLine, index: int) -> int:
    """The entered amount (> 0), or quantity × unit price; they must agree when both are given."""
    if line.quantity is not None or line.unit_price_cents is not None:
        return _in_range(_units_amount(line, index), index)
    if line.amount_cents is None:
        raise CampaignLineError(
            _("Position %(number)s: Bitte einen Betrag angeben.", number=index + 1),
            index=index,
            field="amount",
        )
    if line.amount_cents <= 0:
        raise CampaignLineError(
            _("Position %(number)s: Der Betrag muss größer als 0 sein.", number=index + 1),
            index=index,
            field="amount",
        )
    return _in_range(line.amount_cents, index)


def _units_amount(line: CampaignLine, index: int) -> int:
    """Quantity × unit price, both > 0; an amount entered as well must be exactly that."""
    number = index + 1
    if line.quantity is None or line.unit_price_cents is None:
        raise CampaignLineError(
            _("Position %(number)s: Bitte Stückzahl und Stückpreis angeben.", number=number),
            index=index,
            field="quantity" if line.quantity is None else "unit_price",
        )
    if line.quantity <= 0:
        raise CampaignLineError(
            _("Position %(number)s: Die Stückzahl muss größer als 0 sein.", number=number),
            index=index,
            field="quantity",
        )
    if line.unit_price_cents <= 0:
        raise CampaignLineError(
            _("Position %(number)s: Der Stückpreis muss größer als 0 sein.", number=number),
            index=index,
            field="unit_price",
        )
    product = line.quantity * line.unit_price_cents
    if line.amount_cents is not None and product != line.amount_cents:
        raise CampaignLineError(
            _(
                "Position %(number)s: %(quantity)s × %(price)s ergibt %(total)s, nicht %(amount)s.",
                number=number,
                quantity=line.quantity,
                price=format_cents(line.unit_price_cents),
                total=format_cents(product),
                amount=format_cents(line.amount_cents),
            ),
            index=index,
            field="amount",
        )
    return product


def _in_range(cents: int, index: int) -> int:
    """Refuse an amount beyond what money.py accepts anywhere."""
    if cents > MAX_CENTS:
        raise CampaignLineError(
            _("Position %(number)s: Der Betrag ist zu groß.", number=index + 1),
            index=index,
            field="amount",
        )
    return cents


def _line_input(
    line: CampaignLine, category: Category, amount: int, campaign, fund_id
) -> LineInput:
    """The ledger line: signed by the category; units are kept on revenue lines only.

    A cost line cannot carry units (the ledger stores quantity × unit price = amount with a
    positive price and quantity), so "500 × 0,40 €" printed cards go into the line's text.
    """
    text = (line.text or "").strip()
    quantity, unit_price = line.quantity, line.unit_price_cents
    if category.direction < 0:
        if quantity is not None:
            note = f"{quantity} × {format_cents(unit_price)}"
            text = f"{text} ({note})" if text else note
        quantity, unit_price, amount = None, None, -amount
    return LineInput(
        category_id=category.id,
        fund_id=fund_id,
        amount_cents=amount,
        text=text[:500],
        campaign_id=campaign.id,
        quantity=quantity,
        unit_price_cents=unit_price,
    )


def _line_inputs(campaign: Campaign, lines: list[CampaignLine]) -> list[LineInput]:
    """Check every entered line and turn it into a ledger line of the general fund."""
    if not lines:
        raise ValidationError(_("Bitte mindestens eine Position ausfüllen."), field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError(
            _("Höchstens %(max)s Positionen je Buchung.", max=MAX_LINES), field="lines"
        )
    categories = campaign_categories()
    fund_id = general_fund().id
    return [
        _line_input(
            line,
            _category(line.category, categories, index),
            _amount(line, index),
            campaign,
            fund_id,
        )
        for index, line in enumerate(lines)
    ]


def record_campaign_booking(
    campaign: Campaign,
    *,
    booking_date: date,
    account_id: int | None,
    text: str,
    lines: list[CampaignLine],
    actor,
    person_id: int | None = None,
    channel: Channel | None = None,
    external_ref: str | None = None,
) -> Booking:
    """Book a campaign's revenue and/or costs (one real money movement) on the general fund."""
    inputs = _line_inputs(campaign, lines)
    total = sum(line.amount_cents for line in inputs)
    if total == 0:
        raise ValidationError(
            _(
                "Einnahmen und Kosten heben sich genau auf; eine Buchung über 0 € ist nicht "
                "möglich. Bitte Einnahmen und Kosten getrennt buchen."
            ),
            field="lines",
        )
    if account_id is None:
        raise ValidationError(_("Bitte ein Konto wählen."), field="account_id")
    text = (text or "").strip() or campaign.name
    booking = record_booking(
        booking_date=booking_date,
        account_id=account_id,
        amount_cents=total,
        lines=inputs,
        person_id=person_id,
        text=text,
        actor=actor,
        channel=channel or Channel.MANUAL,
        external_ref=external_ref,
    )
    audit.record(
        actor,
        "campaigns.booked",
        campaign,
        {"booking_id": booking.id, "amount_cents": total, "lines": len(inputs)},
    )
    return booking
