"""Stripe's webhook with random bodies and headers: 400, never 500, nothing stored."""

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.hostile import HOSTILE, changed, fingerprint
from tests.stripe_fake.webhooks import sign

SECRET = "whsec_fuzz_h7"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# what a body may be: bytes, text, JSON that is no event (no id or no type)
BODY = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from(HOSTILE).map(lambda s: s.encode("utf-8")),
    JSON.map(lambda v: json.dumps(v).encode()),
    JSON.map(lambda v: json.dumps({"object": "event", "data": {"object": v}}).encode()),
)


def signed(body: bytes, timestamp: int) -> str:
    """Stripe's signature header for `body` with our secret (bytes that are not UTF-8 are
    signed as their replacement text, which is what a confused sender would do)."""
    return sign(body.decode("utf-8", "replace"), SECRET, timestamp)


@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    body=BODY,
    signature=st.sampled_from(["none", "garbage", "wrong", "old", "right"]),
    garbage=st.text(max_size=60),
    content_type=st.sampled_from(["application/json", "text/plain", "", "multipart/form-data"]),
)
def _post(client, db, body, signature, garbage, content_type):
    """One delivery: refused with 400, nothing changed."""
    now = int(time.time())
    headers = {
        "none": {},
        "garbage": {"Stripe-Signature": garbage},
        "wrong": {"Stripe-Signature": f"t={now},v1={'0' * 64}"},
        "old": {"Stripe-Signature": signed(body, now - 3600)},
        "right": {"Stripe-Signature": signed(body, now)},
    }[signature]
    before = fingerprint(db)
    response = client.post("/stripe/webhook", data=body, headers=headers, content_type=content_type)
    assert response.status_code == 400, (signature, body[:200], response.status_code)
    assert not changed(before, fingerprint(db))


def test_random_webhook_bodies_and_headers_are_refused(app, db):
    """Unsigned, badly signed, stale, and correctly signed non-events: all 400, DB unchanged."""
    old = app.config.get("STRIPE_WEBHOOK_SECRET")
    app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
    try:
        _post(app.test_client(), db)
    finally:
        app.config["STRIPE_WEBHOOK_SECRET"] = old
