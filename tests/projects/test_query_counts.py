"""The project list and a project's page send a fixed number of SQL statements, however many
projects, grants, bookings and documents there are."""

from datetime import date

from supportclub.projects.documents import store_document
from supportclub.projects.services import allocate_funds, record_payout, reject_project
from tests.factories import make_grant, make_project
from tests.ledger.test_query_counts import page_statements, tally
from tests.projects.helpers import PDF_BYTES, bank_id, fund_general

MAX_STATEMENTS = 15
LIST_PAGES = (
    "/projekte",
    "/projekte?stage=partly_paid",
    "/projekte?year=2025&q=projekt",
    "/projekte/foerdersumme",
)


def _projects(db, n: int, offset: int = 0) -> list:
    """n projects across the stages: applied, approved, partly paid, paid, rejected."""
    made = []
    for i in range(offset, offset + n):
        project = make_project(f"Projekt {i}", applied_on=date(2024 + i % 2, 2, 1))
        kind = i % 5
        if kind in (1, 2, 3):
            make_grant(project, 10000)
        if kind in (2, 3):
            allocate_funds(project, amount_cents=10000, booking_date=date(2025, 3, 5), actor=None)
            record_payout(
                project,
                amount_cents=4000 if kind == 2 else 10000,
                booking_date=date(2025, 4, 1),
                account_id=bank_id(),
                actor=None,
            )
        if kind == 4:
            reject_project(project, decided_on=date(2025, 3, 1), actor=None)
        db.session.commit()
        made.append(project)
    return made


def _counts(db, client, urls) -> dict[str, list[str]]:
    """The statements of each page."""
    return {url: page_statements(db, client, url) for url in urls}


def test_the_list_sends_the_same_statements_for_3_and_45_projects(db, clients):
    fund_general(2_000_000)
    client = clients["board"]
    _projects(db, 3)
    few = _counts(db, client, LIST_PAGES)
    _projects(db, 42, offset=3)
    many = _counts(db, client, LIST_PAGES)
    grown = {url: tally(many[url]) for url in LIST_PAGES if len(many[url]) != len(few[url])}
    assert not grown, grown
    assert max(len(s) for s in many.values()) <= MAX_STATEMENTS
    page = client.get("/projekte").get_data(as_text=True)
    assert page.count('href="/projekte/') >= 45 and "Kita Sonnenschein" in page


def test_a_projects_page_sends_the_same_statements_with_more_history(db, clients):
    fund_general()
    project = make_project("Viel los", requested_cents=900000)
    make_grant(project, 10000)
    url = f"/projekte/{project.id}"
    few = page_statements(db, clients["treasurer"], url)
    for i in range(6):
        make_grant(project, 10000, resolution_date=date(2025, 3, 2 + i))
    allocate_funds(project, amount_cents=70000, booking_date=date(2025, 3, 10), actor=None)
    for i in range(5):
        record_payout(
            project,
            amount_cents=1000 + i,
            booking_date=date(2025, 4, 1 + i),
            account_id=bank_id(),
            actor=None,
        )
        store_document(project, data=PDF_BYTES, filename=f"beleg{i}.pdf", kind="proof", actor=None)
    db.session.commit()
    many = page_statements(db, clients["treasurer"], url)
    assert len(many) == len(few), tally(many)
    assert len(many) <= MAX_STATEMENTS
