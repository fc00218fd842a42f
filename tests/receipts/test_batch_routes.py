"""The year's batch in the browser: the preview, starting (treasurer only, refused while one
runs or the settings are incomplete), the progress page and its JSON, the print file."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.extensions import db
from supportclub.receipts import batch_routes, jobs
from supportclub.receipts.batch import BatchLog, start_batch
from supportclub.receipts.models import BatchStatus, ReceiptBatch
from tests.factories import make_receipt_settings
from tests.receipts.test_batch import (  # noqa: F401 (fixture)
    _one_process,
    machine_settings,
    make_donors,
    pdf_text,
    receipts_of,
)

PREVIEW = "/zuwendungsbestaetigungen/jahreslauf"


@pytest.fixture
def inline_jobs(monkeypatch):
    """Run a started batch at once in the request's thread (the test's database session)."""
    started = []

    def enqueue(batch_id):
        started.append(batch_id)
        jobs.run_batch_now(batch_id)

    monkeypatch.setattr(batch_routes, "enqueue_batch", enqueue)
    return started


def batch_count() -> int:
    """How many batches there are."""
    return db.session.execute(select(func.count(ReceiptBatch.id))).scalar_one()


def start(client, year=2025, **data):
    """POST the start form."""
    return client.post(PREVIEW, data={"year": str(year), "send_mail": "y", **data})


def test_preview_lists_who_gets_what_and_who_is_skipped(app, clients):
    machine_settings()
    make_donors()
    page = clients["treasurer"].get(f"{PREVIEW}?jahr=2025").get_data(as_text=True)
    assert "Zuwendungsbestätigungen 2025 erstellen" in page
    planned = page[page.index('data-testid="planned"') : page.index('data-testid="skipped"')]
    rows = re.findall(r"<tr data-person=\"\d+\">\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", planned)
    assert rows == [
        ("Albrecht, Anna", "Sammelbestätigung"),
        ("Becker, Ben", "Einzelbestätigung"),
        ("Dietz, Dora", "Einzelbestätigung"),
        ("Engel, Emil", "Sammelbestätigung"),
        ("Fahrrad Fink GmbH", "Sammelbestätigung"),
    ]
    assert "777,00 €" in planned  # the total
    skipped = page[page.index('data-testid="skipped"') :]
    assert "Conrad, Carla" in skipped and "Keine Postanschrift" in skipped
    assert 'data-reason="in_kind"' in skipped
    assert 'data-testid="start"' in page
    assert "per E-Mail versenden, wo erlaubt" in page
    assert 'name="csrf_token"' in page


def test_board_and_admin_read_the_preview_without_a_start_button(app, clients):
    make_receipt_settings()
    make_donors()
    for role in ("board", "admin"):
        response = clients[role].get(f"{PREVIEW}?jahr=2025")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Fahrrad Fink GmbH" in page and 'data-testid="start"' not in page
        assert start(clients[role]).status_code == 403
    assert clients["member"].get(PREVIEW).status_code == 403
    assert batch_count() == 0


def test_gate_problems_are_shown_and_starting_is_refused(app, clients, inline_jobs):
    make_receipt_settings(tax_office="", exemption_date=date(2019, 1, 1))
    make_donors()
    page = clients["treasurer"].get(f"{PREVIEW}?jahr=2025").get_data(as_text=True)
    gate = page[page.index('data-testid="gate"') :]
    assert "Finanzamt" in gate and "älter als 5 Jahre" in gate
    assert 'data-testid="start"' not in page
    response = start(clients["treasurer"])
    assert response.status_code == 302
    page = clients["treasurer"].get(response.headers["Location"]).get_data(as_text=True)
    assert "In den Vereinseinstellungen fehlt" in page
    assert batch_count() == 0 and inline_jobs == []


def test_start_runs_the_batch_and_the_progress_page_shows_the_summary(
    app, clients, inline_jobs, mailsink
):
    machine_settings()
    people = make_donors()
    response = start(clients["treasurer"])
    assert response.status_code == 302
    batch = db.session.execute(select(ReceiptBatch)).scalar_one()
    assert response.headers["Location"].endswith(f"/jahreslauf/{batch.id}")
    assert inline_jobs == [batch.id]
    assert batch.created_by_id is not None and batch.send_mail
    page = clients["treasurer"].get(response.headers["Location"]).get_data(as_text=True)
    assert "werden erstellt" in page  # the flash
    assert "fertig" in page
    summary = page[page.index('data-testid="summary"') :]
    assert (
        "5 Zuwendungsbestätigungen ausgestellt, 3 per E-Mail versendet, 2 zum Drucken, "
        "2 übersprungen." in summary
    )
    assert "Conrad, Carla" in summary and "Keine Postanschrift" in summary
    assert 'data-testid="refresh"' not in page  # finished: nothing to refresh
    assert '<script src="/static/js/receipt-batch.js"></script>' in page
    assert "<script>" not in page  # no inline script (CSP)
    status = clients["board"].get(f"{PREVIEW}/{batch.id}.json")
    assert status.get_json() == {
        "status": "done",
        "done": 6,
        "total": 6,
        "issued": 5,
        "emailed": 3,
        "to_print": 2,
        "skipped": 2,
    }
    pdf = clients["board"].get(f"{PREVIEW}/{batch.id}/druck.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    printed = {
        r.number
        for r in receipts_of(2025)
        if r.person_id in (people["emil"].id, people["firma"].id)
    }
    text = pdf_text(pdf.data)
    pdf.close()
    assert all(number in text for number in printed)
    assert len(mailsink.messages) == 3


def test_progress_while_running_polls_and_offers_a_refresh_link(app, clients):
    make_receipt_settings()
    make_donors()
    batch = start_batch(2025, None)
    db.session.commit()
    page = clients["board"].get(f"{PREVIEW}/{batch.id}").get_data(as_text=True)
    assert f'data-status-url="{PREVIEW}/{batch.id}.json"' in page
    assert 'data-status="queued"' in page
    refresh = page[page.index('data-testid="refresh"') :]
    assert f'href="{PREVIEW}/{batch.id}"' in refresh and "Aktualisieren" in refresh
    assert '<progress id="batch-progress"' in page and 'value="0"' in page
    assert clients["board"].get(f"{PREVIEW}/{batch.id}/druck.pdf").status_code == 404
    assert clients["member"].get(f"{PREVIEW}/{batch.id}.json").status_code == 403


def test_a_second_start_while_one_runs_is_refused(app, clients, inline_jobs):
    make_receipt_settings()
    make_donors()
    running = start_batch(2025, None)
    db.session.commit()
    page = clients["treasurer"].get(f"{PREVIEW}?jahr=2025").get_data(as_text=True)
    assert 'data-testid="running"' in page and 'data-testid="start"' not in page
    response = start(clients["treasurer"])
    assert response.headers["Location"].endswith(f"{PREVIEW}?jahr=2025")
    page = clients["treasurer"].get(response.headers["Location"]).get_data(as_text=True)
    assert f"Für 2025 läuft bereits ein Lauf (Nr. {running.id})" in page
    assert batch_count() == 1 and inline_jobs == []


def test_an_interrupted_batch_is_continued_from_its_page(app, clients, inline_jobs):
    make_receipt_settings()
    make_donors()
    batch = start_batch(2025, None)
    batch.status = BatchStatus.FAILED
    batch.error = "Der Lauf wurde unterbrochen: Stromausfall. Ein erneuter Start setzt ihn fort."
    db.session.commit()
    page = clients["treasurer"].get(f"{PREVIEW}/{batch.id}").get_data(as_text=True)
    assert "Stromausfall" in page and f"Lauf Nr. {batch.id} fortsetzen" in page
    assert "fortsetzen" not in clients["board"].get(f"{PREVIEW}/{batch.id}").get_data(as_text=True)
    response = start(clients["treasurer"], send_mail="")
    assert response.headers["Location"].endswith(f"/jahreslauf/{batch.id}")
    assert inline_jobs == [batch.id] and batch_count() == 1
    done = db.session.get(ReceiptBatch, batch.id, populate_existing=True)
    assert (done.status, done.issued, done.send_mail) == (BatchStatus.DONE, 5, False)
    assert BatchLog.of(done).errors == []


def test_bad_years_are_explained(app, clients):
    make_receipt_settings()
    for value, message in (
        ("abc", "„abc“ ist keine Jahreszahl."),
        ("1999", "Das Jahr 1999 ist nicht möglich"),
        (str(date.today().year + 1), "ist nicht möglich"),
    ):
        response = clients["treasurer"].get(f"{PREVIEW}?jahr={value}")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    response = start(clients["treasurer"], year="abc")
    assert response.status_code == 302 and batch_count() == 0


def test_the_default_year_is_last_year(app, clients):
    make_receipt_settings()
    page = clients["treasurer"].get(PREVIEW).get_data(as_text=True)
    last = date.today().year - 1
    assert f"Zuwendungsbestätigungen {last} erstellen" in page
    assert "keine offenen Zuwendungen" in page


def test_starting_without_a_csrf_token_fails(app, clients):
    make_receipt_settings()
    make_donors()
    app.config["WTF_CSRF_ENABLED"] = True
    response = start(clients["treasurer"])
    assert response.status_code == 400
    assert "Formular abgelaufen" in response.get_data(as_text=True)
    assert batch_count() == 0
