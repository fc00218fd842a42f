"""Association settings: read and update (one row). Services flush, never commit."""

from sqlalchemy import select

from supportclub import audit
from supportclub.admin.models import AssociationSettings
from supportclub.clock import utcnow
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _

EDITABLE_FIELDS = (
    "name",
    "street",
    "postal_code",
    "city",
    "register_court",
    "register_number",
    "tax_office",
    "tax_number",
    "exemption_kind",
    "exemption_date",
    "exemption_period",
    "purposes",
    "founding_year",
    "grants_before_cents",
    "grants_before_until_year",
)


def get_settings() -> AssociationSettings:
    """The settings row (created by the first migration)."""
    settings = db.session.execute(
        select(AssociationSettings).where(AssociationSettings.id == 1)
    ).scalar_one_or_none()
    if settings is None:  # a database made without migrations (never in production)
        settings = AssociationSettings(id=1)
        db.session.add(settings)
        db.session.flush()
    return settings


def update_settings(values: dict, *, actor) -> AssociationSettings:
    """Change the association's settings; the audit entry keeps before and after."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unbekannte Einstellung: %(names)s", names=", ".join(sorted(unknown)))
        )
    if not (values.get("name") or "").strip():
        raise ValidationError(_("Bitte den Namen des Vereins angeben."), field="name")
    cents = values.get("grants_before_cents", 0)
    if not isinstance(cents, int) or cents < 0:
        raise ValidationError(
            _("Die Fördersumme vor der Software darf nicht negativ sein."),
            field="grants_before_cents",
        )
    settings = get_settings()
    before = {field: getattr(settings, field) for field in EDITABLE_FIELDS}
    for field, value in values.items():
        setattr(settings, field, value.strip() if isinstance(value, str) else value)
    settings.updated_at = utcnow()
    settings.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    after = {field: getattr(settings, field) for field in EDITABLE_FIELDS}
    changed = {k: {"before": before[k], "after": after[k]} for k in after if before[k] != after[k]}
    audit.record(actor, "settings.updated", settings, changed)
    return settings


DUES_FIELDS = (
    "dues_pro_rata",
    "dues_payment_days",
    "reminder_subject",
    "reminder_text",
    "dunning_subject",
    "dunning_text",
    "reminder_interval_days",
)


def update_dues_settings(values: dict, *, actor) -> AssociationSettings:
    """Change the dues and reminder settings (pro rata, payment term, reminder texts)."""
    unknown = set(values) - set(DUES_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unbekannte Einstellung: %(names)s", names=", ".join(sorted(unknown)))
        )
    days = values.get("dues_payment_days")
    if days is not None and not (isinstance(days, int) and 0 <= days <= 365):
        raise ValidationError(
            _("Das Zahlungsziel muss zwischen 0 und 365 Tagen liegen."), field="dues_payment_days"
        )
    interval = values.get("reminder_interval_days")
    if interval is not None and not (isinstance(interval, int) and 1 <= interval <= 365):
        raise ValidationError(
            _("Der Abstand zwischen Erinnerungen muss zwischen 1 und 365 Tagen liegen."),
            field="reminder_interval_days",
        )
    for field in ("reminder_subject", "reminder_text", "dunning_subject", "dunning_text"):
        if field in values and not (values[field] or "").strip():
            raise ValidationError(_("Bitte einen Text angeben."), field=field)
    settings = get_settings()
    before = {field: getattr(settings, field) for field in values}
    for field, value in values.items():
        setattr(settings, field, value.strip() if isinstance(value, str) else value)
    settings.updated_at = utcnow()
    settings.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    changed = {
        k: {"before": before[k], "after": getattr(settings, k)}
        for k in values
        if before[k] != getattr(settings, k)
    }
    audit.record(actor, "settings.dues_updated", settings, changed)
    return settings


def bank_iban() -> str | None:
    """The IBAN of the association's bank account (ledger account "bank"), if set."""
    from supportclub.ledger.models import Account

    return db.session.execute(select(Account.iban).filter_by(code="bank")).scalar_one_or_none()


def set_bank_iban(value: str | None, *, actor) -> None:
    """Set the IBAN of the bank account (checked; empty removes it); audited when it changes."""
    from supportclub.ledger.models import Account
    from supportclub.members.validation import normalize_iban

    iban = normalize_iban(value, field="bank_iban")
    account = db.session.execute(select(Account).filter_by(code="bank")).scalar_one()
    if account.iban != iban:
        before, account.iban = account.iban, iban
        db.session.flush()
        audit.record(actor, "accounts.iban_changed", account, {"before": before, "after": iban})
