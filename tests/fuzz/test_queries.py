"""Hostile query strings on every page: page numbers, dates, years, ids, search words -> never 500.

A GET changes nothing, whatever its query string says (a logged download adds an audit entry).
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login
from tests.fuzz.hostile import ALLOWED_STATUS, VALUE, Urls, changed, fingerprint, forms_of, role_for
from tests.test_access_matrix import MATRIX

GET_ENDPOINTS = sorted(e for e, (method, _url, _allowed) in MATRIX.items() if method == "GET")

# the query arguments the views read (seite, jahr, von, ...), besides the page's own filters
PARAMS = [
    "seite",
    "jahr",
    "von",
    "bis",
    "q",
    "stichtag",
    "person_id",
    "claim_id",
    "status",
    "art",
    "betrag",
    "ids",
    "original",
    "projekte",
    "zahlung",
    "format",
    "next",
    "briefe",
]
FIXED = [
    {"seite": "-1"},
    {"seite": "99999999999999999999"},
    {"seite": "0", "jahr": "0"},
    {"von": "garbage", "bis": "2024-02-30"},
    {"jahr": str(2**63), "stichtag": "0000-00-00"},
    {"person_id": "99999999999999999999", "claim_id": ["2147483648", "-1", "²"]},
    {"q": "' OR 1=1 --", "next": "//evil.example/"},
]

FUZZ = settings(
    max_examples=3,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def get(db, client, url: str, query: dict):
    """GET once: an allowed status, and nothing in the database changed."""
    before = fingerprint(db)
    try:
        response = client.get(url, query_string=query)
    except Exception as exc:  # TESTING propagates exceptions: that would be a 500
        what = f"GET {url} {query!r:.300}"
        raise AssertionError(f"{what} raised {type(exc).__name__}: {exc}") from exc
    status = response.status_code
    assert status in ALLOWED_STATUS, f"GET {url} {query!r:.300}: {status}"
    diff = changed(before, fingerprint(db))
    # a download (export, duplicate, data subject access) is logged: the trail may only grow
    if "audit_entry" in diff and diff["audit_entry"][1][0] > diff["audit_entry"][0][0]:
        del diff["audit_entry"]
    assert not diff, f"GET {url} {query!r:.300} changed {diff}"


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_hostile_query_strings(app, db, users, endpoint):
    """Page numbers, dates and ids out of range and the page's own filters with hostile values."""
    urls = Urls(users)
    url = urls(endpoint)
    role = role_for(endpoint)
    client = app.test_client()
    if role:
        login(client, users[role])
    names = list(PARAMS)
    page = client.get(url)
    if page.mimetype == "text/html":
        for form in forms_of(page.get_data(as_text=True)):
            if form["method"] == "get":
                names += [n for n in form["fields"] if n not in names]
    path = url.split("?")[0]
    for query in FIXED:
        get(db, client, path, query)

    @FUZZ
    @given(data=st.data())
    def get_hostile(data):
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=5, unique=True))
        get(db, client, path, {name: data.draw(VALUE, label=name) for name in chosen})

    get_hostile()
