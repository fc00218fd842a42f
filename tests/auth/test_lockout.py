"""Failed logins lock an e-mail address for a while, and reset links are limited per address;
known and unknown addresses are treated alike, so neither reveals whether an account exists."""

import pytest

from supportclub.extensions import db as _db
from tests.conftest import PASSWORD, make_test_app
from tests.factories import make_user


@pytest.fixture
def strict(app):
    """A second app on the test database with low limits (the suite's own are generous)."""
    strict_app = make_test_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_ENABLED=True,
        ACCOUNT_LOCKOUT_LIMIT="3 per 15 minutes",
        RESET_PER_ADDRESS_LIMIT="2 per hour",
    )
    yield strict_app
    with strict_app.app_context():
        _db.engine.dispose()


def attempts(client, email: str, password: str, times: int) -> list[int]:
    return [
        client.post("/anmelden", data={"email": email, "password": password}).status_code
        for _ in range(times)
    ]


def test_failed_logins_lock_the_address_known_or_not(app, strict):
    email = make_user(role="treasurer", email="gesperrt@example.org").email
    client = strict.test_client()

    assert attempts(client, email, "falsch-falsch", 3) == [200, 200, 200]
    locked = client.post("/anmelden", data={"email": email, "password": PASSWORD})
    assert locked.status_code == 429  # even the right password waits
    message = locked.get_data(as_text=True)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in message and "15 Minuten" in message

    # an address without an account answers exactly alike
    assert attempts(client, "niemand@example.org", "falsch-falsch", 3) == [200, 200, 200]
    unknown = client.post("/anmelden", data={"email": "niemand@example.org", "password": "x"})
    assert unknown.status_code == 429
    # the same page, but for the address in the form field
    assert unknown.get_data(as_text=True).replace("niemand@", "gesperrt@") == message

    # the lockout is per address: typed in another case it is the same address
    upper = client.post("/anmelden", data={"email": "GESPERRT@example.org", "password": PASSWORD})
    assert upper.status_code == 429


def test_successful_logins_do_not_count_and_other_addresses_are_free(app, strict):
    email = make_user(role="board", email="frei@example.org").email
    other = make_user(role="board", email="nachbar@example.org").email
    client = strict.test_client()
    for _ in range(5):
        assert (
            client.post("/anmelden", data={"email": email, "password": PASSWORD}).status_code == 302
        )
        client.post("/abmelden")
    assert attempts(strict.test_client(), other, "falsch-falsch", 4)[-1] == 429
    fresh = strict.test_client()
    assert fresh.post("/anmelden", data={"email": email, "password": PASSWORD}).status_code == 302


def test_reset_links_are_limited_per_address(app, strict):
    client = strict.test_client()
    asks = [
        client.post("/passwort-vergessen", data={"email": "vergessen@example.org"}).status_code
        for _ in range(3)
    ]
    assert asks == [302, 302, 429]
    blocked = client.post("/passwort-vergessen", data={"email": "vergessen@example.org"})
    assert "Zu viele Anfragen" in blocked.get_data(as_text=True)
    assert "60 Minuten" in blocked.get_data(as_text=True)
    other = client.post("/passwort-vergessen", data={"email": "anderer@example.org"})
    assert other.status_code == 302
