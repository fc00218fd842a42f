"""Security headers on every response: a strict Content-Security-Policy (no inline scripts or
styles, nothing from another host, no framing), no MIME sniffing, a restrained referrer, and HSTS
where the app is served over HTTPS (production); and logged-in sessions that expire when idle.

A view that sets its own Content-Security-Policy (an uploaded document shown in a sandbox) keeps it.
"""

from flask import Flask, session

# Everything the browser loads comes from this server (DESIGN.md); images may also be data: URIs
# (the stored signature's preview). Scripts only from files: no inline <script>, no on* handlers.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def install_security_headers(app: Flask) -> None:
    """Add the headers to every response of `app`; a logged-in session expires after
    PERMANENT_SESSION_LIFETIME without a request (the cookie is renewed with each one)."""
    https = app.config.get("PREFERRED_URL_SCHEME") == "https"

    @app.before_request
    def expiring_session():
        if "_user_id" in session and not session.permanent:
            session.permanent = True

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if https:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
