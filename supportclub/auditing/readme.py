"""LIESMICH.txt of the year export: what each file holds, in German (§ 147 Abs. 6 AO)."""

from supportclub.i18n import _


def readme_text(year: int, *, with_audit_trail: bool = True) -> str:
    """LIESMICH.txt: what each file of the export holds (German)."""
    lines = [
        _("Datenexport des Jahres %(year)s (supportclub)", year=year),
        "",
        _(
            "Dieser Export dient der Datenüberlassung an die Finanzverwaltung nach § 147 Abs. 6 AO "
            "und den Kassenprüfern. Alle Tabellen sind CSV-Dateien (UTF-8 mit BOM, Trennzeichen "
            "Semikolon, Datum TT.MM.JJJJ). Beträge stehen zweimal da: in Cent (ganze Zahl) und "
            "in Euro mit Dezimalkomma. Texte, die mit =, +, -, @ beginnen, tragen ein "
            "vorangestelltes Apostroph (Schutz vor Formeln in Tabellenprogrammen); nur "
            "protokoll.csv enthält die gespeicherten Werte unverändert, damit die Hash-Kette "
            "nachgerechnet werden kann."
        ),
        "",
        _("Dateien:"),
        _("buchungen.csv – jede Buchungsposition des Jahres mit ihrer Buchung: Buchungsnummer, "
          "Datum, Konto, Buchungsbetrag, Gegenpartei, Text, Kanal, externe Referenz, "
          "Storno-Bezug, Kategorie, Steuersphäre, Fonds, Beitragsforderung, Aktion, Projekt, "
          "Positionsbetrag."),
        _("konten.csv, fonds.csv – je Konto und Fonds: Anfangsbestand 1.1., Zugänge, Abgänge, "
          "Endbestand 31.12.; bei einem festgeschriebenen Jahr zusätzlich die bei der "
          "Festschreibung gespeicherten Bestände und ob sie übereinstimmen."),
        _("zuwendungsbestaetigungen.csv – die Zuwendungsbestätigungen mit Nummer des Jahres "
          "(lückenlos), Datum, Zuwendendem, Betrag, Art, Status, Stornogrund und SHA-256 der "
          "gespeicherten PDF-Datei; die PDF-Dateien selbst liegen im Ordner belege/."),
        _("beitraege.csv – die Beitragsforderungen des Jahres mit bezahltem, erlassenem und "
          "offenem Betrag (Stand des Exports)."),
        _("foerderungen.csv – Projekte mit Förderbeschluss oder Auszahlung im Jahr."),
    ]  # fmt: skip
    if with_audit_trail:
        lines.append(
            _(
                "protokoll.csv – die Protokolleinträge des Jahres mit vorherigem Hash und eigenem "
                "Hash (Hash-Kette; prüfbar mit „flask audit verify“)."
            )
        )
    else:
        lines.append(_("protokoll.csv fehlt: der Exportierende darf das Protokoll nicht einsehen."))
    lines += [
        _("kassenbericht.pdf – der Kassenbericht des Jahres."),
        _(
            "buchungsjournal.pdf – alle Buchungspositionen des Jahres in zeitlicher Folge (bei "
            "sehr vielen Positionen in Teilen: buchungsjournal-teil-1.pdf, -teil-2.pdf, …)."
        ),
        _("manifest.json – Verein, Jahr, Zeitpunkt und Ersteller des Exports, Programmversion "
          "und Datenbankstand, je Datei Größe, SHA-256 und Zeilenzahl."),
        _("pruefsummen.sha256 – die Prüfsummen aller Dateien; prüfen mit „sha256sum -c "
          "pruefsummen.sha256“."),
        "",
    ]  # fmt: skip
    return "\r\n".join(lines)
