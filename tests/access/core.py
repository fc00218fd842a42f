"""Access rules of the foundation's routes (main, auth, ledger, admin)."""

from tests.access import ALL, READERS

# endpoint -> (method, url template, roles allowed); "public" routes are open to anonymous.
# Placeholders in the url come from the context() functions of the modules in tests/access/.
ROUTES = {
    "main.index": ("GET", "/", ALL),
    "main.healthz": ("GET", "/healthz", "public"),
    "main.set_language": ("POST", "/sprache/en", "public"),
    "auth.login": ("GET", "/anmelden", "public"),
    "auth.logout": ("POST", "/abmelden", ALL),
    "auth.logout_everywhere": ("POST", "/abmelden/ueberall", ALL),
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
    "admin.audit_log": ("GET", "/verwaltung/protokoll", ("admin", "treasurer", "auditor")),
}


def context(users) -> dict:
    """Objects the urls above refer to."""
    from tests.factories import make_booking

    return {"booking_id": make_booking(5000).id, "user_id": users["board"].id}
