"""The online-payment settings: what Stripe needs (never its secrets), the webhook to register,
the donation page's amounts and text (audited), and the link for the association's website."""

import html
import re

import pytest
from sqlalchemy import select

from supportclub.admin.payment_settings import key_mode, parse_donation_amounts
from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.errors import ValidationError
from supportclub.extensions import db as _db
from tests.factories import make_project

URL = "/verwaltung/einstellungen/online-zahlungen"
SECRET = "sk_live_51HZz9Qx0123456789abcdefghijklmnop"
WEBHOOK_SECRET = "whsec_Qq7Ww0123456789"


def text_of(page: str) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_without_stripe_the_page_says_what_to_set(app, db, clients):
    page = clients["treasurer"].get(URL)
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert "Online-Zahlungen sind nicht eingerichtet." in text
    assert "STRIPE_SECRET_KEY fehlt" in text
    assert "STRIPE_WEBHOOK_SECRET fehlt" in text
    for name in ("STRIPE_API_BASE", "STRIPE_PAYMENT_METHODS"):
        assert name in text
    assert "Umgebungsvariablen" in text and "neu starten" in text
    assert "http://localhost/stripe/webhook" in text
    for group in ("checkout.session.*", "payment_intent.*", "charge.*", "charge.dispute.*"):
        assert group in text
    assert "payout.*" in text


def test_configured_stripe_shows_the_mode_but_never_a_secret(app, db, clients, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", SECRET)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_PAYMENT_METHODS", "card,sepa_debit")
    for role in ("admin", "treasurer"):
        page = clients[role].get(URL).get_data(as_text=True)
        text = text_of(page)
        assert "Online-Zahlungen sind eingerichtet." in text
        assert "Live-Modus" in text
        assert "STRIPE_SECRET_KEY gesetzt (live)" in text
        assert "STRIPE_WEBHOOK_SECRET gesetzt" in text
        assert "card,sepa_debit" in text
        assert "Zz9Qx" not in page and "Qq7Ww" not in page


def test_a_key_without_webhook_secret_is_a_warning(app, db, clients, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_abc")
    text = text_of(clients["admin"].get(URL).get_data(as_text=True))
    assert "ohne Webhook-Secret erfährt die App nie, dass bezahlt wurde" in text
    assert "STRIPE_SECRET_KEY gesetzt (test)" in text


def test_key_mode_from_the_prefix():
    assert key_mode("sk_test_x") == "test"
    assert key_mode("rk_live_x") == "live"
    assert key_mode("pk_live_x") == ""
    assert key_mode(None) == ""


def test_save_donation_amounts_and_text_is_audited(app, db, clients):
    response = clients["treasurer"].post(
        URL,
        data={"donation_amounts": " 100, 10,25 ,1.000 € ", "donation_page_text": "Danke!\r\n"},
    )
    assert response.status_code == 302
    settings = get_settings()
    assert settings.donation_amounts == "10,25,100,1000"
    assert settings.donation_page_text == "Danke!"
    [entry] = _db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "settings.donation_updated")
    )
    assert entry.data["donation_amounts"] == {"before": "25,50,100,250", "after": "10,25,100,1000"}
    page = clients["treasurer"].get(URL).get_data(as_text=True)
    assert 'value="10,25,100,1000"' in page
    assert "Die Einstellungen der Spendenseite wurden gespeichert." in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Bitte mindestens einen Betrag angeben"),
        ("0", "0 € geht nicht: jeder Betrag muss zwischen 1 und 25.000 Euro liegen."),
        ("25001", "25001 € geht nicht"),
        ("abc", "„abc“ ist kein ganzer Euro-Betrag."),
        ("12.5", "„12.5“ ist kein ganzer Euro-Betrag."),
        ("25,,50", "Zwischen zwei Kommas fehlt ein Betrag"),
        ("1,2,3,4,5,6,7,8,9", "Höchstens 8 Beträge"),
    ],
)
def test_wrong_amounts_are_refused_with_a_clear_message(app, db, clients, typed, message):
    response = clients["admin"].post(
        URL, data={"donation_amounts": typed, "donation_page_text": "neu"}
    )
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    settings = get_settings()
    assert (settings.donation_amounts, settings.donation_page_text) == ("25,50,100,250", "")
    assert not _db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "settings.donation_updated")
    ).all()


def test_a_too_long_page_text_is_refused(app, db, clients):
    response = clients["treasurer"].post(
        URL, data={"donation_amounts": "25", "donation_page_text": "x" * 2001}
    )
    assert response.status_code == 422
    assert get_settings().donation_page_text == ""


def test_parse_keeps_whole_euros_only():
    assert parse_donation_amounts("50,25,50") == [25, 50]
    assert parse_donation_amounts("25000") == [25000]
    with pytest.raises(ValidationError) as refused:
        parse_donation_amounts("25;50")
    assert refused.value.field == "donation_amounts"


def test_the_link_for_the_website(app, db, clients):
    project = make_project("Lesefest")
    page = clients["treasurer"].get(f"{URL}?projekt={project.fund_id}&betrag=50")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    if "payments.donate" not in app.view_functions:  # the public page comes with its own brief
        assert "Die öffentliche Spendenseite ist in dieser Installation noch nicht verfügbar." in (
            body
        )
        return
    link = html.unescape(re.search(r'data-testid="snippet-link">([^<]*)<', body).group(1))
    assert link.startswith("http://localhost/")
    assert f"projekt={project.fund_id}" in link and "betrag=50" in link
    snippet = html.unescape(re.search(r'data-testid="snippet">([^<]*)<', body).group(1))
    assert snippet.startswith('<a href="http://localhost/') and "Jetzt spenden</a>" in snippet
    wrong = clients["treasurer"].get(f"{URL}?betrag=abc").get_data(as_text=True)
    assert "Bitte einen ganzen Betrag von 1 bis 25.000 Euro." in wrong


def test_settings_page_links_here(app, db, clients):
    page = clients["admin"].get("/verwaltung/einstellungen").get_data(as_text=True)
    assert f'href="{URL}"' in page
