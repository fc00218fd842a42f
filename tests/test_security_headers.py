"""Security headers on every response; templates that the strict Content-Security-Policy allows."""

import re
from pathlib import Path

from supportclub.permissions import public
from supportclub.security import CONTENT_SECURITY_POLICY
from tests.conftest import make_test_app

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_a_page_carries_the_strict_policy_and_the_other_headers(client):
    response = client.get("/anmelden")
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in tests


def test_error_pages_and_redirects_carry_them_too(client):
    assert client.get("/gibt-es-nicht").headers["X-Frame-Options"] == "DENY"
    redirect = client.get("/buchungen")  # to the login
    assert redirect.status_code == 302
    assert redirect.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_https_deployments_get_hsts(app):
    secure = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"], PREFERRED_URL_SCHEME="https")
    response = secure.test_client().get("/anmelden")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_view_with_its_own_policy_keeps_it(app):
    own = make_test_app(app.config["SQLALCHEMY_DATABASE_URI"])

    @public
    def sandboxed():
        return "x", 200, {"Content-Security-Policy": "default-src 'none'; sandbox"}

    own.add_url_rule("/sandboxed", view_func=sandboxed)
    response = own.test_client().get("/sandboxed")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_template_needs_inline_script_or_style():
    """What the policy would block: inline <script>, on* handlers, style attributes, <style>."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    style = re.compile(r"\sstyle\s*=|<style", re.I)
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern in (inline_script, handler, style):
            found += [
                f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in pattern.finditer(text)
            ]
    assert found == []
