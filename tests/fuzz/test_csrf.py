"""With CSRF on (as in production), a POST without its token is 400 and changes nothing."""

import pytest

from tests.conftest import login
from tests.fuzz.hostile import Urls, changed, fingerprint, role_for
from tests.fuzz.test_forms import POST_ENDPOINTS
from tests.test_access_matrix import MATRIX

# every fourth route that takes a POST (the webhook is exempt: Stripe signs it instead)
SAMPLE = [e for e in POST_ENDPOINTS if e in MATRIX and e != "payments.webhook"][::4]


def test_testing_config_switches_csrf_off(app):
    """The fuzz tests post without tokens because the test app turns CSRF off (check)."""
    assert app.config["WTF_CSRF_ENABLED"] is False


@pytest.mark.parametrize("endpoint", SAMPLE)
def test_a_post_without_token_is_refused(app, db, users, endpoint):
    """400 with the German 'Formular abgelaufen' page; the database is as it was."""
    urls = Urls(users)
    url = urls(endpoint)
    role = role_for(endpoint)
    client = app.test_client()
    if role:
        login(client, users[role])
    app.config["WTF_CSRF_ENABLED"] = True  # the app fixture switches it off again
    before = fingerprint(db)
    response = client.post(url, data={"submit": "1", "text": "' OR 1=1 --"})
    assert response.status_code == 400, f"{endpoint}: {response.status_code}"
    assert "Sicherheitstoken fehlt" in response.get_data(as_text=True)
    assert not changed(before, fingerprint(db))
