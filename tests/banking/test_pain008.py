"""The pain.008 direct debit file: schema-valid, exact sums, SEPA texts, every refusal."""

import dataclasses
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.resources import files

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from supportclub.banking import pain008
from supportclub.banking.pain008 import MAX_AMOUNT_CENTS, Creditor, Debit, build_pain008
from supportclub.errors import ValidationError

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
COLLECTION = date(2026, 12, 1)
VERSIONS = ["pain.008.001.08", "pain.008.001.02"]
DEBTOR_IBAN = "DE02120300000000202051"  # a valid test IBAN (Deutsche Kreditbank)
OTHER_IBAN = "DE02500105170137075030"
CREDITOR = Creditor(
    name="Förderverein der Grundschule Am Mühlbach e.V.",
    iban="DE89 3704 0044 0532 0130 00",
    bic="COBADEFFXXX",
    creditor_id="DE98ZZZ09999999999",
)


def make_debit(number: int = 1042, **overrides) -> Debit:
    """A recurring dues debit from Jürgen Müller, with fields overridden as needed."""
    values = {
        "end_to_end_id": f"BEITRAG-2026-{number}",
        "amount_cents": 6000,
        "mandate_reference": f"M-{number}",
        "mandate_date": date(2021, 3, 14),
        "debtor_name": "Jürgen Müller",
        "debtor_iban": DEBTOR_IBAN,
        "debtor_bic": None,
        "purpose": f"Mitgliedsbeitrag 2026, Mitgliedsnummer {number}",
        "sequence": "RCUR",
    }
    values.update(overrides)
    return Debit(**values)


def build(debits, version="pain.008.001.08", creditor=CREDITOR, **kwargs):
    """Build a file with the test's defaults."""
    kwargs.setdefault("message_id", "SC-20261125-0001")
    kwargs.setdefault("created_at", NOW)
    return build_pain008(
        creditor, debits, kwargs.pop("collection_date", COLLECTION), version=version, **kwargs
    )


def parse(xml: bytes):
    """The file parsed back, and a helper that finds elements in its namespace."""
    root = etree.fromstring(xml)
    ns = {"p": etree.QName(root).namespace}

    def find(node, path):
        """The XPath result for ``path`` below ``node``, "p:" being the file's namespace."""
        return node.xpath(path, namespaces=ns)

    return root, find


def cents(text: str) -> int:
    """An amount as written in the file ("1234.56") back to cents, exactly."""
    value = Decimal(text)
    assert value == value.quantize(Decimal("0.01"))
    return int(value * 100)


def official_schema(version: str) -> etree.XMLSchema:
    """The ISO 20022 XSD as shipped by sepaxml, loaded by the test itself."""
    path = files("sepaxml").joinpath("schemas", f"{version}.xsd")
    return etree.XMLSchema(etree.fromstring(path.read_bytes()))


# --- the file --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_file_validates_against_the_official_schema(version):
    """Both versions, with and without BICs, RCUR and OOFF, validate against their XSD."""
    debits = [
        make_debit(1, debtor_bic="BYLADEM1001"),
        make_debit(2),
        make_debit(3, sequence="OOFF", purpose="Spende Sommerfest"),
    ]
    xml = build(debits, version=version)
    root = etree.fromstring(xml)
    schema = official_schema(version)
    assert schema.validate(root), schema.error_log
    assert etree.QName(root).namespace == f"urn:iso:std:iso:20022:tech:xsd:{version}"
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


@pytest.mark.parametrize("version", VERSIONS)
def test_file_validates_without_creditor_bic(version):
    """IBAN-only: the creditor's agent is NOTPROVIDED and the file is still valid."""
    xml = build([make_debit()], version=version, creditor=dataclasses.replace(CREDITOR, bic=None))
    root, find = parse(xml)
    assert official_schema(version).validate(root)
    assert find(root, "//p:CdtrAgt/p:FinInstnId/p:Othr/p:Id/text()") == ["NOTPROVIDED"]


def test_group_header_carries_message_id_time_count_and_sum():
    """MsgId and CreDtTm are the caller's; NbOfTxs and CtrlSum cover the whole file."""
    xml = build([make_debit(1, amount_cents=6000), make_debit(2, amount_cents=1)])
    root, find = parse(xml)
    assert find(root, "//p:GrpHdr/p:MsgId/text()") == ["SC-20261125-0001"]
    assert find(root, "//p:GrpHdr/p:CreDtTm/text()") == ["2026-11-25T09:30:00+00:00"]
    assert find(root, "//p:GrpHdr/p:NbOfTxs/text()") == ["2"]
    assert find(root, "//p:GrpHdr/p:CtrlSum/text()") == ["60.01"]
    assert find(root, "//p:GrpHdr/p:InitgPty/p:Nm/text()") == [
        "Foerderverein der Grundschule Am Muehlbach e.V."
    ]


def test_each_debit_is_its_own_statement_entry():
    """BtchBookg false: the bank books every debit separately, so each credit on the statement
    carries its EndToEndId and matches its claim."""
    xml = build([make_debit(1), make_debit(2)])
    root, find = parse(xml)
    assert find(root, "//p:PmtInf/p:BtchBookg/text()") == ["false"]


def test_same_input_gives_the_same_file():
    """The file depends only on its input (no random ids, no clock)."""
    debits = [make_debit(1), make_debit(2, sequence="OOFF")]
    assert build(debits) == build(debits)


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (1, "0.01"),
        (10, "0.10"),
        (99, "0.99"),
        (100, "1.00"),
        (123456, "1234.56"),
        (MAX_AMOUNT_CENTS, "999999999.99"),
    ],
)
def test_amounts_are_written_exactly(amount, written):
    """Cents become "euros.cents" text without float: 1 cent is 0.01, 10 cents 0.10."""
    root, find = parse(build([make_debit(amount_cents=amount)]))
    assert find(root, "//p:InstdAmt/text()") == [written]
    assert find(root, "//p:InstdAmt/@Ccy") == ["EUR"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=MAX_AMOUNT_CENTS), min_size=1, max_size=12),
    st.lists(st.sampled_from(["RCUR", "OOFF"]), min_size=12, max_size=12),
)
def test_ctrl_sums_equal_the_sums(amounts, sequences):
    """CtrlSum of the file and of each payment info is the exact sum of its debits."""
    debits = [
        make_debit(i, amount_cents=amount, sequence=sequences[i])
        for i, amount in enumerate(amounts)
    ]
    root, find = parse(build(debits))
    assert cents(find(root, "//p:GrpHdr/p:CtrlSum/text()")[0]) == sum(amounts)
    assert find(root, "//p:GrpHdr/p:NbOfTxs/text()") == [str(len(amounts))]
    total = 0
    for info in find(root, "//p:PmtInf"):
        written = [cents(text) for text in find(info, ".//p:InstdAmt/text()")]
        assert cents(find(info, "p:CtrlSum/text()")[0]) == sum(written)
        assert find(info, "p:NbOfTxs/text()") == [str(len(written))]
        total += sum(written)
    assert total == sum(amounts)


def test_recurring_and_one_off_debits_in_separate_payment_infos():
    """RCUR and OOFF go into their own PmtInf with a unique PmtInfId, CORE, SLEV and the id."""
    debits = [
        make_debit(1, sequence="RCUR", amount_cents=6000),
        make_debit(2, sequence="OOFF", amount_cents=2500),
        make_debit(3, sequence="RCUR", amount_cents=3000),
    ]
    root, find = parse(build(debits))
    infos = find(root, "//p:PmtInf")
    assert [find(info, "p:PmtTpInf/p:SeqTp/text()")[0] for info in infos] == ["RCUR", "OOFF"]
    ids = [find(info, "p:PmtInfId/text()")[0] for info in infos]
    assert ids == ["SC-20261125-0001-RCUR", "SC-20261125-0001-OOFF"]
    rcur, ooff = infos
    assert find(rcur, ".//p:EndToEndId/text()") == ["BEITRAG-2026-1", "BEITRAG-2026-3"]
    assert find(ooff, ".//p:EndToEndId/text()") == ["BEITRAG-2026-2"]
    assert find(rcur, "p:CtrlSum/text()") == ["90.00"]
    assert find(ooff, "p:CtrlSum/text()") == ["25.00"]
    for info in infos:
        assert find(info, "p:PmtMtd/text()") == ["DD"]
        assert find(info, "p:PmtTpInf/p:SvcLvl/p:Cd/text()") == ["SEPA"]
        assert find(info, "p:PmtTpInf/p:LclInstrm/p:Cd/text()") == ["CORE"]
        assert find(info, "p:ChrgBr/text()") == ["SLEV"]
        assert find(info, "p:ReqdColltnDt/text()") == ["2026-12-01"]
        assert find(info, "p:CdtrAcct/p:Id/p:IBAN/text()") == ["DE89370400440532013000"]
        assert find(info, "p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id/text()") == [
            "DE98ZZZ09999999999"
        ]
        assert find(info, "p:CdtrSchmeId//p:SchmeNm/p:Prtry/text()") == ["SEPA"]


def test_only_recurring_debits_give_one_payment_info():
    """No empty OOFF block when there is no one-off debit."""
    root, find = parse(build([make_debit(1), make_debit(2)]))
    assert len(find(root, "//p:PmtInf")) == 1


def test_long_message_id_still_gives_valid_unique_payment_info_ids():
    """A 35-character message id is shortened inside the PmtInfId, which stays ≤ 35."""
    message_id = "X" * 35
    root, find = parse(
        build([make_debit(1), make_debit(2, sequence="OOFF")], message_id=message_id)
    )
    ids = find(root, "//p:PmtInfId/text()")
    assert len(set(ids)) == 2
    assert all(len(i) <= 35 for i in ids)


def test_umlaut_names_and_purpose_are_transliterated():
    """Names and purposes are written in SEPA characters: ü → ue, ß → ss, & → +."""
    debit = make_debit(
        debtor_name="Jürgen Müller & Söhne Straßenbau",
        purpose="Beitrag 2026 – Förderung „Schulgarten“ ½ Jahr",
    )
    root, find = parse(build([debit]))
    assert find(root, "//p:Dbtr/p:Nm/text()") == ["Juergen Mueller + Soehne Strassenbau"]
    assert find(root, "//p:Cdtr/p:Nm/text()") == ["Foerderverein der Grundschule Am Muehlbach e.V."]
    assert find(root, "//p:Ustrd/text()") == ["Beitrag 2026 - Foerderung 'Schulgarten' 1/2 Jahr"]


def test_names_are_cut_to_70_and_purpose_to_140_characters():
    """Long texts are cut after transliteration to the field lengths."""
    debit = make_debit(debtor_name="Ä" * 50, purpose="Ü" * 100)
    root, find = parse(build([debit]))
    assert find(root, "//p:Dbtr/p:Nm/text()") == ["Ae" * 35]
    assert find(root, "//p:Ustrd/text()") == ["Ue" * 70]


def test_empty_purpose_leaves_out_the_remittance_information():
    """Without a purpose there is no RmtInf (an empty Ustrd would not validate)."""
    root, find = parse(build([make_debit(purpose="   ")]))
    assert find(root, "//p:RmtInf") == []


@pytest.mark.parametrize(
    ("version", "tag"), [("pain.008.001.08", "BICFI"), ("pain.008.001.02", "BIC")]
)
def test_bic_is_written_in_the_versions_element_or_notprovided(version, tag):
    """A debtor BIC goes into BICFI (.08) or BIC (.02); without one, Othr/Id NOTPROVIDED."""
    debits = [make_debit(1, debtor_bic="bylademm"), make_debit(2, debtor_bic=None)]
    root, find = parse(build(debits, version=version))
    agents = find(root, "//p:DbtrAgt/p:FinInstnId")
    assert find(agents[0], f"p:{tag}/text()") == ["BYLADEMM"]
    assert find(agents[1], "p:Othr/p:Id/text()") == ["NOTPROVIDED"]


def test_ibans_are_written_compact_and_mandate_as_given():
    """IBANs typed with spaces are written compact; mandate reference and date unchanged."""
    debit = make_debit(debtor_iban="de02 1203 0000 0000 2020 51", mandate_reference="m-1042/a")
    root, find = parse(build([debit]))
    assert find(root, "//p:DbtrAcct/p:Id/p:IBAN/text()") == [DEBTOR_IBAN]
    assert find(root, "//p:MndtId/text()") == ["m-1042/a"]
    assert find(root, "//p:DtOfSgntr/text()") == ["2021-03-14"]


def test_collection_today_is_allowed():
    """A collection date of today (the association's day) is not in the past."""
    build([make_debit()], collection_date=date(2026, 11, 25))


def test_two_recurring_debits_on_one_mandate_are_allowed():
    """A recurring mandate may be collected twice in one file (dues and a late fee)."""
    build([make_debit(1, mandate_reference="M-7"), make_debit(2, mandate_reference="M-7")])


# --- refusals ----------------------------------------------------------------------------------


def refused(debits, **kwargs) -> ValidationError:
    """Build and return the ValidationError it must raise."""
    with pytest.raises(ValidationError) as caught:
        build(debits, **kwargs)
    return caught.value


def assert_no_debtor_data(error: ValidationError) -> None:
    """A message never repeats the debtor's name or IBAN."""
    for secret in ("Müller", "Mueller", "Jürgen", DEBTOR_IBAN, DEBTOR_IBAN[:8]):
        assert secret not in error.message


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"debtor_iban": "DE03120300000000202051"}, "IBAN"),
        ({"debtor_iban": "DE0212030000000020205"}, "IBAN"),
        ({"debtor_iban": ""}, "IBAN"),
        ({"debtor_iban": "TR330006100519786457841326"}, "SEPA-Raum"),
        ({"debtor_iban": "CH9300762011623852957"}, "EWR"),
        ({"debtor_iban": "GB29NWBK60161331926819"}, "EWR"),
        ({"debtor_bic": "NOTABIC"}, "BIC"),
        ({"amount_cents": 0}, "größer als 0"),
        ({"amount_cents": -100}, "größer als 0"),
        ({"amount_cents": 12.5}, "größer als 0"),
        ({"amount_cents": Decimal("12.50")}, "größer als 0"),
        ({"amount_cents": True}, "größer als 0"),
        ({"amount_cents": MAX_AMOUNT_CENTS + 1}, "zu hoch"),
        ({"mandate_reference": "M-" + "1" * 34}, "36 Zeichen"),
        ({"mandate_reference": ""}, "fehlt die Mandatsreferenz"),
        ({"mandate_reference": "M-Müller-1"}, "nicht automatisch geändert"),
        ({"mandate_reference": "M 1042"}, "keine Leerzeichen"),
        ({"mandate_reference": "M&1042"}, "SEPA-Zeichensatz"),
        ({"mandate_reference": "M_1042"}, "SEPA-Zeichensatz"),
        ({"mandate_reference": "/M-1042"}, "SEPA-Zeichensatz"),
        ({"mandate_reference": "M//1042"}, "SEPA-Zeichensatz"),
        ({"mandate_date": date(2026, 11, 26)}, "Zukunft"),
        ({"debtor_name": "Иван Петров"}, "darstellbaren Zeichen"),
        ({"sequence": "FRST"}, "RCUR oder OOFF"),
        ({"sequence": "rcur"}, "RCUR oder OOFF"),
    ],
)
def test_wrong_debit_is_refused_by_its_end_to_end_id(overrides, fragment):
    """Each wrong debit is refused naming its end-to-end id, never the debtor's data."""
    error = refused([make_debit(1), make_debit(1042, **overrides)])
    assert fragment in error.message
    assert "BEITRAG-2026-1042" in error.message
    assert error.field == "debits"
    assert_no_debtor_data(error)


@pytest.mark.parametrize(
    "end_to_end_id",
    [
        "",
        "B" * 36,
        "BEITRAG-2026-Müller",
        "BEITRAG_2026",
        "NOTPROVIDED",
        "/BEITRAG",
        "A//B",
        " BEITRAG",
        "BEITRAG/",
        None,
    ],
)
def test_wrong_end_to_end_id_is_refused_by_position(end_to_end_id):
    """An unusable end-to-end id is named by the debit's position in the list."""
    error = refused([make_debit(1), make_debit(2, end_to_end_id=end_to_end_id)])
    assert "Nr. 2" in error.message
    assert "Ende-zu-Ende-Referenz" in error.message
    assert_no_debtor_data(error)


def test_end_to_end_ids_must_be_unique():
    """The same end-to-end id twice (also in other case) is refused."""
    error = refused([make_debit(1), make_debit(2, end_to_end_id="beitrag-2026-1")])
    assert "mehrfach" in error.message
    assert "beitrag-2026-1" in error.message


@pytest.mark.parametrize(
    ("first", "second"),
    [("OOFF", "OOFF"), ("OOFF", "RCUR"), ("RCUR", "OOFF")],
)
def test_one_off_mandate_is_collected_only_once(first, second):
    """An OOFF mandate may appear once in a file; mandate references compare case-insensitively."""
    debits = [
        make_debit(1, mandate_reference="SPENDE-77", sequence=first),
        make_debit(2, mandate_reference="spende-77", sequence=second),
    ]
    error = refused(debits)
    assert "Einmal-Mandat" in error.message


def test_collection_date_in_the_past_is_refused():
    """Yesterday cannot be a collection date."""
    error = refused([make_debit()], collection_date=date(2026, 11, 24))
    assert error.field == "collection_date"
    assert "24.11.2026" in error.message


def test_past_is_judged_in_the_associations_time_zone():
    """At 23:30 UTC it is already the next day in Berlin: the UTC date is in the past."""
    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    error = refused([make_debit()], collection_date=date(2026, 11, 25), created_at=late)
    assert error.field == "collection_date"


@pytest.mark.parametrize(
    ("creditor", "field"),
    [
        (dataclasses.replace(CREDITOR, iban="DE89370400440532013001"), "creditor_iban"),
        (dataclasses.replace(CREDITOR, iban="TR330006100519786457841326"), "creditor_iban"),
        (dataclasses.replace(CREDITOR, bic="COBA"), "creditor_bic"),
        (dataclasses.replace(CREDITOR, creditor_id="DE99ZZZ09999999999"), "creditor_id"),
        (dataclasses.replace(CREDITOR, creditor_id=""), "creditor_id"),
        (dataclasses.replace(CREDITOR, name="Иван"), "creditor_name"),
    ],
)
def test_wrong_creditor_data_is_refused_at_its_setting(creditor, field):
    """The association's IBAN, BIC, creditor id and name are checked before export."""
    error = refused([make_debit()], creditor=creditor)
    assert error.field == field


@pytest.mark.parametrize(
    "message_id", ["", "M" * 36, "Lauf ä", "/SC-1", "SC//1", "NOTPROVIDED", None]
)
def test_wrong_message_id_is_refused(message_id):
    """The message id must be a SEPA identifier of at most 35 characters."""
    error = refused([make_debit()], message_id=message_id)
    assert error.field == "message_id"


def test_empty_selection_is_refused():
    """A file without debits is refused."""
    error = refused([])
    assert "keine Lastschrift" in error.message


def test_unknown_version_is_refused():
    """Only pain.008.001.08 and .02 are offered."""
    error = refused([make_debit()], version="pain.008.003.02")
    assert error.field == "version"


def test_datetime_as_collection_date_is_a_programming_error():
    """A datetime where a date belongs would write a time into the file: TypeError."""
    with pytest.raises(TypeError):
        build([make_debit()], collection_date=datetime(2026, 12, 1, 8, 0))


def test_schema_check_catches_what_the_checks_missed(monkeypatch):
    """If a bug ever wrote an invalid file, the schema check refuses it, naming the element."""
    monkeypatch.setattr(pain008, "_amount", lambda cents: f"{cents // 100},{cents % 100:02d}")
    error = refused([make_debit()])
    assert "Schema" in error.message
    assert "CtrlSum" in error.message or "InstdAmt" in error.message


# --- speed -------------------------------------------------------------------------------------


def test_five_thousand_debits_build_well_under_three_seconds():
    """5,000 collections (issue 7's figure) build, check and validate in < 3 s."""
    debits = [
        make_debit(
            i,
            amount_cents=1000 + i,
            debtor_iban=DEBTOR_IBAN if i % 2 else OTHER_IBAN,
            debtor_bic="BYLADEM1001" if i % 3 == 0 else None,
            debtor_name=f"Jürgen Müller-Lüdenscheidt {i}",
            sequence="OOFF" if i % 10 == 0 else "RCUR",
        )
        for i in range(5000)
    ]
    start = time.perf_counter()
    xml = build(debits)
    elapsed = time.perf_counter() - start
    print(f"pain.008 with 5,000 debits: {elapsed:.2f} s, {len(xml) / 1e6:.1f} MB")
    assert elapsed < 3
    root, find = parse(xml)
    assert find(root, "//p:GrpHdr/p:NbOfTxs/text()") == ["5000"]
    assert cents(find(root, "//p:GrpHdr/p:CtrlSum/text()")[0]) == sum(1000 + i for i in range(5000))
