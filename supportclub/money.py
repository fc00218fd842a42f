"""Money: the only place amounts are parsed, rounded, formatted or put into words.

Every amount in supportclub is an ``int`` number of cents. Floats never touch an
amount: the formatting functions refuse them with ``TypeError``, parsing goes through
``Decimal``, and the one rounding rule (kaufmännisches Runden, ROUND_HALF_UP) lives in
``round_half_up_cents``.
"""

import re
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from num2words import num2words

from supportclub.i18n import N_, _

__all__ = [
    "MAX_CENTS",
    "MoneyError",
    "amount_in_words",
    "cents_to_decimal",
    "decimal_to_cents",
    "format_cents",
    "format_input",
    "money_filter",
    "parse_amount",
    "round_half_up_cents",
]

# 20 million euros: amount columns are 32-bit integers (at most 21.474.836,47 €), so a larger
# amount must be refused at the field instead of failing in the database
MAX_CENTS = 20_000_000_00

_CENT = Decimal("0.01")
# Enough precision for every amount we accept (|d| < 10**21 euros, two decimals).
_CONTEXT = Context(prec=50, rounding=ROUND_HALF_UP)
_MAX_ADJUSTED = 20

# The German msgids; translated where they are raised (``MoneyError(_(MSG_...))``).
MSG_EMPTY = N_("Bitte einen Betrag eingeben.")
MSG_SEVERAL_COMMAS = N_("Der Betrag darf höchstens ein Komma enthalten (Beispiel: 1.234,56).")
MSG_DECIMALS = N_("Höchstens zwei Nachkommastellen sind erlaubt (Beispiel: 12,34).")
MSG_GROUPING = N_(
    "Die Tausenderpunkte stehen an der falschen Stelle: nach jedem Punkt folgen "
    "genau drei Ziffern (Beispiel: 1.234.567,89)."
)
MSG_NEGATIVE = N_("Der Betrag darf nicht negativ sein.")
MSG_NOT_POSITIVE = N_("Der Betrag muss größer als 0 sein.")
MSG_ZERO = N_("Der Betrag darf nicht 0 sein.")
MSG_NOT_FINITE = N_("Der Betrag ist keine endliche Zahl.")

_SIGNS = {"+": 1, "-": -1, "\u2212": -1}  # U+2212 is the typographic minus sign
_AMOUNT_RE = re.compile(
    r"""
    (?P<sign1>[+\-\u2212])?\s*
    (?P<pre>€|EUR)?\s*
    (?P<sign2>[+\-\u2212])?\s*
    (?P<number>[0-9][0-9.,]*)\s*
    (?P<post>€|EUR)?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"[0-9]+")
_GROUPED_RE = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+")
_WHITESPACE_RE = re.compile(r"\s+")


class MoneyError(ValueError):
    """An amount the user typed (or a Decimal) that is not acceptable; translated message."""

    def __init__(self, message: str):
        """Keep the user-facing message (German, or the request's language) on ``.message``."""
        super().__init__(message)
        self.message = message


def _require_int(value, name: str = "cents") -> int:
    """Return ``value`` if it is a real int (not bool), else raise TypeError."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int number of cents, got {type(value).__name__}")
    return value


def _require_decimal(value, name: str = "d") -> Decimal:
    """Return ``value`` as Decimal if it is a Decimal or int (never float/bool/str)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")


def _invalid(text: str) -> MoneyError:
    """Build the generic "not a valid amount" error quoting (a shortened) user input."""
    shown = text if len(text) <= 30 else text[:29] + "…"
    return MoneyError(
        _("„%(text)s“ ist kein gültiger Betrag. Bitte z. B. 1.234,56 eingeben.", text=shown)
    )


def _too_high(max_cents: int) -> MoneyError:
    """Build the ceiling error, naming the ceiling in German format."""
    return MoneyError(
        _("Der Betrag ist zu hoch (höchstens %(amount)s).", amount=format_cents(max_cents))
    )


def _too_low(max_cents: int) -> MoneyError:
    """Build the floor error for negative amounts beyond the ceiling."""
    return MoneyError(
        _("Der Betrag ist zu niedrig (mindestens %(amount)s).", amount=format_cents(-max_cents))
    )


def _number_to_decimal_text(number: str) -> str:
    """Turn the digits/dots/comma part into plain ``1234.56`` text, or raise MoneyError.

    Dots and commas are read the German way; see ``parse_amount`` for the rules.
    """
    if number.count(",") > 1:
        raise MoneyError(_(MSG_SEVERAL_COMMAS))
    if "," in number:
        whole, fraction = number.split(",")
        if "." in fraction:
            raise MoneyError(_(MSG_GROUPING))
        if not _DIGITS_RE.fullmatch(fraction):
            raise _invalid(number)
        if len(fraction) > 2:
            raise MoneyError(_(MSG_DECIMALS))
    else:
        whole, fraction = number, ""
        if whole.count(".") == 1:
            left, right = whole.split(".")
            if not left or not right:
                raise _invalid(number)
            if len(right) in (1, 2):  # a decimal point: "1234.56", "12.5"
                whole, fraction = left, right
            elif len(right) > 3 or left.startswith("0"):  # "12.3456", "0.125"
                raise MoneyError(_(MSG_DECIMALS))
    if _DIGITS_RE.fullmatch(whole):
        digits = whole
    elif _GROUPED_RE.fullmatch(whole):
        digits = whole.replace(".", "")
    else:
        raise MoneyError(_(MSG_GROUPING))
    return f"{digits}.{fraction}" if fraction else digits


def parse_amount(
    text: str,
    *,
    allow_negative: bool = False,
    allow_zero: bool = False,
    max_cents: int = MAX_CENTS,
) -> int:
    """Parse German (or plain) user input like "1.234,56 €" to int cents, else MoneyError.

    Accepted: optional sign ("+", "-", "−"; negatives only with ``allow_negative``),
    optional "€" or "EUR" before or after the number, any (also non-breaking)
    whitespace around the parts, and the number itself:

    * a comma is the decimal separator, with one or two digits after it
      ("12,5" -> 1250, "0,5" -> 50, "1234,56");
    * dots before the comma are thousands separators and must separate groups of
      exactly three digits ("1.234,56", "1.234.567,89");
    * without a comma, a *single* dot followed by exactly one or two digits is a
      decimal point ("1234.56", "12.5"), while a dot followed by exactly three digits
      is a German thousands separator: "1.234" means 1.234,00 € (123400 cents),
      never 1,234 €. A single dot followed by more digits, or "0.xyz", is refused as
      too many decimal places; several dots must all be thousands separators.

    Refused: empty input, letters, exponents ("1e3"), "inf"/"nan", several commas,
    more than two decimal places, badly grouped thousands, English "1,234.56",
    negatives unless allowed, zero unless ``allow_zero``, and amounts whose absolute
    value exceeds ``max_cents``. ``None`` counts as empty input; any other non-str
    (int, float, Decimal) is a programming error and raises TypeError.
    """
    if text is None:
        raise MoneyError(_(MSG_EMPTY))
    if not isinstance(text, str):
        raise TypeError(f"parse_amount expects the typed text (str), got {type(text).__name__}")
    _require_int(max_cents, "max_cents")
    if max_cents < 0:
        raise ValueError("max_cents must not be negative")

    cleaned = _WHITESPACE_RE.sub(" ", text).strip()
    if not cleaned:
        raise MoneyError(_(MSG_EMPTY))
    match = _AMOUNT_RE.fullmatch(cleaned)
    if match is None or (match["sign1"] and match["sign2"]) or (match["pre"] and match["post"]):
        raise _invalid(cleaned)

    value = Decimal(_number_to_decimal_text(match["number"]))  # exact, no context rounding
    if _SIGNS[match["sign1"] or match["sign2"] or "+"] < 0:
        value = value.copy_negate()

    if value == 0:
        if not allow_zero:
            raise MoneyError(_(MSG_ZERO if allow_negative else MSG_NOT_POSITIVE))
        return 0
    if value < 0 and not allow_negative:
        raise MoneyError(_(MSG_NEGATIVE))
    if value.copy_abs() > cents_to_decimal(max_cents):
        raise _too_high(max_cents) if value > 0 else _too_low(max_cents)
    return decimal_to_cents(value)


def format_cents(cents: int, *, symbol: bool = True) -> str:
    """Format int cents the German way: 123456 -> "1.234,56 €" (without " €" if not symbol)."""
    _require_int(cents)
    euros, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    text = f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d}"
    return f"{text} €" if symbol else text


def format_input(cents: int) -> str:
    """Format int cents for pre-filling a form field: 123456 -> "1.234,56"."""
    return format_cents(cents, symbol=False)


def money_filter(value) -> str:
    """Jinja filter ``|money``: int cents -> "1.234,56 €", None -> "", anything else TypeError."""
    if value is None:
        return ""
    return format_cents(value)


def cents_to_decimal(cents: int) -> Decimal:
    """Convert int cents to an exact Decimal of euros: 123456 -> Decimal("1234.56")."""
    _require_int(cents)
    digits = tuple(int(digit) for digit in str(abs(cents)))
    return Decimal((1 if cents < 0 else 0, digits, -2))


def _check_finite_and_size(d: Decimal) -> None:
    """Refuse NaN, infinities and absurdly large Decimals before any arithmetic."""
    if not d.is_finite():
        raise MoneyError(_(MSG_NOT_FINITE))
    if d and d.adjusted() > _MAX_ADJUSTED:
        raise MoneyError(_("Der Betrag ist zu groß."))


def decimal_to_cents(d: Decimal) -> int:
    """Convert an exact Decimal of euros to int cents; MoneyError if it has sub-cent digits."""
    d = _require_decimal(d)
    _check_finite_and_size(d)
    with localcontext(_CONTEXT):
        rounded = d.quantize(_CENT)
        if rounded != d:
            raise MoneyError(_(MSG_DECIMALS))
        return int(rounded.scaleb(2))


def round_half_up_cents(d: Decimal) -> int:
    """Round a computed Decimal of *euros* to int cents, halves away from zero (ROUND_HALF_UP).

    This is the one rounding rule of the application (kaufmännisches Runden), e.g.
    for pro-rata dues: ``round_half_up_cents(cents_to_decimal(6000) * 5 / 12)`` -> 2500.
    ``Decimal("0.005")`` -> 1, ``Decimal("-0.005")`` -> -1, ``Decimal("0.0049")`` -> 0.
    """
    d = _require_decimal(d)
    _check_finite_and_size(d)
    with localcontext(_CONTEXT):
        return int(d.quantize(_CENT, rounding=ROUND_HALF_UP).scaleb(2))


_EINS_BEFORE_TAUSEND = re.compile(r"eins(?=tausend)")
_EINS_BEFORE_BIG = re.compile(r"eins(?= [A-ZÄÖÜ])")  # "einhunderteins Millionen"
_EINS_AT_END = re.compile(r"eins$")


def _number_in_words(n: int) -> str:
    """German cardinal for n as used before a noun: 1 -> "ein", 101 -> "einhundertein"."""
    words = num2words(n, lang="de")
    words = _EINS_BEFORE_TAUSEND.sub("ein", words)
    words = _EINS_BEFORE_BIG.sub("eine", words)
    return _EINS_AT_END.sub("ein", words)


def amount_in_words(cents: int) -> str:
    """Put int cents into German words for receipts: 101 -> "ein Euro und ein Cent"."""
    _require_int(cents)
    if cents < 0:
        raise ValueError("amount_in_words: negative amounts have no wording on receipts")
    euros, rest = divmod(cents, 100)
    text = f"{_number_in_words(euros)} Euro"
    if rest:
        text += f" und {_number_in_words(rest)} Cent"
    return text
