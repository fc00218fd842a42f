"""The review queue pages: list with counts and reasons, bulk confirm, correction, 422."""

from sqlalchemy import event, func, select

from supportclub.banking.models import LineState, MatchKind
from supportclub.dues.models import ClaimStatus
from supportclub.dues.queries import claims_by_id
from supportclub.extensions import db
from supportclub.ledger.models import Booking, Category
from tests.banking.line_factory import make_import, make_line, suggest
from tests.factories import by_code, make_claim, make_member


def _member():
    person = make_member(first_name="Berta", last_name="Beispiel")
    return person, make_claim(person, 2025)


def test_review_shows_counts_reasons_and_plans(clients):
    person, claim = _member()
    make_line(
        3600,
        name="Berta Beispiel",
        suggestion=suggest(
            MatchKind.MANDATE,
            person,
            claims=[(claim.id, 3600)],
            reason={"mandate": "M-77", "number": "1042", "years": "2025"},
        ),
    )
    make_line(-990, name="Sparkasse", purpose="Kontoführung")
    page = clients["treasurer"].get("/bank/pruefen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="count-mandate">1<' in html
    assert 'data-testid="count-none">1<' in html
    assert "Mandatsreferenz M-77 → Mitglied 1042, Beitrag 2025" in html
    assert "Beitrag 2025 (36,00 €)" in html
    assert "Alle 1 Vorschläge bestätigen" in html
    assert "Beispiel, Berta" in html
    filtered = clients["admin"].get("/bank/pruefen?art=none&q=konto").get_data(as_text=True)
    assert "Kontoführung" in filtered and "Berta Beispiel" not in filtered
    assert "Ausgewählte bestätigen" not in filtered  # admin reads only


def test_bulk_confirm_selected_and_all(clients):
    person, claim = _member()
    line = make_line(3600, suggestion=suggest(MatchKind.IBAN, person, claims=[(claim.id, 3600)]))
    other = make_line(2000, suggestion=suggest(MatchKind.IBAN, person, donation_cents=2000))
    client = clients["treasurer"]
    response = client.post(
        "/bank/pruefen/bestaetigen",
        data={"line_id": [str(line.id)], "scope": "selected", "next": "/bank/pruefen?art=iban"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/bank/pruefen?art=iban")
    assert "1 Umsätze gebucht, 0 verknüpft, 0 übersprungen" in client.get("/bank/pruefen").get_data(
        as_text=True
    )
    (row,) = claims_by_id([claim.id])
    assert row.status == ClaimStatus.PAID
    db.session.refresh(other)
    assert other.state == LineState.OPEN
    client.post("/bank/pruefen/bestaetigen", data={"scope": "all", "art": "iban"})
    db.session.refresh(other)
    assert other.state == LineState.DONE


def test_confirm_flashes_skip_reasons(clients):
    person, claim = _member()
    lines = [
        make_line(3600, suggestion=suggest(MatchKind.IBAN, person, claims=[(claim.id, 3600)]))
        for _ in range(2)
    ]
    client = clients["treasurer"]
    client.post(
        "/bank/pruefen/bestaetigen", data={"line_id": [str(x.id) for x in lines], "scope": "x"}
    )
    html = client.get("/bank/pruefen").get_data(as_text=True)
    assert "1 Umsätze gebucht, 0 verknüpft, 1 übersprungen" in html
    assert "Beitrag 2025 von Berta Beispiel ist inzwischen bezahlt." in html


def test_line_detail_and_correction(clients):
    person, claim = _member()
    line = make_line(5000, suggestion=suggest(MatchKind.NAME_AMOUNT, person))
    client = clients["treasurer"]
    page = client.get(f"/bank/umsaetze/{line.id}?next=/bank/pruefen?art=name_amount")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Zuordnen als" in html and f'name="claim_id" value="{claim.id}"' in html
    response = client.post(
        f"/bank/umsaetze/{line.id}/zuordnen",
        data={
            "target": "claims_donation",
            "person": f"Beispiel, Berta #{person.id}",
            "claim_id": str(claim.id),
            f"claim_amount_{claim.id}": "36,00",
            "next": "/bank/pruefen?art=name_amount",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/bank/pruefen?art=name_amount")
    db.session.refresh(line)
    booking = db.session.get(Booking, line.booking_id)
    assert [x.amount_cents for x in booking.lines] == [3600, 1400]
    done = client.get(f"/bank/umsaetze/{line.id}").get_data(as_text=True)
    assert f"Buchung {booking.id}" in done


def test_correction_errors_are_422_at_the_field(clients):
    line = make_line(-2000)
    client = clients["treasurer"]
    count = db.session.execute(select(func.count(Booking.id))).scalar_one()
    response = client.post(
        f"/bank/umsaetze/{line.id}/zuordnen",
        data={"target": "other", "category_id": str(by_code(Category, "donation").id)},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Ausgabenkategorie" in html
    response = client.post(f"/bank/umsaetze/{line.id}/zuordnen", data={"target": "donation"})
    assert response.status_code == 422
    assert "keine Spende" in response.get_data(as_text=True)
    response = client.post(f"/bank/umsaetze/{line.id}/zuordnen", data={"target": "bogus"})
    assert response.status_code == 422
    assert db.session.execute(select(func.count(Booking.id))).scalar_one() == count


def test_review_page_query_count_is_bounded(app, clients):
    person, claim = _member()
    bank_import = make_import()
    for n in range(30):
        make_line(
            100 + n,
            bank_import=bank_import,
            commit=False,
            suggestion=suggest(MatchKind.IBAN, person, claims=[(claim.id, 100 + n)]),
        )
    for _ in range(10):
        make_line(-50, bank_import=bank_import, commit=False)
    db.session.commit()
    client = clients["treasurer"]
    client.get("/bank/pruefen")  # warm up (login, settings)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/bank/pruefen")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('data-testid="line-row"') == 40
    assert 0 < len(statements) <= 12, statements
