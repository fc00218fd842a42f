"""Access rules of the reports: admin, treasurer and board read the dashboard, the Kassenbericht
and the exports; admin and treasurer change the report settings; the transparency page is public
(when switched on, which context() does)."""

from tests.access import READERS

ROUTES = {
    "reports.dashboard": ("GET", "/berichte", READERS),
    "reports.annual_report": ("GET", "/berichte/kassenbericht/2025.pdf", READERS),
    "reports.export_form": ("GET", "/berichte/export", READERS),
    "reports.export": (
        "GET",
        "/berichte/export/bookings.csv?von=2025-01-01&bis=2025-12-31",
        READERS,
    ),
    "reports.settings": ("GET", "/berichte/einstellungen", ("admin", "treasurer")),
    "reports.transparency": ("GET", "/transparenz{transparency_on}", "public"),
}


def context(users) -> dict:
    """Switch the public transparency page on (the placeholder itself is empty)."""
    from supportclub.admin.services import get_settings
    from supportclub.extensions import db

    get_settings().transparency_public = True
    db.session.commit()
    return {"transparency_on": ""}
