"""The receipt settings of the association: dues deductible, machine receipts, signatory, the
year's minimum, the e-mail and the thank-you letter. Flushes, never commits; audited."""

from supportclub import audit
from supportclub.admin.models import AssociationSettings
from supportclub.admin.services import get_settings
from supportclub.clock import utcnow
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _

RECEIPT_FIELDS = (
    "dues_deductible",
    "machine_receipts",
    "machine_receipts_notified_on",
    "receipt_signatory",
    "receipt_min_cents",
    "receipt_mail_subject",
    "receipt_mail_text",
    "receipt_thanks",
    "receipt_thanks_text",
)
PLACEHOLDERS = ("anrede_name", "nummer", "betrag", "zeitraum", "verein")
SAMPLE = {name: "x" for name in PLACEHOLDERS}


def _check_text(field: str, text: str) -> None:
    """A mail or letter text fills in with the known placeholders only."""
    try:
        text.format(**SAMPLE)
    except (KeyError, IndexError) as exc:
        raise ValidationError(
            _(
                "Unbekannter Platzhalter %(name)s. Erlaubt sind: %(allowed)s.",
                name="{" + str(exc.args[0]) + "}",
                allowed=" ".join("{" + p + "}" for p in PLACEHOLDERS),
            ),
            field=field,
        ) from None
    except ValueError:
        raise ValidationError(
            _(
                "Geschweifte Klammern sind nur für Platzhalter da, z. B. {nummer}. Bitte die "
                "Klammern prüfen."
            ),
            field=field,
        ) from None


def _check(values: dict) -> None:
    """The rules of the receipt settings; raise at the field to fix."""
    unknown = set(values) - set(RECEIPT_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unbekannte Einstellung: %(names)s", names=", ".join(sorted(unknown)))
        )
    if values.get("machine_receipts") and not values.get("machine_receipts_notified_on"):
        raise ValidationError(
            _(
                "Bitte das Datum angeben, an dem die maschinelle Erstellung dem Finanzamt "
                "angezeigt wurde."
            ),
            field="machine_receipts_notified_on",
        )
    cents = values.get("receipt_min_cents", 0)
    if not isinstance(cents, int) or cents < 0:
        raise ValidationError(
            _("Der Mindestbetrag darf nicht negativ sein."), field="receipt_min_cents"
        )
    for field in ("receipt_mail_subject", "receipt_mail_text"):
        if field in values and not (values[field] or "").strip():
            raise ValidationError(_("Bitte einen Text angeben."), field=field)
    if values.get("receipt_thanks") and not (values.get("receipt_thanks_text") or "").strip():
        raise ValidationError(
            _("Bitte den Text des Dankschreibens angeben (oder das Dankschreiben abschalten)."),
            field="receipt_thanks_text",
        )
    for field in ("receipt_mail_subject", "receipt_mail_text", "receipt_thanks_text"):
        if values.get(field):
            _check_text(field, values[field])


def update_receipt_settings(values: dict, *, actor) -> AssociationSettings:
    """Change the receipt settings; the audit entry keeps what changed, before and after."""
    _check(values)
    actor_id = getattr(actor, "id", None)
    settings = get_settings()
    before = {field: getattr(settings, field) for field in values}
    for field, value in values.items():
        setattr(settings, field, value.strip() if isinstance(value, str) else value)
    settings.updated_at = utcnow()
    settings.updated_by_id = actor_id
    db.session.flush()
    changed = {
        k: {"before": before[k], "after": getattr(settings, k)}
        for k in values
        if before[k] != getattr(settings, k)
    }
    audit.record(actor, "settings.receipts_updated", settings, changed)
    return settings
