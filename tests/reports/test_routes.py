"""The report pages over HTTP: dashboard, exports, settings (audited), transparency page."""

import re
from datetime import date

from sqlalchemy import func, select

from supportclub.admin.models import TaxThreshold, ThresholdKind
from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.clock import today
from supportclub.extensions import db
from supportclub.ledger.models import PersonKind
from supportclub.projects.services import approve_project
from tests.factories import make_booking, make_person, make_project
from tests.reports.book import small_book


def text_of(response) -> str:
    """The page as text with tags removed and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def section(response, testid: str) -> str:
    """The text of the element with data-testid=`testid` (up to its closing tag's table/div)."""
    html = response.get_data(as_text=True)
    start = html.index(f'data-testid="{testid}"')
    end = min(i for i in (html.find("</table>", start), html.find("</div>", start)) if i > 0)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:end]).split())


def audit_count(action: str) -> int:
    """How many audit entries with `action` exist."""
    return db.session.execute(
        select(func.count()).select_from(AuditEntry).filter_by(action=action)
    ).scalar_one()


# Dashboard ------------------------------------------------------------------------------------


def test_dashboard_shows_the_year_with_charts_and_tables(clients):
    """Income by source, key figures, the three charts as SVG images with alt texts and tables."""
    small_book()
    response = clients["board"].get("/berichte?jahr=2025")
    assert response.status_code == 200
    assert "Familienwandertag 2025 500,00 €" in section(response, "income")
    assert "641,00 €" in section(response, "income-total")
    assert "41,00 €" in section(response, "free-money")
    assert "300,00 €" in section(response, "open-commitments")
    assert "500,00 €" in section(response, "grants-total")
    html = response.get_data(as_text=True)
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert len(re.findall(r'<img [^>]*alt="[^"]{20,}"', html)) == 3
    assert "2025 500,00 € 200,00 €" in section(response, "grant-years")
    assert "Lesefest" in section(response, "earmarked")
    assert 'href="/berichte/kassenbericht/2025.pdf"' in html
    assert "<script" not in html.split("</main>")[0].split("<main")[1]


def test_dashboard_defaults_to_the_current_year(clients):
    """Without ?jahr the current year is selected."""
    page = clients["treasurer"].get("/berichte").get_data(as_text=True)
    assert f'<option value="{today().year}" selected>' in page


def test_dashboard_since_founding(clients):
    """?jahr=alle: the per-year § 64 list and the timely-use table instead of one year."""
    small_book()
    response = clients["admin"].get("/berichte?jahr=alle")
    assert response.status_code == 200
    assert "seit Gründung" in text_of(response)
    assert "2025 300,00 € 50.000,00 €" in section(response, "business-years")
    assert 'data-testid="timely-years"' in response.get_data(as_text=True)
    assert 'href="/berichte/kassenbericht/' not in response.get_data(as_text=True)


def test_dashboard_warns_near_and_over_the_threshold(clients):
    """At 80 % "nähert sich", above 100 % "überschritten"."""
    make_booking(4_000_000, category="sales", booking_date=date(2025, 6, 1))
    near = section(clients["board"].get("/berichte?jahr=2025"), "business-threshold")
    assert "nähern sich der Grenze" in near and "80 %" in near and "50.000,00 €" in near
    make_booking(1_000_001, category="sales", booking_date=date(2025, 6, 2))
    over = section(clients["board"].get("/berichte?jahr=2025"), "business-threshold")
    assert "Grenze überschritten" in over and "100 %" in over


def test_dashboard_explains_the_timely_use_rule(clients):
    """The simplified rule and the exemption are said on the page."""
    make_booking(100_000, category="donation", booking_date=date(2025, 3, 1))
    response = clients["board"].get("/berichte?jahr=2025")
    text = text_of(response)
    assert "übernächsten Jahres" in text and "§ 55 Abs. 1 Nr. 5 AO" in text
    assert "von der zeitnahen Mittelverwendung befreit" in section(response, "timely-use")


def test_dashboard_bad_year_says_so_and_shows_the_current_year(clients):
    """?jahr=abc or 1800: a message, the current year, nothing else changes."""
    for bad in ("abc", "1800", "20255"):
        response = clients["board"].get(f"/berichte?jahr={bad}")
        assert response.status_code == 200
        assert f"„{bad}“ ist kein gültiges Jahr" in text_of(response)
        assert f'<option value="{today().year}" selected>' in response.get_data(as_text=True)


def test_campaign_names_are_escaped(clients):
    """A campaign named with markup is shown as text, in the table and in the chart."""
    from tests.factories import make_campaign
    from tests.reports.book import campaign_booking, line

    bad = make_campaign('<img src=x onerror="alert(1)">', series="<b>Serie</b>", year=2025)
    campaign_booking(bad, date(2025, 5, 1), line("sales", 1000))
    html = clients["board"].get("/berichte?jahr=2025").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "<b>Serie</b>" not in html


# Exports --------------------------------------------------------------------------------------


def test_export_form_leads_to_the_download(clients):
    """A valid choice redirects to /berichte/export/<kind>.<fmt>?von=&bis=."""
    small_book()
    client = clients["board"]
    assert client.get("/berichte/export").status_code == 200
    response = client.get(
        "/berichte/export?von=2025-01-01&bis=2025-12-31&kind=grants&fmt=csv&submit=Exportieren"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "/berichte/export/grants.csv?von=2025-01-01&bis=2025-12-31"
    )
    download = client.get(response.headers["Location"])
    assert download.status_code == 200
    assert (
        'filename="foerderungen-2025-01-01-bis-2025-12-31.csv"'
        in download.headers["Content-Disposition"]
    )
    assert "Lesefest" in download.get_data(as_text=True)


def test_export_refuses_a_bad_period(clients):
    """Missing or reversed dates: the form with a specific message, no file."""
    client = clients["board"]
    response = client.get(
        "/berichte/export?von=2025-12-31&bis=2025-01-01&kind=bookings&fmt=xlsx&submit=x"
    )
    assert response.status_code == 422
    assert "„Bis“ darf nicht vor „Von“ liegen." in text_of(response)
    response = client.get("/berichte/export/bookings.xlsx?von=kaputt&bis=2025-01-01")
    assert response.status_code == 400
    assert "Bitte ein gültiges Datum angeben" in text_of(response)
    assert (
        client.get("/berichte/export/members.csv?von=2025-01-01&bis=2025-12-31").status_code == 404
    )
    assert (
        client.get("/berichte/export/bookings.pdf?von=2025-01-01&bis=2025-12-31").status_code == 404
    )


def test_export_accepts_german_dates(clients):
    """01.01.2025 works as well as 2025-01-01."""
    response = clients["board"].get("/berichte/export/bookings.csv?von=01.01.2025&bis=31.12.2025")
    assert response.status_code == 200


# Settings -------------------------------------------------------------------------------------


def test_transparency_switch_is_audited(clients):
    """On, then off: each change leaves an audit entry; saving the same value adds none."""
    client = clients["treasurer"]
    response = client.post(
        "/berichte/einstellungen", data={"action": "transparency", "tp-public": "1"}
    )
    assert response.status_code == 302
    assert get_settings().transparency_public is True
    assert audit_count("settings.transparency_changed") == 1
    client.post("/berichte/einstellungen", data={"action": "transparency", "tp-public": "1"})
    assert audit_count("settings.transparency_changed") == 1
    client.post("/berichte/einstellungen", data={"action": "transparency", "tp-public": "0"})
    assert get_settings().transparency_public is False
    assert audit_count("settings.transparency_changed") == 2


def test_add_and_change_a_threshold_is_audited(clients):
    """From 2027 on 60.000 €, then changed to 55.000 €; both audited with the figures."""
    client = clients["admin"]
    response = client.post(
        "/berichte/einstellungen",
        data={
            "action": "add",
            "add-kind": "business_revenue",
            "add-valid_from_year": "2027",
            "add-amount": "60.000,00",
        },
    )
    assert response.status_code == 302
    row = db.session.execute(
        select(TaxThreshold).filter_by(kind=ThresholdKind.BUSINESS_REVENUE, valid_from_year=2027)
    ).scalar_one()
    assert row.amount_cents == 6_000_000
    response = client.post(
        "/berichte/einstellungen",
        data={"action": "change", "change-threshold_id": str(row.id), "change-amount": "55.000"},
    )
    assert response.status_code == 302
    db.session.refresh(row)
    assert row.amount_cents == 5_500_000
    [added] = db.session.execute(
        select(AuditEntry).filter_by(action="tax_thresholds.added")
    ).scalars()
    [changed] = db.session.execute(
        select(AuditEntry).filter_by(action="tax_thresholds.changed")
    ).scalars()
    assert added.data["amount_cents"] == 6_000_000
    assert (changed.data["before"], changed.data["after"]) == (6_000_000, 5_500_000)
    assert "55.000,00" in client.get("/berichte/einstellungen").get_data(as_text=True)


def test_bad_threshold_input_is_refused_and_writes_nothing(clients):
    """Duplicate year, absurd year, bad amount, unknown row: a message, no row, no audit."""
    client = clients["treasurer"]
    rows = db.session.execute(select(func.count()).select_from(TaxThreshold)).scalar_one()
    cases = [
        (("business_revenue", "2025", "1"), "ab 2025 schon"),
        (("business_revenue", "1800", "1"), "zwischen 1990 und 2200"),
        (("business_revenue", "2030", "zwölf"), "kein gültiger Betrag"),
        (("business_revenue", "2030", "0"), "größer als 0"),
        (("anything", "2030", "1"), "Art der Grenze"),
        (("business_revenue", "", "1"), "Bitte ein Jahr angeben"),
    ]
    names = ("add-kind", "add-valid_from_year", "add-amount")
    cases = [(dict(zip(names, values, strict=True)), message) for values, message in cases]
    for data, message in cases:
        response = client.post("/berichte/einstellungen", data={"action": "add", **data})
        assert response.status_code == 422, data
        assert message in text_of(response), (data, text_of(response)[:2000])
    response = client.post(
        "/berichte/einstellungen",
        data={"action": "change", "change-threshold_id": "999999", "change-amount": "5"},
    )
    assert response.status_code == 422
    assert "Diese Grenze gibt es nicht" in text_of(response)
    first = db.session.execute(select(TaxThreshold).order_by(TaxThreshold.id)).scalars().first()
    response = client.post(
        "/berichte/einstellungen",
        data={"action": "change", "change-threshold_id": str(first.id), "change-amount": "-5"},
    )
    assert response.status_code == 422
    assert db.session.execute(select(func.count()).select_from(TaxThreshold)).scalar_one() == rows
    assert audit_count("tax_thresholds.added") == audit_count("tax_thresholds.changed") == 0


# Transparency ---------------------------------------------------------------------------------


def _public_book() -> None:
    """The small book plus a project of a private person and a private (non-public) project."""
    small_book()
    make_booking(200_000, category="donation", booking_date=date(2025, 1, 5))
    private = make_person(kind=PersonKind.PRIVATE, first_name="Erika", last_name="Geheim")
    neighbours = make_project("Nachbarschaftsfest", applicant=private)
    approve_project(neighbours, resolution_date=date(2025, 3, 1), amount_cents=15000, actor=None)
    hidden = make_project("Interne Sache", is_public=False)
    approve_project(hidden, resolution_date=date(2025, 3, 1), amount_cents=10000, actor=None)
    make_project("Noch beantragt")
    db.session.commit()


def test_transparency_page_is_404_when_switched_off(clients):
    """Off by default: not found for everyone."""
    assert get_settings().transparency_public is False
    assert clients["anonymous"].get("/transparenz").status_code == 404
    assert clients["admin"].get("/transparenz").status_code == 404


def test_transparency_page_shows_grants_projects_campaigns_and_no_private_names(clients):
    """Anonymous: total, approved public projects (organisation or nothing), campaign results."""
    _public_book()
    get_settings().transparency_public = True
    db.session.commit()
    response = clients["anonymous"].get("/transparenz")
    assert response.status_code == 200
    page = text_of(response)
    assert "750,00 €" in section(response, "public-grants-total")  # 500 + 150 + 100 approved
    projects = section(response, "public-projects")
    assert "2025 Lesefest Kita Sonnenschein 500,00 €" in projects
    assert "Nachbarschaftsfest 150,00 €" in projects
    assert "Interne Sache" not in page and "Noch beantragt" not in page
    assert "Geheim" not in page and "Erika" not in page
    assert "Familienwandertag 2025 420,00 €" in section(response, "public-campaigns-2025")
    assert "Muster" not in page  # no donor or member names


def test_transparency_page_works_on_a_phone(clients):
    """The viewport meta tag is there and tables scroll instead of overflowing."""
    get_settings().transparency_public = True
    db.session.commit()
    html = clients["anonymous"].get("/transparenz").get_data(as_text=True)
    assert 'name="viewport"' in html and "table-responsive" in html
