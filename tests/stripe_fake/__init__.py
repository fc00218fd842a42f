"""A local fake of the Stripe API for tests, browser journeys and benchmarks.

    from tests.stripe_fake import FakeStripe

    with FakeStripe(webhook_url=app_url + "/stripe/webhook", webhook_secret="whsec_test") as fake:
        client = fake.client()  # stripe.StripeClient(key, base_addresses={"api": fake.base_url})
        session = client.v1.checkout.sessions.create(params={...})
        fake.complete(session.id)            # pays by card, delivers 3 signed events
        fake.refund(session.id, amount=1000)  # session, PI or charge id
        assert fake.requests[0].params["metadata"] == {"online_payment": "12"}

Standalone: ``python -m tests.stripe_fake --port 12111 --webhook-url URL --webhook-secret whsec_…``.
"""

from .errors import FakeStripeError
from .state import FakeStripe, RecordedRequest
from .webhooks import deliver, sign

__all__ = ["FakeStripe", "FakeStripeError", "RecordedRequest", "deliver", "sign"]
