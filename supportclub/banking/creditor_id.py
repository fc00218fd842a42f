"""The creditor identifier (Gläubiger-Identifikationsnummer) of a SEPA direct debit.

Form: country code, two check digits, a three-character business code (``ZZZ`` unless the
creditor chose another; it is ignored for the check digits) and the national identifier. In
Germany the Bundesbank issues 18 characters, ``DEkkZZZ0nnnnnnnnnn``. Check digits as for an
IBAN (ISO 7064 MOD 97-10): national identifier + country code + "00", letters as numbers
(A=10 … Z=35), check digits = 98 − (n mod 97). schwifty does not check creditor identifiers.
"""

import re

from supportclub.errors import ValidationError
from supportclub.i18n import N_, _

__all__ = ["SEPA_COUNTRIES", "check_creditor_id", "normalize_creditor_id"]

# Countries whose creditors may collect SEPA direct debits: the EEA, and the other members of
# the SEPA scheme area (Switzerland, the United Kingdom, Monaco, San Marino, the Vatican,
# Andorra, Gibraltar, and since 2025 Albania, Moldova, Montenegro and North Macedonia).
SEPA_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK "  # noqa: SIM905
    "IS LI NO CH GB MC SM VA AD GI AL MD ME MK".split()
)
GERMAN_LENGTH = 18
MAX_LENGTH = 35  # CCkk + 3 + national identifier of at most 28

_FORM_RE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}")
_GERMAN_NATIONAL_RE = re.compile(r"[0-9]{11}")
_WHITESPACE_RE = re.compile(r"\s+")

MSG_EMPTY = N_("Bitte die Gläubiger-ID angeben.")
MSG_FORM = N_(
    "Die Gläubiger-ID hat nicht die richtige Form: Ländercode, zwei Prüfziffern, drei Zeichen "
    "Geschäftsbereich und die nationale Kennung, nur Buchstaben und Ziffern "
    "(Beispiel: DE98ZZZ09999999999)."
)
MSG_COUNTRY = N_("Die Gläubiger-ID beginnt nicht mit dem Ländercode eines SEPA-Landes.")
MSG_GERMAN_LENGTH = N_(
    "Eine deutsche Gläubiger-ID hat genau 18 Zeichen (Beispiel: DE98ZZZ09999999999); "
    "diese hat %(length)s."
)
MSG_GERMAN_DIGITS = N_(
    "Eine deutsche Gläubiger-ID endet mit elf Ziffern (Beispiel: DE98ZZZ09999999999)."
)
MSG_CHECK_DIGITS = N_(
    "Die Prüfziffern der Gläubiger-ID (Stelle 3 und 4) passen nicht zum Rest; "
    "bitte auf Tippfehler prüfen."
)


def normalize_creditor_id(value: str | None) -> str:
    """Remove all whitespace and upper-case: " de98 zzz0 9999 9999 99" -> "DE98ZZZ09999999999"."""
    return _WHITESPACE_RE.sub("", value or "").upper()


def creditor_id_check_digits(creditor_id: str) -> str:
    """The two check digits that belong to a (normalized) creditor id's country and national id.

    Positions 3-4 (the check digits themselves) and 5-7 (the business code) do not count.
    """
    rearranged = creditor_id[7:] + creditor_id[:2] + "00"
    number = int("".join(str(int(char, 36)) for char in rearranged))
    return f"{98 - number % 97:02d}"


def check_creditor_id(value: str | None, *, field: str = "creditor_id") -> str:
    """Return the normalized creditor id, or raise ValidationError (at ``field``) saying why not."""
    creditor_id = normalize_creditor_id(value)
    if not creditor_id:
        raise ValidationError(_(MSG_EMPTY), field=field)
    if len(creditor_id) > MAX_LENGTH or not _FORM_RE.fullmatch(creditor_id):
        raise ValidationError(_(MSG_FORM), field=field)
    if creditor_id[:2] not in SEPA_COUNTRIES:
        raise ValidationError(_(MSG_COUNTRY), field=field)
    if creditor_id.startswith("DE"):
        if len(creditor_id) != GERMAN_LENGTH:
            raise ValidationError(_(MSG_GERMAN_LENGTH, length=len(creditor_id)), field=field)
        if not _GERMAN_NATIONAL_RE.fullmatch(creditor_id[7:]):
            raise ValidationError(_(MSG_GERMAN_DIGITS), field=field)
    if creditor_id[2:4] != creditor_id_check_digits(creditor_id):
        raise ValidationError(_(MSG_CHECK_DIGITS), field=field)
    return creditor_id
