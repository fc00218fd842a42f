"""The direct-debit settings: the Gläubiger-ID, the BIC of the creditor account and the days of
pre-notification. The creditor account's IBAN is the bank account's (admin settings)."""

from dataclasses import dataclass

from schwifty import BIC
from schwifty.exceptions import SchwiftyException

from supportclub import audit
from supportclub.admin.models import AssociationSettings
from supportclub.admin.services import bank_iban, get_settings
from supportclub.banking.creditor_id import check_creditor_id, normalize_creditor_id
from supportclub.banking.pain008 import Creditor
from supportclub.clock import utcnow
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _

__all__ = [
    "DEFAULT_PRENOTIFICATION_DAYS",
    "MAX_PRENOTIFICATION_DAYS",
    "MIN_PRENOTIFICATION_DAYS",
    "DirectDebitSettings",
    "creditor",
    "direct_debit_settings",
    "update_direct_debit_settings",
]

MIN_PRENOTIFICATION_DAYS = 1
MAX_PRENOTIFICATION_DAYS = 60
DEFAULT_PRENOTIFICATION_DAYS = 14
FIELDS = ("creditor_id", "creditor_bic", "prenotification_days")


@dataclass(frozen=True)
class DirectDebitSettings:
    """What a collection needs from the settings (read once per request)."""

    association_name: str
    creditor_id: str
    creditor_bic: str
    prenotification_days: int
    bank_iban: str | None

    @property
    def missing(self) -> list[str]:
        """What must still be set before a collection can be made (German, for the page)."""
        missing = []
        if not self.creditor_id:
            missing.append(_("die Gläubiger-ID"))
        if not self.bank_iban:
            missing.append(_("die IBAN des Vereinskontos"))
        if not self.association_name.strip():
            missing.append(_("der Name des Vereins"))
        return missing


def direct_debit_settings() -> DirectDebitSettings:
    """The current direct-debit settings and the bank account's IBAN."""
    settings = get_settings()
    return DirectDebitSettings(
        association_name=settings.name or "",
        creditor_id=settings.creditor_id or "",
        creditor_bic=settings.creditor_bic or "",
        prenotification_days=settings.prenotification_days or DEFAULT_PRENOTIFICATION_DAYS,
        bank_iban=bank_iban(),
    )


def creditor(values: DirectDebitSettings | None = None) -> Creditor:
    """The association as the creditor of a pain.008 file, or ValidationError naming what is
    missing (the treasurer sets it under "Einstellungen › Lastschrift")."""
    values = values or direct_debit_settings()
    if values.missing:
        raise ValidationError(
            _(
                "Für den Lastschrifteinzug fehlt noch %(what)s. Bitte unter Einstellungen › "
                "Lastschrift eintragen.",
                what=", ".join(values.missing),
            )
        )
    return Creditor(
        name=values.association_name,
        iban=values.bank_iban or "",
        bic=values.creditor_bic or None,
        creditor_id=values.creditor_id,
    )


def check_bic(value: str | None) -> str:
    """The compact BIC, "" when none is given, or ValidationError at creditor_bic."""
    text = "".join((value or "").split()).upper()
    if not text:
        return ""
    try:
        return BIC(text).compact
    except SchwiftyException as error:
        raise ValidationError(
            _("Die BIC ist ungültig (8 oder 11 Zeichen, z. B. COBADEFFXXX)."),
            field="creditor_bic",
        ) from error


def check_prenotification_days(value) -> int:
    """Days of pre-notification between 1 and 60, or ValidationError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            _("Bitte die Vorlaufzeit als ganze Zahl von Tagen angeben."),
            field="prenotification_days",
        )
    if not MIN_PRENOTIFICATION_DAYS <= value <= MAX_PRENOTIFICATION_DAYS:
        raise ValidationError(
            _(
                "Die Vorlaufzeit der Vorabankündigung muss zwischen %(min)s und %(max)s Tagen "
                "liegen.",
                min=MIN_PRENOTIFICATION_DAYS,
                max=MAX_PRENOTIFICATION_DAYS,
            ),
            field="prenotification_days",
        )
    return value


def update_direct_debit_settings(values: dict, *, actor) -> AssociationSettings:
    """Change Gläubiger-ID, BIC and pre-notification days; audited with before and after.

    An empty Gläubiger-ID is allowed (no direct debit yet); a given one must have valid check
    digits and is stored normalized ("de98 zzz0 9999 9999 99" -> "DE98ZZZ09999999999").
    """
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationError(
            _("Unbekannte Einstellung: %(names)s", names=", ".join(sorted(unknown)))
        )
    clean: dict = {}
    if "creditor_id" in values:
        raw = normalize_creditor_id(values["creditor_id"])
        clean["creditor_id"] = check_creditor_id(raw) if raw else ""
    if "creditor_bic" in values:
        clean["creditor_bic"] = check_bic(values["creditor_bic"])
    if "prenotification_days" in values:
        clean["prenotification_days"] = check_prenotification_days(values["prenotification_days"])
    settings = get_settings()
    changed = {
        field: {"before": getattr(settings, field), "after": value}
        for field, value in clean.items()
        if getattr(settings, field) != value
    }
    if changed:
        for field, value in clean.items():
            setattr(settings, field, value)
        settings.updated_at = utcnow()
        settings.updated_by_id = getattr(actor, "id", None)
        db.session.flush()
        audit.record(actor, "settings.direct_debit_changed", settings, changed)
    return settings
