"""Checks for member data that several entry points share (forms, import, self-service)."""

import re
from datetime import date

from email_validator import EmailNotValidError, validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from supportclub.errors import ValidationError
from supportclub.i18n import _

# SEPA character set for mandate references (banking.md): letters, digits and / ? : ( ) . , ' + -
# (no spaces: the German banks refuse a MndtId with a space, so it could never be collected)
MANDATE_REFERENCE_RE = re.compile(r"^[A-Za-z0-9/?:().,'+\-]{1,35}$")
MAX_MANDATE_REFERENCE = 35


def normalize_iban(value: str | None, *, field: str = "iban") -> str | None:
    """An IBAN in compact form ("DE89370400440532013000"), or None when empty; refuse bad ones."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return IBAN(value).compact
    except SchwiftyException as error:
        raise ValidationError(
            _(
                "Die IBAN %(iban)s ist ungültig (%(reason)s).",
                iban=value,
                reason=_iban_reason(error),
            ),
            field=field,
        ) from error


def _iban_reason(error: SchwiftyException) -> str:
    """A short German reason for a refused IBAN."""
    name = type(error).__name__
    if "Checksum" in name:
        return _("Prüfsumme falsch")
    if "Length" in name:
        return _("falsche Länge")
    if "CountryCode" in name:
        return _("unbekanntes Länderkennzeichen")
    if "BBAN" in name or "Structure" in name or "Format" in name:
        return _("Aufbau passt nicht zum Land")
    return _("kein gültiges IBAN-Format")


def format_iban(value: str | None) -> str:
    """An IBAN grouped in fours for display ("DE89 3704 0044 0532 0130 00")."""
    if not value:
        return ""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def check_mandate_reference(value: str | None, *, field: str = "mandate_reference") -> str | None:
    """A mandate reference (≤ 35 characters from the SEPA set), or None when empty."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_MANDATE_REFERENCE:
        raise ValidationError(
            _(
                "Die Mandatsreferenz ist %(length)s Zeichen lang; erlaubt sind höchstens 35.",
                length=len(value),
            ),
            field=field,
        )
    if not MANDATE_REFERENCE_RE.match(value):
        bad = sorted({c for c in value if not MANDATE_REFERENCE_RE.match(c)})
        raise ValidationError(
            _(
                "Die Mandatsreferenz enthält Zeichen, die im SEPA-Verfahren nicht erlaubt sind: "
                "%(chars)s (erlaubt: A–Z, a–z, 0–9 und / ? : ( ) . , ' + -).",
                chars=" ".join(_("Leerzeichen") if c == " " else c for c in bad),
            ),
            field=field,
        )
    return value


def normalize_email(value: str | None, *, field: str = "email") -> str | None:
    """An e-mail address lower-cased, or None when empty; refuse malformed ones."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(
            _("Die E-Mail-Adresse %(email)s ist ungültig.", email=value), field=field
        ) from error
    return result.normalized.lower()


def check_postal_code(value: str | None, country: str = "DE", *, field: str = "postal_code") -> str:
    """A postal code; German ones have five digits."""
    value = (value or "").strip()
    if value and country == "DE" and not re.fullmatch(r"\d{5}", value):
        raise ValidationError(
            _("Die Postleitzahl %(code)s hat nicht fünf Ziffern.", code=value), field=field
        )
    return value


def check_date_range(start: date, end: date | None, *, field: str = "end_date") -> None:
    """Refuse an end date before the start date."""
    if end is not None and end < start:
        raise ValidationError(
            _(
                "Das Enddatum darf nicht vor dem Beginn (%(start)s) liegen.",
                start=start.strftime("%d.%m.%Y"),
            ),
            field=field,
        )
