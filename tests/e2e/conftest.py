"""Fixtures for browser journeys: a live server per database backend and a Chromium page.

The server runs the real app (CSRF and rate limits on) on a fresh, migrated database in a
thread. The browser is the system Chromium (`playwright install` cannot download one here);
without it the journeys are skipped with the reason, unless SUPPORTCLUB_REQUIRE_BROWSER=1
(CI), where a missing browser fails the run instead.
"""

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from supportclub.extensions import db
from tests.conftest import make_test_app
from tests.dbutil import BACKENDS, fresh_database, migrate

CHROMIUM = os.environ.get("SUPPORTCLUB_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("SUPPORTCLUB_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "e2e-passwort-123"
USERS = {
    "treasurer": "kasse@example.org",
    "member": "mitglied@example.org",
    "board": "vorstand@example.org",
    "auditor": "pruefung@example.org",
    "admin": "admin@example.org",
}
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"


@dataclass
class LiveServer:
    """The running app: its base URL, the app itself and the users' e-mail addresses."""

    url: str
    app: Flask
    backend: str
    emails: dict[str, str] = field(default_factory=lambda: dict(USERS))
    password: str = PASSWORD


def _seed_users(app: Flask) -> None:
    """One login per role the journeys use."""
    from tests.factories import make_user

    with app.app_context():
        for role, email in USERS.items():
            make_user(role=role, email=email, password=PASSWORD)


@pytest.fixture(params=BACKENDS)
def live_server(request) -> Iterator[LiveServer]:
    """The app on a fresh migrated database, served on 127.0.0.1 from a daemon thread."""
    backend = request.param
    with fresh_database(backend) as url:
        app = make_test_app(url, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True)
        migrate(app)
        _seed_users(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="e2e-server",
            daemon=True,
        )
        thread.start()
        try:
            yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, backend=backend)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """One headless system Chromium for the whole run."""
    if not Path(CHROMIUM).is_file():
        install = "Installieren: apt-get install --no-install-recommends chromium"
        if REQUIRE_BROWSER:
            pytest.fail(
                f"Chromium fehlt ({CHROMIUM}), die Browser-Tests sind aber verlangt "
                f"(SUPPORTCLUB_REQUIRE_BROWSER=1). {install}",
                pytrace=False,
            )
        pytest.skip(f"Chromium fehlt ({CHROMIUM}): Browser-Tests übersprungen. {install}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so `page` can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context (German, no cookies) per test; a screenshot when it fails."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    context = browser.new_context(locale="de-DE", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            RESULTS_DIR.mkdir(exist_ok=True)
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
            page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
        context.close()
