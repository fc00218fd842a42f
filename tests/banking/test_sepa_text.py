"""SEPA texts: German umlauts spelled out, only the SEPA characters, cut to the field length."""

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from supportclub.banking.sepa_text import (
    SEPA_CHARACTERS,
    is_sepa_identifier,
    is_sepa_text,
    sepa_text,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jürgen Müller", "Juergen Mueller"),
        ("Björn Öztürk", "Bjoern Oeztuerk"),
        ("ÄRGER Über Ölpreise", "AeRGER Ueber Oelpreise"),
        ("Straße", "Strasse"),
        ("GROẞE", "GROSSE"),
        ("Renée Françoise Muñoz", "Renee Francoise Munoz"),
        ("Ångström Dvořák Łukasz Søren Æbelø", "Angstroem Dvorak Lukasz Soren Aebelo"),
        ("Müller & Söhne GmbH", "Mueller + Soehne GmbH"),
        ("H&M", "H+M"),
        ("Spende „Sommerfest“ – danke!", "Spende 'Sommerfest' - danke"),
        ("Beitrag 2026 für 12 €", "Beitrag 2026 fuer 12 EUR"),
        ("Beitrag #42 @ Verein; 50% [x]", "Beitrag 42 Verein 50 x"),
        ("Mitglied_1042", "Mitglied-1042"),
        ("½ Jahr", "1/2 Jahr"),
        ("  viel   Platz\t\nhier\u00a0und\u202fda  ", "viel Platz hier und da"),
        (
            "Rechnung 2026/01 (Rest): 12,50 ok? ja. 'a'+b-c",
            "Rechnung 2026/01 (Rest): 12,50 ok? ja. 'a'+b-c",
        ),
        ("Иван Петров", ""),
        ("", ""),
    ],
)
def test_transliterates_and_drops(text, expected):
    """Umlauts become ae/oe/ue/ss, accents go, "&" becomes "+", anything else outside is dropped."""
    assert sepa_text(text, 140) == expected


def test_decomposed_umlauts_are_spelled_out_too():
    """An "ü" typed as "u" plus a combining diaeresis (macOS file names) is still "ue"."""
    decomposed = unicodedata.normalize("NFD", "Jürgen Müller")
    assert decomposed != "Jürgen Müller"
    assert sepa_text(decomposed, 70) == "Juergen Mueller"


def test_full_width_characters_become_plain():
    """Full-width letters and the full-width ampersand are read as the plain ones."""
    assert sepa_text("ＡＢＣ＆ｄ", 70) == "ABC+d"


@pytest.mark.parametrize(
    ("text", "length", "expected"),
    [
        ("Jürgen Müller", 7, "Juergen"),
        ("Jürgen Müller", 8, "Juergen"),  # cut at the space: no trailing space
        ("Jürgen Müller", 9, "Juergen M"),
        ("Ä" * 40, 70, "Ae" * 35),
        ("Ä" * 40, 69, "Ae" * 34 + "A"),
        ("abc", 0, ""),
    ],
)
def test_cut_to_length_after_transliteration(text, length, expected):
    """The limit counts the transliterated characters (70 for names, 140 for purposes)."""
    assert sepa_text(text, length) == expected


def test_negative_length_is_a_programming_error():
    """A negative limit is a bug in the caller."""
    with pytest.raises(ValueError):
        sepa_text("abc", -1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("M-2026-1042", True),
        ("Beitrag 2026 (Rest) 1/2: ok? ja. 'x'+y,z", True),
        ("", True),
        ("Müller", False),
        ("A&B", False),
        ("50%", False),
        ("Zeile\nZeile", False),
        ("tab\there", False),
        ("a_b", False),
        ("€", False),
    ],
)
def test_is_sepa_text(text, expected):
    """Only a-z A-Z 0-9 / ? : ( ) . , ' + - and the space are SEPA text."""
    assert is_sepa_text(text) is expected


@pytest.mark.parametrize(
    ("value", "with_space", "without_space"),
    [
        ("BEITRAG-2026-1042", True, True),
        ("M-1042/a", True, True),
        ("A" * 35, True, True),
        ("Lauf 7", True, False),
        ("A" * 36, False, False),
        ("", False, False),
        (None, False, False),
        (" M-1", False, False),
        ("M-1 ", False, False),
        ("/M-1", False, False),
        ("M-1/", False, False),
        ("M//1", False, False),
        ("NOTPROVIDED", False, False),
        ("notprovided", False, False),
        ("M-Müller", False, False),
        ("M_1", False, False),
    ],
)
def test_is_sepa_identifier(value, with_space, without_space):
    """References: 1-35 SEPA characters, no "/" at the ends, no "//"; mandates without spaces."""
    assert is_sepa_identifier(value) is with_space
    assert is_sepa_identifier(value, allow_space=False) is without_space


@given(st.text(), st.integers(min_value=0, max_value=200))
@example("ß" * 100, 140)
@example(" \u00a0 &&& ", 5)
def test_any_text_becomes_sepa_text(text, length):
    """Whatever goes in, what comes out is SEPA text within the limit, trimmed, single-spaced."""
    result = sepa_text(text, length)
    assert is_sepa_text(result)
    assert set(result) <= SEPA_CHARACTERS
    assert len(result) <= length
    assert result == result.strip()
    assert "  " not in result
    assert sepa_text(result, length) == result  # idempotent


@given(st.text(alphabet="".join(sorted(SEPA_CHARACTERS - {" "})), min_size=1, max_size=140))
def test_sepa_text_without_spaces_is_unchanged(text):
    """Text already in the SEPA set (no spaces to collapse) is passed through as it is."""
    assert sepa_text(text, 140) == text
