"""Every route for every role: allowed, redirected to login, or 403. New routes must be listed
(in the feature's module under tests/access/)."""

import importlib
import pkgutil
import re

import pytest

import tests.access
from tests.access import ALL

MODULES = [
    importlib.import_module(f"tests.access.{info.name}")
    for info in pkgutil.iter_modules(tests.access.__path__)
]
MATRIX: dict = {}
OWNER: dict = {}
for _module in MODULES:
    _clash = set(MATRIX) & set(_module.ROUTES)
    assert not _clash, f"endpoints listed twice: {_clash}"
    MATRIX.update(_module.ROUTES)
    OWNER.update(dict.fromkeys(_module.ROUTES, _module))


def _url(endpoint: str, users) -> str:
    """The endpoint's url with its placeholders filled from its module's context()."""
    template = MATRIX[endpoint][1]
    if not re.search(r"\{\w+\}", template):
        return template
    owner = OWNER[endpoint]
    values = owner.context(users) if hasattr(owner, "context") else {}
    try:
        return template.format(**values)
    except KeyError:  # the url names objects of another feature
        for module in MODULES:
            if module is not owner and hasattr(module, "context"):
                values.update(module.context(users))
        return template.format(**values)


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
    method, _template, allowed = MATRIX[endpoint]
    url = _url(endpoint, users)
    client = clients[who]
    response = client.open(url, method=method, data={})
    status = response.status_code
    if allowed == "public":
        # a public route may answer an empty request otherwise (the webhook: 400, unsigned)
        expected = getattr(OWNER[endpoint], "PUBLIC_STATUS", {}).get(endpoint, (200, 302))
        assert status in expected, f"{who} {method} {url}: {status}"
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
        "Finanzübersicht",
        "Buchungen",
        "Salden",
        "Jahresübersicht",
        "Mitglieder",
        "Beiträge",
        "Spenden",
        "Zuwendungsbestätigungen",
        "Online-Zahlungen",
        "Kontoauszüge",
        "Lastschriften",
        "Aktionen",
        "Projekte",
        "Jahresabschluss",
        "Prüfung",
        "Datenschutz",
        "Protokoll",
        "Zugänge",
        "Einstellungen",
    ],
    "treasurer": [
        "Start",
        "Finanzübersicht",
        "Buchung erfassen",
        "Buchungen",
        "Salden",
        "Jahresübersicht",
        "Mitglieder",
        "Beiträge",
        "Spenden",
        "Zuwendungsbestätigungen",
        "Online-Zahlungen",
        "Kontoauszüge",
        "Lastschriften",
        "Aktionen",
        "Projekte",
        "Jahresabschluss",
        "Prüfung",
        "Datenschutz",
        "Protokoll",
    ],
    "board": [
        "Start",
        "Finanzübersicht",
        "Buchungen",
        "Salden",
        "Jahresübersicht",
        "Mitglieder",
        "Beiträge",
        "Spenden",
        "Zuwendungsbestätigungen",
        "Aktionen",
        "Projekte",
        "Jahresabschluss",
        "Prüfung",
    ],
    "auditor": [
        "Start",
        "Finanzübersicht",
        "Buchungen",
        "Salden",
        "Jahresübersicht",
        "Mitglieder",
        "Beiträge",
        "Spenden",
        "Zuwendungsbestätigungen",
        "Aktionen",
        "Projekte",
        "Jahresabschluss",
        "Prüfung",
        "Protokoll",
    ],
    "member": ["Start", "Mein Konto"],
}


@pytest.mark.parametrize("role", ALL)
def test_each_role_sees_its_own_navigation(clients, role):
    """The navigation lists exactly the pages the role may open."""
    page = clients[role].get("/").get_data(as_text=True)
    nav = page[page.index('aria-label="Hauptnavigation"') : page.index("</ul>")]
    assert re.findall(r'class="nav-link[^"]*" href="[^"]+">([^<]+)</a>', nav) == NAV[role]
