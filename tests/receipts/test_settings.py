"""The receipt settings page: saved with an audit entry, refused with a message at the field,
the facsimile signature, and whether receipts can be issued today (§ 63 Abs. 5 AO)."""

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.clock import today
from supportclub.extensions import db
from tests.receipts.ui_helpers import make_receipt_settings, png_bytes

URL = "/verwaltung/einstellungen/zuwendungsbestaetigungen"


def _form(**overrides) -> dict:
    """A complete, valid settings form."""
    data = {
        "action": "settings",
        "s-dues_deductible": "y",
        "s-receipt_signatory": "Petra Kassner, Schatzmeisterin",
        "s-machine_receipts_notified_on": "",
        "s-receipt_min": "10,00",
        "s-receipt_mail_subject": "Ihre Zuwendungsbestätigung {nummer}",
        "s-receipt_mail_text": "Guten Tag {anrede_name}, anbei {nummer} über {betrag}.",
        "s-receipt_thanks_text": "Danke für {betrag} im Zeitraum {zeitraum}. {verein}",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def settings(app):
    """Complete settings with a recent Freistellungsbescheid."""
    return make_receipt_settings(exemption_date=today().replace(month=1, day=1))


def test_page_shows_the_gate_and_the_valid_until_date(clients, settings):
    page = clients["treasurer"].get(URL).get_data(as_text=True)
    until = settings.exemption_date.replace(year=settings.exemption_date.year + 5)
    assert 'data-gate="ok"' in page
    assert f"Bescheid gültig für Zuwendungsbestätigungen bis {until:%d.%m.%Y}" in page
    assert "Mitgliedsbeiträge sind steuerlich abziehbar" in page
    assert "§ 10b Abs. 1 S. 8 EStG" in page


def test_page_names_what_blocks_issuing(clients, app):
    make_receipt_settings(exemption_date=date(2015, 1, 1), tax_office="")
    page = clients["admin"].get(URL).get_data(as_text=True)
    assert 'data-gate="blocked"' in page
    assert "Finanzamt" in page and "älter als 5 Jahre" in page
    assert "bis 01.01.2020" in page


def test_save_with_audit(clients, settings):
    response = clients["treasurer"].post(
        URL,
        data=_form(
            **{
                "s-dues_deductible": None,
                "s-machine_receipts": "y",
                "s-machine_receipts_notified_on": "2024-06-01",
                "s-receipt_thanks": "y",
            }
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = get_settings()
    assert saved.dues_deductible is False
    assert saved.machine_receipts is True
    assert saved.machine_receipts_notified_on == date(2024, 6, 1)
    assert saved.receipt_min_cents == 1000
    assert saved.receipt_thanks is True
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "settings.receipts_updated")
    ).scalar_one()
    assert entry.data["dues_deductible"] == {"before": True, "after": False}
    assert entry.data["receipt_min_cents"] == {"before": 0, "after": 1000}


def test_notification_date_required_for_machine_receipts(clients, settings):
    response = clients["treasurer"].post(URL, data=_form(**{"s-machine_receipts": "y"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Bitte das Datum angeben, an dem die maschinelle Erstellung" in page
    db.session.expire_all()
    assert get_settings().machine_receipts is False
    assert (
        db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "settings.receipts_updated")
        ).first()
        is None
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("s-receipt_mail_text", "Hallo {vorname}", "Unbekannter Platzhalter {vorname}"),
        ("s-receipt_mail_subject", "Beleg {nummer", "Geschweifte Klammern"),
        ("s-receipt_min", "-5", "negativ"),
        ("s-receipt_mail_subject", "", "Bitte einen Betreff angeben."),
    ],
)
def test_bad_values_are_refused_at_their_field(clients, settings, field, value, message):
    response = clients["treasurer"].post(URL, data=_form(**{field: value}))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert get_settings().receipt_min_cents == 0


def test_signature_upload_and_remove(clients, settings):
    client = clients["treasurer"]
    response = client.post(
        URL,
        data={"action": "signature", "sig-file": (io.BytesIO(png_bytes()), "unterschrift.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert get_settings().facsimile_key
    page = client.get(URL).get_data(as_text=True)
    assert 'data-testid="signature-present"' in page and "data:image/png;base64," in page
    response = client.post(
        URL, data={"action": "signature", "sig-remove": "Unterschrift entfernen"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert get_settings().facsimile_key is None
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.action.like("settings.signature%"))
    ).scalars()
    assert list(actions) == ["settings.signature_changed", "settings.signature_removed"]


def test_signature_must_be_an_image(clients, settings):
    response = clients["treasurer"].post(
        URL,
        data={"action": "signature", "sig-file": (io.BytesIO(b"%PDF-1.4"), "unterschrift.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "PNG- oder JPEG-Bild" in response.get_data(as_text=True)
    db.session.expire_all()
    assert get_settings().facsimile_key is None


def test_linked_from_the_association_settings(clients, settings):
    page = clients["admin"].get("/verwaltung/einstellungen").get_data(as_text=True)
    assert f'href="{URL}"' in page


def test_form_works_with_csrf_on(app, clients, settings):
    app.config["WTF_CSRF_ENABLED"] = True
    client = clients["treasurer"]
    page = client.get(URL).get_data(as_text=True)
    token = re.search(r'name="s-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(URL, data=_form()).status_code == 400
    assert client.post(URL, data=_form(**{"s-csrf_token": token})).status_code == 302
    db.session.expire_all()
    assert get_settings().receipt_min_cents == 1000
