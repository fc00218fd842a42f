"""The binding texts of the receipts (receipts.md; BMF-Schreiben of 7 November 2013).

Every sentence here is printed character-exact and in the template's order by
`receipts.pdf`; do not reword. The slip's sentences (§ 50 Abs. 4 EStDV) and the machine-receipt
notice have no official wording and are ours.
"""

from supportclub.receipts.content import (
    ContributionKind,
    Exemption,
    Origin,
    ReceiptContent,
    ReceiptKind,
)

DOCUMENT_TITLE = "Zuwendungsbestätigung"
ISSUER_HEADING = "Aussteller (Bezeichnung und Anschrift der steuerbegünstigten Einrichtung)"
TITLES = {
    ReceiptKind.SINGLE: "Bestätigung über Geldzuwendungen/Mitgliedsbeitrag",
    ReceiptKind.IN_KIND: "Bestätigung über Sachzuwendungen",
    ReceiptKind.COLLECTIVE: "Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge",
    ReceiptKind.SLIP: "Vereinfachter Zuwendungsnachweis (§ 50 Abs. 4 EStDV)",
}
SUBTITLE = (
    "im Sinne des § 10b des Einkommensteuergesetzes an eine der in § 5 Abs. 1 Nr. 9 des "
    "Körperschaftsteuergesetzes bezeichneten Körperschaften, Personenvereinigungen oder "
    "Vermögensmassen"
)
SUBTITLE_SLIP = (
    "Beleg des Zuwendungsempfängers für eine Zuwendung von höchstens 300 Euro an eine der in "
    "§ 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes bezeichneten Körperschaften"
)
DONOR_LABEL = "Name und Anschrift des Zuwendenden:"
_MONEY_LABELS = ("Betrag der Zuwendung - in Ziffern -", "- in Buchstaben -", "Tag der Zuwendung:")
AMOUNT_LABELS = {
    ReceiptKind.SINGLE: _MONEY_LABELS,
    ReceiptKind.SLIP: _MONEY_LABELS,
    ReceiptKind.IN_KIND: (
        "Wert der Zuwendung - in Ziffern -",
        "- in Buchstaben -",
        "Tag der Zuwendung:",
    ),
    ReceiptKind.COLLECTIVE: (
        "Gesamtbetrag der Zuwendung - in Ziffern -",
        "- in Buchstaben -",
        "Zeitraum der Sammelbestätigung:",
    ),
}
WAIVER = "Es handelt sich um den Verzicht auf Erstattung von Aufwendungen"
TICKED, UNTICKED = "\u2612", "\u2610"  # ☒ ☐
IN_KIND_LABEL = "Genaue Bezeichnung der Sachzuwendung mit Alter, Zustand, Kaufpreis usw."
ORIGINS = {
    Origin.BUSINESS: (
        "Die Sachzuwendung stammt nach den Angaben des Zuwendenden aus dem Betriebsvermögen. "
        "Die Zuwendung wurde nach dem Wert der Entnahme (ggf. mit dem niedrigeren gemeinen Wert) "
        "und nach der Umsatzsteuer, die auf die Entnahme entfällt, bewertet."
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
EXEMPTION_A = (
    "Wir sind wegen Förderung {purposes} nach dem Freistellungsbescheid bzw. nach der Anlage zum "
    "Körperschaftsteuerbescheid des Finanzamtes {tax_office}, StNr. {tax_number}, vom {date} für "
    "den letzten Veranlagungszeitraum {period} nach § 5 Abs. 1 Nr. 9 des "
    "Körperschaftsteuergesetzes von der Körperschaftsteuer und nach § 3 Nr. 6 des "
    "Gewerbesteuergesetzes von der Gewerbesteuer befreit."
)
EXEMPTION_B = (
    "Die Einhaltung der satzungsmäßigen Voraussetzungen nach den §§ 51, 59, 60 und 61 AO wurde "
    "vom Finanzamt {tax_office}, StNr. {tax_number} mit Bescheid vom {date} nach § 60a AO "
    "gesondert festgestellt. Wir fördern nach unserer Satzung {purposes}."
)
PURPOSE = "Es wird bestätigt, dass die Zuwendung nur zur Förderung {purposes} verwendet wird."
DUES = (
    "Es wird bestätigt, dass es sich nicht um einen Mitgliedsbeitrag handelt, dessen Abzug nach "
    "§ 10b Abs. 1 des Einkommensteuergesetzes ausgeschlossen ist."
)
COLLECTIVE_NO_OTHER = (
    "Es wird bestätigt, dass über die in der Gesamtsumme enthaltenen Zuwendungen keine weiteren "
    "Bestätigungen, weder formelle Zuwendungsbestätigungen noch Beitragsquittungen oder "
    "Ähnliches ausgestellt wurden und werden."
)
COLLECTIVE_WAIVER = (
    "Ob es sich um den Verzicht auf Erstattung von Aufwendungen handelt, ist der Anlage zur "
    "Sammelbestätigung zu entnehmen."
)
NOTICE_HEADING = "Hinweis:"
SIGNATURE_CAPTION = "(Ort, Datum und Unterschrift des Zuwendungsempfängers)"
# no official wording exists for this sentence (receipts.md, "Signature and e-mail")
MACHINE_NOTICE = (
    "Die maschinelle Erstellung der Zuwendungsbestätigung wurde dem zuständigen Finanzamt "
    "{tax_office} angezeigt."
)
NOTICES = (
    "Wer vorsätzlich oder grob fahrlässig eine unrichtige Zuwendungsbestätigung erstellt oder "
    "veranlasst, dass Zuwendungen nicht zu den in der Zuwendungsbestätigung angegebenen "
    "steuerbegünstigten Zwecken verwendet werden, haftet für die entgangene Steuer (§ 10b Abs. 4 "
    "EStG, § 9 Abs. 3 KStG, § 9 Nr. 5 GewStG).",
    "Diese Bestätigung wird nicht als Nachweis für die steuerliche Berücksichtigung der Zuwendung "
    "anerkannt, wenn das Datum des Freistellungsbescheides länger als 5 Jahre bzw. das Datum der "
    "Feststellung der Einhaltung der satzungsmäßigen Voraussetzungen nach § 60a Abs. 1 AO länger "
    "als 3 Jahre seit Ausstellung des Bescheides zurückliegt (§ 63 Abs. 5 AO).",
)
# the slip (§ 50 Abs. 4 EStDV) is no official template: our own wording
SLIP_KINDS = {
    ContributionKind.DONATION: "Art der Zuwendung: Geldzuwendung (Spende)",
    ContributionKind.DUES: "Art der Zuwendung: Mitgliedsbeitrag",
}
SLIP_VALIDITY = (
    "Dieser Beleg gilt nur zusammen mit dem Kontoauszug oder der Buchungsbestätigung des "
    "Kreditinstituts als Zuwendungsnachweis (§ 50 Abs. 4 Satz 1 Nr. 2 EStDV)."
)
# the Sammelbestätigung's attachment
LIST_HEADING = "Anlage zur Sammelbestätigung vom {date}"
LIST_DONOR = "Zuwendender:"
LIST_PERIOD = "Zeitraum der Sammelbestätigung:"
LIST_COLUMNS = (
    "Datum der Zuwendung",
    "Art der Zuwendung (Geldzuwendung/Mitgliedsbeitrag)",
    "Verzicht auf die Erstattung von Aufwendungen (ja/nein)",
    "Betrag",
)
LIST_KINDS = {ContributionKind.DONATION: "Geldzuwendung", ContributionKind.DUES: "Mitgliedsbeitrag"}
YES, NO = "ja", "nein"
TOTAL = "Gesamtsumme"


def exemption_passage(content: ReceiptContent) -> str:
    """Exactly one exemption passage: (a) Freistellungsbescheid or (b) § 60a notice."""
    values = {
        "purposes": content.purposes,
        "tax_office": content.tax_office,
        "tax_number": content.tax_number,
        "date": content.exemption_date.strftime("%d.%m.%Y"),
        "period": content.exemption_period,
    }
    if content.exemption == Exemption.FREISTELLUNGSBESCHEID:
        return EXEMPTION_A.format(**values)
    return EXEMPTION_B.format(**values)
