"""Hostile form data on every route that accepts POST: never a 500, and a refusal changes nothing.

For each POST endpoint of the app (url_map), logged in as a role the access matrix allows there,
the test reads the fields of the form that posts to it (from the page itself, or for POST-only
routes from the pages of the same feature) and posts hypothesis-drawn hostile values: SQL and
script fragments, 100 kB strings, unicode edge cases, NUL, out-of-range numbers, impossible dates,
repeated keys, random files, and once a raw body that is not UTF-8.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.conftest import login, make_test_app
from tests.fuzz.hostile import (
    ALLOWED_STATUS,
    PLAUSIBLE,
    UNKNOWN_NAMES,
    VALUE,
    Urls,
    changed,
    fields_for,
    file_value,
    fingerprint,
    is_refusal,
    multipart,
    raw_body,
    role_for,
)
from tests.test_access_matrix import MATRIX, OWNER

_APP = make_test_app("sqlite://")
POST_ENDPOINTS = sorted(
    {rule.endpoint for rule in _APP.url_map.iter_rules() if "POST" in (rule.methods or ())}
)

FUZZ = settings(
    max_examples=4,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

# pages that are not HTML forms
_NOT_PAGES = (".pdf", ".csv", ".xlsx", ".json", "/datei", "/fehler.csv")


def _allows_get(app, url: str) -> bool:
    """True when `url` answers GET (it is then the page of its own form)."""
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(url.split("?")[0], method="GET")
    except (MethodNotAllowed, NotFound):
        return False
    return True


def form_pages(app, client, urls: Urls, endpoint: str, role: str | None) -> list:
    """(url, html) of the pages that may carry the form posting to `endpoint`."""
    url = urls(endpoint)
    if _allows_get(app, url):
        candidates = [url]
    else:  # a POST-only route: its form is on a page of the same feature
        owner = OWNER[endpoint]
        candidates = [
            urls(other)
            for other, (method, template, allowed) in MATRIX.items()
            if OWNER[other] is owner
            and method == "GET"
            and (allowed == "public" or role in allowed)
            and not template.endswith(_NOT_PAGES)
        ]
    pages = []
    for page in candidates:
        response = client.get(page)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages.append((page, response.get_data(as_text=True)))
    return pages


def _short(payload: dict) -> dict:
    """The payload for a failure message (long values cut)."""
    out = {}
    for name, value in payload.items():
        if isinstance(value, FileStorage):
            out[name] = f"<file {value.filename!r}, {len(value.stream.getvalue())} bytes>"
        else:
            out[name] = repr(value)[:80]
    return out


def check(db, client, url: str, what: str, **kwargs):
    """Post once: an allowed status, and a refusal leaves the database as it was."""
    before = fingerprint(db)
    try:
        response = client.post(url, **kwargs)
    except Exception as exc:  # TESTING propagates exceptions: that would be a 500
        raise AssertionError(f"POST {url} raised {type(exc).__name__}: {exc} -- {what}") from exc
    status = response.status_code
    print("FUZZDBG", url, status, is_refusal(response), what[:150])
    assert status in ALLOWED_STATUS, f"POST {url}: {status} -- {what}"
    if status not in (302, 303) and is_refusal(response):
        diff = changed(before, fingerprint(db))
        assert not diff, f"POST {url} refused ({status}) but changed {diff} -- {what}"
    return response


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_form_data(app, db, users, endpoint):
    """Hostile values in every field of the form (and unknown fields): no 500, no half-write."""
    if endpoint not in MATRIX:
        pytest.skip(f"{endpoint} is not in the access matrix yet")
    urls = Urls(users)
    url = urls(endpoint)
    role = role_for(endpoint)
    client = app.test_client()
    if role:
        login(client, users[role])
    fields = fields_for(form_pages(app, client, urls, endpoint, role), url)
    names = sorted(fields) + UNKNOWN_NAMES

    @FUZZ
    @given(data=st.data())
    def post_hostile(data):
        payload = {}
        for name in names:
            field = fields.get(name, {"kind": "text", "options": []})
            if not data.draw(st.sampled_from([True, True, True, False]), label="send"):
                continue
            if field["kind"] == "file":
                kind = data.draw(st.sampled_from(["empty", "small", "huge"]), label=name)
                small = data.draw(st.binary(max_size=300), label=name)
                payload[name] = file_value(kind, small, len(small))
            else:
                # what the page offers, a sensible value, or a hostile one
                offered = field["options"] or PLAUSIBLE
                sensible = st.sampled_from(offered) | st.sampled_from(PLAUSIBLE)
                payload[name] = data.draw(sensible | VALUE, label=name)
        what = f"as {role}: {_short(payload)}"
        if any(isinstance(v, FileStorage) for v in payload.values()):
            check(db, client, url, what, **multipart(payload))
        else:
            check(db, client, url, what, data=payload)

    post_hostile()
    check(
        db,
        client,
        url,
        f"as {role}: raw body, not UTF-8",
        data=raw_body(names),
        content_type="application/x-www-form-urlencoded",
    )
