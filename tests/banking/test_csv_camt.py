"""The Sparkasse CSV-CAMT reader: what the treasurer's export says, or a refusal naming the line."""

import codecs
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportclub.banking.csv_camt import COLUMNS, parse_german_amount, read_csv_camt
from supportclub.banking.statement import StatementError
from supportclub.money import MAX_CENTS

FILES = Path(__file__).parent / "files"
ACCOUNT = "DE61760501010012345678"
# Bank data of the fixture that no error message may repeat.
BANK_DATA = [
    "Anna Müller",
    "Jörg Weiß",
    "Druckerei",
    "Böhm",
    "Kühn",
    "Mitgliedsbeitrag",
    "Spende",
    "DE75120300001020304050",
    "DE61760501010012345678",
    "1.250,00",
    "-1.850,00",
]


def fixture_bytes() -> bytes:
    """The Sparkasse export as the bank delivers it (Windows-1252, CRLF)."""
    return (FILES / "csv_camt_v8.csv").read_bytes()


def fixture_lines() -> list[str]:
    """The export's lines as text (header first)."""
    return fixture_bytes().decode("cp1252").split("\r\n")[:-1]


def build(lines: list[str], encoding: str = "cp1252") -> bytes:
    """Bytes of a CSV built from text lines, CRLF-terminated."""
    return "".join(line + "\r\n" for line in lines).encode(encoding)


def split(line: str) -> list[str]:
    """The fields of one fixture line (every field is quoted, none contains a quote)."""
    return line[1:-1].split('";"')


def join(fields: list[str]) -> str:
    """A CSV line from fields, every field quoted."""
    return ";".join(f'"{field}"' for field in fields)


def replaced(lines: list[str], row: int, column: str, value: str) -> list[str]:
    """A copy of ``lines`` with one field of data row ``row`` (1-based) replaced."""
    lines = list(lines)
    fields = split(lines[row])
    fields[COLUMNS.index(column)] = value
    lines[row] = join(fields)
    return lines


def with_field(row: int, column: str, value: str) -> bytes:
    """The fixture with one field of data row ``row`` (1-based) replaced."""
    return build(replaced(fixture_lines(), row, column, value))


def refused(data: bytes) -> str:
    """Read ``data`` expecting a refusal; return the message, checked for leaked bank data."""
    with pytest.raises(StatementError) as caught:
        read_csv_camt(data)
    message = caught.value.message
    for secret in BANK_DATA:
        assert secret not in message
    return message


# --- what a good export gives ------------------------------------------------------------


def test_statement_of_the_export():
    statement = read_csv_camt(fixture_bytes())
    assert statement.format == "csv-camt"
    assert statement.iban == ACCOUNT
    assert statement.currency == "EUR"
    assert (statement.period_start, statement.period_end) == (date(2026, 3, 2), date(2026, 3, 11))
    assert statement.opening_cents is None and statement.closing_cents is None
    assert statement.statement_id is None
    assert [e.position for e in statement.entries] == list(range(1, 9))
    assert len(statement.booked) == 7


def test_credit_transfer_with_notprovided_reference():
    entry = read_csv_camt(fixture_bytes()).entries[0]
    assert entry.amount_cents == 6000
    assert entry.booked is True
    assert entry.booking_date == entry.value_date == date(2026, 3, 2)
    assert entry.booking_text == "GUTSCHR. UEBERWEISUNG"
    (tx,) = entry.transactions
    assert tx.amount_cents == 6000
    assert tx.end_to_end_id is None  # "NOTPROVIDED"
    assert tx.counterparty_name == "Anna Müller"
    assert tx.counterparty_iban == "DE75120300001020304050"
    assert tx.counterparty_bic == "BYLADEM1001"
    assert tx.purpose == "Mitgliedsbeitrag 2026 Mitglied 1042"


def test_thousands_dots_and_signs():
    entries = read_csv_camt(fixture_bytes()).entries
    assert entries[1].amount_cents == 125000
    assert entries[1].transactions[0].counterparty_name == "Jörg Weiß"  # cp1252 umlauts, ß
    assert entries[1].transactions[0].end_to_end_id == "SPENDE-2026-7"
    assert entries[2].amount_cents == -185000
    assert entries[2].transactions[0].counterparty_name == "Druckerei Schäfer GmbH"


def test_direct_debit_collection_carries_its_references():
    (tx,) = read_csv_camt(fixture_bytes()).entries[3].transactions
    assert tx.amount_cents == 4800
    assert tx.end_to_end_id == "BEITRAG-2026-1044"
    assert tx.mandate_reference == "M-1044"
    assert tx.creditor_id == "DE98ZZZ09999999999"


def test_returned_debit_separates_the_fee():
    entry = read_csv_camt(fixture_bytes()).entries[4]
    assert entry.booking_text == "RUECKLASTSCHRIFT"
    assert entry.amount_cents == -5100  # what left the account
    assert entry.bank_fee_cents == 300  # "Auslagenersatz Ruecklastschrift"
    (tx,) = entry.transactions
    assert tx.amount_cents == -4800  # the returned dues themselves
    assert tx.end_to_end_id == "BEITRAG-2026-1043"
    assert tx.mandate_reference == "M-1043"
    assert tx.amount_cents - entry.bank_fee_cents == entry.amount_cents


def test_fee_as_large_as_the_entry_is_not_split():
    data = with_field(5, "Auslagenersatz Ruecklastschrift", "51,00")
    entry = read_csv_camt(data).entries[4]
    assert entry.bank_fee_cents == 5100
    assert entry.transactions[0].amount_cents == -5100


def test_pending_row_is_kept_but_not_booked():
    statement = read_csv_camt(fixture_bytes())
    pending = statement.entries[7]
    assert pending.booked is False
    assert pending.amount_cents == -2380
    assert pending not in statement.booked


def test_pending_row_without_booking_day_uses_the_value_date():
    entry = read_csv_camt(with_field(8, "Buchungstag", "")).entries[7]
    assert entry.booked is False
    assert entry.booking_date == date(2026, 3, 11)


def test_booked_row_without_booking_day_is_refused():
    message = refused(with_field(1, "Buchungstag", ""))
    assert message == "Zeile 2: Das Feld „Buchungstag“ ist leer."


def test_four_digit_years_and_empty_value_date():
    data = with_field(1, "Buchungstag", "02.03.2026")
    data = build([*data.decode("cp1252").split("\r\n")[:-1]])
    entry = read_csv_camt(data).entries[0]
    assert entry.booking_date == date(2026, 3, 2)
    assert read_csv_camt(with_field(1, "Valutadatum", "")).entries[0].value_date is None


def test_identical_rows_get_different_stable_references():
    first = read_csv_camt(fixture_bytes())
    again = read_csv_camt(fixture_bytes())
    refs = [e.bank_reference for e in first.entries]
    assert refs == [e.bank_reference for e in again.entries]
    assert len(set(refs)) == len(refs)  # the two equal donations of Lisa Kühn differ
    assert all(len(ref) == 32 for ref in refs)


def test_reference_survives_a_later_export_with_more_rows():
    lines = fixture_lines()
    earlier = read_csv_camt(build(lines[:4]))  # header and the first three rows
    later = read_csv_camt(build(lines))
    assert [e.bank_reference for e in earlier.entries] == [
        e.bank_reference for e in later.entries[:3]
    ]


def test_reference_depends_on_the_row():
    changed = read_csv_camt(with_field(1, "Betrag", "60,01"))
    original = read_csv_camt(fixture_bytes())
    assert changed.entries[0].bank_reference != original.entries[0].bank_reference
    assert changed.entries[1].bank_reference == original.entries[1].bank_reference


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_utf8_export_reads_the_same(encoding):
    utf8 = read_csv_camt(build(fixture_lines(), encoding))
    assert utf8 == read_csv_camt(fixture_bytes())


def test_lf_line_endings_are_accepted():
    data = "\n".join(fixture_lines()).encode("cp1252")
    assert read_csv_camt(data) == read_csv_camt(fixture_bytes())


def test_header_compared_without_case_umlauts_or_order():
    lines = fixture_lines()
    header = split(lines[0])
    header[COLUMNS.index("Glaeubiger ID")] = "Gläubiger ID"
    header[COLUMNS.index("Waehrung")] = "WÄHRUNG"
    header[COLUMNS.index("Beguenstigter/Zahlungspflichtiger")] = "Begünstigter/Zahlungspflichtiger"
    lines[0] = join(header)
    assert read_csv_camt(build(lines)) == read_csv_camt(fixture_bytes())

    reordered = [join(list(reversed(split(line)))) for line in fixture_lines()]
    assert read_csv_camt(build(reordered)) == read_csv_camt(fixture_bytes())


def test_account_with_spaces_is_the_same_account():
    lines = fixture_lines()
    for i in range(1, len(lines)):
        fields = split(lines[i])
        fields[0] = "DE61 7605 0101 0012 3456 78"
        lines[i] = join(fields)
    assert read_csv_camt(build(lines)).iban == ACCOUNT


def test_quoted_field_with_line_break_and_semicolon():
    lines = replaced(fixture_lines(), 1, "Verwendungszweck", "Beitrag 2026;\r\nMitglied 1042")
    entry = read_csv_camt(build(lines)).entries[0]
    assert entry.transactions[0].purpose == "Beitrag 2026; Mitglied 1042"
    message = refused(build(replaced(lines, 3, "Betrag", "x")))
    assert message.startswith("Zeile 5:")  # row 3 starts on line 5: row 1 took two lines


# --- refusals ----------------------------------------------------------------------------


def test_refuses_empty_files():
    assert refused(b"") == "Die Datei ist leer."
    assert refused(b" \r\n\r\n") == "Die Datei ist leer."
    assert refused(build(fixture_lines()[:1])) == "Die Datei enthält keine Umsätze."


def test_refuses_another_banks_export():
    dkb = ['"Buchungsdatum";"Wertstellung";"Betrag (€)"', '"01.03.26";"01.03.26";"1,00"']
    message = refused(build(dkb))
    assert (
        message == "Die erste Zeile ist nicht die Kopfzeile eines CSV-CAMT-Exports der Sparkasse."
    )


def test_refuses_the_csv_mt940_export_with_a_hint():
    header = (
        '"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";'
        '"Beguenstigter/Zahlungspflichtiger";"Kontonummer";"BLZ";"Betrag";"Waehrung";"Info"'
    )
    message = refused(build([header]))
    assert "CSV-MT940" in message and "CSV-CAMT" in message


def test_refuses_a_missing_column_by_name():
    info = COLUMNS.index("Info")
    lines = [join(split(line)[:info] + split(line)[info + 1 :]) for line in fixture_lines()]
    assert refused(build(lines)) == "In der Kopfzeile fehlt die Spalte „Info“."


def test_refuses_several_missing_columns_by_name():
    lines = [join(split(line)[:15]) for line in fixture_lines()]
    assert refused(build(lines)) == "In der Kopfzeile fehlen die Spalten „Waehrung“, „Info“."


def test_refuses_an_extra_or_doubled_column():
    lines = [line + ';"x"' for line in fixture_lines()]
    lines[0] = lines[0].replace('"x"', '"Saldo"')
    assert refused(build(lines)) == "Die Kopfzeile enthält die unbekannte Spalte „Saldo“."
    lines[0] = fixture_lines()[0] + ';"Betrag"'
    assert refused(build(lines)) == "Die Spalte „Betrag“ kommt in der Kopfzeile doppelt vor."


def test_refuses_a_row_with_the_wrong_number_of_fields():
    lines = fixture_lines()
    lines[3] = join(split(lines[3])[:16])
    assert refused(build(lines)) == "Zeile 4 hat 16 statt 17 Spalten."


def test_refuses_broken_quoting():
    lines = fixture_lines()
    lines[2] = lines[2].replace('"GUTSCHR. UEBERWEISUNG"', '"GUTSCHR. "UEBERWEISUNG"')
    assert refused(build(lines)).startswith("Zeile 3 ist keine gültige CSV-Zeile")


@pytest.mark.parametrize("value", ["31.02.26", "2026-03-02", "2.3.26", "02.03.", "heute"])
def test_refuses_a_bad_date(value):
    message = refused(with_field(2, "Buchungstag", value))
    assert message == "Zeile 3: „Buchungstag“ ist kein gültiges Datum (erwartet: TT.MM.JJ)."
    assert value not in message


@pytest.mark.parametrize(
    "value", ["12,345", "1,234.56", "1.23,00", "12.34.56", "--5,00", "5 €", ""]
)
def test_refuses_a_bad_amount(value):
    message = refused(with_field(2, "Betrag", value))
    if value:
        assert message.startswith("Zeile 3: „Betrag“ ist kein gültiger Betrag")
    else:
        assert message == "Zeile 3: Das Feld „Betrag“ ist leer."


def test_refuses_a_bad_fee_or_original_amount():
    message = refused(with_field(5, "Auslagenersatz Ruecklastschrift", "3,001"))
    assert message.startswith("Zeile 6: „Auslagenersatz“ ist kein gültiger Betrag")
    message = refused(with_field(5, "Lastschrift Ursprungsbetrag", "abc"))
    assert message.startswith("Zeile 6: „Lastschrift Ursprungsbetrag“ ist kein gültiger Betrag")


def test_refuses_an_amount_above_the_ceiling():
    refused(with_field(2, "Betrag", "20.000.000,01"))
    assert read_csv_camt(with_field(2, "Betrag", "20.000.000,00")).entries[1].amount_cents == (
        MAX_CENTS
    )


def test_refuses_another_currency():
    message = refused(with_field(4, "Waehrung", "USD"))
    assert message == "Zeile 5: Die Währung „USD“ wird nicht unterstützt (nur EUR)."
    assert refused(with_field(4, "Waehrung", "")).startswith("Zeile 5: Die Währung „?“")


def test_refuses_two_accounts():
    message = refused(with_field(6, "Auftragskonto", "DE75120300001020304050"))
    assert message.startswith("Zeile 7 gehört zu einem anderen Konto als Zeile 2.")


def test_refuses_an_account_that_is_no_iban():
    message = refused(with_field(1, "Auftragskonto", "12345678"))
    assert message == "Zeile 2: Das Auftragskonto ist keine gültige IBAN."


def test_refuses_undecodable_bytes():
    data = fixture_bytes().replace("Müller".encode("cp1252"), b"M\x81ller")
    assert "weder Windows-1252 noch UTF-8" in refused(data)
    assert "UTF-8" in refused(codecs.BOM_UTF8 + fixture_bytes())  # BOM, then cp1252 bytes
    assert "Kodierung" in refused("\r\n".join(fixture_lines()).encode("utf-16"))


# --- amounts and whole files, for any input ----------------------------------------------


def german(cents: int, dots: bool, plus: bool, short: bool) -> str:
    """Format cents the way a German bank might: "-1.234,56", "+12,5", "1234,50"."""
    euros, rest = divmod(abs(cents), 100)
    whole = f"{euros:,}".replace(",", ".") if dots else str(euros)
    fraction = f"{rest:02d}"
    if short and fraction.endswith("0"):
        fraction = fraction[:1]
    sign = "-" if cents < 0 else ("+" if plus else "")
    return f"{sign}{whole},{fraction}"


@given(
    st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_any_german_amount_parses_exactly(cents, dots, plus, short):
    assert parse_german_amount(german(cents, dots, plus, short)) == cents


@given(st.text(alphabet="0123456789.,+- €e", max_size=20))
def test_any_amount_text_parses_exactly_or_is_refused(text):
    try:
        cents = parse_german_amount(text)
    except ValueError:
        return
    number = text.strip().lstrip("+-").replace(".", "").replace(",", ".")
    expected = Decimal(number) * 100
    if text.strip().startswith("-"):
        expected = -expected
    assert cents == expected
    assert abs(cents) <= MAX_CENTS


@given(st.text(max_size=20), st.text(max_size=12))
def test_any_field_value_is_read_or_refused_whole(amount, day):
    amount = amount.replace('"', "")
    lines = replaced(fixture_lines(), 2, "Betrag", amount)
    lines = replaced(lines, 3, "Buchungstag", day.replace('"', ""))
    try:
        statement = read_csv_camt(build(lines, "utf-8"))
    except StatementError as error:
        assert error.message
        return
    assert len(statement.entries) == 8
    assert statement.entries[1].amount_cents == parse_german_amount(amount)


@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(data):
    try:
        statement = read_csv_camt(data)
    except StatementError as error:
        assert error.message
    else:
        assert statement.entries
