"""Report settings: the transparency page and the tax thresholds. They flush, never commit."""

from sqlalchemy import select

from supportclub import audit
from supportclub.admin.models import TaxThreshold, ThresholdKind
from supportclub.admin.services import get_settings
from supportclub.clock import utcnow
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.money import MAX_CENTS, format_cents

FIRST_YEAR, LAST_YEAR = 1990, 2200
KIND_LABELS = {
    ThresholdKind.BUSINESS_REVENUE: N_(
        "Umsatzgrenze wirtschaftlicher Geschäftsbetrieb (§ 64 Abs. 3 AO)"
    ),
    ThresholdKind.TIMELY_USE_EXEMPTION: N_(
        "Einnahmengrenze zeitnahe Mittelverwendung (§ 55 Abs. 1 Nr. 5 AO)"
    ),
}


def thresholds() -> list[TaxThreshold]:
    """Every threshold row, by kind and first year."""
    return list(
        db.session.execute(
            select(TaxThreshold).order_by(TaxThreshold.kind, TaxThreshold.valid_from_year)
        ).scalars()
    )


def set_transparency(public: bool, *, actor) -> bool:
    """Switch the public transparency page on or off; audited when it changes."""
    if not isinstance(public, bool):
        raise ValidationError(
            _("Bitte „öffentlich“ oder „nicht öffentlich“ wählen."), field="public"
        )
    settings = get_settings()
    before = settings.transparency_public
    if before != public:
        settings.transparency_public = public
        settings.updated_at = utcnow()
        settings.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        audit.record(
            actor, "settings.transparency_changed", settings, {"before": before, "after": public}
        )
    return public


def _check_amount(amount_cents) -> int:
    """A threshold amount: positive integer cents within the money range."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise ValidationError(_("Bitte einen Betrag angeben."), field="amount")
    if amount_cents <= 0:
        raise ValidationError(_("Der Betrag muss größer als 0 sein."), field="amount")
    if amount_cents > MAX_CENTS:
        raise ValidationError(
            _("Der Betrag ist zu hoch (höchstens %(amount)s).", amount=format_cents(MAX_CENTS)),
            field="amount",
        )
    return amount_cents


def add_threshold(*, kind, valid_from_year: int, amount_cents: int, actor) -> TaxThreshold:
    """Record "from year X on the amount is Y" for a kind of threshold; audited."""
    try:
        kind = ThresholdKind(kind)
    except ValueError:
        raise ValidationError(_("Bitte eine Art der Grenze wählen."), field="kind") from None
    if not isinstance(valid_from_year, int) or not FIRST_YEAR <= valid_from_year <= LAST_YEAR:
        raise ValidationError(
            _(
                "Das Jahr muss zwischen %(first)s und %(last)s liegen.",
                first=FIRST_YEAR,
                last=LAST_YEAR,
            ),
            field="valid_from_year",
        )
    _check_amount(amount_cents)
    exists = db.session.execute(
        select(TaxThreshold.id).filter_by(kind=kind, valid_from_year=valid_from_year)
    ).first()
    if exists:
        raise ValidationError(
            _(
                "Für diese Grenze gibt es ab %(year)s schon einen Betrag; "
                "bitte den Betrag in der Liste ändern.",
                year=valid_from_year,
            ),
            field="valid_from_year",
        )
    row = TaxThreshold(
        kind=kind,
        valid_from_year=valid_from_year,
        amount_cents=amount_cents,
        updated_at=utcnow(),
        updated_by_id=getattr(actor, "id", None),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor,
        "tax_thresholds.added",
        row,
        {"kind": kind, "valid_from_year": valid_from_year, "amount_cents": amount_cents},
    )
    return row


def change_threshold(threshold_id: int | None, *, amount_cents: int, actor) -> TaxThreshold:
    """Change the amount of a threshold row; audited with before and after."""
    row = db.session.get(TaxThreshold, threshold_id) if isinstance(threshold_id, int) else None
    if row is None:
        raise ValidationError(_("Diese Grenze gibt es nicht (mehr)."), field="amount")
    _check_amount(amount_cents)
    before = row.amount_cents
    if before != amount_cents:
        row.amount_cents = amount_cents
        row.updated_at = utcnow()
        row.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        audit.record(
            actor,
            "tax_thresholds.changed",
            row,
            {
                "kind": row.kind,
                "valid_from_year": row.valid_from_year,
                "before": before,
                "after": amount_cents,
            },
        )
    return row
