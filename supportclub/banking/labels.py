"""How bank lines and direct debits are named: the reason of a suggestion, what confirming it would
book, the SEPA return reason codes in German, in one place."""

from flask_babel import lazy_gettext as _l

from supportclub.banking.models import CollectionStatus, LineState, MatchKind
from supportclub.banking.suggestion import Suggestion
from supportclub.i18n import _
from supportclub.money import format_cents

KIND_LABELS = {
    MatchKind.COLLECTION: _l("Eigene Lastschrift"),
    MatchKind.RETURN: _l("Rücklastschrift"),
    MatchKind.PAYOUT: _l("Stripe-Auszahlung"),
    MatchKind.BOOKED: _l("Bereits gebucht"),
    MatchKind.MANDATE: _l("Mandatsreferenz"),
    MatchKind.MEMBER_NUMBER: _l("Mitgliedsnummer"),
    MatchKind.IBAN: _l("IBAN bekannt"),
    MatchKind.NAME_AMOUNT: _l("Name und Betrag"),
    MatchKind.NONE: _l("keine Zuordnung"),
}

# Bootstrap badge classes: the more trusted, the greener
KIND_BADGES = {
    MatchKind.COLLECTION: "bg-success",
    MatchKind.RETURN: "bg-danger",
    MatchKind.PAYOUT: "bg-success",
    MatchKind.BOOKED: "bg-success",
    MatchKind.MANDATE: "bg-success",
    MatchKind.MEMBER_NUMBER: "bg-primary",
    MatchKind.IBAN: "bg-primary",
    MatchKind.NAME_AMOUNT: "bg-warning text-dark",
    MatchKind.NONE: "bg-light text-dark border",
}

STATE_LABELS = {
    LineState.OPEN: _l("zu prüfen"),
    LineState.DONE: _l("gebucht"),
}

COLLECTION_STATUS_LABELS = {
    CollectionStatus.SUBMITTED: _l("eingereicht"),
    CollectionStatus.CANCELLED: _l("storniert"),
}

# SEPA return reason codes (ISO 20022 ExternalReturnReason1Code) as German banks explain them
RETURN_REASONS = {
    "AC01": _l("IBAN fehlerhaft"),
    "AC04": _l("Konto erloschen"),
    "AC06": _l("Konto gesperrt"),
    "AC13": _l("Konto eines Verbrauchers (Firmenlastschrift nicht zulässig)"),
    "AG01": _l("Lastschrift für dieses Konto nicht zulässig"),
    "AG02": _l("Ungültiger Zahlungsart-Code"),
    "AM04": _l("Deckung unzureichend"),
    "AM05": _l("Doppelte Einreichung"),
    "BE05": _l("Gläubiger unbekannt"),
    "CNOR": _l("Bank des Gläubigers nicht erreichbar"),
    "DNOR": _l("Bank des Zahlungspflichtigen nicht erreichbar"),
    "FF01": _l("Ungültiges Dateiformat"),
    "MD01": _l("Kein Mandat vorhanden"),
    "MD02": _l("Mandatsdaten fehlen oder sind fehlerhaft"),
    "MD06": _l("Rückgabe auf Verlangen des Zahlungspflichtigen (Widerspruch)"),
    "MD07": _l("Zahlungspflichtiger verstorben"),
    "MS02": _l("Zahlungspflichtiger hat widersprochen (ohne Angabe von Gründen)"),
    "MS03": _l("Grund nicht angegeben"),
    "RC01": _l("BIC fehlerhaft"),
    "RR01": _l("Angaben zum Zahlungspflichtigen fehlen (regulatorisch)"),
    "RR02": _l("Name oder Anschrift des Zahlungspflichtigen fehlen (regulatorisch)"),
    "RR03": _l("Name oder Anschrift des Gläubigers fehlen (regulatorisch)"),
    "RR04": _l("Regulatorische Gründe"),
    "SL01": _l("Besondere Dienstleistung der Bank des Zahlungspflichtigen (Lastschriftsperre)"),
}


def return_reason_text(code: str | None) -> str:
    """The German text of a return reason code ("MD06: Rückgabe auf Verlangen ...")."""
    if not code:
        return _("ohne Angabe eines Grundes")
    label = RETURN_REASONS.get(code.upper())
    if label:
        return f"{code.upper()}: {label}"
    return _("%(code)s: unbekannter Rückgabegrund", code=code)


def reason_text(line) -> str:
    """Why the line was matched, as the treasurer reads it in the review queue."""
    kind = MatchKind(line.match_kind)
    r = (line.match_data or {}).get("reason", {})
    if kind == MatchKind.COLLECTION:
        return _(
            "Lastschrift %(e2e)s → %(name)s, Beitrag %(years)s",
            e2e=r.get("e2e", ""),
            name=r.get("name", ""),
            years=r.get("years", ""),
        )
    if kind == MatchKind.RETURN:
        return _(
            "Rücklastschrift %(e2e)s (%(reason)s) → Beitrag %(years)s von %(name)s wieder offen",
            e2e=r.get("e2e", ""),
            reason=return_reason_text(r.get("code")),
            years=r.get("years", ""),
            name=r.get("name", ""),
        )
    if kind == MatchKind.PAYOUT:
        return _(
            "Auszahlung von Stripe %(payout)s, bereits gebucht (Buchung %(booking)s)",
            payout=r.get("payout", ""),
            booking=(line.match_data or {}).get("booking_id", ""),
        )
    if kind == MatchKind.BOOKED:
        return _(
            "Bereits gebucht: Buchung %(booking)s vom %(date)s",
            booking=(line.match_data or {}).get("booking_id", ""),
            date=r.get("date", ""),
        )
    if kind == MatchKind.MANDATE:
        years = r.get("years")
        if years:
            return _(
                "Mandatsreferenz %(mandate)s → Mitglied %(number)s, Beitrag %(years)s",
                mandate=r.get("mandate", ""),
                number=r.get("number", ""),
                years=years,
            )
        return _(
            "Mandatsreferenz %(mandate)s → Mitglied %(number)s",
            mandate=r.get("mandate", ""),
            number=r.get("number", ""),
        )
    if kind == MatchKind.MEMBER_NUMBER:
        return _("Mitgliedsnummer %(number)s im Verwendungszweck", number=r.get("number", ""))
    if kind == MatchKind.IBAN:
        return _("IBAN bekannt von %(name)s", name=r.get("name", ""))
    if kind == MatchKind.NAME_AMOUNT:
        return _("Name und Betrag passen (%(name)s)", name=r.get("name", ""))
    return _("keine Zuordnung")


def plan_text(line, claim_years: dict[int, int] | None = None) -> str:
    """What confirming the suggestion books: "Beitrag 2026 (60,00 €) + Spende 10,00 €".

    ``claim_years`` maps claim ids to their years (the page loads them for all its lines at once);
    without it the claims are named by count.
    """
    s = Suggestion.of(line)
    if s.kind == MatchKind.NONE:
        return ""
    if s.kind in (MatchKind.PAYOUT, MatchKind.BOOKED):
        return _("nur verknüpfen (wird nicht noch einmal gebucht)")
    if s.kind == MatchKind.RETURN:
        if line.bank_fee_cents:
            return _(
                "Beitrag wieder offen (%(amount)s), Bankgebühr %(fee)s",
                amount=format_cents(-line.amount_cents - line.bank_fee_cents),
                fee=format_cents(line.bank_fee_cents),
            )
        return _("Beitrag wieder offen (%(amount)s)", amount=format_cents(-line.amount_cents))
    parts = []
    for claim_id, cents in s.claims:
        year = (claim_years or {}).get(claim_id)
        if year:
            parts.append(_("Beitrag %(year)s (%(amount)s)", year=year, amount=format_cents(cents)))
        else:
            parts.append(_("Beitrag (%(amount)s)", amount=format_cents(cents)))
    if s.donation_cents:
        parts.append(_("Spende %(amount)s", amount=format_cents(s.donation_cents)))
    return " + ".join(parts)


def template_helpers() -> dict:
    """Names the banking templates use."""
    return {
        "KIND_LABELS": KIND_LABELS,
        "KIND_BADGES": KIND_BADGES,
        "STATE_LABELS": STATE_LABELS,
        "COLLECTION_STATUS_LABELS": COLLECTION_STATUS_LABELS,
        "reason_text": reason_text,
        "plan_text": plan_text,
        "return_reason_text": return_reason_text,
    }
