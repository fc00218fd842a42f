"""The app as a whole: config, health check, error pages, CSRF, languages."""

import pytest

from config import ProductionConfig
from supportclub import create_app
from supportclub.extensions import db
from tests.conftest import login, make_test_app
from tests.factories import make_booking


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_starts_with_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="SUPPORTCLUB_ENV"):
        create_app("staging")


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path}/missing-dir/nothing/x.sqlite")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}
    with app.app_context():
        db.engine.dispose()


def test_unknown_route_is_a_german_404(client):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_500_page_is_german_and_rolls_back(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path}/x.sqlite", PROPAGATE_EXCEPTIONS=False)
    calls = []

    @app.route("/kaputt-test")
    def broken():
        db.session.info["dirty"] = True
        raise RuntimeError("boom")

    broken._public = True
    original = db.session.rollback

    def spy():
        calls.append("rollback")
        return original()

    with app.app_context():
        db.session.rollback = spy
        try:
            response = app.test_client().get("/kaputt-test")
        finally:
            db.session.rollback = original
            db.engine.dispose()
    assert response.status_code == 500
    assert "Es wurde nichts gespeichert" in response.get_data(as_text=True)
    assert calls == ["rollback"]


def test_post_without_csrf_token_is_refused(app, db, users):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/anmelden", data={"email": users["treasurer"].email, "password": "x"})
    assert response.status_code == 400
    assert "Sicherheitstoken" in response.get_data(as_text=True)


def test_reversal_without_csrf_token_changes_nothing(app, db, users):
    booking = make_booking(1000)
    client = login(app.test_client(), users["treasurer"])
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/buchungen/{booking.id}/stornieren", data={"reason": "weg damit"})
    assert response.status_code == 400
    db.session.expire_all()
    assert booking.reversed_by is None


def test_language_switch_to_english_and_back(client):
    assert "Anmelden" in client.get("/anmelden").get_data(as_text=True)
    client.post("/sprache/en", data={"next": "/anmelden"})
    page = client.get("/anmelden").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page
    client.post("/sprache/de", data={"next": "/anmelden"})
    assert 'lang="de"' in client.get("/anmelden").get_data(as_text=True)


def test_language_switch_ignores_offsite_next(client):
    response = client.post("/sprache/en", data={"next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_css_is_served_by_the_app(client):
    page = client.get("/anmelden").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert "https://" not in page
    for url in ("/bootstrap/static/css/bootstrap.min.css", "/static/css/app.css"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        response.close()


def test_an_upload_above_the_limit_gets_a_german_413_page(app, clients):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = clients["treasurer"].post(
        "/mitglieder/import", data=big, content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert "höchstens 12 MB" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/buchungen/99999999999999999999", "/mitglieder/3000000000"])
def test_an_id_beyond_the_database_range_is_not_found(clients, url):
    assert clients["treasurer"].get(url).status_code == 404


def test_person_search_with_a_huge_number_finds_nobody(clients):
    response = clients["treasurer"].get("/personen/suche?q=99999999999999999999")
    assert response.status_code == 200
