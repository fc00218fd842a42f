"""Texts for SEPA files: only the SEPA character set, German umlauts spelled out.

SEPA files may carry only ``a-z A-Z 0-9 / ? : ( ) . , ' + -`` and the space (banking.md).
``sepa_text`` turns any name or purpose into that set the way a German reader expects it:

* German letters are spelled out: ä→ae, ö→oe, ü→ue, Ä→Ae, Ö→Oe, Ü→Ue, ß→ss, ẞ→SS (sepaxml's
  cleaner writes "Muller", which is a different name);
* letters that are not decomposable get their usual Latin spelling (æ→ae, ø→o, ł→l, þ→th ...);
* every other accent is removed through Unicode decomposition (é→e, ç→c, ñ→n, Å→A);
* "&" becomes "+": it keeps "Müller & Söhne" readable as "Mueller + Soehne" without gluing a
  letter into short names ("H&M" stays "H+M", where "u" would give "HuM"), and it is the same
  in every language;
* typographic quotes become the apostrophe, dashes the hyphen, "_" the hyphen, "€" "EUR",
  "½" "1/2";
* whatever is still outside the set is dropped, whitespace runs become one space, and the text
  is cut to ``max_length`` (trailing space removed).
"""

import re
import unicodedata

__all__ = ["SEPA_CHARACTERS", "is_sepa_identifier", "is_sepa_text", "sepa_text"]

SEPA_CHARACTERS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/?:().,'+- "
)

# Applied after NFKC, before the decomposition strips accents (which would turn ä into a).
_SPELLED_OUT = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "Ae",
        "œ": "oe",
        "Œ": "Oe",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
        "&": "+",
        "€": "EUR",
        "_": "-",
        "\u2044": "/",  # fraction slash: NFKC writes "½" as "1⁄2"
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2212": "-",  # minus sign
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",
        "\u2032": "'",  # prime
        "`": "'",
        "´": "'",
        '"': "'",
        "\u201c": "'",  # “
        "\u201d": "'",  # ”
        "\u201e": "'",  # „
        "«": "'",
        "»": "'",
        "‹": "'",
        "›": "'",
    }
)
MAX_IDENTIFIER_LENGTH = 35
_NOT_SEPA_RE = re.compile(r"[^a-zA-Z0-9/?:().,'+\- ]+")
_WHITESPACE_RE = re.compile(r"\s+")


def sepa_text(value: str, max_length: int) -> str:
    """Return ``value`` in the SEPA character set, at most ``max_length`` characters long.

    ``sepa_text("Jürgen Müller & Söhne", 70) == "Juergen Mueller + Soehne"``; see the module
    docstring for every rule. The result may be empty (a name written only in Cyrillic).
    """
    if max_length < 0:
        raise ValueError("max_length must not be negative")
    # NFKC first: composes "u" + combining diaeresis into "ü" and turns full-width or ligature
    # forms ("＆", "ﬁ") into plain ones, so the table below sees them
    text = unicodedata.normalize("NFKC", value or "").translate(_SPELLED_OUT)
    text = unicodedata.normalize("NFKD", text)  # é -> e + combining accent, dropped next
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _WHITESPACE_RE.sub(" ", text)  # tabs and line breaks are spaces, not dropped
    text = _NOT_SEPA_RE.sub("", text)
    text = _WHITESPACE_RE.sub(" ", text).strip()
    return text[:max_length].rstrip()


def is_sepa_text(value: str) -> bool:
    """True when every character of ``value`` is in the SEPA character set (empty is True)."""
    return all(char in SEPA_CHARACTERS for char in value)


def is_sepa_identifier(value: object, *, allow_space: bool = True) -> bool:
    """True for a usable SEPA reference (message id, end-to-end id, mandate reference).

    1 to 35 SEPA characters, no leading or trailing space, not starting or ending with "/" and
    without "//" (EPC rule for identifiers), not the placeholder "NOTPROVIDED". A mandate
    reference may not contain spaces at all (``allow_space=False``; German banks' schema
    "RestrictedIdentificationSEPA2").
    """
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_IDENTIFIER_LENGTH
        and value.strip() == value
        and (allow_space or " " not in value)
        and is_sepa_text(value)
        and not value.startswith("/")
        and not value.endswith("/")
        and "//" not in value
        and value.upper() != "NOTPROVIDED"
    )
