"""The online-payment settings: the donation page's suggested amounts and text (audited), and
what the Stripe configuration looks like (never its secret values)."""

import re

from supportclub import audit
from supportclub.admin.models import AssociationSettings
from supportclub.admin.services import get_settings
from supportclub.clock import utcnow
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _

DONATION_FIELDS = ("donation_amounts", "donation_page_text")
MAX_AMOUNTS = 8
MIN_EUROS = 1
MAX_EUROS = 25_000
MAX_PAGE_TEXT = 2000
_WHOLE_EUROS = re.compile(r"^(?:[0-9]+|[1-9][0-9]{0,2}(?:\.[0-9]{3})+)$")


def parse_donation_amounts(text: str | None) -> list[int]:
    """Whole euros from "25, 50, 100" (ascending, without repeats); refuses anything else."""
    parts = [part.strip() for part in (text or "").split(",")]
    if not any(parts):
        raise ValidationError(
            _("Bitte mindestens einen Betrag angeben, z. B. 25,50,100."), field="donation_amounts"
        )
    euros = []
    for part in parts:
        if not part:
            raise ValidationError(
                _("Zwischen zwei Kommas fehlt ein Betrag (Beispiel: 25,50,100)."),
                field="donation_amounts",
            )
        cleaned = part.removesuffix("€").strip()
        if not _WHOLE_EUROS.match(cleaned):
            raise ValidationError(
                _(
                    "„%(part)s“ ist kein ganzer Euro-Betrag. Bitte nur ganze Euro, durch Kommas "
                    "getrennt (Beispiel: 25,50,100).",
                    part=part[:20],
                ),
                field="donation_amounts",
            )
        value = int(cleaned.replace(".", ""))
        if not MIN_EUROS <= value <= MAX_EUROS:
            raise ValidationError(
                _(
                    "%(value)s € geht nicht: jeder Betrag muss zwischen %(min)s und %(max)s Euro "
                    "liegen.",
                    value=value,
                    min=MIN_EUROS,
                    max="25.000",
                ),
                field="donation_amounts",
            )
        euros.append(value)
    unique = sorted(set(euros))
    if len(unique) > MAX_AMOUNTS:
        raise ValidationError(
            _("Höchstens %(max)s Beträge, bitte.", max=MAX_AMOUNTS), field="donation_amounts"
        )
    return unique


def update_donation_settings(values: dict, *, actor) -> AssociationSettings:
    """Change the donation page's suggested amounts and text; audited with before and after."""
    unknown = set(values) - set(DONATION_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unbekannte Einstellung: %(names)s", names=", ".join(sorted(unknown)))
        )
    clean = {}
    if "donation_amounts" in values:
        amounts = parse_donation_amounts(values["donation_amounts"])
        clean["donation_amounts"] = ",".join(str(a) for a in amounts)
    if "donation_page_text" in values:
        text = (values["donation_page_text"] or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_PAGE_TEXT:
            raise ValidationError(
                _("Der Text ist zu lang (höchstens %(max)s Zeichen).", max=MAX_PAGE_TEXT),
                field="donation_page_text",
            )
        clean["donation_page_text"] = text
    settings = get_settings()
    before = {field: getattr(settings, field) for field in clean}
    for field, value in clean.items():
        setattr(settings, field, value)
    changed = {k: {"before": before[k], "after": v} for k, v in clean.items() if before[k] != v}
    if changed:
        settings.updated_at = utcnow()
        settings.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        audit.record(actor, "settings.donation_updated", settings, changed)
    return settings


def key_mode(key: str | None) -> str:
    """ "live", "test" or "" (unknown) from a Stripe key's prefix; the key itself is never shown."""
    if not key:
        return ""
    for prefix in ("sk_", "rk_"):
        if key.startswith(prefix + "live_"):
            return "live"
        if key.startswith(prefix + "test_"):
            return "test"
    return ""


def stripe_status(config) -> dict:
    """What is configured (set or missing), the key's mode, and the non-secret options."""
    secret = config.get("STRIPE_SECRET_KEY")
    return {
        "secret_set": bool(secret),
        "webhook_set": bool(config.get("STRIPE_WEBHOOK_SECRET")),
        "mode": key_mode(secret),
        "api_base": config.get("STRIPE_API_BASE") or "",
        "methods": config.get("STRIPE_PAYMENT_METHODS") or "",
    }
