"""The creditor identifier (Gläubiger-ID): form and check digits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportclub.banking.creditor_id import (
    SEPA_COUNTRIES,
    check_creditor_id,
    normalize_creditor_id,
)
from supportclub.errors import ValidationError

BUNDESBANK_EXAMPLE = "DE98ZZZ09999999999"


def expected_check_digits(country: str, national: str) -> str:
    """The check digits computed the way banking.md describes it, independently of the code."""
    digits = "".join(str(ord(c) - ord("A") + 10) if c.isalpha() else c for c in national)
    digits += "".join(str(ord(c) - ord("A") + 10) for c in country) + "00"
    return f"{98 - int(digits) % 97:02d}"


def test_bundesbank_example_is_valid():
    """The Bundesbank's example passes and comes back unchanged."""
    assert check_creditor_id(BUNDESBANK_EXAMPLE) == BUNDESBANK_EXAMPLE


@pytest.mark.parametrize(
    "typed", [" de98 zzz0 9999 9999 99 ", "DE98ZZZ0\t9999999999\n", "de98zzz09999999999"]
)
def test_spaces_and_case_are_normalized(typed):
    """Typed with spaces, tabs or in lower case, the id is stored compact and upper case."""
    assert normalize_creditor_id(typed) == BUNDESBANK_EXAMPLE
    assert check_creditor_id(typed) == BUNDESBANK_EXAMPLE


def test_normalize_empty():
    """None and blanks normalize to the empty string."""
    assert normalize_creditor_id(None) == ""
    assert normalize_creditor_id("   ") == ""


def test_business_code_is_ignored_for_the_check_digits():
    """A creditor may use another business code than ZZZ; the check digits stay the same."""
    assert check_creditor_id("DE98ABC09999999999") == "DE98ABC09999999999"
    assert check_creditor_id("DE9800109999999999") == "DE9800109999999999"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("DE99ZZZ09999999999", "Prüfziffern"),
        ("DE97ZZZ09999999999", "Prüfziffern"),
        ("DE98ZZZ09999999998", "Prüfziffern"),
        ("DE98ZZZ09999999", "18 Zeichen"),
        ("DE98ZZZ0999999999999", "18 Zeichen"),
        ("DE98ZZZ0999999999A", "elf Ziffern"),
        ("", "angeben"),
        (None, "angeben"),
        ("   ", "angeben"),
        ("DEXXZZZ09999999999", "richtige Form"),
        ("D98ZZZ09999999999", "richtige Form"),
        ("DE98ZZZ", "richtige Form"),
        ("DE98ZZZ0999-999999", "richtige Form"),
        ("DE98ZZZÄ9999999999", "richtige Form"),
        ("NL98ZZZ" + "1" * 29, "richtige Form"),
        ("US98ZZZ09999999999", "SEPA-Landes"),
        ("TR98ZZZ09999999999", "SEPA-Landes"),
    ],
)
def test_wrong_ids_are_refused_with_a_reason(value, fragment):
    """Every wrong id is refused with a German message at the form field, saying why."""
    with pytest.raises(ValidationError) as caught:
        check_creditor_id(value, field="settings_creditor_id")
    assert fragment in caught.value.message
    assert caught.value.field == "settings_creditor_id"


def test_default_field_name():
    """Without a field the error sits at "creditor_id"."""
    with pytest.raises(ValidationError) as caught:
        check_creditor_id("DE99ZZZ09999999999")
    assert caught.value.field == "creditor_id"


@pytest.mark.parametrize(
    ("country", "national"),
    [
        ("AT", "12345678901"),
        ("NL", "091734220000"),
        ("IT", "A1B2C3D4E5F6G7H8"),
        ("FR", "123456"),
        ("CH", "ABC123"),
        ("ES", "B12345678"),
        ("LU", "1" * 28),
    ],
)
def test_other_sepa_countries_in_the_generic_form(country, national):
    """Other SEPA countries: CCkk + business code + national id (up to 28), same check digits."""
    creditor_id = f"{country}{expected_check_digits(country, national)}ZZZ{national}"
    assert check_creditor_id(creditor_id) == creditor_id
    wrong = f"{country}{int(expected_check_digits(country, national)) % 97 + 1:02d}ZZZ{national}"
    with pytest.raises(ValidationError):
        check_creditor_id(wrong)


NATIONAL_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@given(
    country=st.sampled_from(sorted(SEPA_COUNTRIES - {"DE"})),
    national=st.text(alphabet=NATIONAL_ALPHABET, min_size=1, max_size=28),
    business=st.text(alphabet=NATIONAL_ALPHABET, min_size=3, max_size=3),
    position=st.integers(min_value=0, max_value=27),
    replacement=st.sampled_from(NATIONAL_ALPHABET),
)
def test_check_digits_accept_the_right_id_and_catch_a_changed_character(
    country, national, business, position, replacement
):
    """A correct id passes; changing one character of the national id is caught."""
    creditor_id = f"{country}{expected_check_digits(country, national)}{business}{national}"
    assert check_creditor_id(creditor_id) == creditor_id
    position %= len(national)
    changed = national[:position] + replacement + national[position + 1 :]
    if expected_check_digits(country, changed) != expected_check_digits(country, national):
        with pytest.raises(ValidationError):
            check_creditor_id(f"{creditor_id[:7]}{changed}")


@given(st.text(max_size=40))
def test_any_input_is_accepted_normalized_or_refused_with_a_message(text):
    """No input crashes: it is accepted (compact, upper case, ≤ 35) or refused with a message."""
    try:
        result = check_creditor_id(text)
    except ValidationError as error:
        assert error.message
    else:
        assert result == normalize_creditor_id(text)
        assert len(result) <= 35
        assert result[:2] in SEPA_COUNTRIES
