"""The webhook is the one view without CSRF protection (Stripe signs it instead); every form of
the app still needs its token."""

from sqlalchemy import func, select

from supportclub.extensions import csrf
from supportclub.ledger.models import Booking
from tests.conftest import login
from tests.payments.conftest import deliver, donation, new_events

WEBHOOK_VIEW = "supportclub.payments.routes.webhook"


def test_the_webhook_is_the_only_csrf_exempt_view(app):
    view = app.view_functions["payments.webhook"]
    assert f"{view.__module__}.{view.__name__}" == WEBHOOK_VIEW
    assert csrf._exempt_views == {WEBHOOK_VIEW}
    assert csrf._exempt_blueprints == set()


def test_with_csrf_on_a_signed_webhook_is_accepted_and_a_form_without_token_refused(
    app, db, users, stripe_fake
):
    treasurer = login(app.test_client(), users["treasurer"])
    since = len(stripe_fake.events)
    payment = donation(stripe_fake, app.test_client(), amount_cents=5000, deliver_events=False)
    app.config["WTF_CSRF_ENABLED"] = True

    for event in new_events(stripe_fake, since):
        response = deliver(app.test_client(), event)
        assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(payment), payment.id).booking.amount_cents == 4900

    response = treasurer.post("/abmelden")
    assert response.status_code == 400
    assert "Sicherheitstoken" in response.get_data(as_text=True)
    assert treasurer.get("/").status_code == 200  # still logged in: the logout was refused


def test_with_csrf_on_an_unsigned_webhook_is_still_refused(app, db, stripe_fake):
    app.config["WTF_CSRF_ENABLED"] = True
    before = db.session.scalar(select(func.count()).select_from(Booking))
    response = app.test_client().post(
        "/stripe/webhook", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Booking)) == before
