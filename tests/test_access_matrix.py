"""Every route for every role: allowed, redirected to login, or 403. New routes must be listed."""

import pytest

from tests.factories import make_booking

ALL = ("admin", "treasurer", "board", "member")
READERS = ("admin", "treasurer", "board")
NOBODY: tuple[str, ...] = ()

# endpoint -> (method, url template, roles allowed). "public" routes are open to anonymous.
MATRIX = {
    "main.index": ("GET", "/", ALL),
    "main.healthz": ("GET", "/healthz", "public"),
    "main.set_language": ("POST", "/sprache/en", "public"),
    "auth.login": ("GET", "/anmelden", "public"),
    "auth.logout": ("POST", "/abmelden", ALL),
    "auth.password": ("GET", "/passwort", ALL),
    "ledger.booking_new": ("GET", "/buchungen/neu", ("treasurer",)),
    "ledger.bookings": ("GET", "/buchungen", READERS),
    "ledger.booking_detail": ("GET", "/buchungen/{booking_id}", READERS),
    "ledger.booking_reverse": ("POST", "/buchungen/{booking_id}/stornieren", ("treasurer",)),
    "ledger.balances": ("GET", "/salden", READERS),
    "ledger.year_overview": ("GET", "/jahresuebersicht", READERS),
    "ledger.person_search": ("GET", "/personen/suche?q=Muster", READERS),
    "admin.settings": ("GET", "/verwaltung/einstellungen", ("admin",)),
    "admin.users": ("GET", "/verwaltung/zugaenge", ("admin",)),
    "admin.user_create": ("GET", "/verwaltung/zugaenge/neu", ("admin",)),
    "admin.user_edit": ("GET", "/verwaltung/zugaenge/{user_id}", ("admin",)),
    "admin.audit_log": ("GET", "/verwaltung/protokoll", ("admin", "treasurer")),
}

# Routes served by extensions (static files) are not application views.
IGNORED = {"static", "bootstrap.static"}


def test_every_route_is_in_the_matrix(app):
    """A new route without an entry in the matrix fails here."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - IGNORED
    assert endpoints == set(MATRIX), (
        f"missing in MATRIX: {sorted(endpoints - set(MATRIX))}; "
        f"stale in MATRIX: {sorted(set(MATRIX) - endpoints)}"
    )


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
@pytest.mark.parametrize("who", ["anonymous", *ALL])
def test_access(app, clients, users, endpoint, who):
    """Allowed roles get their page; others get 403; anonymous goes to the login page."""
    method, template, allowed = MATRIX[endpoint]
    booking = make_booking(5000)
    url = template.format(booking_id=booking.id, user_id=users["board"].id)
    client = clients[who]
    response = client.open(url, method=method, data={})
    status = response.status_code
    if allowed == "public":
        assert status in (200, 302), f"{who} {method} {url}: {status}"
        return
    if who == "anonymous":
        assert status == 302, f"{who} {method} {url}: {status}"
        assert "/anmelden" in response.headers["Location"]
    elif who in allowed:
        # allowed: the page or a form answer (redirect, validation 422), never 403/5xx
        assert status in (200, 302, 422), f"{who} {method} {url}: {status}"
    else:
        assert status == 403, f"{who} {method} {url}: {status}"


NAV = {
    "admin": [
        "Start",
        "Buchungen",
        "Salden",
        "Jahresübersicht",
        "Protokoll",
        "Zugänge",
        "Einstellungen",
    ],
    "treasurer": [
        "Start",
        "Buchung erfassen",
        "Buchungen",
        "Salden",
        "Jahresübersicht",
        "Protokoll",
    ],
    "board": ["Start", "Buchungen", "Salden", "Jahresübersicht"],
    "member": ["Start"],
}


@pytest.mark.parametrize("role", ALL)
def test_each_role_sees_its_own_navigation(clients, role):
    """The navigation lists exactly the pages the role may open."""
    import re

    page = clients[role].get("/").get_data(as_text=True)
    nav = page[page.index('aria-label="Hauptnavigation"') : page.index("</ul>")]
    assert re.findall(r'class="nav-link[^"]*" href="[^"]+">([^<]+)</a>', nav) == NAV[role]
