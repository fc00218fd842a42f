"""The project pages over HTTP: who may do what, and the lifecycle through the browser forms."""

from datetime import date

import pytest

from supportclub.ledger.models import Booking, Person, PersonKind
from supportclub.projects.models import Grant, Project, ProjectDocument, ProjectStatus
from supportclub.projects.services import allocate_funds, record_payout, record_proof
from tests.factories import make_grant, make_person, make_project
from tests.projects.helpers import (
    PDF_BYTES,
    PNG_BYTES,
    bank_id,
    count,
    fund_general,
    money,
    section,
    upload,
)

WRITES = [
    ("POST", "/projekte/neu"),
    ("POST", "/projekte/{p}/bearbeiten"),
    ("POST", "/projekte/{p}/bewilligen"),
    ("POST", "/projekte/{p}/ablehnen"),
    ("POST", "/projekte/{p}/zuweisen"),
    ("POST", "/projekte/{p}/auszahlen"),
    ("POST", "/projekte/{p}/nachweis"),
    ("POST", "/projekte/{p}/abschliessen"),
    ("POST", "/projekte/{p}/rueckbuchung"),
    ("POST", "/projekte/bewilligungen/{g}/zuruecknehmen"),
    ("POST", "/projekte/{p}/dokumente"),
]


@pytest.fixture
def approved(db):
    """5.000 € in the general fund and a project approved with 1.000 € (Lesefest)."""
    fund_general()
    project = make_project("Lesefest", requested_cents=120000)
    grant = make_grant(project, 100000)
    return project, grant


def _approve(client, project, amount="1.000,00", **extra):
    data = {"resolution_date": "2025-03-01", "amount": amount, "note": "Sitzung März"}
    data.update(extra)
    return client.post(f"/projekte/{project.id}/bewilligen", data=data)


# Roles ----------------------------------------------------------------------------------------


def test_board_reads_everything_and_may_write_nothing(db, clients, approved, upload_dir):
    project, grant = approved
    clients["treasurer"].post(
        f"/projekte/{project.id}/dokumente",
        data={"file": upload(PDF_BYTES, "antrag.pdf"), "kind": "application"},
    )
    document = db.session.execute(db.select(ProjectDocument)).scalar_one()
    board = clients["board"]
    for url in ("/projekte", f"/projekte/{project.id}", "/projekte/foerdersumme"):
        assert board.get(url).status_code == 200, url
    page = board.get(f"/projekte/{project.id}").get_data(as_text=True)
    assert "data-action=" not in page and 'data-testid="upload"' not in page
    assert "Zurücknehmen" not in page
    assert board.get(f"/projekte/dokumente/{document.id}").data == PDF_BYTES
    before = (count(db, Project), count(db, Grant), count(db, Booking), count(db, ProjectDocument))
    for method, url in WRITES:
        url = url.format(p=project.id, g=grant.id)
        data = {"amount": "10,00", "file": upload(PDF_BYTES, "x.pdf")}
        assert board.open(url, method=method, data=data).status_code == 403, url
    after = (count(db, Project), count(db, Grant), count(db, Booking), count(db, ProjectDocument))
    assert after == before


def test_members_see_no_project_page(clients, approved):
    project, _grant = approved
    for url in ("/projekte", f"/projekte/{project.id}", "/projekte/foerdersumme"):
        assert clients["member"].get(url).status_code == 403


def test_treasurer_sees_only_the_actions_the_status_allows(clients, approved):
    project, _grant = approved
    page = clients["treasurer"].get(f"/projekte/{project.id}").get_data(as_text=True)
    actions = set(
        part.split('"')[0] for part in section(page, "actions").split('data-action="')[1:]
    )
    assert actions == {"approve", "allocate", "payout", "edit"}
    response = clients["treasurer"].get(f"/projekte/{project.id}/nachweis")
    assert response.status_code == 302
    follow = clients["treasurer"].get(response.headers["Location"]).get_data(as_text=True)
    assert "Das ist im Stand „bewilligt“ nicht möglich." in follow


# The lifecycle --------------------------------------------------------------------------------


def test_the_whole_lifecycle_through_the_forms(db, clients, upload_dir):
    fund_general()
    treasurer = clients["treasurer"]
    response = treasurer.post(
        "/projekte/neu",
        data={
            "new_person_kind": "organisation",
            "new_last_name": "Kita Sonnenschein",
            "new_city": "Jena",
            "contact_name": "Frau Berg",
            "contact_email": "Berg@Kita.example",
            "title": "Lesefest im Park",
            "purpose": "Bücher und Zelte\nfür 200 Kinder",
            "requested_cents": "1.200,00",
            "applied_on": "2025-02-01",
            "is_public": "y",
            "file": upload(PDF_BYTES, "Antrag Lesefest.pdf"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    project = db.session.execute(db.select(Project)).scalar_one()
    assert project.applicant.kind == PersonKind.ORGANISATION
    assert (project.requested_cents, project.contact_email) == (120000, "berg@kita.example")
    url = f"/projekte/{project.id}"
    assert response.headers["Location"].endswith(url)

    page = treasurer.get(f"{url}/bewilligen").get_data(as_text=True)
    assert 'value="1.200,00"' in page and money(page, "free-now") == "5.000,00 €"
    assert _approve(treasurer, project).status_code == 302
    page = treasurer.get(url).get_data(as_text=True)
    assert "Bewilligung über 1.000,00 € für „Lesefest im Park“ erfasst" in page
    assert money(page, "approved") == "1.000,00 €" and money(page, "uncovered") == "1.000,00 €"

    assert 'value="1.000,00"' in treasurer.get(f"{url}/zuweisen").get_data(as_text=True)
    response = treasurer.post(
        f"{url}/zuweisen", data={"booking_date": "2025-03-05", "amount": "1.000,00"}
    )
    assert response.status_code == 302
    for day, amount in (("2025-04-01", "400,00"), ("2025-05-02", "600,00")):
        response = treasurer.post(
            f"{url}/auszahlen",
            data={"booking_date": day, "account_id": bank_id(), "amount": amount},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        page = treasurer.get(url).get_data(as_text=True)
        assert f"Auszahlung über {amount} € an Kita Sonnenschein gebucht" in page
        if amount == "400,00":
            assert 'data-stage="partly_paid"' in page
            assert (money(page, "paid"), money(page, "fund"), money(page, "open")) == (
                "400,00 €",
                "600,00 €",
                "600,00 €",
            )
    assert 'data-stage="paid"' in page
    assert (money(page, "paid"), money(page, "fund"), money(page, "open")) == (
        "1.000,00 €",
        "0,00 €",
        "0,00 €",
    )
    bookings = section(page, "bookings")
    for shown in ("1.000,00 €", "-400,00 €", "-600,00 €"):
        assert shown in bookings

    response = treasurer.post(
        f"{url}/nachweis",
        data={
            "received_on": "2025-06-01",
            "note": "Belege geprüft",
            "file": upload(PNG_BYTES, "nachweis.png"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = treasurer.get(f"{url}/abschliessen").get_data(as_text=True)
    assert "release_rest" not in page
    response = treasurer.post(f"{url}/abschliessen", data={"closed_on": "2025-06-02"})
    assert response.status_code == 302
    db.session.expire_all()
    assert project.status == ProjectStatus.CLOSED
    page = treasurer.get(url).get_data(as_text=True)
    assert 'data-stage="closed"' in page and "data-action=" not in page
    documents = section(page, "documents")
    assert "Antrag Lesefest.pdf" in documents and "nachweis.png" in documents
    history = section(page, "history")
    for title in ("Antrag erfasst", "Bewilligt", "Mittel zugewiesen", "Ausgezahlt"):
        assert title in history
    assert "Verwendungsnachweis erhalten" in history and "Abgeschlossen" in history


def test_approval_beyond_free_money_needs_a_reason(db, clients):
    fund_general()
    make_grant(make_project("Großes Projekt"), 400000)
    project = make_project("Spielplatz", requested_cents=150000)
    treasurer = clients["treasurer"]
    response = _approve(treasurer, project, amount="1.500,00")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "übersteigt die freien Mittel (1.000,00 €) um 500,00 €" in page
    assert 'id="override_reason-error"' in page
    assert money(page, "free-now") == "1.000,00 €" and money(page, "free-after") == "-500,00 €"
    assert count(db, Grant) == 1
    reason = "Zusage der Stadt über 800 € liegt schriftlich vor"
    response = _approve(treasurer, project, amount="1.500,00", override_reason=reason)
    assert response.status_code == 302
    page = treasurer.get(f"/projekte/{project.id}").get_data(as_text=True)
    assert "Sie übersteigt die freien Mittel um 500,00 €" in page
    grants = section(page, "grants")
    assert "um 500,00 € überschritten" in grants and reason in grants


def test_the_approval_page_explains_the_override_field(clients, approved):
    project, _grant = approved
    page = clients["treasurer"].get(f"/projekte/{project.id}/bewilligen").get_data(as_text=True)
    assert "Begründung für die Überschreitung" in page
    assert "Nur nötig, wenn die Bewilligung die freien Mittel übersteigt" in page
    assert 'value="200,00"' in page  # requested 1.200 minus 1.000 approved


def test_a_payout_beyond_the_unpaid_approval_books_nothing(db, clients, approved):
    project, _grant = approved
    allocate_funds(project, amount_cents=100000, booking_date=date(2025, 3, 5), actor=None)
    db.session.commit()
    bookings = count(db, Booking)
    response = clients["treasurer"].post(
        f"/projekte/{project.id}/auszahlen",
        data={"booking_date": "2025-04-01", "account_id": bank_id(), "amount": "1.000,01"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "übersteigt den bewilligten, noch nicht ausgezahlten Betrag (1.000,00 €)" in page
    assert count(db, Booking) == bookings


def test_a_payout_the_fund_cannot_cover_links_to_the_allocation(db, clients, approved):
    project, _grant = approved
    treasurer = clients["treasurer"]
    bookings = count(db, Booking)
    response = treasurer.post(
        f"/projekte/{project.id}/auszahlen",
        data={"booking_date": "2025-04-01", "account_id": bank_id(), "amount": "600,00"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Im Projektfonds fehlen 600,00 € für diese Auszahlung." in page
    link = f"/projekte/{project.id}/zuweisen?betrag=600,00"
    assert f'href="{link}"' in page
    assert count(db, Booking) == bookings
    assert 'value="600,00"' in treasurer.get(link).get_data(as_text=True)


def test_closing_with_money_left_asks_to_book_it_back(db, clients, approved):
    project, _grant = approved
    allocate_funds(project, amount_cents=100000, booking_date=date(2025, 3, 5), actor=None)
    record_payout(
        project, amount_cents=92050, booking_date=date(2025, 4, 1), account_id=bank_id(), actor=None
    )
    record_proof(project, received_on=date(2025, 6, 1), actor=None)
    db.session.commit()
    treasurer = clients["treasurer"]
    url = f"/projekte/{project.id}/abschliessen"
    assert "Restmittel (79,50 €) in den allgemeinen Fonds" in treasurer.get(url).get_data(
        as_text=True
    )
    response = treasurer.post(url, data={"closed_on": "2025-06-02"})
    assert response.status_code == 422
    assert "Im Projektfonds sind noch 79,50 €" in response.get_data(as_text=True)
    response = treasurer.post(url, data={"closed_on": "2025-06-02", "release_rest": "y"})
    assert response.status_code == 302
    page = treasurer.get(f"/projekte/{project.id}").get_data(as_text=True)
    assert "79,50 € wurden in den allgemeinen Fonds zurückgebucht." in page
    assert money(page, "fund") == "0,00 €"


def test_reject_an_application(db, clients):
    project = make_project("Abgelehnt")
    treasurer = clients["treasurer"]
    response = treasurer.post(
        f"/projekte/{project.id}/ablehnen",
        data={"decided_on": "2025-03-01", "note": "nicht förderfähig"},
    )
    assert response.status_code == 302
    page = treasurer.get(f"/projekte/{project.id}").get_data(as_text=True)
    assert 'data-stage="rejected"' in page and "nicht förderfähig" in page
    actions = section(page, "actions")
    assert 'data-action="close"' in actions and 'data-action="approve"' not in actions


def test_revoke_a_grant_strikes_it_through_with_its_reason(db, clients, approved):
    project, grant = approved
    treasurer = clients["treasurer"]
    url = f"/projekte/bewilligungen/{grant.id}/zuruecknehmen"
    response = treasurer.post(url, data={"revoked_on": "2025-03-10", "reason": ""})
    assert response.status_code == 422
    assert "Bitte einen Grund für die Rücknahme angeben." in response.get_data(as_text=True)
    response = treasurer.post(url, data={"revoked_on": "2025-03-10", "reason": "Tippfehler"})
    assert response.status_code == 302
    page = treasurer.get(f"/projekte/{project.id}").get_data(as_text=True)
    grants = section(page, "grants")
    assert "<s>" in grants and "zurückgenommen am 10.03.2025: Tippfehler" in grants
    assert 'data-stage="applied"' in page


def test_release_books_money_back_to_the_general_fund(db, clients, approved):
    project, _grant = approved
    allocate_funds(project, amount_cents=30000, booking_date=date(2025, 3, 5), actor=None)
    db.session.commit()
    treasurer = clients["treasurer"]
    url = f"/projekte/{project.id}/rueckbuchung"
    assert 'value="300,00"' in treasurer.get(url).get_data(as_text=True)
    response = treasurer.post(
        url, data={"amount": "300,01", "booking_date": "2025-03-06", "reason": "zu viel"}
    )
    assert response.status_code == 422
    assert "Im Projektfonds stehen nur 300,00 €." in response.get_data(as_text=True)
    response = treasurer.post(
        url, data={"amount": "100,00", "booking_date": "2025-03-06", "reason": "zu viel"}
    )
    assert response.status_code == 302
    assert money(treasurer.get(f"/projekte/{project.id}").get_data(as_text=True), "fund") == (
        "200,00 €"
    )


# Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"person": "", "new_last_name": ""}, "Bitte eine Person wählen oder neu anlegen."),
        ({"title": ""}, "Bitte einen Titel für das Projekt angeben."),
        ({"requested_cents": "12,345"}, "Höchstens zwei Nachkommastellen"),
        ({"requested_cents": "0"}, "Der Betrag muss größer als 0 sein."),
        ({"requested_cents": "20.000.000,00"}, "Der Betrag ist zu hoch"),
        ({"applied_on": "2099-01-01"}, "Das Antragsdatum liegt in der Zukunft."),
        ({"applied_on": "1.2.2025"}, "Bitte ein gültiges Datum angeben."),
        ({"contact_email": "kein-mail"}, "Bitte eine gültige E-Mail-Adresse angeben."),
    ],
)
def test_a_bad_application_is_refused_with_nothing_written(db, clients, changes, message):
    applicant = make_person(kind=PersonKind.ORGANISATION, first_name="", last_name="Kita Regen")
    data = {
        "person": f"Kita Regen #{applicant.id}",
        "title": "Lesefest",
        "requested_cents": "500,00",
        "applied_on": "2025-02-01",
    }
    data.update(changes)
    persons, projects = count(db, Person), count(db, Project)
    response = clients["treasurer"].post("/projekte/neu", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert (count(db, Person), count(db, Project)) == (persons, projects)


def test_edit_changes_the_details_and_the_history_shows_it(db, clients):
    project = make_project("Alt", requested_cents=50000)
    treasurer = clients["treasurer"]
    page = treasurer.get(f"/projekte/{project.id}/bearbeiten").get_data(as_text=True)
    assert 'value="500,00"' in page and 'value="Alt"' in page
    response = treasurer.post(
        f"/projekte/{project.id}/bearbeiten",
        data={"title": "Neu", "requested_cents": "600,00", "applied_on": "2025-02-01"},
    )
    assert response.status_code == 302
    page = treasurer.get(f"/projekte/{project.id}").get_data(as_text=True)
    history = section(page, "history")
    assert "Titel: Alt → Neu" in history and "Beantragt: 500,00 € → 600,00 €" in history


def test_a_closed_project_cannot_be_edited(db, clients):
    project = make_project("Zu")
    from supportclub.projects.services import close_project, reject_project

    reject_project(project, decided_on=date(2025, 3, 1), actor=None)
    close_project(project, closed_on=date(2025, 3, 2), actor=None)
    db.session.commit()
    response = clients["treasurer"].get(f"/projekte/{project.id}/bearbeiten")
    assert response.status_code == 302


def test_unknown_ids_are_not_found(clients):
    for url in ("/projekte/999999", "/projekte/bewilligungen/999999/zuruecknehmen"):
        assert clients["treasurer"].get(url).status_code == 404


def test_a_post_without_csrf_token_is_refused(app, db, clients, approved):
    project, _grant = approved
    app.config["WTF_CSRF_ENABLED"] = True
    grants = count(db, Grant)
    response = _approve(clients["treasurer"], project, amount="10,00")
    assert response.status_code == 400
    assert count(db, Grant) == grants
