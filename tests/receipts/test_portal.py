"""Mein Konto: a member sees and downloads their own receipts, never another member's (403);
revoked receipts are listed as storniert and served stamped."""

import hashlib

import pytest

from supportclub.extensions import db
from supportclub.receipts import services
from tests.receipts.ui_helpers import issue, make_person, make_receipt_settings, pdf_text


@pytest.fixture
def own(app, users):
    """The member user's own person, with one valid and one revoked (and replaced) receipt."""
    make_receipt_settings()
    person = make_person(first_name="Mara", last_name="Mitglied")
    users["member"].person_id = person.id
    db.session.commit()
    valid = issue(person, 5000)
    wrong = issue(person, 2500)
    services.revoke(wrong, "Betrag falsch", actor=None)
    db.session.commit()
    return {"person": person, "valid": valid, "wrong": wrong}


def test_member_lists_own_receipts(clients, own):
    other = issue(make_person(), 9900)
    page = clients["member"].get("/mein-konto/zuwendungsbestaetigungen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-receipt="2025-0001"' in html and 'data-receipt="2025-0002"' in html
    assert other.number not in html
    revoked_row = html[html.index('data-receipt="2025-0002"') :]
    assert 'data-status="storniert"' in revoked_row[: revoked_row.index("</tr>")]


def test_member_downloads_own_pdf(clients, own):
    response = clients["member"].get(f"/mein-konto/zuwendungsbestaetigungen/{own['valid'].id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == own["valid"].pdf_sha256


def test_revoked_receipt_is_served_stamped(clients, own):
    response = clients["member"].get(f"/mein-konto/zuwendungsbestaetigungen/{own['wrong'].id}.pdf")
    assert response.status_code == 200
    assert "STORNIERT am" in pdf_text(response.data)
    assert hashlib.sha256(response.data).hexdigest() != own["wrong"].pdf_sha256


def test_another_members_receipt_is_403(clients, own):
    other = issue(make_person(), 9900)
    response = clients["member"].get(f"/mein-konto/zuwendungsbestaetigungen/{other.id}.pdf")
    assert response.status_code == 403
    # staff get no one's receipt through the portal either (they use the receipt pages)
    assert (
        clients["treasurer"]
        .get(f"/mein-konto/zuwendungsbestaetigungen/{own['valid'].id}.pdf")
        .status_code
        == 403
    )


def test_unknown_receipt_is_404(clients, own):
    assert (
        clients["member"].get("/mein-konto/zuwendungsbestaetigungen/999999.pdf").status_code == 404
    )


def test_login_without_person_sees_a_friendly_page(clients, app):
    page = clients["board"].get("/mein-konto/zuwendungsbestaetigungen")
    assert page.status_code == 200
    assert 'data-testid="no-person"' in page.get_data(as_text=True)
