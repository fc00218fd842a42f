"""The receipt PDFs say exactly what the BMF templates say, in their order (receipts.md).

The binding sentences are written out here once more, character for character, instead of being
imported from the renderer: a change to the printed wording must fail these tests.
"""

import re
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from supportclub.money import amount_in_words
from supportclub.pdf import Sender
from supportclub.receipts.content import (
    ContributionKind,
    Exemption,
    Item,
    Origin,
    ReceiptContent,
    ReceiptKind,
)
from supportclub.receipts.cover import thank_you_letter
from supportclub.receipts.pdf import render_receipt

ISSUER_HEADING = "Aussteller (Bezeichnung und Anschrift der steuerbegünstigten Einrichtung)"
SUBTITLE = (
    "im Sinne des § 10b des Einkommensteuergesetzes an eine der in § 5 Abs. 1 Nr. 9 des "
    "Körperschaftsteuergesetzes bezeichneten Körperschaften, Personenvereinigungen oder "
    "Vermögensmassen"
)
DONOR_LABEL = "Name und Anschrift des Zuwendenden:"
WAIVER = "Es handelt sich um den Verzicht auf Erstattung von Aufwendungen"
EXEMPTION_A = (
    "Wir sind wegen Förderung der Jugend- und Altenhilfe sowie der Erziehung nach dem "
    "Freistellungsbescheid bzw. nach der Anlage zum Körperschaftsteuerbescheid des Finanzamtes "
    "Jena, StNr. 161/141/12345, vom 01.03.2024 für den letzten Veranlagungszeitraum 2020 bis 2022 "
    "nach § 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes von der Körperschaftsteuer und nach "
    "§ 3 Nr. 6 des Gewerbesteuergesetzes von der Gewerbesteuer befreit."
)
EXEMPTION_B = (
    "Die Einhaltung der satzungsmäßigen Voraussetzungen nach den §§ 51, 59, 60 und 61 AO wurde "
    "vom Finanzamt Jena, StNr. 161/141/12345 mit Bescheid vom 01.03.2024 nach § 60a AO gesondert "
    "festgestellt. Wir fördern nach unserer Satzung der Jugend- und Altenhilfe sowie der "
    "Erziehung."
)
PURPOSE = (
    "Es wird bestätigt, dass die Zuwendung nur zur Förderung der Jugend- und Altenhilfe sowie "
    "der Erziehung verwendet wird."
)
DUES = (
    "Es wird bestätigt, dass es sich nicht um einen Mitgliedsbeitrag handelt, dessen Abzug nach "
    "§ 10b Abs. 1 des Einkommensteuergesetzes ausgeschlossen ist."
)
NO_OTHER = (
    "Es wird bestätigt, dass über die in der Gesamtsumme enthaltenen Zuwendungen keine weiteren "
    "Bestätigungen, weder formelle Zuwendungsbestätigungen noch Beitragsquittungen oder "
    "Ähnliches ausgestellt wurden und werden."
)
COLLECTIVE_WAIVER = (
    "Ob es sich um den Verzicht auf Erstattung von Aufwendungen handelt, ist der Anlage zur "
    "Sammelbestätigung zu entnehmen."
)
CAPTION = "(Ort, Datum und Unterschrift des Zuwendungsempfängers)"
MACHINE = (
    "Die maschinelle Erstellung der Zuwendungsbestätigung wurde dem zuständigen Finanzamt Jena "
    "angezeigt."
)
NOTICE_1 = (
    "Wer vorsätzlich oder grob fahrlässig eine unrichtige Zuwendungsbestätigung erstellt oder "
    "veranlasst, dass Zuwendungen nicht zu den in der Zuwendungsbestätigung angegebenen "
    "steuerbegünstigten Zwecken verwendet werden, haftet für die entgangene Steuer (§ 10b Abs. 4 "
    "EStG, § 9 Abs. 3 KStG, § 9 Nr. 5 GewStG)."
)
NOTICE_2 = (
    "Diese Bestätigung wird nicht als Nachweis für die steuerliche Berücksichtigung der Zuwendung "
    "anerkannt, wenn das Datum des Freistellungsbescheides länger als 5 Jahre bzw. das Datum der "
    "Feststellung der Einhaltung der satzungsmäßigen Voraussetzungen nach § 60a Abs. 1 AO länger "
    "als 3 Jahre seit Ausstellung des Bescheides zurückliegt (§ 63 Abs. 5 AO)."
)
ORIGIN_SENTENCES = {
    Origin.BUSINESS: (
        "Die Sachzuwendung stammt nach den Angaben des Zuwendenden aus dem Betriebsvermögen. Die "
        "Zuwendung wurde nach dem Wert der Entnahme (ggf. mit dem niedrigeren gemeinen Wert) und "
        "nach der Umsatzsteuer, die auf die Entnahme entfällt, bewertet."
    ),
    Origin.PRIVATE: (
        "Die Sachzuwendung stammt nach den Angaben des Zuwendenden aus dem Privatvermögen."
    ),
    Origin.UNKNOWN: (
        "Der Zuwendende hat trotz Aufforderung keine Angaben zur Herkunft der Sachzuwendung "
        "gemacht."
    ),
}
DOCUMENTS = (
    "Geeignete Unterlagen, die zur Wertermittlung gedient haben, z. B. Rechnung, Gutachten, "
    "liegen vor."
)
# wordings that must never be printed: outdated templates, spelling traps, thanks
FORBIDDEN = (
    "oder wer veranlasst",
    "vorläufigen Bescheinigung",
    "Einkommensteuersgesetz",
    "Körperschaftssteuer",
    "satzungsgemäß",
    "Dank",
    "dank",
)
TICKED, EMPTY = "\u2612", "\u2610"


def items(*rows: tuple[int, int, ContributionKind, bool, int]) -> tuple[Item, ...]:
    """Items from (month, day, kind, waiver, cents)."""
    return tuple(
        Item(date(2025, month, day), kind, waiver, cents)
        for month, day, kind, waiver, cents in rows
    )


COLLECTIVE_ITEMS = items(
    (1, 15, ContributionKind.DUES, False, 3600),
    (3, 2, ContributionKind.DONATION, False, 5000),
    (6, 30, ContributionKind.DONATION, True, 12345),
    (12, 1, ContributionKind.DUES, False, 3600),
)


def receipt(kind: ReceiptKind = ReceiptKind.SINGLE, **overrides) -> ReceiptContent:
    """A receipt of `kind` for Jörg Weiß from the Förderverein „Schule am See“ e.V."""
    values = dict(
        number="2025-0001",
        kind=kind,
        issued_on=date(2026, 1, 15),
        issuer_name="Förderverein „Schule am See“ e.V.",
        issuer_address=("Seestraße 5", "07743 Jena"),
        place="Jena",
        exemption=Exemption.FREISTELLUNGSBESCHEID,
        tax_office="Jena",
        tax_number="161/141/12345",
        exemption_date=date(2024, 3, 1),
        exemption_period="2020 bis 2022",
        purposes="der Jugend- und Altenhilfe sowie der Erziehung",
        dues_block=False,
        donor_name="Jörg Weiß",
        donor_address=("Lindenallee 7", "99423 Weimar"),
        total_cents=123456,
        signatory="Anna Muster, Schatzmeisterin",
    )
    if kind == ReceiptKind.COLLECTIVE:
        values.update(
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            items=COLLECTIVE_ITEMS,
            total_cents=sum(item.amount_cents for item in COLLECTIVE_ITEMS),
        )
    else:
        values["contribution_date"] = date(2025, 3, 14)
    if kind == ReceiptKind.IN_KIND:
        values.update(
            origin=Origin.PRIVATE,
            in_kind_description="Notebook, Baujahr 2022, guter Zustand, Kaufpreis 1.200 €",
        )
    if kind == ReceiptKind.SLIP:
        values["total_cents"] = 5000
    values.update(overrides)
    if "items" in overrides and "total_cents" not in overrides:
        values["total_cents"] = sum(item.amount_cents for item in overrides["items"])
    return ReceiptContent(**values)


def normalise(text: str) -> str:
    """Whitespace and line breaks (long sentences wrap) as single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def page_texts(pdf: bytes) -> list[str]:
    """The normalised text of each page."""
    return [normalise(page.extract_text()) for page in PdfReader(BytesIO(pdf)).pages]


def assert_in_order(text: str, parts: list[str]) -> None:
    """Each of `parts` occurs in `text`, each after the one before."""
    position = 0
    for part in parts:
        found = text.find(normalise(part), position)
        assert found >= 0, f"missing (or out of order) after position {position}: {part!r}"
        position = found + len(normalise(part))


def assert_absent(text: str, parts) -> None:
    """None of `parts` occurs in `text`."""
    for part in parts:
        assert normalise(part) not in text, f"must not be printed: {part!r}"


# Anlage 3 ---------------------------------------------------------------------------------------


def test_a_single_donation_prints_every_passage_of_anlage_3_in_order():
    content = receipt(machine_notice=True)
    (text,) = page_texts(render_receipt(content))

    assert_in_order(
        text,
        [
            ISSUER_HEADING,
            "Förderverein „Schule am See“ e.V.",
            "Seestraße 5, 07743 Jena",
            "Nr. 2025-0001",
            "Bestätigung über Geldzuwendungen/Mitgliedsbeitrag",
            SUBTITLE,
            DONOR_LABEL,
            "Jörg Weiß, Lindenallee 7, 99423 Weimar",
            "Betrag der Zuwendung - in Ziffern -",
            "1.234,56 €",
            "- in Buchstaben -",
            "eintausendzweihundertvierunddreißig Euro und sechsundfünfzig Cent",
            "Tag der Zuwendung:",
            "14.03.2025",
            WAIVER,
            f"Ja {EMPTY}",
            f"Nein {TICKED}",
            EXEMPTION_A,
            PURPOSE,
            "Jena, 15.01.2026",
            CAPTION,
            "Anna Muster, Schatzmeisterin",
            MACHINE,
            "Hinweis:",
            NOTICE_1,
            NOTICE_2,
        ],
    )
    assert_absent(text, [EXEMPTION_B, DUES, NO_OTHER, COLLECTIVE_WAIVER, *FORBIDDEN])


@pytest.mark.parametrize(("waiver", "yes", "no"), [(True, TICKED, EMPTY), (False, EMPTY, TICKED)])
def test_exactly_one_waiver_box_is_ticked_on_the_right_side(waiver, yes, no):
    (text,) = page_texts(render_receipt(receipt(waiver=waiver)))

    assert text.count(TICKED) == 1
    assert text.count(EMPTY) == 1
    assert_in_order(text, [WAIVER, f"Ja {yes}", f"Nein {no}"])


def test_dues_with_the_dues_block_print_it_after_the_purpose():
    content = receipt(contribution_kind=ContributionKind.DUES, total_cents=3600, dues_block=True)
    (text,) = page_texts(render_receipt(content))

    assert_in_order(text, ["36,00 €", "sechsunddreißig Euro", EXEMPTION_A, PURPOSE, DUES, CAPTION])
    assert text.count(DUES) == 1


def test_without_the_setting_there_is_no_dues_block_and_no_machine_notice():
    (text,) = page_texts(render_receipt(receipt(dues_block=False, machine_notice=False)))

    assert_absent(text, [DUES, "maschinelle Erstellung"])
    assert_in_order(text, [PURPOSE, CAPTION, "Hinweis:", NOTICE_1, NOTICE_2])


def test_a_60a_notice_prints_passage_b_and_not_passage_a():
    (text,) = page_texts(render_receipt(receipt(exemption=Exemption.FESTSTELLUNG_60A)))

    assert_in_order(text, [WAIVER, EXEMPTION_B, PURPOSE, CAPTION])
    assert_absent(text, ["Wir sind wegen Förderung", "Freistellungsbescheid bzw.", *FORBIDDEN])
    assert "satzungsmäßigen Voraussetzungen nach den §§ 51, 59, 60 und 61 AO" in text


@pytest.mark.parametrize("cents", [100, 101, 10100, 50, 10700000, 100000100])
def test_the_amount_is_printed_in_figures_and_in_words(cents):
    (text,) = page_texts(render_receipt(receipt(total_cents=cents)))
    figures = {100: "1,00 €", 101: "1,01 €", 10100: "101,00 €", 50: "0,50 €"}
    figures |= {10700000: "107.000,00 €", 100000100: "1.000.001,00 €"}

    assert_in_order(text, [figures[cents], amount_in_words(cents)])


def test_the_metadata_title_names_the_receipt():
    reader = PdfReader(BytesIO(render_receipt(receipt(number="2025-0042"))))

    assert reader.metadata.title == "Zuwendungsbestätigung 2025-0042"
    assert "Nr. 2025-0042" in normalise(reader.pages[0].extract_text())


# Anlage 4 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", list(Origin))
@pytest.mark.parametrize("documents", [True, False])
def test_a_donation_in_kind_prints_anlage_4_with_one_origin_sentence(origin, documents):
    content = receipt(
        ReceiptKind.IN_KIND,
        origin=origin,
        documents_present=documents,
        dues_block=True,  # never printed on Anlage 4
        machine_notice=False,
    )
    (text,) = page_texts(render_receipt(content))

    expected = [
        ISSUER_HEADING,
        "Nr. 2025-0001",
        "Bestätigung über Sachzuwendungen",
        SUBTITLE,
        DONOR_LABEL,
        "Jörg Weiß, Lindenallee 7, 99423 Weimar",
        "Wert der Zuwendung - in Ziffern -",
        "1.234,56 €",
        "- in Buchstaben -",
        "eintausendzweihundertvierunddreißig Euro und sechsundfünfzig Cent",
        "Tag der Zuwendung:",
        "14.03.2025",
        "Genaue Bezeichnung der Sachzuwendung mit Alter, Zustand, Kaufpreis usw.",
        "Notebook, Baujahr 2022, guter Zustand, Kaufpreis 1.200 €",
        ORIGIN_SENTENCES[origin],
    ]
    if documents:
        expected.append(DOCUMENTS)
    expected += [EXEMPTION_A, PURPOSE, "Jena, 15.01.2026", CAPTION, "Hinweis:", NOTICE_1, NOTICE_2]
    assert_in_order(text, expected)
    others = [sentence for key, sentence in ORIGIN_SENTENCES.items() if key != origin]
    assert_absent(text, [*others, "Verzicht", TICKED, EMPTY, DUES, "Geldzuwendungen", *FORBIDDEN])
    if not documents:
        assert_absent(text, [DOCUMENTS])


# Anlage 14 --------------------------------------------------------------------------------------


def test_a_sammelbestaetigung_prints_anlage_14_and_its_list():
    content = receipt(ReceiptKind.COLLECTIVE, dues_block=True, machine_notice=True)
    first, attachment = page_texts(render_receipt(content))

    assert_in_order(
        first,
        [
            ISSUER_HEADING,
            "Nr. 2025-0001",
            "Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge",
            SUBTITLE,
            DONOR_LABEL,
            "Jörg Weiß, Lindenallee 7, 99423 Weimar",
            "Gesamtbetrag der Zuwendung - in Ziffern -",
            "245,45 €",
            "- in Buchstaben -",
            "zweihundertfünfundvierzig Euro und fünfundvierzig Cent",
            "Zeitraum der Sammelbestätigung:",
            "01.01.2025 - 31.12.2025",
            EXEMPTION_A,
            PURPOSE,
            DUES,
            NO_OTHER,
            COLLECTIVE_WAIVER,
            "Jena, 15.01.2026",
            CAPTION,
            MACHINE,
            "Hinweis:",
            NOTICE_1,
            NOTICE_2,
        ],
    )
    assert_absent(first, [WAIVER, TICKED, EMPTY, "Tag der Zuwendung", *FORBIDDEN])
    assert_in_order(
        attachment,
        [
            "Anlage zur Sammelbestätigung vom 15.01.2026",
            "Nr. 2025-0001",
            "Jörg Weiß",
            "Datum der Zuwendung",
            "Art der Zuwendung (Geldzuwendung/Mitgliedsbeitrag)",
            "Verzicht auf die Erstattung von Aufwendungen (ja/nein)",
            "Betrag",
            "15.01.2025 Mitgliedsbeitrag nein 36,00 €",
            "02.03.2025 Geldzuwendung nein 50,00 €",
            "30.06.2025 Geldzuwendung ja 123,45 €",
            "01.12.2025 Mitgliedsbeitrag nein 36,00 €",
            "Gesamtsumme 245,45 €",
            "zweihundertfünfundvierzig Euro und fünfundvierzig Cent",
        ],
    )
    assert_absent(attachment, [*FORBIDDEN, NOTICE_1])


def test_the_list_total_equals_the_total_on_the_receipt_in_figures_and_words():
    rows = items(
        *((month, 1, ContributionKind.DONATION, False, 1111 * month) for month in range(1, 13))
    )
    content = receipt(ReceiptKind.COLLECTIVE, items=rows)
    first, attachment = page_texts(render_receipt(content))
    total = sum(item.amount_cents for item in rows)

    assert total == 86658
    for text in (first, attachment):
        assert "866,58 €" in text
        assert amount_in_words(total) in text
    assert attachment.index("Gesamtsumme 866,58 €") > attachment.index("01.12.2025")


def test_a_long_list_runs_over_several_pages_with_its_heading_repeated():
    rows = items(
        *((1 + n // 28, 1 + n % 28, ContributionKind.DONATION, n == 7, 100 + n) for n in range(90))
    )
    content = receipt(ReceiptKind.COLLECTIVE, items=rows)
    pages = page_texts(render_receipt(content))
    listing = pages[1:]

    assert len(pages) >= 3
    assert NOTICE_2 in pages[0]
    for text in listing:
        assert_in_order(
            text,
            [
                "Anlage zur Sammelbestätigung vom 15.01.2026",
                "Nr. 2025-0001",
                "Jörg Weiß",
                "Datum der Zuwendung",
                "Betrag",
            ],
        )
    joined = " ".join(listing)
    printed = [f"{row.date.strftime('%d.%m.%Y')} Geldzuwendung" for row in rows]
    for line in printed:  # every contribution once, in date order
        assert joined.count(line) == 1
    assert_in_order(joined, printed)
    assert joined.count("Gesamtsumme") == 2  # the total row and the words, on the last page only
    assert "Gesamtsumme" in listing[-1]
    assert joined.count(" ja ") == 1


# The slip (§ 50 Abs. 4 EStDV) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "art"),
    [(ContributionKind.DONATION, "Geldzuwendung"), (ContributionKind.DUES, "Mitgliedsbeitrag")],
)
def test_the_slip_states_purpose_exemption_kind_amount_and_bank_statement(kind, art):
    content = receipt(ReceiptKind.SLIP, contribution_kind=kind)
    (text,) = page_texts(render_receipt(content))

    assert_in_order(
        text,
        [
            ISSUER_HEADING,
            "Nr. 2025-0001",
            "Vereinfachter Zuwendungsnachweis (§ 50 Abs. 4 EStDV)",
            "Jörg Weiß",
            "50,00 €",
            "fünfzig Euro",
            "14.03.2025",
            f"Art der Zuwendung: {art}",
            EXEMPTION_A,
            PURPOSE,
            "Kontoauszug",
            "Hinweis:",
            NOTICE_1,
            NOTICE_2,
        ],
    )
    assert_absent(text, ["Bestätigung über", TICKED, EMPTY, *FORBIDDEN])


# The cover letter (the thanks go here, never on the receipt) -------------------------------------

THANKS = (
    "Liebe/r {anrede_name},\n\nherzlichen Dank für Ihre Unterstützung von {betrag} im Zeitraum "
    "{zeitraum}.\n\nIhr {verein}\n{unbekannt} und {nicht geschlossen"
)


def test_the_cover_letter_thanks_the_donor_with_the_placeholders_filled():
    sender = Sender(
        name="Förderverein „Schule am See“ e.V.",
        street="Seestraße 5",
        postal_code="07743",
        city="Jena",
    )
    content = receipt(ReceiptKind.COLLECTIVE)
    letter = thank_you_letter(content, THANKS, sender)
    (text,) = page_texts(letter.render())

    assert letter.recipient == ["Jörg Weiß", "Lindenallee 7", "99423 Weimar"]
    assert letter.subject == "Ihre Zuwendungsbestätigung Nr. 2025-0001"
    assert letter.letter_date == date(2026, 1, 15)
    assert letter.body == (
        "Liebe/r Jörg Weiß,\n\nherzlichen Dank für Ihre Unterstützung von 245,45 € im Zeitraum "
        "01.01.2025 – 31.12.2025.\n\nIhr Förderverein „Schule am See“ e.V.\n{unbekannt} und "
        "{nicht geschlossen"
    )
    assert_in_order(text, ["Ihre Zuwendungsbestätigung Nr. 2025-0001", "herzlichen Dank"])
    assert "Lindenallee 7" in text
    assert_absent(text, [NOTICE_1, "Bestätigung über"])


def test_a_single_receipts_letter_names_the_day_of_the_contribution():
    sender = Sender(name="Förderverein")
    letter = thank_you_letter(receipt(), "{zeitraum}: {betrag}", sender)

    assert letter.body == "14.03.2025: 1.234,56 €"
