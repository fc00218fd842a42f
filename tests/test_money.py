"""Tests for supportclub.money: parsing, formatting, rounding and amounts in words."""

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from supportclub import money
from supportclub.money import (
    MAX_CENTS,
    MoneyError,
    amount_in_words,
    cents_to_decimal,
    decimal_to_cents,
    format_cents,
    format_input,
    money_filter,
    parse_amount,
    round_half_up_cents,
)

# --- parse_amount: accepted input -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1.234,56", 123456),
        ("1234,56", 123456),
        ("1234.56", 123456),
        ("12 €", 1200),
        ("12€", 1200),
        ("€ 12", 1200),
        ("€12", 1200),
        ("12 EUR", 1200),
        ("EUR 12", 1200),
        ("12 eur", 1200),
        ("12", 1200),
        ("0,5", 50),
        ("0,05", 5),
        ("12,5", 1250),
        ("12.5", 1250),
        ("0.99", 99),
        ("1.234", 123400),
        ("12.345", 1234500),
        ("1.234.567,89", 123456789),
        ("1.234.567", 123456700),
        (" 7,00 ", 700),
        ("\t7,00\n", 700),
        ("7\u00a0€", 700),
        ("\u00a07,00\u00a0", 700),
        ("1.234,56\u202f€", 123456),
        ("+12", 1200),
        ("+ 12,00 €", 1200),
        ("007", 700),
        ("20.000.000,00 €", MAX_CENTS),
    ],
)
def test_parse_accepts(text, cents):
    """Every documented input form parses to the exact int cents."""
    result = parse_amount(text)
    assert result == cents
    assert type(result) is int


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("-12,50", -1250),
        ("-12.50", -1250),
        ("\u221212,50", -1250),
        ("-12,50 €", -1250),
        ("€ -12,50", -1250),
        ("-1.234,56", -123456),
        ("-20.000.000,00", -MAX_CENTS),
    ],
)
def test_parse_negative_when_allowed(text, cents):
    """Negative amounts parse only with allow_negative."""
    assert parse_amount(text, allow_negative=True) == cents


@pytest.mark.parametrize("text", ["0", "0,00", "0.0", "-0", "€ 0"])
def test_parse_zero_when_allowed(text):
    """Zero parses to 0 when allow_zero, regardless of sign."""
    assert parse_amount(text, allow_zero=True) == 0
    assert parse_amount(text, allow_zero=True, allow_negative=True) == 0


def test_parse_custom_ceiling():
    """max_cents lowers the ceiling; the limit itself is still accepted."""
    assert parse_amount("50,00", max_cents=5000) == 5000
    with pytest.raises(MoneyError, match=r"zu hoch \(höchstens 50,00 €\)"):
        parse_amount("50,01", max_cents=5000)


# --- parse_amount: refused input --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Bitte einen Betrag eingeben."),
        ("   ", "Bitte einen Betrag eingeben."),
        ("\u00a0\t", "Bitte einen Betrag eingeben."),
        (None, "Bitte einen Betrag eingeben."),
        ("abc", "„abc“ ist kein gültiger Betrag"),
        ("1e3", "ist kein gültiger Betrag"),
        ("1E3", "ist kein gültiger Betrag"),
        ("inf", "ist kein gültiger Betrag"),
        ("Infinity", "ist kein gültiger Betrag"),
        ("nan", "ist kein gültiger Betrag"),
        ("NaN", "ist kein gültiger Betrag"),
        ("12.", "ist kein gültiger Betrag"),
        ("12,", "ist kein gültiger Betrag"),
        (",50", "ist kein gültiger Betrag"),
        ("--12", "ist kein gültiger Betrag"),
        ("€ 12 €", "ist kein gültiger Betrag"),
        ("1 234", "ist kein gültiger Betrag"),
        ("0x10", "ist kein gültiger Betrag"),
        ("١٢", "ist kein gültiger Betrag"),
        ("１２", "ist kein gültiger Betrag"),
        ("1,234,56", "höchstens ein Komma"),
        ("12,345", "Höchstens zwei Nachkommastellen"),
        ("0,001", "Höchstens zwei Nachkommastellen"),
        ("12.3456", "Höchstens zwei Nachkommastellen"),
        ("0.123", "Höchstens zwei Nachkommastellen"),
        ("12.34.5", "Tausenderpunkte stehen an der falschen Stelle"),
        ("1.23,4.5", "Tausenderpunkte stehen an der falschen Stelle"),
        ("1.23.456", "Tausenderpunkte stehen an der falschen Stelle"),
        ("1234.567", "Tausenderpunkte stehen an der falschen Stelle"),
        ("1.2345,00", "Tausenderpunkte stehen an der falschen Stelle"),
        ("1,234.56", "Tausenderpunkte stehen an der falschen Stelle"),
        ("-12,50", "Der Betrag darf nicht negativ sein."),
        ("-0,01", "Der Betrag darf nicht negativ sein."),
        ("0", "Der Betrag muss größer als 0 sein."),
        ("0,00 €", "Der Betrag muss größer als 0 sein."),
        ("20.000.000,01", "Der Betrag ist zu hoch (höchstens 20.000.000,00 €)."),
        ("1" * 60, "Der Betrag ist zu hoch (höchstens 20.000.000,00 €)."),
    ],
)
def test_parse_refuses_with_specific_message(text, fragment):
    """Each kind of bad input gets its own German message."""
    with pytest.raises(MoneyError) as info:
        parse_amount(text)
    assert fragment in str(info.value)
    assert info.value.message == str(info.value)


def test_money_error_is_value_error():
    """MoneyError is a ValueError so WTForms-style handlers catch it."""
    assert issubclass(MoneyError, ValueError)


def test_zero_refused_with_allow_negative():
    """With allow_negative but not allow_zero, 0 is still refused (own message)."""
    with pytest.raises(MoneyError, match="darf nicht 0 sein"):
        parse_amount("0", allow_negative=True)


def test_negative_beyond_ceiling():
    """Allowed negatives are bounded by -max_cents as well."""
    with pytest.raises(MoneyError, match=r"zu niedrig \(mindestens -20\.000\.000,00 €\)"):
        parse_amount("-20.000.000,01", allow_negative=True)


def test_generic_message_truncates_long_input():
    """The quoted user input in the message is shortened."""
    with pytest.raises(MoneyError) as info:
        parse_amount("x" * 500)
    assert len(str(info.value)) < 120


@pytest.mark.parametrize("value", [12, 12.5, Decimal("12"), b"12", True])
def test_parse_refuses_non_str_as_programming_error(value):
    """Non-str input (other than None) is a programming error, not a user error."""
    with pytest.raises(TypeError):
        parse_amount(value)


# --- formatting -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (123456, "1.234,56 €"),
        (0, "0,00 €"),
        (-1250, "-12,50 €"),
        (5, "0,05 €"),
        (-5, "-0,05 €"),
        (100, "1,00 €"),
        (99999, "999,99 €"),
        (100000, "1.000,00 €"),
        (100000000, "1.000.000,00 €"),
        (MAX_CENTS, "20.000.000,00 €"),
    ],
)
def test_format_cents(cents, text):
    """German format with thousands dots, decimal comma and ' €'."""
    assert format_cents(cents) == text
    assert format_cents(cents, symbol=False) == text.removesuffix(" €")
    assert format_input(cents) == text.removesuffix(" €")


def test_format_input_example():
    """format_input gives the form-prefill text without the symbol."""
    assert format_input(123456) == "1.234,56"
    assert format_cents(123456, symbol=False) == "1.234,56"


@pytest.mark.parametrize("value", [12.5, 1.0, True, False, Decimal("12.50"), "1234", None])
def test_format_refuses_non_int(value):
    """Only int cents may be formatted; floats, bools, Decimals and str are refused."""
    with pytest.raises(TypeError):
        format_cents(value)
    with pytest.raises(TypeError):
        format_input(value)


def test_money_filter():
    """The Jinja filter formats ints, blanks None and is type-strict otherwise."""
    assert money_filter(123456) == "1.234,56 €"
    assert money_filter(0) == "0,00 €"
    assert money_filter(None) == ""
    for bad in (12.5, Decimal("12.50"), "12", True):
        with pytest.raises(TypeError):
            money_filter(bad)


# --- Decimal conversion and rounding -----------------------------------------------------


def test_cents_to_decimal_is_exact():
    """cents_to_decimal returns the exact two-place Decimal."""
    assert cents_to_decimal(123456) == Decimal("1234.56")
    assert str(cents_to_decimal(123456)) == "1234.56"
    assert str(cents_to_decimal(-5)) == "-0.05"
    assert str(cents_to_decimal(0)) == "0.00"
    assert cents_to_decimal(10**30 + 1) == Decimal("1" + "0" * 28 + ".01")
    for bad in (1.5, True, Decimal(1), "1"):
        with pytest.raises(TypeError):
            cents_to_decimal(bad)


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        (Decimal("1234.56"), 123456),
        (Decimal("1234.5"), 123450),
        (Decimal("1234.560"), 123456),
        (Decimal("-0.05"), -5),
        (Decimal("0"), 0),
        (Decimal("1E+2"), 10000),
        (12, 1200),
    ],
)
def test_decimal_to_cents(value, cents):
    """decimal_to_cents converts exact values without rounding."""
    result = decimal_to_cents(value)
    assert result == cents
    assert type(result) is int


@pytest.mark.parametrize(
    "value", [Decimal("1.005"), Decimal("0.001"), Decimal("-12.345"), Decimal("1E-3")]
)
def test_decimal_to_cents_refuses_sub_cent(value):
    """More than two decimal places is an error, never silently rounded."""
    with pytest.raises(MoneyError, match="Höchstens zwei Nachkommastellen"):
        decimal_to_cents(value)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_decimal_to_cents_refuses_non_finite(value):
    """NaN and infinities are refused."""
    with pytest.raises(MoneyError):
        decimal_to_cents(value)
    with pytest.raises(MoneyError):
        round_half_up_cents(value)


@pytest.mark.parametrize("value", [1.5, "1.5", True])
def test_decimal_functions_refuse_floats(value):
    """Floats (and str/bool) never enter Decimal conversion or rounding."""
    with pytest.raises(TypeError):
        decimal_to_cents(value)
    with pytest.raises(TypeError):
        round_half_up_cents(value)


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        (Decimal("0.005"), 1),
        (Decimal("0.0049"), 0),
        (Decimal("0.015"), 2),
        (Decimal("0.025"), 3),
        (Decimal("2.675"), 268),
        (Decimal("-0.005"), -1),
        (Decimal("-0.004"), 0),
        (Decimal("12.34"), 1234),
        (Decimal("60") * 5 / 12, 2500),
        (Decimal("50") / 3, 1667),
        (Decimal("100") / 3 * 2, 6667),
    ],
)
def test_round_half_up_cents(value, cents):
    """ROUND_HALF_UP (halves away from zero) to whole cents, not banker's rounding."""
    result = round_half_up_cents(value)
    assert result == cents
    assert type(result) is int


def test_too_large_decimal_refused():
    """Absurdly large Decimals are refused before any arithmetic."""
    with pytest.raises(MoneyError):
        decimal_to_cents(Decimal("1E+999999"))
    with pytest.raises(MoneyError):
        round_half_up_cents(Decimal("1E+999999"))


# --- amount in words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "words"),
    [
        (123456, "eintausendzweihundertvierunddreißig Euro und sechsundfünfzig Cent"),
        (10700000, "einhundertsiebentausend Euro"),
        (100, "ein Euro"),
        (101, "ein Euro und ein Cent"),
        (10100, "einhundertein Euro"),
        (3600, "sechsunddreißig Euro"),
        (50, "null Euro und fünfzig Cent"),
        (100000100, "eine Million ein Euro"),
        # beyond the required table
        (0, "null Euro"),
        (1, "null Euro und ein Cent"),
        (200000000, "zwei Millionen Euro"),
        (200000100, "zwei Millionen ein Euro"),
        (10100000, "einhunderteintausend Euro"),
        (100100, "eintausendein Euro"),
        (2100, "einundzwanzig Euro"),
        (MAX_CENTS, "zwanzig Millionen Euro"),
        (10100000000, "einhunderteine Millionen Euro"),
    ],
)
def test_amount_in_words(cents, words):
    """The receipt wording table, exactly."""
    assert amount_in_words(cents) == words


def test_amount_in_words_refuses_negative_and_non_int():
    """Negative amounts are ValueError, non-int amounts TypeError."""
    with pytest.raises(ValueError):
        amount_in_words(-1)
    for bad in (1.0, Decimal("1"), "100", True, None):
        with pytest.raises(TypeError):
            amount_in_words(bad)


# --- properties -------------------------------------------------------------------------

cents_strategy = st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS)


@given(cents_strategy)
@example(0)
@example(MAX_CENTS)
@example(-MAX_CENTS)
@example(1)
@example(-1)
@example(123400)
def test_format_parse_round_trip(cents):
    """Whatever we format, we parse back to the same cents (all three formats)."""
    for text in (format_cents(cents), format_cents(cents, symbol=False), format_input(cents)):
        assert parse_amount(text, allow_negative=True, allow_zero=True) == cents


@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_decimal_round_trip(cents):
    """cents_to_decimal and decimal_to_cents are inverse; rounding exact values is identity."""
    value = cents_to_decimal(cents)
    assert decimal_to_cents(value) == cents
    assert round_half_up_cents(value) == cents


@given(st.text())
@example("1.234,56 €")
@example("1e3")
@example("١٢٣")
@example("9" * 5000)
@example("1." + "0" * 5000)
def test_parse_never_crashes(text):
    """Any text either parses to an int or raises MoneyError, never anything else."""
    try:
        result = parse_amount(text, allow_negative=True, allow_zero=True)
    except MoneyError as exc:
        assert exc.message
    else:
        assert type(result) is int
        assert -MAX_CENTS <= result <= MAX_CENTS


@given(st.from_regex(r"[ +\-€EUR0-9.,]{0,20}", fullmatch=True))
def test_parse_never_crashes_on_amount_like_text(text):
    """Near-miss amounts (only amount characters) also never crash or return floats."""
    try:
        result = parse_amount(text)
    except MoneyError:
        return
    assert type(result) is int
    assert 0 < result <= MAX_CENTS


@given(st.integers(min_value=0, max_value=MAX_CENTS))
@example(100)
@example(101)
@example(100000100)
@example(10100000)
def test_amount_in_words_properties(cents):
    """No 'null Cent', no 'eins ', and it always ends with the unit."""
    words = amount_in_words(cents)
    assert "null Cent" not in words
    assert "eins " not in words
    assert "einstausend" not in words
    assert not words.endswith("eins Euro")
    assert words.endswith(("Euro", "Cent"))
    assert words.endswith("Cent") == (cents % 100 != 0)


def test_module_exports():
    """The public API names exist with the agreed ceiling."""
    # the largest amount a 32-bit amount column holds, rounded down to whole millions
    assert money.MAX_CENTS == 2_000_000_000 < 2**31 - 1
    assert set(money.__all__) >= {
        "MoneyError",
        "parse_amount",
        "format_cents",
        "format_input",
        "cents_to_decimal",
        "decimal_to_cents",
        "round_half_up_cents",
        "amount_in_words",
        "money_filter",
    }
