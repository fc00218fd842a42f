"""The treasurer's actions on an online payment: confirm an unclear payer, re-read from Stripe,
refund, mark an attention item done, book an excess as a donation. Each is audited, the books
show the result at once, and only the treasurer may do it."""

import re

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.extensions import db as _db
from supportclub.ledger.models import Account, Booking, BookingLine, Category, Person
from supportclub.payments.models import AttentionKind, OnlinePayment, PaymentStatus, Purpose
from tests.factories import make_claim, make_member, make_person
from tests.payments.conftest import deliver_all, donation, dues_payment, new_events

LIST = "/zahlungen/online"


def url(payment, action: str = "") -> str:
    """The payment's page or one of its actions."""
    return f"{LIST}/{payment.id}" + (f"/{action}" if action else "")


def fresh(payment) -> OnlinePayment:
    """The payment as the database has it now."""
    _db.session.expire_all()
    return _db.session.get(OnlinePayment, payment.id)


def category_total(code: str, person_id: int | None = None) -> int:
    """The sum of all lines of a category (of one person's bookings)."""
    stmt = (
        select(func.coalesce(func.sum(BookingLine.amount_cents), 0))
        .join(Booking)
        .join(Category)
        .where(Category.code == code)
    )
    if person_id is not None:
        stmt = stmt.where(Booking.person_id == person_id)
    return _db.session.scalar(stmt)


def stripe_balance() -> int:
    """The balance of the Stripe account in the books."""
    return _db.session.scalar(
        select(func.coalesce(func.sum(Booking.amount_cents), 0))
        .join(Account)
        .where(Account.code == "stripe")
    )


def audits(action: str) -> list[AuditEntry]:
    """The audit entries of an action."""
    return list(_db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def count(model) -> int:
    """Rows of a table."""
    return _db.session.scalar(select(func.count()).select_from(model))


def live_lines(payment) -> list[tuple[str, int]]:
    """(category code, cents) of the payment's live booking."""
    booking = _db.session.get(Booking, fresh(payment).booking_id)
    return sorted((line.category.code, line.amount_cents) for line in booking.lines)


def flash_text(client) -> str:
    """The messages shown on the next page (the list)."""
    page = client.get(LIST).get_data(as_text=True)
    return " ".join(re.findall(r'role="alert">([^<]*)<', page))


# Refund -----------------------------------------------------------------------------------------


def test_partial_then_full_refund_books_at_once(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    treasurer = clients["treasurer"]
    page = treasurer.get(url(payment)).get_data(as_text=True)
    assert 'value="50,00"' in page  # prefilled: what may still be refunded

    response = treasurer.post(url(payment, "erstatten"), data={"amount": "20,00"})
    assert response.status_code == 302
    refund = stripe_fake.requests_to("POST", "/v1/refunds")[-1]
    assert refund.params["amount"] == "2000"
    assert refund.params["payment_intent"] == fresh(payment).payment_intent_id
    assert refund.header("Idempotency-Key") == f"supportclub-refund-{payment.token}-0"
    paid = fresh(payment)
    assert paid.status == PaymentStatus.PARTIALLY_REFUNDED
    assert paid.refunded_cents == 2000
    assert live_lines(payment) == [("bank_fees", -100), ("donation", 3000)]
    assert stripe_balance() == 2900
    assert category_total("donation") == 3000
    [entry] = audits("payments.refund_requested")
    assert entry.data["amount_cents"] == 2000 and entry.actor_id is not None

    response = treasurer.post(url(payment, "erstatten"), data={"amount": "30,00"})
    assert response.status_code == 302
    assert stripe_fake.requests_to("POST", "/v1/refunds")[-1].header("Idempotency-Key") == (
        f"supportclub-refund-{payment.token}-2000"
    )
    paid = fresh(payment)
    assert paid.status == PaymentStatus.REFUNDED
    assert live_lines(payment) == [("bank_fees", -100)]  # Stripe keeps its fee
    assert stripe_balance() == -100
    assert category_total("donation") == 0
    page = treasurer.get(url(payment)).get_data(as_text=True)
    assert 'data-testid="refund-form"' not in page  # nothing left to refund


def test_full_refund_of_dues_reopens_the_claim(app, db, clients, client, stripe_fake):
    member = make_member()
    claim = make_claim(member, 2025)
    payment = dues_payment(stripe_fake, client, member)
    paid_on_claim = select(func.sum(BookingLine.amount_cents)).where(
        BookingLine.dues_claim_id == claim.id
    )
    assert _db.session.scalar(paid_on_claim) == 3600
    response = clients["treasurer"].post(url(payment, "erstatten"), data={"amount": "36,00"})
    assert response.status_code == 302
    assert fresh(payment).status == PaymentStatus.REFUNDED
    assert _db.session.scalar(paid_on_claim) == 0
    fee = 25 + 54  # the fake's card fee for 36,00 €
    assert stripe_balance() == -fee


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("50,01", "Höchstens 50,00 €"),
        ("0", "Der Betrag muss größer als 0 sein."),
        ("abc", "ist kein gültiger Betrag"),
        ("", "Bitte einen Betrag eingeben."),
    ],
)
def test_refund_is_refused_beyond_what_is_left(
    app, db, clients, client, stripe_fake, typed, message
):
    payment = donation(stripe_fake, client, amount_cents=5000)
    response = clients["treasurer"].post(url(payment, "erstatten"), data={"amount": typed})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stripe_fake.requests_to("POST", "/v1/refunds") == []
    assert fresh(payment).refunded_cents == 0
    assert audits("payments.refund_requested") == []


def test_an_unpaid_payment_cannot_be_refunded(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000, deliver_events=False)
    response = clients["treasurer"].post(url(payment, "erstatten"), data={"amount": "10,00"})
    assert response.status_code == 422
    assert "Nur bezahlte Online-Zahlungen können erstattet werden." in response.get_data(
        as_text=True
    )
    assert stripe_fake.requests_to("POST", "/v1/refunds") == []


def test_refund_when_stripe_is_down_changes_nothing(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    booking_count = count(Booking)
    stripe_fake.fail_next(1, status=500)
    response = clients["treasurer"].post(url(payment, "erstatten"), data={"amount": "10,00"})
    assert response.status_code == 422
    assert "nicht erreichbar" in response.get_data(as_text=True)
    assert count(Booking) == booking_count
    assert fresh(payment).refunded_cents == 0
    assert audits("payments.refund_requested") == []


def test_refund_when_stripe_fails_after_refunding_keeps_it_and_warns(
    app, db, clients, client, stripe_fake
):
    payment = donation(stripe_fake, client, amount_cents=5000)
    treasurer = clients["treasurer"]
    real_refresh = stripe_fake.fail_next

    # the refund goes through; the re-read right after it does not
    original = stripe_fake.api_create_refund

    def refund_then_fail(params, request):
        result = original(params, request)
        real_refresh(1, status="connection")
        return result

    stripe_fake.api_create_refund = refund_then_fail
    response = treasurer.post(url(payment, "erstatten"), data={"amount": "10,00"})
    stripe_fake.api_create_refund = original
    assert response.status_code == 302
    assert "Stripe konnte danach nicht gelesen werden" in flash_text(treasurer)
    assert len(audits("payments.refund_requested")) == 1
    assert fresh(payment).refunded_cents == 0  # the books wait for the next read
    response = treasurer.post(url(payment, "abgleichen"))
    assert response.status_code == 302
    assert fresh(payment).refunded_cents == 1000
    assert live_lines(payment) == [("bank_fees", -100), ("donation", 4000)]


# Re-read from Stripe ------------------------------------------------------------------------------


def test_sync_books_a_payment_whose_webhook_never_came(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000, deliver_events=False)
    assert fresh(payment).status == PaymentStatus.CREATED
    treasurer = clients["treasurer"]
    response = treasurer.post(url(payment, "abgleichen"))
    assert response.status_code == 302
    assert "Mit Stripe abgeglichen: bezahlt." in flash_text(treasurer)
    assert fresh(payment).status == PaymentStatus.SUCCEEDED
    assert live_lines(payment) == [("bank_fees", -100), ("donation", 5000)]
    [entry] = audits("payments.synced")
    assert entry.data["status"] == "succeeded"
    # twice changes nothing
    treasurer.post(url(payment, "abgleichen"))
    assert count(Booking) == 1


def test_sync_when_stripe_is_down_says_so(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000, deliver_events=False)
    stripe_fake.fail_next(1, status="connection")
    treasurer = clients["treasurer"]
    response = treasurer.post(url(payment, "abgleichen"))
    assert response.status_code == 302
    assert "nicht erreichbar" in flash_text(treasurer)
    assert fresh(payment).status == PaymentStatus.CREATED
    assert count(Booking) == 0
    assert audits("payments.synced") == []


# Unclear payer ------------------------------------------------------------------------------------


def unclear_donation(stripe_fake, client, **kw):
    """A donation whose e-mail belongs to a person of another name (payer unclear)."""
    other = make_person(first_name="Erika", last_name="Anders", email="erika@example.org")
    payment = donation(stripe_fake, client, amount_cents=3000, **kw)
    assert fresh(payment).person_id is None
    assert count(Booking) == 0
    return payment, other


def test_assign_a_candidate_books_the_payment_on_that_person(app, db, clients, client, stripe_fake):
    payment, other = unclear_donation(stripe_fake, client)
    treasurer = clients["treasurer"]
    page = treasurer.get(url(payment)).get_data(as_text=True)
    assert f'value="{other.id}"' in page and "Anders, Erika" in page
    assert 'value="neu"' in page
    response = treasurer.post(url(payment, "zahler"), data={"person": str(other.id)})
    assert response.status_code == 302
    paid = fresh(payment)
    assert paid.person_id == other.id
    assert _db.session.get(Booking, paid.booking_id).person_id == other.id
    assert category_total("donation", other.id) == 3000
    [item] = [a for a in paid.attention if a.kind == AttentionKind.PAYER_UNCLEAR]
    assert item.resolved_at is not None and "Anders" in item.resolution
    assert len(audits("payments.payer_assigned")) == 1
    page = treasurer.get(url(payment)).get_data(as_text=True)
    assert 'data-testid="assign-form"' not in page


def test_assign_a_new_person_from_the_donor_data(app, db, clients, client, stripe_fake):
    payment, other = unclear_donation(stripe_fake, client)
    persons = count(Person)
    response = clients["treasurer"].post(url(payment, "zahler"), data={"person": "neu"})
    assert response.status_code == 302
    assert count(Person) == persons + 1
    paid = fresh(payment)
    person = _db.session.get(Person, paid.person_id)
    assert (person.last_name, person.street, person.city) == ("Spenderin", "Lindenweg 3", "Jena")
    assert category_total("donation", person.id) == 3000
    assert category_total("donation", other.id) == 0


def test_assign_refuses_a_person_who_is_not_a_candidate(app, db, clients, client, stripe_fake):
    payment, _other = unclear_donation(stripe_fake, client)
    stranger = make_person(last_name="Fremd")
    treasurer = clients["treasurer"]
    response = treasurer.post(url(payment, "zahler"), data={"person": str(stranger.id)})
    assert response.status_code == 422
    assert "Bitte eine der vorgeschlagenen Personen wählen" in response.get_data(as_text=True)
    response = treasurer.post(url(payment, "zahler"), data={})
    assert response.status_code == 422
    assert fresh(payment).person_id is None
    assert count(Booking) == 0


# Attention ----------------------------------------------------------------------------------------


def failed_sepa(stripe_fake, client):
    """A SEPA donation whose debit failed (a payment_failed attention item)."""
    payment = donation(stripe_fake, client, amount_cents=5000, method="sepa_debit")
    since = len(stripe_fake.events)
    stripe_fake.settle_sepa(fresh(payment).checkout_session_id, succeed=False)
    deliver_all(client, new_events(stripe_fake, since))
    paid = fresh(payment)
    assert paid.status == PaymentStatus.FAILED
    [item] = paid.attention
    assert item.kind == AttentionKind.PAYMENT_FAILED
    return paid, item


def test_resolve_an_attention_item_with_a_note(app, db, clients, client, stripe_fake, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_PAYMENT_METHODS", "card,sepa_debit")
    payment, item = failed_sepa(stripe_fake, client)
    treasurer = clients["treasurer"]
    list_page = treasurer.get(LIST).get_data(as_text=True)
    assert "Zahlung fehlgeschlagen: 1" in " ".join(re.sub(r"<[^>]+>", " ", list_page).split())
    action = url(payment, f"hinweise/{item.id}/erledigt")
    response = treasurer.post(action, data={f"a{item.id}-resolution": "  "})
    assert response.status_code == 422
    assert "Bitte kurz notieren, wie es geklärt wurde." in response.get_data(as_text=True)
    response = treasurer.post(
        action, data={f"a{item.id}-resolution": "Mit Frau Spenderin telefoniert, überweist."}
    )
    assert response.status_code == 302
    item = fresh(payment).attention[0]
    assert item.resolved_at is not None
    assert item.resolution == "Mit Frau Spenderin telefoniert, überweist."
    page = treasurer.get(url(payment)).get_data(as_text=True)
    assert "Mit Frau Spenderin telefoniert, überweist." in page
    assert 'data-resolved="yes"' in page
    assert "Nichts zu tun" in treasurer.get(LIST).get_data(as_text=True)
    [entry] = audits("payments.attention_resolved")
    assert entry.data["kind"] == "payment_failed"
    # a second time is refused
    response = treasurer.post(action, data={f"a{item.id}-resolution": "nochmal"})
    assert response.status_code == 302
    assert "bereits erledigt" in flash_text(treasurer)


def test_an_unclear_payer_is_not_resolved_by_a_note(app, db, clients, client, stripe_fake):
    payment, _other = unclear_donation(stripe_fake, client)
    [item] = fresh(payment).attention
    treasurer = clients["treasurer"]
    response = treasurer.post(
        url(payment, f"hinweise/{item.id}/erledigt"), data={f"a{item.id}-resolution": "egal"}
    )
    assert response.status_code == 302
    assert "Bitte den Zahler zuordnen" in flash_text(treasurer)
    assert fresh(payment).attention[0].resolved_at is None


# Excess as a donation -----------------------------------------------------------------------------


def overpaid_dues(stripe_fake, client):
    """A member paid 46,00 € for a 36,00 € claim: 10,00 € on the clearing line."""
    member = make_member()
    claim = make_claim(member, 2025)
    payment = dues_payment(stripe_fake, client, member, amount=4600)
    assert ("clearing", 1000) in live_lines(payment)
    return payment, member, claim


def test_excess_is_booked_as_the_payers_donation(app, db, clients, client, stripe_fake):
    payment, member, claim = overpaid_dues(stripe_fake, client)
    treasurer = clients["treasurer"]
    page = treasurer.get(url(payment)).get_data(as_text=True)
    assert 'data-testid="excess-form"' in page and "10,00 €" in page
    balance_before = stripe_balance()
    response = treasurer.post(url(payment, "mehrbetrag-als-spende"))
    assert response.status_code == 302
    booking = _db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()
    assert (booking.account_id, booking.amount_cents, booking.person_id) == (None, 0, member.id)
    assert sorted((x.category.code, x.amount_cents) for x in booking.lines) == [
        ("clearing", -1000),
        ("donation", 1000),
    ]
    assert booking.external_ref == f"{fresh(payment).payment_intent_id}/spende/1"
    live = _db.session.get(Booking, fresh(payment).booking_id)
    assert booking.booking_date == live.booking_date  # the donation dates from the payment
    assert category_total("clearing") == 0
    assert category_total("donation", member.id) == 1000
    assert category_total("dues", member.id) == claim.amount_cents == 3600
    assert stripe_balance() == balance_before  # no money moved
    mismatch = next(a for a in fresh(payment).attention if a.kind == AttentionKind.AMOUNT_MISMATCH)
    assert mismatch.resolved_at is not None and "10,00 €" in mismatch.resolution
    [entry] = audits("payments.excess_to_donation")
    assert entry.data == {"amount_cents": 1000, "booking_id": booking.id}
    page = treasurer.get(url(payment)).get_data(as_text=True)
    assert "Mehrbetrag als Spende" in page  # the booking's role on the payment's page
    # twice: nothing is left to move
    bookings = count(Booking)
    response = treasurer.post(url(payment, "mehrbetrag-als-spende"))
    assert response.status_code == 302
    assert "kein ungeklärter Mehrbetrag" in flash_text(treasurer)
    assert count(Booking) == bookings


def test_refund_after_excess_donation_asks_to_reverse_it_first(
    app, db, clients, client, stripe_fake
):
    payment, _member, _claim = overpaid_dues(stripe_fake, client)
    treasurer = clients["treasurer"]
    treasurer.post(url(payment, "mehrbetrag-als-spende"))
    response = treasurer.post(url(payment, "erstatten"), data={"amount": "10,00"})
    assert response.status_code == 422
    assert "Bitte zuerst diese Buchung stornieren, dann erstatten." in response.get_data(
        as_text=True
    )
    assert stripe_fake.requests_to("POST", "/v1/refunds") == []


def test_no_excess_no_booking(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    treasurer = clients["treasurer"]
    assert 'data-testid="excess-form"' not in treasurer.get(url(payment)).get_data(as_text=True)
    response = treasurer.post(url(payment, "mehrbetrag-als-spende"))
    assert response.status_code == 302
    assert count(Booking) == 1


# Who may act ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "board", "member", "anonymous"])
def test_only_the_treasurer_acts(app, db, clients, client, stripe_fake, who):
    payment = donation(stripe_fake, client, amount_cents=5000)
    for action, data in (
        ("erstatten", {"amount": "50,00"}),
        ("abgleichen", {}),
        ("mehrbetrag-als-spende", {}),
    ):
        response = clients[who].post(url(payment, action), data=data)
        assert response.status_code == (302 if who == "anonymous" else 403), action
    assert stripe_fake.requests_to("POST", "/v1/refunds") == []
    assert fresh(payment).refunded_cents == 0
    assert count(Booking) == 1


def test_actions_need_the_csrf_token(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = clients["treasurer"].post(url(payment, "erstatten"), data={"amount": "50,00"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert stripe_fake.requests_to("POST", "/v1/refunds") == []


def test_sync_of_a_payment_stripe_does_not_know(app, db, clients):
    payment = OnlinePayment(token="never-at-stripe", purpose=Purpose.DONATION, amount_cents=500)
    _db.session.add(payment)
    _db.session.commit()
    treasurer = clients["treasurer"]
    response = treasurer.post(url(payment, "abgleichen"))
    assert response.status_code == 302
    assert "bei Stripe nicht bekannt" in flash_text(treasurer)
    assert audits("payments.synced") == []
