from tests.factories import make_booking


def test_booking_roundtrip(app, clients):
    b = make_booking(123456)
    r = clients["treasurer"].get("/buchungen")
    assert r.status_code == 200
    assert "1.234,56 €" in r.get_data(as_text=True)
    r = clients["treasurer"].get(f"/buchungen/{b.id}")
    assert r.status_code == 200
    r = clients["treasurer"].get("/buchungen/neu")
    assert r.status_code == 200, r.get_data(as_text=True)
    for url in ["/salden", "/jahresuebersicht", "/", "/verwaltung/protokoll"]:
        assert clients["treasurer"].get(url).status_code == 200, url
    for url in ["/verwaltung/einstellungen", "/verwaltung/zugaenge", "/verwaltung/zugaenge/neu"]:
        assert clients["admin"].get(url).status_code == 200, url
    assert clients["member"].get("/buchungen").status_code == 403
    assert clients["anonymous"].get("/buchungen").status_code == 302


def test_isolated(app, db):
    from supportclub.ledger.models import Booking

    assert db.session.query(Booking).count() == 0
