"""The MT940 reader: old exports with the German structured :86: field, or a clear refusal."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportclub.banking.mt940 import parse_swift_amount, read_mt940
from supportclub.banking.statement import StatementError
from supportclub.money import MAX_CENTS

FILES = Path(__file__).parent / "files"
ACCOUNT = "DE61760501010012345678"
BANK_DATA = ["Anna Müller", "Schäfer", "Böhm", "Mitgliedsbeitrag", "DE7512030000", ACCOUNT]


def fixture_text() -> str:
    """The two-statement export as text (it is stored in Windows-1252 with CRLF)."""
    return (FILES / "mt940_two_statements.sta").read_bytes().decode("cp1252")


def read_text(text: str, encoding: str = "cp1252"):
    """Read an MT940 file given as text."""
    return read_mt940(text.encode(encoding))


def changed(old: str, new: str) -> bytes:
    """The fixture with one piece of text replaced (which must occur)."""
    text = fixture_text()
    assert old in text
    return text.replace(old, new, 1).encode("cp1252")


def refused(data: bytes) -> str:
    """Read ``data`` expecting a refusal; return the message, checked for leaked bank data."""
    with pytest.raises(StatementError) as caught:
        read_mt940(data)
    message = caught.value.message
    for secret in BANK_DATA:
        assert secret not in message
    return message


@pytest.fixture(scope="module")
def statements():
    """The fixture file, read once."""
    return read_mt940((FILES / "mt940_two_statements.sta").read_bytes())


# --- what a good export gives ------------------------------------------------------------


def test_two_statements_of_one_account(statements):
    first, second = statements
    assert [s.format for s in statements] == ["mt940", "mt940"]
    assert first.iban == second.iban == ACCOUNT  # BLZ/Kontonummer and IBAN: the same account
    assert [s.currency for s in statements] == ["EUR", "EUR"]
    assert [s.statement_id for s in statements] == ["00012/001", "00001/001"]
    assert (first.opening_cents, first.closing_cents) == (323456, 328256)
    assert (second.opening_cents, second.closing_cents) == (328256, 137806)
    assert (first.period_start, first.period_end) == (date(2025, 12, 30), date(2025, 12, 30))
    assert (second.period_start, second.period_end) == (date(2026, 1, 2), date(2026, 1, 2))
    assert [len(s.entries) for s in statements] == [3, 3]
    assert all(e.booked for s in statements for e in s.entries)
    for statement in statements:
        assert [e.position for e in statement.entries] == [1, 2, 3]
        total = sum(e.amount_cents for e in statement.entries)
        assert statement.opening_cents + total == statement.closing_cents


def test_credit_transfer_with_wrapped_purpose(statements):
    entry = statements[0].entries[0]
    assert entry.amount_cents == 6000
    assert entry.booking_text == "GUTSCHR. UEBERWEISUNG"
    assert entry.booking_date == entry.value_date == date(2025, 12, 30)
    (tx,) = entry.transactions
    assert tx.end_to_end_id is None  # EREF+NOTPROVIDED
    assert tx.purpose == "Mitgliedsbeitrag 2026 Mitglied 1042"
    assert tx.counterparty_name == "Anna Müller"  # never glued to the IBAN
    assert tx.counterparty_iban == "DE75120300001020304050"
    assert tx.counterparty_bic == "BYLADEM1001"


def test_direct_debit_with_keywords_spread_over_purpose_lines(statements):
    entry = statements[0].entries[1]
    assert entry.amount_cents == 4800
    assert entry.bank_reference == "0000451230000017"  # from :61: after //
    (tx,) = entry.transactions
    assert tx.end_to_end_id == "BEITRAG-2026-1044-JAHRESBEITRAG"  # continued from ?20 into ?21
    assert tx.mandate_reference == "M-1044"
    assert tx.creditor_id == "DE98ZZZ09999999999"
    assert tx.purpose == "Mitgliedsbeitrag 2026 Familie Weiß"  # ?24 (full) continues in ?25
    assert tx.counterparty_name == "Karl-Heinz Weiß-Schröder und Helga Weiß"  # ?32 + ?33
    assert tx.counterparty_iban == "DE96500105175432112345"
    assert tx.bank_reference == "0000451230000017"


def test_reversal_of_a_credit_is_a_debit(statements):
    entry = statements[0].entries[2]
    assert entry.reversal is True
    assert entry.amount_cents == -6000  # RC: the credit of 60,00 taken back
    assert entry.booking_text == "STORNO GUTSCHRIFT"
    assert entry.transactions[0].purpose == "Storno Doppelbuchung"


def test_reversal_of_a_debit_is_a_credit():
    data = changed(":61:2601020102D3,50NCHGNONREF", ":61:2601020102RD3,50NCHGNONREF")
    entry = read_mt940(data)[1].entries[2]
    assert (entry.reversal, entry.amount_cents) == (True, 350)


def test_entry_date_in_the_next_year(statements):
    entry = statements[1].entries[0]
    assert entry.value_date == date(2025, 12, 31)
    assert entry.booking_date == date(2026, 1, 2)  # "0102" after a value date in December
    assert entry.amount_cents == -185000
    assert entry.transactions[0].purpose == "Rechnung 2025-118 Festschrift"
    assert entry.transactions[0].end_to_end_id == "RECHNUNG-2025-118"
    assert entry.transactions[0].counterparty_name == "Druckerei Schäfer GmbH"


def test_entry_date_in_the_previous_year():
    data = changed(":61:2601020102D51,00", ":61:2601021231D51,00")
    entry = read_mt940(data)[1].entries[1]
    assert (entry.value_date, entry.booking_date) == (date(2026, 1, 2), date(2025, 12, 31))


def test_entry_date_of_a_leap_day():
    data = changed(":61:2601020102D51,00", ":61:2403010229D51,00")
    entry = read_mt940(data)[1].entries[1]
    assert (entry.value_date, entry.booking_date) == (date(2024, 3, 1), date(2024, 2, 29))


def test_returned_debit(statements):
    entry = statements[1].entries[1]
    assert entry.booking_text == "RUECKLASTSCHRIFT"
    assert entry.amount_cents == -5100
    assert entry.bank_fee_cents == 300  # COAM+3,00
    (tx,) = entry.transactions
    assert tx.amount_cents == -4800  # OAMT+48,00
    assert tx.end_to_end_id == "BEITRAG-2026-1043/2026"  # a full ?20 ...
    assert tx.mandate_reference == "M-1043"  # ... and MREF+ right at the start of ?21
    assert tx.purpose == "Mitgliedsbeitrag 2026"  # ABWA+ is not part of the purpose
    assert tx.return_reason == "AC04"
    assert tx.counterparty_name == "Hans Günther Böhm"


def test_returned_debit_with_only_the_original_amount():
    entry = read_mt940(changed("?23COAM+3,00", "?23"))[1].entries[1]
    assert (entry.bank_fee_cents, entry.transactions[0].amount_cents) == (300, -4800)


def test_free_text_details_and_statement_level_information(statements):
    entry = statements[1].entries[2]
    assert entry.amount_cents == -350
    assert entry.booking_text == ""
    (tx,) = entry.transactions
    assert tx.purpose == "Entgelt Kontofuehrung Dezember 2025"  # not the :86: after :62F:
    assert tx.counterparty_iban is None and tx.counterparty_name == ""


def test_free_text_starting_with_digits_is_not_taken_for_structure():
    data = changed(":86:Entgelt Kontofuehrung", ":86:100% Entgelt Kontofuehrung")
    tx = read_mt940(data)[1].entries[2].transactions[0]
    assert tx.purpose == "100% Entgelt Kontofuehrung Dezember 2025"


def test_sepa_keywords_in_free_text():
    data = changed(
        ":86:Entgelt Kontofuehrung Dezember 2025",
        ":86:EREF+E-77 MREF+M-9 SVWZ+Beitrag 2026 Mitglied 1042",
    )
    tx = read_mt940(data)[1].entries[2].transactions[0]
    assert (tx.end_to_end_id, tx.mandate_reference) == ("E-77", "M-9")
    assert tx.purpose == "Beitrag 2026 Mitglied 1042"


def test_references_are_stable_and_unique(statements):
    again = read_mt940((FILES / "mt940_two_statements.sta").read_bytes())
    refs = [e.bank_reference for s in statements for e in s.entries]
    assert refs == [e.bank_reference for s in again for e in s.entries]
    assert len(set(refs)) == len(refs)
    assert len(statements[0].entries[0].bank_reference) == 32  # NONREF: a digest


def test_a_bank_reference_used_twice_is_not_used_alone():
    data = changed("//0000451230000018", "//0000451230000017")
    first = read_mt940(data)[0]
    refs = [e.bank_reference for e in first.entries[1:]]
    assert "0000451230000017" not in refs
    assert len(set(refs)) == 2
    assert first.entries[1].transactions[0].bank_reference == "0000451230000017"


def test_balance_mismatch_is_reported_not_refused():
    statement = read_mt940(changed(":62F:C251230EUR3282,56", ":62F:C251230EUR3282,57"))[0]
    assert statement.closing_cents == 328257
    assert statement.opening_cents + sum(e.amount_cents for e in statement.entries) == 328256


def test_debit_balances_are_negative():
    statement = read_mt940(changed(":60F:C251229EUR3234,56", ":60F:D251229EUR10,"))[0]
    assert statement.opening_cents == -1000


def test_utf8_and_swift_blocks():
    text = fixture_text().replace("\r\n", "\n")
    wrapped = "{1:F01SSKNDE77AXXX0000000000}{2:O940}{4:\n" + text.rstrip("-\n") + "\n-}"
    assert read_text(wrapped, "utf-8") == read_mt940(
        (FILES / "mt940_two_statements.sta").read_bytes()
    )


def test_old_account_number_of_the_counterparty_becomes_an_iban():
    data = changed(
        "?30SSKNDE77XXX?31DE67760501019988\r\n776655",
        "?3076050101?31\r\n9988776655",
    )
    tx = read_mt940(data)[1].entries[0].transactions[0]
    assert tx.counterparty_iban == "DE67760501019988776655"
    assert tx.counterparty_bic is None  # a BLZ is no BIC


def test_account_with_currency_suffix():
    data = changed(":25:DE61760501010012345678", ":25:DE61760501010012345678EUR")
    assert read_mt940(data)[1].iban == ACCOUNT


# --- refusals ----------------------------------------------------------------------------


def test_refuses_a_missing_account():
    message = refused(changed(":25:DE61760501010012345678\r\n", ""))
    assert message == "Auszug 2 (ab Zeile 20): Das Feld :25: fehlt."


def test_refuses_missing_balances():
    assert "Das Feld :60F: fehlt" in refused(changed(":60F:C251229EUR3234,56\r\n", ""))
    assert "Das Feld :62F: fehlt" in refused(changed(":62F:C260102EUR1378,06\r\n", ""))


@pytest.mark.parametrize(
    "line",
    [
        ":61:2512301230X60,00NMSCNONREF",  # no C/D mark
        ":61:2512301230C60,001NMSCNONREF",  # three decimals
        ":61:2512301230C60.00NMSCNONREF",  # a point, not a comma
        ":61:2513301230C60,00NMSCNONREF",  # month 13
        ":61:2512301232C60,00NMSCNONREF",  # entry date 32.12.
        ":61:2512301230C60,00",  # no transaction type
    ],
)
def test_refuses_a_broken_61_line(line):
    message = refused(changed(":61:2512301230C60,00NMSCNONREF", line))
    assert message.startswith("Auszug 1, Umsatz 1 (Zeile 5): Die Umsatzzeile :61: ist ungültig")


def test_refuses_a_broken_balance():
    message = refused(changed(":62F:C251230EUR3282,56", ":62F:C251230EUR3.282,56"))
    assert message == "Auszug 1, Zeile 18: Der Saldo (:62F:) ist ungültig."


def test_refuses_another_currency():
    message = refused(changed(":60F:C251230EUR3282,56", ":60F:C251230USD3282,56"))
    assert message == "Auszug 2, Zeile 23: Nur Konten in EUR werden unterstützt."


def test_refuses_two_accounts():
    message = refused(changed(":25:DE61760501010012345678", ":25:DE75120300001020304050"))
    assert message.startswith("Auszug 2 gehört zu einem anderen Konto als Auszug 1.")


def test_refuses_an_unreadable_account():
    message = refused(changed(":25:76050101/0012345678", ":25:Vereinskonto"))
    assert "weder eine IBAN noch Bankleitzahl/Kontonummer" in message


def test_refuses_a_doubled_field():
    message = refused(
        changed(":28C:00012/001\r\n", ":28C:00012/001\r\n:25:DE61760501010012345678\r\n")
    )
    assert message == "Auszug 1, Zeile 4: Das Feld :25: kommt doppelt vor."


def test_refuses_files_that_are_not_mt940():
    assert refused(b"") == "Die Datei ist leer."
    assert (
        refused(b"Kontoauszug\r\nnichts hier\r\n") == "Die Datei enthält keinen MT940-Kontoauszug."
    )
    csv = (FILES / "csv_camt_v8.csv").read_bytes()
    assert refused(csv) == "Die Datei enthält keinen MT940-Kontoauszug."
    message = refused(b":25:DE61760501010012345678\r\n:20:STARTUMSE\r\n")
    assert message.startswith("Zeile 1: Vor dem ersten Auszug fehlt das Feld :20:")
    assert "weder Windows-1252 noch UTF-8" in refused(b":20:STARTUMSE\r\n:86:\x81\x8d\r\n")


# --- any input ---------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=MAX_CENTS), st.booleans())
def test_any_swift_amount_parses_exactly(cents, short):
    euros, rest = divmod(cents, 100)
    text = f"{euros}," if short and rest == 0 else f"{euros},{rest:02d}"
    assert parse_swift_amount(text) == cents


@given(st.text(alphabet="0123456789,.- ", max_size=20))
def test_any_swift_amount_text_parses_or_is_refused(text):
    try:
        cents = parse_swift_amount(text)
    except ValueError:
        return
    whole, _comma, fraction = text.partition(",")
    assert cents == int(whole) * 100 + int((fraction + "00")[:2])


@given(st.lists(st.sampled_from(fixture_text().split("\r\n")), max_size=30))
def test_any_mix_of_lines_is_read_or_refused_whole(lines):
    try:
        statements = read_text("\r\n".join(lines))
    except StatementError as error:
        assert error.message
        return
    assert all(s.iban == ACCOUNT for s in statements)


@given(st.text(max_size=200))
def test_any_details_text_is_read(text):
    details = ":86:" + "".join(text.splitlines())
    data = fixture_text().replace(":86:Entgelt Kontofuehrung Dezember 2025", details)
    try:
        statements = read_mt940(data.encode("utf-8"))
    except StatementError as error:  # e.g. a NUL character: not a text file
        assert error.message
        return
    assert len(statements[1].entries) == 3
    assert isinstance(statements[1].entries[2].transactions[0].purpose, str)


@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(data):
    try:
        statements = read_mt940(data)
    except StatementError as error:
        assert error.message
    else:
        assert statements
