"""What the data export says about each category of data: title, purpose, legal bases (Art. 6
DSGVO), recipients and retention (§ 147 AO), and the person's rights (Art. 15–21, 77)."""

from supportclub.i18n import N_

B = N_("Art. 6 Abs. 1 lit. b DSGVO (Mitgliedschaft, Vertrag)")
C = N_("Art. 6 Abs. 1 lit. c DSGVO (gesetzliche Pflicht, §§ 147 AO, 63 AO, 50 EStDV)")
F = N_("Art. 6 Abs. 1 lit. f DSGVO (berechtigtes Interesse des Vereins)")
BOOKS = N_("10 Jahre ab Ende des Kalenderjahres (§ 147 AO: Bücher und Aufzeichnungen)")
DOCUMENTS = N_("8 Jahre ab Ende des Kalenderjahres (§ 147 AO: Buchungsbelege)")
LETTERS = N_("6 Jahre ab Ende des Kalenderjahres (§ 147 AO: Geschäftsbriefe)")
MEMBERSHIP = N_(
    "Für die Dauer der Mitgliedschaft; danach gesperrt, solange Buchungen, Beiträge oder "
    "Zuwendungsbestätigungen aufbewahrt werden müssen (bis 10 Jahre), dann anonymisiert"
)
MANDATE = N_("14 Monate nach der letzten Lastschrift (SEPA-Regelwerk), dann gelöscht")
LOGIN = N_("Bis zur Löschung des Zugangs; bei Löschung auf Antrag sofort")
AUDITORS = N_("Kassenprüfer des Vereins")
TAX_OFFICE = N_("Finanzamt (bei einer Prüfung)")

# category key -> (title, purpose, legal bases, recipients, retention periods)
CATEGORIES: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "master_data": (
        N_("Stammdaten"),
        N_("Mitgliederverwaltung, Zuwendungsbestätigungen, Kontakt"),
        (B, C),
        (N_("Finanzamt (auf Zuwendungsbestätigungen)"),),
        (MEMBERSHIP,),
    ),
    "memberships": (
        N_("Mitgliedschaften und SEPA-Mandate"),
        N_("Mitgliedschaft, Beitragseinzug per Lastschrift"),
        (B,),
        (N_("Bank des Vereins (Lastschrifteinzug)"),),
        (MEMBERSHIP, MANDATE),
    ),
    "dues_claims": (
        N_("Beitragsforderungen"),
        N_("Beitragsverwaltung, Buchführung"),
        (B, C),
        (AUDITORS, TAX_OFFICE),
        (BOOKS,),
    ),
    "bookings": (
        N_("Buchungen (Sie als Zahlende/r oder Empfänger/in)"),
        N_("Buchführung des Vereins"),
        (C,),
        (AUDITORS, TAX_OFFICE),
        (BOOKS,),
    ),
    "donations": (
        N_("Spenden"),
        N_("Buchführung, Nachweis der Mittelverwendung, Zuwendungsbestätigungen"),
        (C,),
        (AUDITORS, TAX_OFFICE),
        (BOOKS,),
    ),
    "receipts": (
        N_("Ausgestellte Zuwendungsbestätigungen"),
        N_("Zuwendungsbestätigungen für Ihre Steuererklärung (§ 50 EStDV)"),
        (C,),
        (N_("Finanzamt"), AUDITORS),
        (BOOKS,),
    ),
    "online_payments": (
        N_("Online-Zahlungen"),
        N_("Zahlung von Beiträgen und Spenden über das Internet"),
        (B, C),
        (N_("Stripe Payments Europe Ltd. (Zahlungsdienstleister)"),),
        (DOCUMENTS,),
    ),
    "bank": (
        N_("Bankdaten: Kontoauszugszeilen, bekannte IBANs, Lastschriften"),
        N_("Zuordnung eingehender Zahlungen, Beitragseinzug"),
        (B, C, F),
        (N_("Bank des Vereins"),),
        (DOCUMENTS,),
    ),
    "reminders": (
        N_("Zahlungserinnerungen und Mahnungen"),
        N_("Einziehen offener Beiträge"),
        (B, F),
        (),
        (LETTERS,),
    ),
    "projects": (
        N_("Förderanträge"),
        N_("Bearbeitung Ihrer Anträge auf Förderung"),
        (B, C),
        (AUDITORS, TAX_OFFICE),
        (BOOKS,),
    ),
    "login": (
        N_("Zugang zum Mitgliederportal"),
        N_("Anmeldung im Mitgliederportal"),
        (B, F),
        (),
        (LOGIN,),
    ),
    "audit": (
        N_("Protokoll der Änderungen an Ihren Daten"),
        N_("Nachvollziehbarkeit der Buchführung und der Datenänderungen"),
        (C, F),
        (AUDITORS, TAX_OFFICE),
        (BOOKS,),
    ),
}

RIGHTS = (
    N_("Auskunft über Ihre Daten (Art. 15 DSGVO)"),
    N_("Berichtigung unrichtiger Daten (Art. 16 DSGVO)"),
    N_(
        "Löschung (Art. 17 DSGVO), soweit keine gesetzliche Aufbewahrungspflicht entgegensteht; "
        "dann Sperrung bis zu deren Ende"
    ),
    N_("Einschränkung der Verarbeitung (Art. 18 DSGVO)"),
    N_("Datenübertragbarkeit in einem maschinenlesbaren Format (Art. 20 DSGVO)"),
    N_("Widerspruch gegen die Verarbeitung aus berechtigtem Interesse (Art. 21 DSGVO)"),
    N_("Beschwerde bei einer Datenschutz-Aufsichtsbehörde (Art. 77 DSGVO)"),
)
