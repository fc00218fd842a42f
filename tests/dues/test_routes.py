"""The dues pages over HTTP: overview, dues run, open claims, payments, write-off, settings."""

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.clock import today
from supportclub.dues.models import ClaimStatus, ClaimWaiver, DuesClaim, DuesRun
from supportclub.dues.payments import Allocation, record_payment, waive_claim
from supportclub.dues.queries import claims_by_id
from supportclub.dues.services import run_dues
from supportclub.ledger.models import Account, Booking, BookingLine, ClosedYear
from supportclub.members.services import set_payer
from tests.factories import (
    by_code,
    make_claim,
    make_member,
    make_membership_type,
    make_person,
    membership_of,
)

# HTML helpers ---------------------------------------------------------------------------------

VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "wbr"}


class _Collect(HTMLParser):
    """Text of the first element whose attribute `attr` equals `value`, and its table rows."""

    def __init__(self, attr: str, value: str):
        super().__init__()
        self.attr, self.value = attr, value
        self.depth = 0  # >0 while inside the element
        self.done = False
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if self.depth == 0 and dict(attrs).get(self.attr) == self.value:
            self.depth = 1 if tag not in VOID else 0
            return
        if self.depth and tag not in VOID:
            self.depth += 1
            if tag == "tr":
                self.rows.append([])
            elif tag in ("td", "th"):
                self.cell = []

    def handle_endtag(self, tag):
        if self.done or not self.depth:
            return
        if tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        self.depth -= 1
        if self.depth == 0:
            self.done = True

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)
            if self.cell is not None:
                self.cell.append(data)


def _find(page: str, value: str, attr: str) -> _Collect:
    parser = _Collect(attr, value)
    parser.feed(page)
    assert parser.done or parser.depth, f'no element with {attr}="{value}"'
    return parser


def text_of(page: str, value: str, attr: str = "data-testid") -> str:
    """The whitespace-collapsed text of the element with data-testid (or another attribute)."""
    return " ".join("".join(_find(page, value, attr).text).split())


def table(page: str, testid: str) -> list[list[str]]:
    """The rows (lists of cell texts) of the table with this data-testid."""
    return [row for row in _find(page, testid, "data-testid").rows if row]


def flashes(client) -> list[str]:
    """The flash messages waiting in the client's session (taken out, as a page would)."""
    with client.session_transaction() as session:
        return [message for _category, message in session.pop("_flashes", [])]


def count(db, model) -> int:
    """Rows of a table."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# Data ------------------------------------------------------------------------------------------


@pytest.fixture
def club(app, db):
    """Five members of four types: two regular (36 €), one reduced (18 €), one honorary (0 €),
    one of a type whose first rate starts in 2026 (no rate for 2025)."""
    regular = make_membership_type("regular", name="Regulär")
    reduced = make_membership_type("reduced", name="Ermäßigt", rates=((date(2009, 1, 1), 1800),))
    honorary = make_membership_type("honorary", name="Ehren", rates=((date(2009, 1, 1), 0),))
    later = make_membership_type("later", name="Später", rates=((date(2026, 1, 1), 2400),))
    return {
        "regular": regular,
        "reduced": reduced,
        "anna": make_member(regular, last_name="Albrecht", first_name="Anna"),
        "ben": make_member(regular, last_name="Becker", first_name="Ben"),
        "carla": make_member(reduced, last_name="Conrad", first_name="Carla"),
        "dora": make_member(honorary, last_name="Dietz", first_name="Dora"),
        "emil": make_member(later, last_name="Engel", first_name="Emil"),
    }


def claim_of(db, person, year: int) -> DuesClaim:
    """The person's claim of `year`."""
    return db.session.execute(
        select(DuesClaim).filter_by(membership_id=membership_of(person).id, year=year)
    ).scalar_one()


def status(claim: DuesClaim):
    """(status, open cents) of a claim, derived from the books."""
    (row,) = claims_by_id([claim.id])
    return row.status, row.open_cents


def pay(db, person, claim, cents: int):
    """Book a payment of `cents` against one claim (service, not HTTP)."""
    record_payment(
        person_id=person.id,
        booking_date=date(2025, 3, 1),
        account_id=by_code(Account, "bank").id,
        amount_cents=cents,
        allocations=[Allocation(claim.id, cents)],
        actor=None,
    )
    db.session.commit()


# Overview -------------------------------------------------------------------------------------


def test_overview_exact_sums_per_type_and_total(app, db, club, treasurer_client):
    run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    db.session.commit()
    pay(db, club["anna"], claim_of(db, club["anna"], 2025), 3600)
    pay(db, club["ben"], claim_of(db, club["ben"], 2025), 1000)
    waive_claim(claim_of(db, club["carla"], 2025), reason="Härtefall", actor=None)
    db.session.commit()

    page = treasurer_client.get("/beitraege?jahr=2025").get_data(as_text=True)
    assert table(page, "overview")[1:] == [
        ["Ermäßigt", "1", "18,00 €", "0,00 €", "18,00 €", "0,00 €"],
        ["Regulär", "2", "72,00 €", "46,00 €", "0,00 €", "26,00 €"],
        ["Summe", "3", "90,00 €", "46,00 €", "18,00 €", "26,00 €"],
    ]
    assert table(page, "runs")[1][0] == "2025"
    assert table(page, "runs")[1][2:] == ["System", "3", "90,00 €"]


def test_overview_defaults_to_the_current_year(app, db, club, treasurer_client):
    make_claim(club["anna"], 2024)
    page = treasurer_client.get("/beitraege").get_data(as_text=True)
    year = today().year
    assert f"Beiträge {year}" in page
    assert f"Für {year} gibt es noch keine Beitragsforderungen." in page
    assert '<option value="2024" >2024</option>' in page
    assert table(page, "overview")[-1] == ["Summe", "0", "0,00 €", "0,00 €", "0,00 €", "0,00 €"]


def test_overview_links_follow_permissions(app, db, clients):
    treasurer = clients["treasurer"].get("/beitraege").get_data(as_text=True)
    for url in ("/beitraege/offen", "/beitraege/lauf", "/beitraege/einstellungen"):
        assert f'href="{url}' in treasurer
    board = clients["board"].get("/beitraege").get_data(as_text=True)
    assert 'href="/beitraege/offen' in board
    assert 'href="/beitraege/lauf' not in board
    assert 'href="/beitraege/einstellungen' not in board
    admin = clients["admin"].get("/beitraege").get_data(as_text=True)
    assert 'href="/beitraege/einstellungen' in admin
    assert 'href="/beitraege/lauf' not in admin


# Dues run -------------------------------------------------------------------------------------


def test_run_page_defaults_to_the_current_year(app, db, treasurer_client):
    page = treasurer_client.get("/beitraege/lauf").get_data(as_text=True)
    assert f"Beitragslauf {today().year}" in page
    assert f'value="{today().year}"' in page


def test_run_preview_numbers_are_exact_and_nothing_is_written(app, db, club, treasurer_client):
    page = treasurer_client.get("/beitraege/lauf?year=2025").get_data(as_text=True)
    assert "Beitragslauf 2025" in page
    assert text_of(page, "plan-count") == "3"
    assert text_of(page, "plan-total") == "90,00 €"
    assert text_of(page, "plan-existing") == "0"
    assert text_of(page, "plan-skipped") == "2"
    due = (max(date(2025, 1, 1), today()) + timedelta(days=30)).strftime("%d.%m.%Y")
    anna, ben, carla = club["anna"], club["ben"], club["carla"]
    assert table(page, "planned")[1:] == [
        ["Albrecht, Anna", str(anna.member_number), "Regulär", "12", "36,00 €", due],
        ["Becker, Ben", str(ben.member_number), "Regulär", "12", "36,00 €", due],
        ["Conrad, Carla", str(carla.member_number), "Ermäßigt", "12", "18,00 €", due],
    ]
    skipped = table(page, "skipped")[1:]
    assert [row[0] for row in skipped] == ["Dietz, Dora", "Engel, Emil"]
    assert skipped[0][2] == "Beitragsfrei (Satz 0,00 €) – „Ehren“."
    assert skipped[1][2] == "Für die Mitgliedsart „Später“ gilt am 01.01.2025 kein Beitragssatz."
    assert 'value="Beitragslauf ausführen"' in page
    assert count(db, DuesClaim) == 0
    assert count(db, DuesRun) == 0


def test_run_creates_claims_and_a_second_run_creates_nothing(
    app, db, club, treasurer_client, users
):
    response = treasurer_client.post("/beitraege/lauf", data={"year": "2025"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/beitraege?jahr=2025")
    assert flashes(treasurer_client) == ["3 Forderungen über 90,00 € angelegt."]
    claims = db.session.execute(select(DuesClaim).order_by(DuesClaim.amount_cents)).scalars().all()
    assert [(c.year, c.amount_cents, c.months) for c in claims] == [
        (2025, 1800, 12),
        (2025, 3600, 12),
        (2025, 3600, 12),
    ]
    run = db.session.execute(select(DuesRun)).scalar_one()
    assert (run.claims_created, run.total_cents, run.created_by_id) == (
        3,
        9000,
        users["treasurer"].id,
    )

    again = treasurer_client.post("/beitraege/lauf", data={"year": "2025"})
    assert again.status_code == 302
    assert flashes(treasurer_client) == [
        "Alle Mitgliedschaften haben ihre Forderung für 2025 bereits; es wurde nichts angelegt. "
        "Übersprungen: 2."
    ]
    assert count(db, DuesClaim) == 3
    assert count(db, DuesRun) == 1
    preview = treasurer_client.get("/beitraege/lauf?year=2025").get_data(as_text=True)
    assert text_of(preview, "plan-count") == "0"
    assert text_of(preview, "plan-existing") == "3"
    assert 'value="Beitragslauf ausführen"' not in preview


def test_run_message_when_every_membership_has_its_claim(app, db, treasurer_client):
    make_member(last_name="Albrecht")
    assert treasurer_client.post("/beitraege/lauf", data={"year": "2025"}).status_code == 302
    flashes(treasurer_client)
    treasurer_client.post("/beitraege/lauf", data={"year": "2025"})
    assert flashes(treasurer_client) == [
        "Alle Mitgliedschaften haben ihre Forderung für 2025 bereits; es wurde nichts angelegt."
    ]


def test_run_plans_again_on_the_server(app, db, club, treasurer_client):
    preview = treasurer_client.get("/beitraege/lauf?year=2025").get_data(as_text=True)
    assert text_of(preview, "plan-count") == "3"
    make_member(club["regular"], last_name="Fuchs")  # joins between preview and execution
    response = treasurer_client.post(
        "/beitraege/lauf", data={"year": "2025", "count": "1", "total": "1,00"}
    )
    assert response.status_code == 302
    assert flashes(treasurer_client) == ["4 Forderungen über 126,00 € angelegt."]
    assert count(db, DuesClaim) == 4


def test_run_preview_table_is_capped(app, db, club, treasurer_client, monkeypatch):
    monkeypatch.setattr("supportclub.dues.routes.PREVIEW_ROWS", 2)
    page = treasurer_client.get("/beitraege/lauf?year=2025").get_data(as_text=True)
    assert len(table(page, "planned")) == 1 + 2 + 1  # head, two rows, "and 1 more"
    assert text_of(page, "more") == "und 1 weitere"
    assert text_of(page, "plan-count") == "3"
    assert text_of(page, "plan-total") == "90,00 €"


def test_run_pro_rata_setting_shows_in_the_preview(app, db, treasurer_client):
    get_settings().dues_pro_rata = True
    db.session.commit()
    make_member(start_date=date(2025, 7, 1), last_name="Juli")
    page = treasurer_client.get("/beitraege/lauf?year=2025").get_data(as_text=True)
    assert table(page, "planned")[1][3:5] == ["6", "18,00 €"]


@pytest.mark.parametrize(
    "year, message",
    [
        ("1800", "Beitragsläufe gibt es für die Jahre 1990 bis"),
        (str(today().year + 2), "Beitragsläufe gibt es für die Jahre 1990 bis"),
        ("abc", "Keine gültige, ganze Zahl."),
        ("", "Bitte ein Jahr angeben."),
    ],
)
def test_run_bad_year_is_refused_at_the_field(app, db, club, treasurer_client, year, message):
    response = treasurer_client.post("/beitraege/lauf", data={"year": year})
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True), "year-error", "id")
    assert count(db, DuesClaim) == 0
    assert count(db, DuesRun) == 0
    preview = treasurer_client.get(f"/beitraege/lauf?year={year}").get_data(as_text=True)
    assert message in text_of(preview, "year-error", "id")
    assert 'data-testid="planned"' not in preview


def test_run_post_without_csrf_token_is_refused(app, db, club, treasurer_client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = treasurer_client.post("/beitraege/lauf", data={"year": "2025"})
    assert response.status_code == 400
    assert count(db, DuesClaim) == 0


# Open claims ----------------------------------------------------------------------------------


@pytest.fixture
def claims(app, db, club):
    """Claims 2024 and 2025 (due 14.02.) for everyone with a rate; Anna paid 2025, Ben half."""
    run_dues(2024, actor=None, run_date=date(2024, 1, 15))
    run_dues(2025, actor=None, run_date=date(2025, 1, 15))
    db.session.commit()
    pay(db, club["anna"], claim_of(db, club["anna"], 2025), 3600)
    pay(db, club["ben"], claim_of(db, club["ben"], 2025), 1000)
    return club


def test_open_claims_list_and_totals(app, db, claims, treasurer_client):
    page = treasurer_client.get("/beitraege/offen").get_data(as_text=True)
    assert text_of(page, "total-count") == "5"
    assert text_of(page, "total-open") == "134,00 €"
    rows = table(page, "open-claims")[1:]
    assert [(r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows] == [
        ("Albrecht, Anna", "2024", "36,00 €", "0,00 €", "36,00 €", "14.02.2024"),
        ("Becker, Ben", "2024", "36,00 €", "0,00 €", "36,00 €", "14.02.2024"),
        ("Conrad, Carla", "2024", "18,00 €", "0,00 €", "18,00 €", "14.02.2024"),
        ("Becker, Ben", "2025", "36,00 €", "10,00 €", "26,00 €", "14.02.2025"),
        ("Conrad, Carla", "2025", "18,00 €", "0,00 €", "18,00 €", "14.02.2025"),
    ]
    assert rows[0][8] == str((today() - date(2024, 2, 14)).days)
    assert rows[3][9] == "teilweise bezahlt"
    assert rows[0][9] == "offen"
    assert rows[0][1] == str(claims["anna"].member_number)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("year=2025", [("Becker, Ben", "2025"), ("Conrad, Carla", "2025")]),
        ("q=beck", [("Becker, Ben", "2024"), ("Becker, Ben", "2025")]),
        (
            "overdue=y&year=2024",
            [("Albrecht, Anna", "2024"), ("Becker, Ben", "2024"), ("Conrad, Carla", "2024")],
        ),
    ],
)
def test_open_claims_filters(app, db, claims, treasurer_client, query, expected):
    page = treasurer_client.get(f"/beitraege/offen?{query}").get_data(as_text=True)
    assert [(r[2], r[3]) for r in table(page, "open-claims")[1:]] == expected
    assert text_of(page, "total-count") == str(len(expected))


def test_open_claims_filter_by_type_number_and_overdue(app, db, claims, treasurer_client):
    page = treasurer_client.get(f"/beitraege/offen?membership_type_id={claims['reduced'].id}")
    assert text_of(page.get_data(as_text=True), "total-open") == "36,00 €"
    number = claims["carla"].member_number
    page = treasurer_client.get(f"/beitraege/offen?q={number}").get_data(as_text=True)
    assert {r[2] for r in table(page, "open-claims")[1:]} == {"Conrad, Carla"}
    # a claim not yet due is open but not overdue
    run_dues(today().year, actor=None, run_date=today())
    db.session.commit()
    page = treasurer_client.get(f"/beitraege/offen?year={today().year}").get_data(as_text=True)
    assert text_of(page, "total-count") == "4"
    page = treasurer_client.get(f"/beitraege/offen?year={today().year}&overdue=y")
    assert text_of(page.get_data(as_text=True), "total-count") == "0"


def test_open_claims_pagination_keeps_the_totals(app, db, claims, treasurer_client, monkeypatch):
    monkeypatch.setattr("supportclub.dues.routes.OPEN_CLAIMS_PER_PAGE", 2)
    page = treasurer_client.get("/beitraege/offen?seite=3").get_data(as_text=True)
    assert [(r[2], r[3]) for r in table(page, "open-claims")[1:]] == [("Conrad, Carla", "2025")]
    assert "Seite 3 von 3" in page
    assert text_of(page, "total-open") == "134,00 €"


def test_open_claims_actions_only_for_the_treasurer(app, db, claims, clients):
    claim = claim_of(db, claims["ben"], 2025)
    treasurer = clients["treasurer"].get("/beitraege/offen").get_data(as_text=True)
    assert f'name="claim_id" value="{claim.id}"' in treasurer
    assert "Zahlung erfassen" in treasurer
    assert f'href="/beitraege/zahlung/neu?claim_id={claim.id}"' in treasurer
    assert f'href="/beitraege/forderungen/{claim.id}/erlassen"' in treasurer
    for role in ("board", "admin"):
        page = clients[role].get("/beitraege/offen").get_data(as_text=True)
        assert "Becker, Ben" in page
        assert 'name="claim_id"' not in page
        assert "Zahlung erfassen" not in page
        assert "/erlassen" not in page
    assert clients["member"].get("/beitraege/offen").status_code == 403


# Payment --------------------------------------------------------------------------------------


def payment_form(payer, claim_amounts: dict | None = None, **overrides) -> dict:
    """A payment form: payer, today, bank, the amount, and {claim: "amount"} rows ticked."""
    claim_amounts = claim_amounts or {}
    data = {
        "person_id": str(payer.id),
        "booking_date": date(2025, 3, 10).isoformat(),
        "account_id": str(by_code(Account, "bank").id),
        "amount": "36,00",
        "text": "",
        "claim_id": [str(c.id) for c in claim_amounts],
        "submit": "Zahlung buchen",
    }
    for claim, text in claim_amounts.items():
        data[f"betrag_{claim.id}"] = text
    data.update(overrides)
    return data


def test_payment_page_from_a_claim_preselects_it(app, db, claims, treasurer_client):
    claim = claim_of(db, claims["ben"], 2025)
    page = treasurer_client.get(f"/beitraege/zahlung/neu?claim_id={claim.id}").get_data(
        as_text=True
    )
    assert "Becker, Ben" in text_of(page, "payer")
    assert f'name="claim_id" value="{claim.id}" id="claim-{claim.id}" checked' in page
    assert f'name="betrag_{claim.id}" value="26,00"' in page
    other = claim_of(db, claims["ben"], 2024)
    assert f'value="{other.id}" id="claim-{other.id}">' in page  # shown, not ticked
    assert f'value="{today().isoformat()}"' in page
    assert [r[1] for r in table(page, "claims")[1:]] == ["2024", "2025"]


def test_payment_page_says_when_a_chosen_claim_is_no_longer_open(app, db, claims, treasurer_client):
    paid = claim_of(db, claims["anna"], 2025)
    page = treasurer_client.get(f"/beitraege/zahlung/neu?claim_id={paid.id}").get_data(as_text=True)
    assert "Albrecht, Anna" in text_of(page, "payer")
    assert text_of(page, "notice") == (
        "Der Beitrag 2025 von Albrecht, Anna ist nicht mehr offen (bezahlt)."
    )
    assert [r[1] for r in table(page, "claims")[1:]] == ["2024"]


def test_payment_page_by_person_and_by_search(app, db, claims, treasurer_client):
    ben = claims["ben"]
    page = treasurer_client.get(f"/beitraege/zahlung/neu?person_id={ben.id}").get_data(as_text=True)
    assert "Becker, Ben" in text_of(page, "payer")
    assert len(table(page, "claims")) == 3
    page = treasurer_client.get("/beitraege/zahlung/neu?person=Becker").get_data(as_text=True)
    assert "Becker, Ben" in text_of(page, "payer")
    page = treasurer_client.get("/beitraege/zahlung/neu?person=Niemand").get_data(as_text=True)
    assert "Keine Person gefunden" in page
    assert 'data-testid="payer"' not in page


def test_payment_claims_of_different_payers_are_refused(app, db, claims, treasurer_client):
    a, b = claim_of(db, claims["ben"], 2024), claim_of(db, claims["carla"], 2024)
    page = treasurer_client.get(f"/beitraege/zahlung/neu?claim_id={a.id}&claim_id={b.id}")
    text = text_of(page.get_data(as_text=True), "problem")
    assert "von verschiedenen Personen bezahlt (Becker, Ben, Conrad, Carla)" in text
    assert 'name="amount"' not in page.get_data(as_text=True)


def test_payment_claims_of_one_alternate_payer_go_together(app, db, claims, treasurer_client):
    parent = make_person(last_name="Eltern", first_name="Eva")
    for name in ("ben", "carla"):
        set_payer(membership_of(claims[name]), payer_id=parent.id, actor=None)
    db.session.commit()
    a, b = claim_of(db, claims["ben"], 2024), claim_of(db, claims["carla"], 2024)
    page = treasurer_client.get(f"/beitraege/zahlung/neu?claim_id={a.id}&claim_id={b.id}")
    page = page.get_data(as_text=True)
    assert "Eltern, Eva" in text_of(page, "payer")
    response = treasurer_client.post(
        "/beitraege/zahlung/neu",
        data=payment_form(parent, {a: "36,00", b: "18,00"}, amount="54,00"),
    )
    assert response.status_code == 302
    booking = db.session.execute(select(Booking)).scalars().all()[-1]
    assert booking.person_id == parent.id
    assert status(a) == (ClaimStatus.PAID, 0)
    assert status(b) == (ClaimStatus.PAID, 0)


def test_payment_exact_allocation_pays_the_claim(app, db, claims, treasurer_client):
    ben = claims["ben"]
    claim = claim_of(db, ben, 2024)
    bookings_before = count(db, Booking)
    response = treasurer_client.post(
        "/beitraege/zahlung/neu", data=payment_form(ben, {claim: "36,00"}, text="Überweisung")
    )
    assert response.status_code == 302
    booking = db.session.execute(select(Booking).order_by(Booking.id.desc())).scalars().first()
    assert count(db, Booking) == bookings_before + 1
    assert flashes(treasurer_client) == [f"Zahlung über 36,00 € gebucht (Buchung {booking.id})."]
    location = response.headers["Location"]
    if "members.detail" in app.view_functions:
        assert location.endswith(f"/mitglieder/{ben.id}")
        assert treasurer_client.get(location).status_code == 200
    else:
        assert location.endswith(f"/buchungen/{booking.id}")
    assert (booking.amount_cents, booking.person_id, booking.text) == (3600, ben.id, "Überweisung")
    assert booking.booking_date == date(2025, 3, 10)
    assert [(ln.category.code, ln.amount_cents, ln.dues_claim_id) for ln in booking.lines] == [
        ("dues", 3600, claim.id)
    ]
    assert status(claim) == (ClaimStatus.PAID, 0)


def test_overpayment_asks_then_books_exactly_the_rest_as_donation(
    app, db, claims, treasurer_client
):
    ben = claims["ben"]
    claim = claim_of(db, ben, 2024)
    before = count(db, Booking)
    data = payment_form(ben, {claim: "36,00"}, amount="50,00")
    response = treasurer_client.post("/beitraege/zahlung/neu", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert text_of(page, "overpayment").startswith(
        "Die Zahlung ist 14,00 € höher als die gewählten Beiträge. "
        "Soll der Rest als Spende gebucht werden?"
    )
    assert 'value="Rest als Spende buchen"' in page
    assert 'name="donation_cents" type="hidden" value="1400"' in page
    assert count(db, Booking) == before
    assert status(claim) == (ClaimStatus.OPEN, 3600)

    confirm = {**data, "donation_cents": "1400", "donate_rest": "Rest als Spende buchen"}
    del confirm["submit"]
    response = treasurer_client.post("/beitraege/zahlung/neu", data=confirm)
    assert response.status_code == 302
    booking = db.session.execute(select(Booking).order_by(Booking.id.desc())).scalars().first()
    assert booking.amount_cents == 5000
    assert sorted(
        (ln.category.code, ln.amount_cents, ln.dues_claim_id) for ln in booking.lines
    ) == [
        ("donation", 1400, None),
        ("dues", 3600, claim.id),
    ]
    assert {ln.fund.code for ln in booking.lines} == {"general"}
    assert status(claim) == (ClaimStatus.PAID, 0)


def test_donation_confirmation_for_another_rest_asks_again(app, db, claims, treasurer_client):
    ben = claims["ben"]
    claim = claim_of(db, ben, 2024)
    before = count(db, Booking)
    # the treasurer was asked about 14,00 €, then changed the amount to 60,00 €
    data = payment_form(
        ben,
        {claim: "36,00"},
        amount="60,00",
        donation_cents="1400",
        donate_rest="Rest als Spende buchen",
        submit=None,
    )
    response = treasurer_client.post("/beitraege/zahlung/neu", data=data)
    assert response.status_code == 422
    assert "Die Zahlung ist 24,00 € höher" in text_of(
        response.get_data(as_text=True), "overpayment"
    )
    assert count(db, Booking) == before


def test_underpayment_leaves_the_claim_partly_paid(app, db, claims, treasurer_client):
    ben = claims["ben"]
    claim = claim_of(db, ben, 2024)
    response = treasurer_client.post(
        "/beitraege/zahlung/neu", data=payment_form(ben, {claim: "20,00"}, amount="20,00")
    )
    assert response.status_code == 302
    assert status(claim) == (ClaimStatus.PARTLY_PAID, 1600)


def test_nothing_ticked_settles_the_oldest_claims_first(app, db, claims, treasurer_client):
    ben = claims["ben"]
    old, new = claim_of(db, ben, 2024), claim_of(db, ben, 2025)  # 36,00 and 26,00 open
    response = treasurer_client.post(
        "/beitraege/zahlung/neu", data=payment_form(ben, amount="50,00")
    )
    assert response.status_code == 302
    assert status(old) == (ClaimStatus.PAID, 0)
    assert status(new) == (ClaimStatus.PARTLY_PAID, 1200)


def test_nothing_ticked_and_too_much_asks_and_shows_the_choice(app, db, claims, treasurer_client):
    ben = claims["ben"]
    old, new = claim_of(db, ben, 2024), claim_of(db, ben, 2025)
    response = treasurer_client.post(
        "/beitraege/zahlung/neu", data=payment_form(ben, amount="70,00")
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Die Zahlung ist 8,00 € höher" in text_of(page, "overpayment")
    assert f'value="{old.id}" id="claim-{old.id}" checked' in page
    assert f'name="betrag_{new.id}" value="26,00"' in page
    assert status(new) == (ClaimStatus.PARTLY_PAID, 2600)


@pytest.mark.parametrize(
    "overrides, rows, where, message",
    [
        ({"amount": "10.000,01"}, "36,00", "amount-error", "unplausibel hoch"),
        ({"amount": "0"}, "36,00", "amount-error", "Der Betrag muss größer als 0 sein."),
        ({"amount": "-5"}, "36,00", "amount-error", "Der Betrag darf nicht negativ sein."),
        ({"amount": "abc"}, "36,00", "amount-error", "kein gültiger Betrag"),
        (
            {"amount": "20,00"},
            "36,00",
            "claims-error",
            "Den Forderungen sind 36,00 € zugeordnet, gezahlt wurden nur 20,00 €.",
        ),
        (
            {"amount": "40,00"},
            "40,00",
            "claims-error",
            "sind nur noch 36,00 € offen, nicht 40,00 €.",
        ),
        ({}, "0", "row-error", "Der Betrag muss größer als 0 sein."),
        ({}, "", "row-error", "Bitte einen Betrag eingeben."),
        (
            {"booking_date": (today() + timedelta(days=400)).isoformat()},
            "36,00",
            "booking_date-error",
            "Das Datum liegt zu weit in der Zukunft",
        ),
        ({"booking_date": "31.02.2025"}, "36,00", "booking_date-error", "gültiges Datum"),
        ({"account_id": "999999"}, "36,00", "account_id-error", "Keine gültige Auswahl."),
    ],
)
def test_payment_bad_input_is_refused_at_the_field(
    app, db, claims, treasurer_client, overrides, rows, where, message
):
    ben = claims["ben"]
    claim = claim_of(db, ben, 2024)
    before = (count(db, Booking), count(db, BookingLine), count(db, AuditEntry))
    response = treasurer_client.post(
        "/beitraege/zahlung/neu", data=payment_form(ben, {claim: rows}, **overrides)
    )
    assert response.status_code == 422
    where = f"error-{claim.id}" if where == "row-error" else where
    assert message in text_of(response.get_data(as_text=True), where, "id")
    assert (count(db, Booking), count(db, BookingLine), count(db, AuditEntry)) == before
    assert status(claim) == (ClaimStatus.OPEN, 3600)


def test_payment_against_a_claim_of_another_person_is_refused(app, db, claims, treasurer_client):
    ben, carla = claims["ben"], claims["carla"]
    foreign = claim_of(db, carla, 2024)
    before = count(db, Booking)
    response = treasurer_client.post(
        "/beitraege/zahlung/neu", data=payment_form(ben, {foreign: "18,00"}, amount="18,00")
    )
    assert response.status_code == 422
    assert f"Die Forderung {foreign.id} gehört nicht zu dieser Person." in text_of(
        response.get_data(as_text=True), "claims-error", "id"
    )
    assert count(db, Booking) == before
    assert status(foreign) == (ClaimStatus.OPEN, 1800)
    page = treasurer_client.get(
        f"/beitraege/zahlung/neu?person_id={ben.id}&claim_id={foreign.id}"
    ).get_data(as_text=True)
    assert "Nicht alle gewählten Forderungen gehören zu Becker, Ben." in text_of(page, "problem")


def test_payment_in_a_closed_year_is_refused(app, db, claims, treasurer_client):
    db.session.add(ClosedYear(year=2025))
    db.session.commit()
    ben = claims["ben"]
    claim = claim_of(db, ben, 2024)
    before = count(db, Booking)
    response = treasurer_client.post(
        "/beitraege/zahlung/neu", data=payment_form(ben, {claim: "36,00"})
    )
    assert response.status_code == 422
    assert "Das Jahr 2025 ist abgeschlossen" in text_of(
        response.get_data(as_text=True), "booking_date-error", "id"
    )
    assert count(db, Booking) == before


def test_payment_form_without_a_payer_offers_the_search(app, db, treasurer_client):
    page = treasurer_client.get("/beitraege/zahlung/neu").get_data(as_text=True)
    assert 'name="person"' in page
    assert "js/person-search.js" in page
    assert treasurer_client.post("/beitraege/zahlung/neu", data={"amount": "5"}).status_code == 400


# Write-off ------------------------------------------------------------------------------------


def test_waive_writes_off_the_open_rest(app, db, claims, treasurer_client):
    ben = claims["ben"]
    claim = claim_of(db, ben, 2025)  # 36,00 with 10,00 paid
    page = treasurer_client.get(f"/beitraege/forderungen/{claim.id}/erlassen").get_data(
        as_text=True
    )
    assert text_of(page, "open") == "26,00 €"
    response = treasurer_client.post(
        f"/beitraege/forderungen/{claim.id}/erlassen", data={"reason": "Arbeitslos geworden"}
    )
    assert response.status_code == 302
    assert flashes(treasurer_client) == [
        "Der Beitrag 2025 von Ben Becker wurde über 26,00 € erlassen."
    ]
    waiver = db.session.execute(select(ClaimWaiver)).scalar_one()
    assert (waiver.claim_id, waiver.amount_cents, waiver.reason) == (
        claim.id,
        2600,
        "Arbeitslos geworden",
    )
    assert status(claim) == (ClaimStatus.WAIVED, 0)

    again = treasurer_client.post(
        f"/beitraege/forderungen/{claim.id}/erlassen", data={"reason": "noch einmal"}
    )
    assert again.status_code == 302
    assert flashes(treasurer_client) == ["Diese Forderung ist bereits erlassen."]
    assert count(db, ClaimWaiver) == 1


def test_waive_a_paid_claim_is_refused(app, db, claims, treasurer_client):
    claim = claim_of(db, claims["anna"], 2025)
    page = treasurer_client.get(f"/beitraege/forderungen/{claim.id}/erlassen")
    assert "bereits bezahlt" in page.get_data(as_text=True)
    response = treasurer_client.post(
        f"/beitraege/forderungen/{claim.id}/erlassen", data={"reason": "Versehen"}
    )
    assert response.status_code == 302
    assert flashes(treasurer_client) == [
        "Diese Forderung ist bereits bezahlt; es ist nichts offen."
    ]
    assert count(db, ClaimWaiver) == 0


@pytest.mark.parametrize(
    "reason, message",
    [("", "Bitte einen Grund für den Erlass angeben."), ("ab", "mindestens 3 Zeichen")],
)
def test_waive_needs_a_reason(app, db, claims, treasurer_client, reason, message):
    claim = claim_of(db, claims["ben"], 2024)
    response = treasurer_client.post(
        f"/beitraege/forderungen/{claim.id}/erlassen", data={"reason": reason}
    )
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True), "reason-error", "id")
    assert count(db, ClaimWaiver) == 0


def test_waive_unknown_claim_is_404(app, db, treasurer_client):
    assert treasurer_client.get("/beitraege/forderungen/999999/erlassen").status_code == 404


# Settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["treasurer", "admin"])
def test_settings_are_saved_and_audited(app, db, clients, role):
    page = clients[role].get("/beitraege/einstellungen").get_data(as_text=True)
    assert "Anteilig nach Monaten bei Eintritt im Laufe des Jahres" in page
    assert re.search(r'id="dues_payment_days"[^>]*value="30"', page)
    response = clients[role].post(
        "/beitraege/einstellungen", data={"dues_pro_rata": "1", "dues_payment_days": "14"}
    )
    assert response.status_code == 302
    settings = get_settings()
    assert (settings.dues_pro_rata, settings.dues_payment_days) == (True, 14)
    entry = db.session.execute(
        select(AuditEntry).filter_by(action="settings.dues_updated")
    ).scalar_one()
    assert entry.data["dues_payment_days"] == {"before": 30, "after": 14}
    assert flashes(clients[role]) == ["Die Beitragseinstellungen wurden gespeichert."]


@pytest.mark.parametrize(
    "data, where, message",
    [
        (
            {"dues_pro_rata": "1", "dues_payment_days": "400"},
            "dues_payment_days-error",
            "zwischen 0 und 365 Tagen",
        ),
        (
            {"dues_pro_rata": "1", "dues_payment_days": "-1"},
            "dues_payment_days-error",
            "zwischen 0 und 365 Tagen",
        ),
        (
            {"dues_pro_rata": "1", "dues_payment_days": "zehn"},
            "dues_payment_days-error",
            "Keine gültige, ganze Zahl.",
        ),
    ],
)
def test_settings_bad_input(app, db, treasurer_client, data, where, message):
    response = treasurer_client.post("/beitraege/einstellungen", data=data)
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True), where, "id")
    settings = get_settings()
    assert (settings.dues_pro_rata, settings.dues_payment_days) == (False, 30)


def test_settings_without_a_choice_is_refused(app, db, treasurer_client):
    response = treasurer_client.post("/beitraege/einstellungen", data={"dues_payment_days": "5"})
    assert response.status_code == 422
    assert "Bitte eine Möglichkeit wählen." in response.get_data(as_text=True)
    assert get_settings().dues_payment_days == 30


# Writes by other roles ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "board", "member"])
def test_only_the_treasurer_writes_dues(app, db, claims, clients, role):
    claim = claim_of(db, claims["ben"], 2024)
    client = clients[role]
    before = (count(db, DuesRun), count(db, Booking), count(db, ClaimWaiver))
    assert client.post("/beitraege/lauf", data={"year": "2026"}).status_code == 403
    assert (
        client.post(
            "/beitraege/zahlung/neu", data=payment_form(claims["ben"], {claim: "36,00"})
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/beitraege/forderungen/{claim.id}/erlassen", data={"reason": "Versuch"}
        ).status_code
        == 403
    )
    assert (count(db, DuesRun), count(db, Booking), count(db, ClaimWaiver)) == before
    settings = client.post(
        "/beitraege/einstellungen", data={"dues_pro_rata": "1", "dues_payment_days": "5"}
    )
    assert settings.status_code == (302 if role == "admin" else 403)
