"""The receipt pages as the treasurer and the board use them: list, receipt, PDF, duplicate,
issuing from a person's page, revoking and replacing; refusals that write nothing."""

import hashlib
import re
from datetime import date

import pytest
from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.extensions import db
from supportclub.ledger.services import reverse_booking
from supportclub.receipts import queries, services
from supportclub.receipts.models import DonationReceipt
from supportclub.receipts.storage import path_for
from tests.factories import make_member
from tests.receipts.ui_helpers import (
    donation_line,
    issue,
    last_number,
    make_contribution,
    make_person,
    make_receipt_settings,
    pdf_text,
    receipt_count,
)


@pytest.fixture
def settings(app):
    """Complete receipt settings."""
    return make_receipt_settings()


@pytest.fixture
def donor(settings):
    """A donor with an address."""
    return make_person(first_name="Erika", last_name="Spenderin")


def _flashes(client, response) -> str:
    """The page the redirect leads to (with its flash messages)."""
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _receipt(number: str) -> DonationReceipt:
    return db.session.execute(
        select(DonationReceipt).where(DonationReceipt.number == number)
    ).scalar_one()


# List -----------------------------------------------------------------------------------------


def test_list_filters_by_year_kind_status_and_search(clients, donor):
    other = make_person(first_name="Max", last_name="Anders")
    first = issue(donor, 5000)
    issue(other, 7000, day=date(2025, 4, 1))
    issue(donor, 3000, kind="in_kind", day=date(2024, 6, 1))
    services.revoke(first, "Betrag falsch", actor=None)
    db.session.commit()
    client = clients["board"]

    def numbers(query: str = "") -> list[str]:
        page = client.get("/zuwendungsbestaetigungen" + query).get_data(as_text=True)
        return re.findall(r'data-receipt="([^"]+)"', page)

    assert numbers() == ["2025-0002", "2025-0001", "2024-0001"]
    assert numbers("?jahr=2024") == ["2024-0001"]
    assert numbers("?art=in_kind") == ["2024-0001"]
    assert numbers("?status=storniert") == ["2025-0001"]
    assert numbers("?status=gueltig") == ["2025-0002", "2024-0001"]
    assert numbers("?q=anders") == ["2025-0002"]
    assert numbers("?q=2025-0001") == ["2025-0001"]
    assert numbers(f"?person={donor.id}") == ["2025-0001", "2024-0001"]
    assert numbers("?jahr=abc&art=nonsense") == ["2025-0002", "2025-0001", "2024-0001"]
    page = client.get("/zuwendungsbestaetigungen").get_data(as_text=True)
    assert "3 Bestätigungen gefunden" in page and "davon 1 storniert" in page
    totals = page[page.index('data-testid="totals"') :]
    assert "100,00 €" in totals  # 70 € + 30 €; the revoked 50 € do not count


def test_list_pages(clients, donor, monkeypatch):
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    for month in (1, 2, 3):
        issue(donor, 1000 * month, day=date(2025, month, 5))
    client = clients["treasurer"]
    first = client.get("/zuwendungsbestaetigungen").get_data(as_text=True)
    second = client.get("/zuwendungsbestaetigungen?seite=2").get_data(as_text=True)
    assert re.findall(r'data-receipt="([^"]+)"', first) == ["2025-0003", "2025-0002"]
    assert re.findall(r'data-receipt="([^"]+)"', second) == ["2025-0001"]
    assert "Seite 2 von 2" in second


# A receipt ------------------------------------------------------------------------------------


def test_detail_shows_data_items_bookings_and_history(clients, donor):
    make_contribution(donor, 1000, booking_date=date(2025, 2, 1))
    make_contribution(donor, 4800, kind="dues", booking_date=date(2025, 3, 1))
    receipt = services.issue_collective(donor, 2025, actor=None)
    db.session.commit()
    page = clients["board"].get(f"/zuwendungsbestaetigungen/{receipt.id}").get_data(as_text=True)
    assert "Zuwendungsbestätigung 2025-0001" in page
    assert "Sammelbestätigung" in page and "Anlage 14" in page
    assert "Erika Spenderin" in page and "Hauptstraße 1, 07743 Jena" in page
    assert "58,00 €" in page and "achtundfünfzig Euro" in page
    assert "01.01.2025 – 31.12.2025" in page
    lines = [item.booking_line_id for item in receipt.items]
    bookings = [item.booking_line.booking_id for item in receipt.items]
    for line, booking in zip(lines, bookings, strict=True):
        assert f'data-line="{line}"' in page
        assert f'href="/buchungen/{booking}"' in page
    assert "Mitgliedsbeitrag" in page and "Geldzuwendung" in page
    assert "ausgestellt" in page  # history
    assert "Stornieren" not in page  # the board only reads


def test_detail_warns_when_a_booking_was_reversed(clients, donor):
    booking = make_contribution(donor, 5000)
    receipt = services.issue_single(donation_line(booking).id, actor=None)
    db.session.commit()
    reverse_booking(booking, "Fehlbuchung", actor=None)
    db.session.commit()
    page = clients["treasurer"].get(f"/zuwendungsbestaetigungen/{receipt.id}")
    assert 'data-testid="reversed-warning"' in page.get_data(as_text=True)


# PDFs -----------------------------------------------------------------------------------------


def test_pdf_is_the_stored_file(clients, donor):
    receipt = issue(donor, 5000)
    response = clients["board"].get(f"/zuwendungsbestaetigungen/{receipt.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == receipt.pdf_sha256
    assert "2025-0001" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"


def test_revoked_pdf_is_stamped_and_the_original_is_for_the_treasurer(clients, donor):
    receipt = issue(donor, 5000)
    services.revoke(receipt, "Anschrift falsch", actor=None)
    db.session.commit()
    url = f"/zuwendungsbestaetigungen/{receipt.id}.pdf"
    stamped = clients["board"].get(url)
    assert stamped.status_code == 200
    text = pdf_text(stamped.data)
    assert "STORNIERT am" in text and "Grund: Anschrift falsch" in text
    assert "Bestätigung über Geldzuwendungen" in text  # the original text is still there
    assert clients["board"].get(url + "?original=1").status_code == 403
    original = clients["treasurer"].get(url + "?original=1")
    assert hashlib.sha256(original.data).hexdigest() == receipt.pdf_sha256
    assert "STORNIERT" not in pdf_text(original.data)


def test_altered_or_missing_pdf_is_not_served(clients, donor):
    receipt = issue(donor, 5000)
    path = path_for(receipt.storage_key)
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.4 manipuliert")
    response = clients["treasurer"].get(f"/zuwendungsbestaetigungen/{receipt.id}.pdf")
    assert response.status_code == 500
    assert "verändert" in response.get_data(as_text=True)
    path.unlink()
    response = clients["treasurer"].get(f"/zuwendungsbestaetigungen/{receipt.id}.pdf")
    assert response.status_code == 404
    assert "fehlt" in response.get_data(as_text=True)


def test_duplicate_is_stamped_and_audited(clients, donor):
    receipt = issue(donor, 5000)
    response = clients["treasurer"].get(f"/zuwendungsbestaetigungen/{receipt.id}/duplikat.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Duplikat" in text and "2025-0001" in text
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "receipts.duplicate_printed")
    ).scalar_one()
    assert entry.target_id == receipt.id
    assert receipt_count() == (1, 1)


def test_no_duplicate_of_a_revoked_receipt(clients, donor):
    receipt = issue(donor, 5000)
    services.revoke(receipt, "falsch", actor=None)
    db.session.commit()
    client = clients["treasurer"]
    response = client.get(f"/zuwendungsbestaetigungen/{receipt.id}/duplikat.pdf")
    assert "kein Duplikat" in _flashes(client, response)


# Issuing --------------------------------------------------------------------------------------


def test_issue_single_from_the_donor_page(clients, donor):
    booking = make_contribution(donor, 12000)
    client = clients["treasurer"]
    page = client.get(f"/spenden/spender/{donor.id}").get_data(as_text=True)
    section = page[page.index('data-testid="receipt-section"') :]
    assert "Einzelbestätigung" in section and "Vereinfachter Nachweis" in section
    line = donation_line(booking).id
    response = client.post(
        "/zuwendungsbestaetigungen/einzeln",
        data={"line_id": line, "slip": "0", "next": f"/spenden/spender/{donor.id}"},
    )
    receipt = _receipt("2025-0001")
    assert response.headers["Location"].endswith(f"/zuwendungsbestaetigungen/{receipt.id}")
    page = _flashes(client, response)
    expected = "2025-0001 (Einzelbestätigung) über 120,00 € für Erika Spenderin ausgestellt."
    assert "Zuwendungsbestätigung " + expected in page
    assert receipt.kind == "single" and receipt.has_pdf


def test_issue_slip(clients, donor):
    line = donation_line(make_contribution(donor, 2500)).id
    response = clients["treasurer"].post(
        "/zuwendungsbestaetigungen/einzeln", data={"line_id": line, "slip": "1"}
    )
    assert response.status_code == 302
    assert _receipt("2025-0001").kind == "slip"


def test_refused_issue_flashes_and_writes_nothing(clients, donor):
    line = donation_line(make_contribution(donor, 30001)).id
    client = clients["treasurer"]
    back = f"/spenden/spender/{donor.id}"
    response = client.post(
        "/zuwendungsbestaetigungen/einzeln", data={"line_id": line, "slip": "1", "next": back}
    )
    assert response.headers["Location"] == back
    assert "nur für Zuwendungen bis 300,00 €" in _flashes(client, response)
    assert receipt_count() == (0, 0) and last_number(2025) == 0
    issue_single = services.issue_single(line, actor=None)
    db.session.commit()
    again = client.post("/zuwendungsbestaetigungen/einzeln", data={"line_id": line, "next": back})
    assert "steht bereits auf der Zuwendungsbestätigung 2025-0001" in _flashes(client, again)
    assert receipt_count() == (1, 1) and issue_single.number == "2025-0001"
    assert last_number(2025) == 1


def test_missing_settings_are_named_when_issuing(clients, app):
    make_receipt_settings(tax_number="", purposes="")
    person = make_person()
    line = donation_line(make_contribution(person, 1000)).id
    client = clients["treasurer"]
    response = client.post("/zuwendungsbestaetigungen/einzeln", data={"line_id": line})
    page = _flashes(client, response)
    assert "Steuernummer" in page and "Steuerbegünstigte Zwecke" in page
    assert receipt_count() == (0, 0)


def test_foreign_next_is_not_followed(clients, donor):
    response = clients["treasurer"].post(
        "/zuwendungsbestaetigungen/einzeln", data={"line_id": "", "next": "//evil.example/x"}
    )
    assert response.headers["Location"] == "/zuwendungsbestaetigungen"


def test_issue_collective_from_the_member_page(clients, settings):
    member = make_member(first_name="Mia", last_name="Mitglied")
    make_contribution(member, 4800, kind="dues", booking_date=date(2025, 1, 20))
    make_contribution(member, 2000, booking_date=date(2025, 5, 1))
    client = clients["treasurer"]
    page = client.get(f"/mitglieder/{member.id}").get_data(as_text=True)
    assert "Sammelbestätigung 2025" in page
    response = client.post(
        "/zuwendungsbestaetigungen/sammel",
        data={"person_id": member.id, "year": 2025, "next": f"/mitglieder/{member.id}"},
    )
    assert "2025-0001 (Sammelbestätigung) über 68,00 € für Mia Mitglied" in _flashes(
        client, response
    )
    page = client.get(f"/mitglieder/{member.id}").get_data(as_text=True)
    assert 'data-receipt="2025-0001"' in page and "Alle Zuwendungen sind bestätigt." in page


def test_collective_across_years_is_refused(clients, donor):
    make_contribution(donor, 1000, booking_date=date(2025, 12, 1))
    make_contribution(donor, 2000, booking_date=date(2025, 12, 20))
    client = clients["treasurer"]
    response = client.post(
        "/zuwendungsbestaetigungen/sammel",
        data={"person_id": donor.id, "year": 2025, "start": "2025-12-01", "end": "2026-01-31"},
    )
    assert "Kalenderjahres" in _flashes(client, response)
    only_start = client.post(
        "/zuwendungsbestaetigungen/sammel",
        data={"person_id": donor.id, "year": 2025, "start": "2025-12-01"},
    )
    assert "Beginn und Ende" in _flashes(client, only_start)
    assert receipt_count() == (0, 0) and last_number(2025) == 0


def test_donor_without_address_gets_a_message_naming_the_fix(clients, settings):
    person = make_person(first_name="Otto", last_name="Ohneort", street="", postal_code="")
    make_contribution(person, 1000, booking_date=date(2025, 2, 1))
    make_contribution(person, 2000, booking_date=date(2025, 3, 1))
    client = clients["treasurer"]
    response = client.post(
        "/zuwendungsbestaetigungen/sammel", data={"person_id": person.id, "year": 2025}
    )
    page = _flashes(client, response)
    assert "Für Otto Ohneort fehlt die Postanschrift" in page
    assert receipt_count() == (0, 0)


def test_board_sees_receipts_on_person_pages_but_no_buttons(clients, donor):
    issue(donor, 5000)
    make_contribution(donor, 2000, booking_date=date(2025, 6, 1))
    page = clients["board"].get(f"/spenden/spender/{donor.id}").get_data(as_text=True)
    section = page[page.index('data-testid="receipt-section"') :]
    assert 'data-receipt="2025-0001"' in section and "20,00 €" in section
    assert "<form" not in section and "Sammelbestätigung 20" not in section


def test_gate_problem_is_shown_on_the_person_page(clients, app):
    make_receipt_settings(exemption_date=date(2019, 1, 10))
    person = make_person()
    make_contribution(person, 1000)
    page = clients["treasurer"].get(f"/spenden/spender/{person.id}").get_data(as_text=True)
    gate = page[page.index('data-testid="receipt-gate"') :]
    assert "älter als 5 Jahre" in gate


# Revoke and replace ---------------------------------------------------------------------------


def test_revoke_needs_a_reason(clients, donor):
    receipt = issue(donor, 5000)
    client = clients["treasurer"]
    url = f"/zuwendungsbestaetigungen/{receipt.id}/stornieren"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"reason": "  "})
    assert response.status_code == 422
    assert "Bitte den Grund der Stornierung angeben." in response.get_data(as_text=True)
    db.session.refresh(receipt)
    assert not receipt.is_revoked


def test_revoke_then_replace(clients, donor):
    receipt = issue(donor, 5000)
    client = clients["treasurer"]
    response = client.post(
        f"/zuwendungsbestaetigungen/{receipt.id}/stornieren", data={"reason": "Name falsch"}
    )
    page = _flashes(client, response)
    assert "Zuwendungsbestätigung 2025-0001 storniert." in page
    assert "Grund: Name falsch" in page and "Neu ausstellen" in page
    again = client.get(f"/zuwendungsbestaetigungen/{receipt.id}/stornieren")
    assert "bereits storniert" in _flashes(client, again)
    twice = client.post(
        f"/zuwendungsbestaetigungen/{receipt.id}/stornieren", data={"reason": "nochmal"}
    )
    assert twice.status_code == 422 and "bereits am" in twice.get_data(as_text=True)
    replaced = client.post(f"/zuwendungsbestaetigungen/{receipt.id}/ersetzen")
    page = _flashes(client, replaced)
    assert "2025-0002" in page and "Ersetzt die stornierte Bestätigung" in page
    assert _receipt("2025-0002").replaces_id == receipt.id
    refused = client.post(f"/zuwendungsbestaetigungen/{receipt.id}/ersetzen")
    assert "bereits durch 2025-0002 ersetzt" in _flashes(client, refused)


def test_revoke_and_reissue_at_once(clients, donor):
    receipt = issue(donor, 5000)
    response = clients["treasurer"].post(
        f"/zuwendungsbestaetigungen/{receipt.id}/stornieren",
        data={"reason": "Anschrift geändert", "reissue": "y"},
    )
    new = _receipt("2025-0002")
    assert response.headers["Location"].endswith(f"/zuwendungsbestaetigungen/{new.id}")
    assert new.replaces_id == receipt.id


def test_failed_reissue_revokes_nothing(clients, donor):
    receipt = issue(donor, 5000)
    donor.street = ""
    db.session.commit()
    response = clients["treasurer"].post(
        f"/zuwendungsbestaetigungen/{receipt.id}/stornieren",
        data={"reason": "Anschrift geändert", "reissue": "y"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "fehlt die Postanschrift" in page and "nicht storniert" in page
    db.session.expire_all()
    assert not db.session.get(DonationReceipt, receipt.id).is_revoked
    assert receipt_count() == (1, 1) and last_number(2025) == 1


# CSRF -----------------------------------------------------------------------------------------


def test_post_without_csrf_token_is_refused(app, clients, donor):
    line = donation_line(make_contribution(donor, 1000)).id
    app.config["WTF_CSRF_ENABLED"] = True
    response = clients["treasurer"].post(
        "/zuwendungsbestaetigungen/einzeln", data={"line_id": line}
    )
    assert response.status_code == 400
    assert receipt_count() == (0, 0) and last_number(2025) == 0


# Queries --------------------------------------------------------------------------------------


def test_person_pages_do_not_query_per_receipt(app, db, clients, settings):
    from tests.ledger.test_query_counts import page_statements, tally

    member = make_member()
    issue(member, 1000, day=date(2025, 1, 3))
    make_contribution(member, 500, booking_date=date(2025, 1, 4))
    urls = (f"/spenden/spender/{member.id}", f"/mitglieder/{member.id}")
    few = [page_statements(db, clients["treasurer"], url) for url in urls]
    for month in range(2, 9):
        receipt = issue(member, 1000 + month, day=date(2025, month, 3))
        make_contribution(member, 700 + month, booking_date=date(2025, month, 4))
        if month % 2:
            services.revoke(receipt, "falsch", actor=None)
            services.replace(receipt, actor=None)
            db.session.commit()
    many = [page_statements(db, clients["treasurer"], url) for url in urls]
    for before, after in zip(few, many, strict=True):
        assert len(after) == len(before), tally(after)


def test_list_ignores_absurd_filter_values(clients, donor):
    issue(donor, 1000)
    client = clients["board"]
    for query in ("?jahr=99999999999", "?person=99999999999999999999", "?person=-1", "?seite=-3"):
        page = client.get("/zuwendungsbestaetigungen" + query)
        assert page.status_code == 200, query
        assert 'data-receipt="2025-0001"' in page.get_data(as_text=True)


def test_issue_with_unknown_ids_is_refused_cleanly(clients, donor):
    client = clients["treasurer"]
    huge = "99999999999999999999"
    single = client.post("/zuwendungsbestaetigungen/einzeln", data={"line_id": huge})
    assert "Diese Zuwendung gibt es nicht." in _flashes(client, single)
    unknown = client.post("/zuwendungsbestaetigungen/einzeln", data={"line_id": 999999})
    assert "keine bestätigbare Zuwendung" in _flashes(client, unknown)
    collective = client.post(
        "/zuwendungsbestaetigungen/sammel", data={"person_id": huge, "year": 2025}
    )
    assert "Diese Person gibt es nicht." in _flashes(client, collective)
    bad_year = client.post(
        "/zuwendungsbestaetigungen/sammel", data={"person_id": donor.id, "year": 99999}
    )
    assert "zwischen 1990 und 2200" in _flashes(client, bad_year)
    assert receipt_count() == (0, 0)


def test_issue_button_works_with_csrf_on(app, clients, donor):
    make_contribution(donor, 1000)
    app.config["WTF_CSRF_ENABLED"] = True
    client = clients["treasurer"]
    page = client.get(f"/spenden/spender/{donor.id}").get_data(as_text=True)
    section = page[page.index('data-testid="receipt-section"') :]
    form = re.search(r'<form method="post" action="([^"]+)".*?</form>', section, re.S).group(0)
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    response = client.post("/zuwendungsbestaetigungen/einzeln", data={**data, "slip": "0"})
    assert response.status_code == 302
    assert receipt_count() == (1, 1)
