"""camt.053 reader: what a treasurer sees from a bank's XML statement, and what is refused."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from supportclub.banking.camt import read_camt
from supportclub.banking.statement import StatementError

FILES = Path(__file__).parent / "files"
OWN_IBAN = "DE89370400440532013000"
NS_02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
NS_08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def load(name: str) -> bytes:
    """The bytes of a fixture file."""
    return (FILES / name).read_bytes()


def text_of(name: str) -> str:
    """A UTF-8 fixture as text, for variants made by replacing one piece."""
    return load(name).decode("utf-8")


def variant(name: str, old: str, new: str, count: int = 1) -> bytes:
    """The fixture with ``old`` replaced by ``new`` (which must be there)."""
    text = text_of(name)
    assert old in text, old
    return text.replace(old, new, count).encode("utf-8")


def refused(data: bytes) -> str:
    """The message with which ``data`` is refused."""
    with pytest.raises(StatementError) as caught:
        read_camt(data)
    return caught.value.message


@pytest.fixture(scope="module")
def v02():
    """The camt.053.001.02 fixture, read once."""
    (statement,) = read_camt(load("camt_053_001_02.xml"))
    return statement


@pytest.fixture(scope="module")
def v08():
    """The camt.053.001.08 fixture, read once."""
    (statement,) = read_camt(load("camt_053_001_08.xml"))
    return statement


# --- camt.053.001.02 -------------------------------------------------------------------------


def test_02_statement_header(v02):
    """Account, period, balances and the bank's statement id are read."""
    assert v02.format == "camt.053.001.02"
    assert v02.iban == OWN_IBAN
    assert v02.currency == "EUR"
    assert (v02.period_start, v02.period_end) == (date(2026, 3, 2), date(2026, 3, 2))
    assert (v02.opening_cents, v02.closing_cents) == (100000, 99365)
    assert v02.statement_id == "0352C5320260303062540"
    assert [e.position for e in v02.entries] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_02_booked_entries_lead_from_opening_to_closing_balance(v02):
    """Opening balance plus the booked entries gives the closing balance (pending ones excluded)."""
    assert len(v02.booked) == 7
    assert v02.opening_cents + sum(e.amount_cents for e in v02.booked) == v02.closing_cents


def test_02_credit_transfer_joins_remittance_lines(v02):
    """Repeated Ustrd lines are stripped and joined; NOTPROVIDED is no reference."""
    entry = v02.entries[0]
    assert entry.amount_cents == 6000
    assert entry.booked and not entry.reversal
    assert entry.booking_date == entry.value_date == date(2026, 3, 2)
    assert entry.bank_reference == "2026030200001"
    assert entry.booking_text == "GUTSCHR. UEBERWEISUNG"
    (tx,) = entry.transactions
    assert tx.amount_cents == 6000
    assert tx.end_to_end_id is None
    assert tx.purpose == "Mitgliedsbeitrag 2026 Mitgl.-Nr. 1042"
    assert tx.counterparty_name == "Jürgen Müller"  # the Dbtr of a credit
    assert tx.counterparty_iban == "DE57500105175407324600"
    assert tx.counterparty_bic == "INGDDEFFXXX"


def test_02_debit_names_the_creditor_and_reads_a_date_time(v02):
    """A debit's counterparty is the Cdtr; a DtTm booking date gives its calendar day."""
    entry = v02.entries[1]
    assert entry.amount_cents == -12345
    assert entry.booking_date == date(2026, 3, 2)
    (tx,) = entry.transactions
    assert tx.amount_cents == -12345
    assert tx.counterparty_name == "Schreibwaren Köhler GmbH"
    assert tx.counterparty_iban == "DE77100100100123456789"
    assert tx.counterparty_bic == "PBNKDEFFXXX"
    assert tx.end_to_end_id == "RE-2026-0815"


def test_02_batch_that_adds_up_is_split(v02):
    """The association's collection (95 €) splits into its three direct debits."""
    entry = v02.entries[2]
    assert entry.amount_cents == 9500
    assert entry.is_batch
    assert [tx.amount_cents for tx in entry.transactions] == [5000, 2500, 2000]
    assert [tx.end_to_end_id for tx in entry.transactions] == [
        "BEITRAG-2026-1042",
        "BEITRAG-2026-1043",
        "BEITRAG-2026-1044",
    ]
    assert [tx.mandate_reference for tx in entry.transactions] == ["M-1042", "M-1043", "M-1044"]
    assert [tx.counterparty_name for tx in entry.transactions] == [
        "Anna Schmidt",
        "Günther Öztürk",
        "Claudia Weißenböck",
    ]
    assert entry.transactions[0].creditor_id == "DE98ZZZ09999999999"
    assert entry.transactions[1].purpose == "Mitgliedsbeitrag 2026 Mitgl.-Nr. 1043 ermäßigt"


def test_02_batch_that_does_not_add_up_stays_one_transaction(v02):
    """Details of 50 € + 25 € under an 80 € entry: one 80 € transaction with the first details."""
    entry = v02.entries[3]
    assert entry.amount_cents == 8000
    assert not entry.is_batch
    (tx,) = entry.transactions
    assert tx.amount_cents == 8000
    assert tx.end_to_end_id == "SPENDE-2026-0007"
    assert tx.counterparty_name == "Familie Bäcker"
    assert tx.purpose == "Spende Schulfest"


def test_02_returned_direct_debit_with_reason_and_fee(v02):
    """A return (AC04) names the member, not the association, and carries the bank's fee."""
    entry = v02.entries[4]
    assert entry.amount_cents == -5300
    assert entry.bank_fee_cents == 300
    assert entry.booking_text == "RUECKLASTSCHRIFT"
    (tx,) = entry.transactions
    assert tx.amount_cents == -5300
    assert tx.return_reason == "AC04"
    assert tx.end_to_end_id == "BEITRAG-2026-1077"
    assert tx.mandate_reference == "M-1077"
    assert tx.creditor_id == "DE98ZZZ09999999999"
    assert tx.counterparty_name == "Sören Weiß"
    assert tx.counterparty_iban == "DE65200411330556677889"
    assert tx.counterparty_bic == "COBADEHD001"
    assert tx.bank_reference == "RL-2026-0302-77"


def test_02_reversal_keeps_its_sign(v02):
    """RvslInd marks the entry; the sign still comes from CdtDbtInd."""
    entry = v02.entries[5]
    assert entry.reversal
    assert entry.amount_cents == -6000
    assert entry.value_date == date(2026, 2, 27)
    (tx,) = entry.transactions
    # the bank repeats the original parties: the Cdtr is the association itself
    assert tx.counterparty_name == "Jürgen Müller"
    assert tx.counterparty_iban == "DE57500105175407324600"
    assert tx.purpose == ""  # "NOTPROVIDED"


def test_02_pending_entry_is_kept_but_not_booked(v02):
    """A PDNG entry is shown (booked=False) and dated by its value date."""
    entry = v02.entries[6]
    assert not entry.booked
    assert entry not in v02.booked
    assert entry.amount_cents == 1500
    assert entry.booking_date == entry.value_date == date(2026, 3, 3)
    assert entry.bank_reference is None


def test_02_entry_without_details_gets_one_transaction(v02):
    """The bank's charge has no TxDtls: one transaction with the entry's amount and text."""
    entry = v02.entries[7]
    assert entry.amount_cents == -490
    assert entry.booking_text == "ENTGELTABSCHLUSS"
    (tx,) = entry.transactions
    assert tx.amount_cents == -490
    assert tx.purpose == "ENTGELTABSCHLUSS"
    assert tx.counterparty_name == ""
    assert tx.counterparty_iban is None


# --- camt.053.001.08 -------------------------------------------------------------------------


def test_08_statement_header_uses_previous_closing_as_opening(v08):
    """PRCD serves as the opening balance when there is no OPBD."""
    assert v08.format == "camt.053.001.08"
    assert v08.iban == OWN_IBAN
    assert (v08.opening_cents, v08.closing_cents) == (99365, 130045)
    assert (v08.period_start, v08.period_end) == (date(2026, 3, 3), date(2026, 3, 3))
    assert v08.statement_id == "20260303-DE89-0043"
    assert v08.opening_cents + sum(e.amount_cents for e in v08.booked) == v08.closing_cents


def test_08_credit_with_party_name_bicfi_and_date_time(v08):
    """Name in Dbtr/Pty/Nm, BIC in BICFI, IBAN without spaces, DtTm booking date."""
    entry = v08.entries[0]
    assert entry.amount_cents == 25000
    assert entry.booking_date == date(2026, 3, 3)
    assert entry.booking_text == "SEPA-GUTSCHRIFT"
    (tx,) = entry.transactions
    assert tx.counterparty_name == "Dr. Angelika Groß-Brückner"
    assert tx.counterparty_iban == "DE18430609671234567800"
    assert tx.counterparty_bic == "GENODEM1GLS"
    assert tx.end_to_end_id == "SPENDE-2026-03"
    assert tx.bank_reference == "TX-2026030310000017"
    assert tx.purpose == "Spende Schulgarten – Hochbeete"


def test_08_debit_with_escaped_name_and_two_remittance_lines(v08):
    """XML escapes are undone; repeated Ustrd joined with one space."""
    (tx,) = v08.entries[1].transactions
    assert tx.amount_cents == -3570
    assert tx.counterparty_name == "Bäckerei Öztürk & Söhne"
    assert tx.purpose == "Rechnung 2026-117 Brezeln Sommerfest"


def test_08_batch_with_detail_amounts_is_split(v08):
    """TxDtls/Amt of 60 + 40 + 20 under a 120 € entry: three transactions."""
    entry = v08.entries[2]
    assert entry.is_batch
    assert [tx.amount_cents for tx in entry.transactions] == [6000, 4000, 2000]
    assert [tx.mandate_reference for tx in entry.transactions] == ["M-1101", "M-1102", "M-1103"]
    assert entry.transactions[0].creditor_id == "DE98ZZZ09999999999"
    assert entry.transactions[0].counterparty_name == "Mehmet Yılmaz"


def test_08_return_with_charges_in_the_details(v08):
    """MD06 return; the fee comes from TxDtls/Chrgs/TtlChrgsAndTaxAmt."""
    entry = v08.entries[3]
    assert entry.amount_cents == -2750
    assert entry.bank_fee_cents == 250
    (tx,) = entry.transactions
    assert tx.amount_cents == -2750
    assert tx.return_reason == "MD06"
    assert tx.counterparty_name == "Hans-Jürgen Schäfer"
    assert tx.counterparty_bic == "SSKMDEMMXXX"


def test_08_fee_from_charge_records_without_total():
    """Without TtlChrgsAndTaxAmt the charge records are added up."""
    data = variant(
        "camt_053_001_08.xml", '<TtlChrgsAndTaxAmt Ccy="EUR">2.50</TtlChrgsAndTaxAmt>', ""
    )
    (statement,) = read_camt(data)
    assert statement.entries[3].bank_fee_cents == 250


def test_charges_of_an_ordinary_entry_are_no_return_fee():
    """Chrgs on a normal transfer do not make a return fee."""
    data = variant(
        "camt_053_001_02.xml",
        "<NtryDtls>",
        '<Chrgs><Amt Ccy="EUR">1.00</Amt></Chrgs><NtryDtls>',
    )
    (statement,) = read_camt(data)
    assert statement.entries[0].bank_fee_cents == 0


def test_batch_with_a_foreign_currency_detail_is_not_split():
    """A detail without a euro amount cannot be added up: the entry stays whole."""
    data = variant(
        "camt_053_001_08.xml", '<Amt Ccy="EUR">60.00</Amt>', '<Amt Ccy="CHF">58.00</Amt>'
    )
    (statement,) = read_camt(data)
    entry = statement.entries[2]
    assert [tx.amount_cents for tx in entry.transactions] == [12000]
    assert entry.transactions[0].mandate_reference == "M-1101"


def test_version_04_namespace_is_read():
    """Any camt.053.001.NN namespace is accepted; the format names the version."""
    (statement,) = read_camt(variant("camt_053_001_02.xml", NS_02, NS_02[:-2] + "04", count=2))
    assert statement.format == "camt.053.001.04"
    assert len(statement.entries) == 8
    assert statement.closing_cents == 99365


def test_booking_text_falls_back_to_the_bank_code():
    """Without AddtlNtryInf the proprietary bank transaction code is the booking text."""
    data = variant("camt_053_001_02.xml", "<AddtlNtryInf>ONLINE-UEBERWEISUNG</AddtlNtryInf>", "")
    (statement,) = read_camt(data)
    assert statement.entries[1].booking_text == "NMSC+116+9310"


def test_creditor_scheme_id_element_is_read():
    """A bank that writes CdtrSchmeId in the details: that is the creditor identifier."""
    data = variant(
        "camt_053_001_02.xml",
        "<RmtInf>\n              <Ustrd>Mitgliedsbeitrag 2026 Mitgl.-Nr. 1044</Ustrd>",
        "<CdtrSchmeId><Id><PrvtId><Othr><Id>DE98ZZZ09999999999</Id></Othr></PrvtId></Id>"
        "</CdtrSchmeId><RmtInf><Ustrd>Mitgliedsbeitrag 2026 Mitgl.-Nr. 1044</Ustrd>",
    )
    (statement,) = read_camt(data)
    assert statement.entries[2].transactions[2].creditor_id == "DE98ZZZ09999999999"


def test_opening_balance_prefers_opbd_and_debit_balances_are_negative():
    """OPBD wins over PRCD; a DBIT balance is an overdraft (negative)."""
    data = variant(
        "camt_053_001_08.xml",
        "<Cd>CLBD</Cd>",
        '<Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">12.34</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        "<Dt><Dt>2026-03-03</Dt></Dt></Bal><Bal><Tp><CdOrPrtry><Cd>CLBD</Cd>",
    )
    (statement,) = read_camt(data)
    assert statement.opening_cents == -1234
    assert statement.closing_cents == 130045


def test_several_statements_in_one_document():
    """Two Stmt of the same account: two statements, positions counted per statement."""
    text = text_of("camt_053_001_08.xml")
    start, end = text.index("<Stmt>"), text.index("</Stmt>") + len("</Stmt>")
    data = (text[:end] + text[start:end] + text[end:]).encode("utf-8")
    first, second = read_camt(data)
    assert first.iban == second.iban == OWN_IBAN
    assert [e.position for e in second.entries] == [1, 2, 3, 4]


def test_second_statement_is_named_in_a_message():
    """An error in the second statement says "Auszug 2"."""
    text = text_of("camt_053_001_08.xml")
    start, end = text.index("<Stmt>"), text.index("</Stmt>") + len("</Stmt>")
    broken = text[start:end].replace("<CdtDbtInd>DBIT</CdtDbtInd>", "", 1)
    message = refused((text[:end] + broken + text[end:]).encode("utf-8"))
    assert message.startswith("Auszug 2, Buchung 2: ")
    assert "CdtDbtInd" in message


def test_statements_of_two_accounts_in_one_document_are_refused():
    """One file, one account."""
    text = text_of("camt_053_001_08.xml")
    start, end = text.index("<Stmt>"), text.index("</Stmt>") + len("</Stmt>")
    other = text[start:end].replace(OWN_IBAN, "DE57500105175407324600")
    message = refused((text[:end] + other + text[end:]).encode("utf-8"))
    assert message == "Die Datei enthält Auszüge mehrerer Konten."


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["camt_refuse_dtd.xml", "camt_refuse_external_entity.xml", "camt_refuse_billion_laughs.xml"],
)
def test_dtd_and_entities_are_refused(name):
    """defusedxml: a DTD, an external entity or an entity bomb is never expanded."""
    message = refused(load(name))
    assert message.startswith("Die Datei enthält eine DTD")
    assert "passwd" not in message


@pytest.mark.parametrize(
    ("name", "message_type"),
    [("camt_052_001_08.xml", "camt.052.001.08"), ("camt_054_001_08.xml", "camt.054.001.08")],
)
def test_other_camt_messages_are_refused_by_name(name, message_type):
    """camt.052 (intraday) and camt.054 (notification) are not statements."""
    message = refused(load(name))
    assert message_type in message
    assert "camt.053" in message


def test_a_direct_debit_file_is_refused_by_name():
    """Uploading the association's own pain.008 says what it is."""
    data = variant("camt_053_001_08.xml", NS_08, "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08")
    assert "pain.008.001.08 (Lastschrifteinreichung)" in refused(data)


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body>Kontoauszug</body></html>",
        b'<Document xmlns="urn:example:bank"><Stmt/></Document>',
        b"<Document><BkToCstmrStmt/></Document>",
    ],
)
def test_unknown_xml_is_refused(data):
    """XML that is no ISO 20022 message."""
    assert "kein Kontoauszug im Format camt.053" in refused(data)


def test_document_without_statement_is_refused():
    """A camt.053 document with no Stmt has nothing to import."""
    data = f'<Document xmlns="{NS_08}"><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>'
    assert "keinen Kontoauszug" in refused(data.encode())


def test_foreign_currency_account_is_refused():
    """Only euro accounts: a USD statement is refused, naming the currency."""
    text = text_of("camt_053_001_08.xml").replace('Ccy="EUR"', 'Ccy="USD"')
    message = refused(text.replace("<Ccy>EUR</Ccy>", "<Ccy>USD</Ccy>").encode())
    assert message == (
        "Kontoauszug: Die Währung ist USD; es können nur Euro-Konten eingelesen werden."
    )


def test_foreign_currency_entry_is_refused():
    """A single entry in another currency refuses the file and names the entry."""
    data = variant(
        "camt_053_001_08.xml", '<Amt Ccy="EUR">35.70</Amt>', '<Amt Ccy="USD">35.70</Amt>'
    )
    assert refused(data).startswith("Buchung 2: Die Währung ist USD")


def test_broken_xml_names_the_line():
    """A mismatched tag is refused with its line number."""
    text = text_of("camt_053_001_02.xml")
    line = text[: text.index("<Sts>BOOK</Sts>")].count("\n") + 1
    message = refused(text.replace("<Sts>BOOK</Sts>", "<Sts>BOOK</Stts>", 1).encode())
    assert message.startswith("Die XML-Datei ist fehlerhaft")
    assert f"Zeile {line}," in message


def test_truncated_file_is_refused():
    """A download that broke off in the middle."""
    data = load("camt_053_001_08.xml")
    assert "fehlerhaft" in refused(data[: len(data) // 2])


def test_unknown_encoding_is_refused():
    """An encoding declaration Python does not know."""
    data = variant("camt_053_001_08.xml", 'encoding="UTF-8"', 'encoding="x-bank-7bit"')
    assert refused(data) == "Die Zeichenkodierung der XML-Datei ist unbekannt."


def test_latin1_document_is_read():
    """An ISO-8859-1 declaration with matching bytes is read correctly."""
    text = text_of("camt_053_001_02.xml").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    (statement,) = read_camt(text.encode("latin-1"))
    assert statement.entries[0].transactions[0].counterparty_name == "Jürgen Müller"


def test_empty_file_is_refused():
    """Nothing to read."""
    assert "fehlerhaft" in refused(b"")


AMOUNT_02 = '<Amt Ccy="EUR">123.45</Amt>'  # entry 2's amount (its first occurrence)


@pytest.mark.parametrize(
    ("amount_xml", "expected"),
    [
        ("", "Buchung 2: Der Betrag (Amt) fehlt."),
        ('<Amt Ccy="EUR"> </Amt>', "Buchung 2: Der Betrag (Amt) fehlt."),
        (
            '<Amt Ccy="EUR">123.456</Amt>',
            "Buchung 2: Der Betrag hat mehr als zwei Nachkommastellen.",
        ),
        (
            '<Amt Ccy="EUR">-123.45</Amt>',
            "Buchung 2: Der Betrag ist negativ; das Vorzeichen steht in camt.053 "
            "im Feld CdtDbtInd.",
        ),
        ('<Amt Ccy="EUR">123,45</Amt>', "Buchung 2: Der Betrag ist keine gültige Zahl."),
        ('<Amt Ccy="EUR">1.2e2</Amt>', "Buchung 2: Der Betrag ist keine gültige Zahl."),
        ('<Amt Ccy="EUR">NaN</Amt>', "Buchung 2: Der Betrag ist keine gültige Zahl."),
        ('<Amt Ccy="EUR">20000000.01</Amt>', "Buchung 2: Der Betrag ist zu groß."),
    ],
)
def test_bad_entry_amounts_are_refused(amount_xml, expected):
    """Each broken amount refuses the file, naming the entry but not the value."""
    message = refused(variant("camt_053_001_02.xml", AMOUNT_02, amount_xml))
    assert message == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "<CdtDbtInd>DBIT</CdtDbtInd>",
            "<CdtDbtInd>DEBIT</CdtDbtInd>",
            "Buchung 2: Das Soll/Haben-Kennzeichen (CdtDbtInd) fehlt oder ist ungültig.",
        ),
        ("<Sts>BOOK</Sts>", "", "Buchung 1: Der Buchungsstatus (Sts) fehlt."),
        (
            "<BookgDt>\n          <Dt>2026-03-02</Dt>\n        </BookgDt>",
            "",
            "Buchung 1: Das Buchungsdatum (BookgDt) fehlt.",
        ),
        ("<Dt>2026-03-02</Dt>\n        </BookgDt>", "<Dt>2026-02-30</Dt></BookgDt>", None),
        ("<DtTm>2026-03-02T14:31:07.000+01:00</DtTm>", "<DtTm>02.03.2026 14:31</DtTm>", None),
        ("<IBAN>DE89370400440532013000</IBAN>", "", "Kontoauszug: Die IBAN des Kontos fehlt."),
        (
            "<IBAN>DE89370400440532013000</IBAN>",
            "<IBAN>DE89370400440532013001</IBAN>",
            "Kontoauszug: Die IBAN des Kontos ist ungültig.",
        ),
        (
            '<Amt Ccy="EUR">1000.00</Amt>',
            '<Amt Ccy="EUR">1000.001</Amt>',
            "Saldo OPBD: Der Betrag hat mehr als zwei Nachkommastellen.",
        ),
        (
            '<Amt Ccy="EUR">50.00</Amt>',
            '<Amt Ccy="EUR">50.005</Amt>',
            "Buchung 3, Einzelumsatz 1: Der Betrag hat mehr als zwei Nachkommastellen.",
        ),
    ],
)
def test_broken_fields_are_refused_with_their_place(old, new, expected):
    """Each broken field refuses the whole file and names where it is."""
    message = refused(variant("camt_053_001_02.xml", old, new))
    if expected is None:
        assert message.startswith("Buchung ")
        assert "ungültig" in message
    else:
        assert message == expected


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<Nm>Jürgen Müller</Nm>", "<Nm>Jürgen Müller</Nm><Nm>"),
        (AMOUNT_02, '<Amt Ccy="EUR">98765.4321</Amt>'),
        ("<IBAN>DE89370400440532013000</IBAN>", "<IBAN>DE00123456789</IBAN>"),
        ("<BookgDt>\n          <Dt>2026-03-02</Dt>", "<BookgDt><Dt>Müller</Dt>"),
    ],
)
def test_messages_never_echo_bank_data(old, new):
    """Names, IBANs, amounts and other values from the file stay out of the message."""
    message = refused(variant("camt_053_001_02.xml", old, new))
    for secret in ("Müller", "98765", "DE00123456789", "DE8937", "Jürgen"):
        assert secret not in message


# --- property tests --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.+-eE, ", max_size=14))
@example("0")
@example("0.1")
@example(".5")
@example("7.")
@example("+12.30")
@example("12.340")
def test_any_amount_text_is_exact_or_refused(text):
    """Whatever the Amt says, the entry is its exact cents or the file is refused."""
    data = variant("camt_053_001_02.xml", AMOUNT_02, f'<Amt Ccy="EUR">{text}</Amt>')
    try:
        (statement,) = read_camt(data)
    except StatementError as error:
        assert error.message.startswith("Buchung 2: ")
        return
    cents = statement.entries[1].amount_cents
    assert Decimal(text.strip()) * 100 == -cents


@settings(max_examples=100, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("20000000.00"), places=2))
def test_any_two_place_amount_is_read_exactly(value):
    """Every euro amount up to the ceiling is read to the exact cent."""
    amount = f'<Amt Ccy="EUR">{value:f}</Amt>'
    (statement,) = read_camt(variant("camt_053_001_02.xml", AMOUNT_02, amount))
    assert statement.entries[1].amount_cents == -int(value * 100)
    assert statement.entries[1].transactions[0].amount_cents == -int(value * 100)


@settings(max_examples=100, deadline=None)
@given(st.dates())
def test_any_calendar_date_is_read(day):
    """Every valid date in Dt is read as that day."""
    old = "<BookgDt>\n          <Dt>2026-03-02</Dt>"
    data = variant("camt_053_001_02.xml", old, f"<BookgDt><Dt>{day.isoformat()}</Dt>")
    (statement,) = read_camt(data)
    assert statement.entries[0].booking_date == day


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789-:TZ+. ", max_size=30))
def test_any_date_text_is_a_date_or_refused(text):
    """Whatever BookgDt/Dt says, it is a real date or the file is refused with the entry."""
    old = "<BookgDt>\n          <Dt>2026-03-02</Dt>"
    data = variant("camt_053_001_02.xml", old, f"<BookgDt><Dt>{text}</Dt>")
    try:
        (statement,) = read_camt(data)
    except StatementError as error:
        assert error.message.startswith("Buchung 1: ")
        return
    assert statement.entries[0].booking_date == date.fromisoformat(text.strip()[:10])


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0), st.binary(min_size=1, max_size=4))
def test_any_damaged_file_is_read_or_refused_whole(position, garbage):
    """A file damaged anywhere is either read or refused with a StatementError, never a crash."""
    data = load("camt_053_001_08.xml")
    position %= len(data)
    damaged = data[:position] + garbage + data[position + len(garbage) :]
    try:
        statements = read_camt(damaged)
    except StatementError as error:
        assert error.message
    else:
        assert statements
