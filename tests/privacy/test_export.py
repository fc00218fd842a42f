"""The data export (Art. 15): every category with exact figures, purposes, legal bases,
recipients, retention and rights; no password hash or second-factor secret; a fixed number of
queries; JSON and PDF downloads; a member gets only their own."""

import io
import json
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.banking.models import StatementLine
from supportclub.dues.models import Reminder, ReminderChannel
from supportclub.extensions import db
from supportclub.payments.models import OnlinePayment, PaymentStatus, Purpose
from supportclub.privacy.categories import CATEGORIES
from supportclub.privacy.export import person_data
from tests.banking.line_factory import make_import
from tests.factories import make_contribution, make_person
from tests.privacy.helpers import IBAN, KNOWN_IBAN, former_member, statements


@pytest.fixture
def erika(app):
    """The former member, plus an online payment, a bank line assigned to her, a reminder."""
    former = former_member()
    person = former.person
    db.session.add(
        OnlinePayment(
            token="t" * 43,
            purpose=Purpose.DONATION,
            status=PaymentStatus.SUCCEEDED,
            amount_cents=2500,
            paid_cents=2500,
            method="card",
            person_id=person.id,
            email="erika@example.org",
            donor={"first_name": "Erika", "last_name": "Ehemalig"},
        )
    )
    bank_import = make_import()
    db.session.add(
        StatementLine(
            import_id=bank_import.id,
            account_id=bank_import.account_id,
            entry_key="e-1",
            position=1,
            booking_date=date(2024, 3, 1),
            amount_cents=3600,
            counterparty_name="Erika Ehemalig",
            counterparty_iban=KNOWN_IBAN,
            purpose="Beitrag 2024",
            match_person_id=person.id,
        )
    )
    db.session.add(
        Reminder(
            person_id=person.id,
            member_id=person.id,
            level=1,
            channel=ReminderChannel.EMAIL,
            email="erika@example.org",
            open_cents=3600,
            claim_ids=[former.claim_id],
            subject="Zahlungserinnerung",
            body="Liebe Erika …",
        )
    )
    db.session.commit()
    return former


def test_every_category_with_exact_figures(erika):
    data = person_data(erika.person)
    cats = data["categories"]
    assert list(cats) == list(CATEGORIES)
    master = cats["master_data"]["data"]
    assert (master["first_name"], master["last_name"], master["city"]) == (
        "Erika",
        "Ehemalig",
        "Jena",
    )
    assert (master["phone"], master["iban"], master["email"]) == (
        "03641 123456",
        IBAN,
        "erika@example.org",
    )
    (membership,) = cats["memberships"]["data"]
    assert (membership["start_date"], membership["end_date"]) == ("2020-01-01", "2024-12-31")
    assert membership["mandate"] == {
        "reference": "M-ERIKA-1",
        "signed_on": "2020-01-02",
        "iban": IBAN,
        "type": "RCUR",
    }
    (claim,) = cats["dues_claims"]["data"]
    assert (claim["year"], claim["amount_cents"], claim["paid_cents"], claim["open_cents"]) == (
        2024,
        3600,
        3600,
        0,
    )
    assert claim["status"] == "paid"
    bookings = [(b["date"], b["amount_cents"], b["text"]) for b in cats["bookings"]["data"]]
    assert bookings == [("2024-03-01", 3600, "Beitrag 2024"), ("2024-06-01", 5000, "Spende")]
    donations = [(d["date"], d["amount_cents"], d["kind"]) for d in cats["donations"]["data"]]
    assert donations == [("2024-06-01", 5000, "money")]
    (receipt,) = cats["receipts"]["data"]
    assert (receipt["number"], receipt["total_cents"], receipt["revoked"]) == (
        erika.receipt_number,
        5000,
        False,
    )
    (payment,) = cats["online_payments"]["data"]
    assert (payment["amount_cents"], payment["status"], payment["method"]) == (
        2500,
        "succeeded",
        "card",
    )
    bank = cats["bank"]["data"]
    assert [k["iban"] for k in bank["known_ibans"]] == [KNOWN_IBAN]
    assert [
        (line["amount_cents"], line["counterparty_iban"]) for line in bank["statement_lines"]
    ] == [(3600, KNOWN_IBAN)]
    assert bank["direct_debits"] == []
    (reminder,) = cats["reminders"]["data"]
    assert (reminder["open_cents"], reminder["email"]) == (3600, "erika@example.org")
    assert cats["projects"]["data"] == []
    login = cats["login"]["data"]
    assert (login["email"], login["role"], login["second_factor"]) == (
        "erika@example.org",
        "member",
        False,
    )
    actions = [entry["action"] for entry in cats["audit"]["data"]]
    assert "persons.created" in actions


def test_each_category_says_why_on_what_basis_to_whom_how_long(erika):
    data = person_data(erika.person)
    for key, section in data["categories"].items():
        assert section["title"] and section["purpose"], key
        assert section["legal_basis"] and all(
            "Art. 6 Abs. 1 lit." in b for b in section["legal_basis"]
        ), key
        assert section["retention"], key
    cats = data["categories"]
    assert "Finanzamt" in cats["receipts"]["recipients"]
    assert any("Stripe" in r for r in cats["online_payments"]["recipients"])
    assert any("Bank" in r for r in cats["memberships"]["recipients"])
    assert cats["bookings"]["retention"] == [
        "10 Jahre ab Ende des Kalenderjahres (§ 147 AO: Bücher und Aufzeichnungen)"
    ]
    assert cats["online_payments"]["retention"] == [
        "8 Jahre ab Ende des Kalenderjahres (§ 147 AO: Buchungsbelege)"
    ]
    assert cats["reminders"]["retention"] == [
        "6 Jahre ab Ende des Kalenderjahres (§ 147 AO: Geschäftsbriefe)"
    ]
    rights = " ".join(data["rights"])
    for article in ("Art. 15", "Art. 16", "Art. 17", "Art. 18", "Art. 20", "Art. 21", "Art. 77"):
        assert article in rights
    assert "Aufsichtsbehörde" in rights


def test_never_the_password_hash_or_the_second_factor_secret(erika):
    erika.user.totp_secret = "GEHEIMGEHEIMGEHEIM"
    db.session.commit()
    text = json.dumps(person_data(erika.person))
    assert erika.user.password_hash not in text
    assert "GEHEIMGEHEIMGEHEIM" not in text
    assert "password" not in text and "totp" not in text


def test_a_fixed_number_of_queries(app):
    """Five bookings cost no more statements than one (no query per row)."""

    def count_for(n):
        former = former_member(first_name=f"P{n}", last_name=f"Person{n}")
        for i in range(n):
            make_contribution(former.person, 1000 + i, booking_date=date(2024, 7, 1 + i))
        db.session.commit()
        db.session.expire_all()
        with statements() as sent:
            person_data(former.person)
        return len(sent)

    assert count_for(1) == count_for(5)


def test_treasurer_downloads_json_and_pdf(erika, clients):
    person_id = erika.person.id
    response = clients["treasurer"].get(f"/datenschutz/personen/{person_id}/auskunft.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert f'filename="auskunft-{person_id}.json"' in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["categories"]["master_data"]["data"]["last_name"] == "Ehemalig"

    response = clients["admin"].get(f"/datenschutz/personen/{person_id}/auskunft.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert f'filename="auskunft-{person_id}.pdf"' in response.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in (
        "Auskunft über gespeicherte Daten",
        "Stammdaten",
        "Ehemalig",
        "Beitrag 2024",
        "36,00 €",
        "Stripe",
        "Ihre Rechte",
        "Aufsichtsbehörde",
        erika.receipt_number,
    ):
        assert expected in text, expected  # fmt: skip


def test_an_export_is_audited(erika, clients, users):
    clients["treasurer"].get(f"/datenschutz/personen/{erika.person.id}/auskunft.json")
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "privacy.exported")
    ).scalar_one()
    assert (entry.target_type, entry.target_id, entry.actor_id) == (
        "Person",
        erika.person.id,
        users["treasurer"].id,
    )
    assert entry.data == {"format": "json"}


@pytest.mark.parametrize("role", ["board", "auditor", "member"])
def test_others_may_not_export_a_person(erika, clients, role):
    response = clients[role].get(f"/datenschutz/personen/{erika.person.id}/auskunft.json")
    assert response.status_code == 403


@pytest.mark.parametrize("person_id", ["999999", "2147483648", "99999999999999999999"])
def test_unknown_person_is_404(clients, person_id):
    assert (
        clients["treasurer"].get(f"/datenschutz/personen/{person_id}/auskunft.json").status_code
        == 404
    )
    assert (
        clients["treasurer"].get(f"/datenschutz/personen/{person_id}/loeschen").status_code == 404
    )


def test_the_member_gets_only_their_own_data(erika, clients, users):
    own = make_person(first_name="Mia", last_name="Mitglied")
    users["member"].person_id = own.id
    db.session.commit()
    response = clients["member"].get("/mein-konto/meine-daten.json")
    assert response.status_code == 200
    data = json.loads(response.data)
    assert data["person_id"] == own.id
    assert data["categories"]["master_data"]["data"]["last_name"] == "Mitglied"
    assert "Ehemalig" not in response.get_data(as_text=True)
    # the object check: another person's export by id
    other = clients["member"].get(f"/datenschutz/personen/{erika.person.id}/auskunft.json")
    assert other.status_code == 403
    pdf = clients["member"].get("/mein-konto/meine-daten.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "Mitglied" in text and "Ehemalig" not in text


def test_a_login_without_member_record_is_sent_back(clients):
    response = clients["board"].get("/mein-konto/meine-daten.json")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/mein-konto")


def test_the_portal_links_to_the_export(clients, users):
    users["member"].person_id = make_person().id
    db.session.commit()
    page = clients["member"].get("/mein-konto").get_data(as_text=True)
    assert "Meine Daten herunterladen" in page
    assert 'href="/mein-konto/meine-daten.pdf"' in page
