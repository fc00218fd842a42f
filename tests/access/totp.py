"""Access rules of the second factor: admin and treasurer accounts enrol, switch it off and renew
their recovery codes; the code step of a login is public (without a pending login it sends the
visitor to the password step); only an admin resets another user's second factor."""

ENROLLERS = ("admin", "treasurer")

ROUTES = {
    "auth.login_code": ("GET", "/anmelden/code", "public"),
    "auth.totp_state": ("GET", "/passwort/zweiter-faktor", ENROLLERS),
    "auth.totp_start": ("POST", "/passwort/zweiter-faktor/einrichten", ENROLLERS),
    "auth.totp_confirm": ("GET", "/passwort/zweiter-faktor/bestaetigen", ENROLLERS),
    "auth.totp_disable": ("POST", "/passwort/zweiter-faktor/ausschalten", ENROLLERS),
    "auth.totp_recovery_codes": (
        "POST",
        "/passwort/zweiter-faktor/wiederherstellungscodes",
        ENROLLERS,
    ),
    "admin.user_totp_reset": (
        "POST",
        "/verwaltung/zugaenge/{totp_user_id}/zweiter-faktor-zuruecksetzen",
        ("admin",),
    ),
}


def context(users) -> dict:
    """The login whose second factor the admin may reset (the board's: not the admin's own)."""
    return {"totp_user_id": users["board"].id}
