"""The data export (privacy.export.person_data) as a readable PDF: A4, embedded DejaVu font,
German headings; one section per category with its purpose, legal basis, recipients and
retention, then the data as a table."""

from datetime import date, datetime
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from supportclub.clock import LOCAL_TZ
from supportclub.i18n import N_, _
from supportclub.money import format_cents
from supportclub.pdf import FONT, FONT_BOLD, register_fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN
GRID = colors.HexColor("#adb5bd")
SHADE = colors.HexColor("#e9ecef")

FIELD_LABELS = {
    "id": N_("Nr."),
    "kind": N_("Art"),
    "first_name": N_("Vorname"),
    "last_name": N_("Name"),
    "street": N_("Straße"),
    "postal_code": N_("PLZ"),
    "city": N_("Ort"),
    "country": N_("Land"),
    "email": N_("E-Mail"),
    "phone": N_("Telefon"),
    "iban": N_("IBAN"),
    "member_number": N_("Mitgliedsnummer"),
    "is_active": N_("aktiv"),
    "created_at": N_("angelegt"),
    "locked_at": N_("gesperrt seit"),
    "retain_until": N_("aufbewahrt bis"),
    "type": N_("Art"),
    "member": N_("Mitglied"),
    "start_date": N_("Beginn"),
    "end_date": N_("Ende"),
    "leave_reason": N_("Austrittsgrund"),
    "payer": N_("Zahler"),
    "mandate": N_("SEPA-Mandat"),
    "year": N_("Jahr"),
    "membership_type": N_("Mitgliedsart"),
    "due_date": N_("fällig"),
    "amount_cents": N_("Betrag"),
    "paid_cents": N_("bezahlt"),
    "waived_cents": N_("erlassen"),
    "open_cents": N_("offen"),
    "status": N_("Stand"),
    "date": N_("Datum"),
    "text": N_("Text"),
    "channel": N_("Weg"),
    "reversal_of": N_("Storno von"),
    "booking_id": N_("Buchung"),
    "fund": N_("Zweck/Topf"),
    "description": N_("Beschreibung"),
    "number": N_("Nummer"),
    "issued_on": N_("ausgestellt"),
    "period_start": N_("von"),
    "period_end": N_("bis"),
    "total_cents": N_("Betrag"),
    "donor_name": N_("Name"),
    "donor_address": N_("Anschrift"),
    "revoked": N_("storniert"),
    "delivered_to": N_("zugestellt an"),
    "purpose": N_("Zweck"),
    "refunded_cents": N_("erstattet"),
    "method": N_("Zahlart"),
    "paid_at": N_("bezahlt am"),
    "donor": N_("Angaben"),
    "known_ibans": N_("Bekannte IBANs"),
    "confirmed_count": N_("bestätigt"),
    "last_confirmed_at": N_("zuletzt"),
    "statement_lines": N_("Zeilen aus Kontoauszügen"),
    "counterparty_name": N_("Name"),
    "counterparty_iban": N_("IBAN"),
    "direct_debits": N_("Lastschriften"),
    "collection_date": N_("Einzug"),
    "mandate_reference": N_("Mandat"),
    "debtor_name": N_("Kontoinhaber"),
    "remittance": N_("Verwendungszweck"),
    "level": N_("Stufe"),
    "subject": N_("Betreff"),
    "title": N_("Titel"),
    "applied_on": N_("beantragt"),
    "requested_cents": N_("beantragt (Betrag)"),
    "contact_name": N_("Kontakt"),
    "contact_email": N_("Kontakt-E-Mail"),
    "contact_phone": N_("Kontakt-Telefon"),
    "role": N_("Rolle"),
    "last_login_at": N_("letzte Anmeldung"),
    "second_factor": N_("zweiter Faktor"),
    "action": N_("Vorgang"),
    "actor": N_("durch"),
    "data": N_("Daten"),
    "reference": N_("Referenz"),
    "signed_on": N_("unterschrieben am"),
}
# columns left out of the tables (shown elsewhere or only for machines)
HIDDEN = {"id", "reversal_of"}
MAX_COLUMNS = 6  # more fields than this: one line of "field: value" per record


def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, spaceAfter=3)
    return {
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9.5, spaceAfter=0),
        "title": ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=16, leading=20),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=8
        ),
        "h3": ParagraphStyle("h3", parent=body, fontName=FONT_BOLD, fontSize=9.5, leading=12),
    }


def _text(key: str, value) -> str:
    """One value as German text."""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if key.endswith("_cents") and isinstance(value, int):
        return format_cents(value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return date.fromisoformat(value).strftime("%d.%m.%Y")
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                moment = moment.astimezone(LOCAL_TZ)
            return moment.strftime("%d.%m.%Y %H:%M")
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(_text(key, item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_text(k, v)}" for k, v in value.items())
    return str(value)


def _label(key: str) -> str:
    return _(FIELD_LABELS[key]) if key in FIELD_LABELS else key


def _p(text: str, styles, style: str = "cell") -> Paragraph:
    return Paragraph(escape(text), styles[style])


def _grid(rows: list[list], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _record(data: dict, styles) -> Table:
    """A single record (master data, login) as label/value rows."""
    rows = [[_p(_("Angabe"), styles), _p(_("Inhalt"), styles)]]
    rows += [[_p(_label(k), styles), _p(_text(k, v), styles)] for k, v in data.items()]
    return _grid(rows, [0.3 * WIDTH, 0.7 * WIDTH])


def _records(items: list[dict], styles) -> list:
    """A list of records: a table with one column per field, or, with more fields than fit
    side by side, one row per record reading "field: value · field: value"."""
    if not items:
        return [_p(_("Keine Einträge."), styles, "body")]
    keys = [k for k in items[0] if k not in HIDDEN]
    if len(keys) <= MAX_COLUMNS:
        rows = [[_p(_label(k), styles) for k in keys]]
        rows += [[_p(_text(k, item.get(k)), styles) for k in keys] for item in items]
        return [_grid(rows, [WIDTH / len(keys)] * len(keys))]
    rows = [[_p(_("Einträge: %(count)s", count=len(items)), styles)]]
    for item in items:
        parts = [
            f"<b>{escape(_label(k))}</b>: {escape(_text(k, item.get(k)))}"
            for k in keys
            if item.get(k) not in (None, "", [], {})
        ]
        rows.append([Paragraph(" · ".join(parts), styles["cell"])])
    return [_grid(rows, [WIDTH])]


def _data(data, styles) -> list:
    if data is None:
        return [_p(_("Keine Einträge."), styles, "body")]
    if isinstance(data, list):
        return _records(data, styles)
    if all(isinstance(v, list) for v in data.values()):  # sub-lists (bank)
        flowables = []
        for key, items in data.items():
            flowables += [
                _p(_label(key), styles, "h3"),
                *_records(items, styles),
                Spacer(1, 2 * mm),
            ]
        return flowables
    return [_record(data, styles)]


def render_export(data: dict) -> bytes:
    """The export as PDF bytes."""
    styles = _styles()
    buffer = BytesIO()
    title = _("Auskunft über gespeicherte Daten (Art. 15 DSGVO)")
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN, title=title, author=data["controller"]["name"], creator="supportclub",
        lang="de-DE", invariant=True, initialFontName=FONT, initialFontSize=9,
    )  # fmt: skip
    controller = data["controller"]
    created = _text("created_at", data["created_at"])
    story = [
        _p(title, styles, "title"),
        Spacer(1, 3 * mm),
        _p(
            _(
                "Verantwortlich: %(name)s, %(address)s. Stand: %(created)s.",
                name=controller["name"] or "–",
                address=", ".join(controller["address"]) or "–",
                created=created,
            ),
            styles,
            "body",
        ),
    ]
    for section in data["categories"].values():
        story += [
            CondPageBreak(35 * mm),
            _p(section["title"], styles, "h2"),
            _p(_("Zweck: %(text)s", text=section["purpose"]), styles, "body"),
            _p(
                _("Rechtsgrundlage: %(text)s", text="; ".join(section["legal_basis"])),
                styles,
                "body",
            ),
            _p(
                _("Empfänger: %(text)s", text="; ".join(section["recipients"]) or _("keine")),
                styles,
                "body",
            ),
            _p(_("Speicherdauer: %(text)s", text="; ".join(section["retention"])), styles, "body"),
            *_data(section["data"], styles),
        ]
    story += [CondPageBreak(40 * mm), _p(_("Ihre Rechte"), styles, "h2")]
    story += [_p(f"• {right}", styles, "body") for right in data["rights"]]
    doc.build(story)
    return buffer.getvalue()
