"""The treasurer's online-payment pages: the list with what needs attention, one payment, the
webhook events and the payouts, as the treasurer and the admin see them."""

import html
import re

import pytest
from sqlalchemy import select

from supportclub.extensions import db as _db
from supportclub.ledger.models import Booking, Category, Fund
from supportclub.payments.models import (
    AttentionKind,
    OnlinePayment,
    OnlinePaymentClaim,
    PaymentAttention,
    PaymentStatus,
    Purpose,
    WebhookEvent,
)
from tests.factories import make_claim, make_member, make_person, make_project
from tests.ledger.test_query_counts import page_statements, tally
from tests.payments.conftest import deliver_all, donation, dues_payment, new_events

LIST = "/zahlungen/online"


def text_of(page: str) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def row(page: str, payment_id: int) -> str:
    """The visible text of the list's row of one payment."""
    start = page.index(f'data-payment-id="{payment_id}"')
    return text_of(page[start : page.index("</tr>", start)])


def part(page: str, testid: str) -> str:
    """The visible text from an element with data-testid to the end of its table or card."""
    start = page.index(f'data-testid="{testid}"')
    ends = [page.find(tag, start) for tag in ("</table>", "</section>", "</dl>")]
    return text_of(page[start : min(e for e in ends if e > 0)])


def get(client, url: str) -> str:
    """GET a page that must answer 200."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# The list ---------------------------------------------------------------------------------------


def test_list_shows_a_paid_donation_with_its_figures(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    page = get(clients["treasurer"], LIST)
    line = row(page, payment.id)
    assert "Spende" in line
    assert "Spenderin, Erika" in line  # the payer found or created: a person
    assert "50,00 € 50,00 € 1,00 € 0,00 €" in line  # asked, paid, fee, refunded
    assert "bezahlt" in line and "Karte" in line
    person_id = _db.session.get(OnlinePayment, payment.id).person_id
    assert f'href="/mitglieder/{person_id}"' in page
    assert "Nichts zu tun" in part(page, "attention-box")


def test_list_shows_the_earmark_and_the_claim_year(app, db, clients, client, stripe_fake):
    project = make_project("Lesefest")
    gift = donation(stripe_fake, client, amount_cents=2500, fund_id=project.fund_id)
    member = make_member(last_name="Beitragszahler")
    make_claim(member, 2025)
    dues = dues_payment(stripe_fake, client, member)
    page = get(clients["admin"], LIST)
    assert "Spende · Projekt: Lesefest" in row(page, gift.id)
    assert "Beitrag 2025" in row(page, dues.id)
    assert "Beitragszahler" in row(page, dues.id)


def test_an_unpaid_donation_shows_the_entered_name_not_yet_as_unclear(
    app, db, clients, client, stripe_fake
):
    """Nothing to book yet: the entered name, without the "ungeklärt" badge of a paid one."""
    payment = donation(stripe_fake, client, deliver_events=False, last_name="Offen")
    page = get(clients["treasurer"], LIST)
    line = row(page, payment.id)
    assert "Erika Offen" in line
    assert "ungeklärt" not in line
    assert "offen (Checkout begonnen)" in line
    assert "50,00 € 0,00 € 0,00 € 0,00 €" in line


def test_unclear_payer_is_counted_and_listed_as_needing_attention(
    app, db, clients, client, stripe_fake
):
    make_person(first_name="Erika", last_name="Anders", email="erika@example.org")
    payment = donation(stripe_fake, client, amount_cents=3000)
    page = get(clients["treasurer"], LIST)
    box = part(page, "attention-box")
    assert "Zahler unklar: 1" in box
    assert f"#{payment.id} · 30,00 €" in box
    assert "Erika Spenderin ungeklärt" in box
    assert "mögliche Personen: 1" in box
    assert "Zahler unklar" in row(page, payment.id)


def test_filters_status_purpose_attention_and_search(app, db, clients, client, stripe_fake):
    make_person(first_name="Erika", last_name="Anders", email="erika@example.org")
    unclear = donation(stripe_fake, client, amount_cents=3000)
    paid = donation(
        stripe_fake, client, amount_cents=4000, email="karl@example.org", first_name="Karl"
    )
    open_ = donation(
        stripe_fake, client, deliver_events=False, email="otto@example.org", last_name="Ottmann"
    )
    member = make_member(last_name="Zahlemann")
    make_claim(member, 2025)
    dues = dues_payment(stripe_fake, client, member)
    treasurer = clients["treasurer"]

    def ids(query: str) -> set[int]:
        page = get(treasurer, f"{LIST}?{query}")
        return {int(i) for i in re.findall(r'data-payment-id="(\d+)"', page)}

    everything = {unclear.id, paid.id, open_.id, dues.id}
    assert ids("") == everything
    assert ids("status=created") == {open_.id}
    assert ids("status=succeeded") == {unclear.id, paid.id, dues.id}
    assert ids("purpose=dues") == {dues.id}
    assert ids("purpose=donation") == {unclear.id, paid.id, open_.id}
    assert ids("attention=y") == {unclear.id}
    assert ids("q=ottmann") == {open_.id}  # the name the donor entered
    assert ids("q=zahlemann") == {dues.id}  # the payer's name
    assert ids("q=karl%40example") == {paid.id}  # e-mail
    intent = _db.session.get(OnlinePayment, paid.id).payment_intent_id
    assert ids(f"q={intent}") == {paid.id}
    session_id = _db.session.get(OnlinePayment, open_.id).checkout_session_id
    assert ids(f"q={session_id}") == {open_.id}
    assert ids("q=100%25") == set()  # wildcards are taken literally
    assert ids("status=unsinn&purpose=unsinn") == everything  # a hand-edited URL: ignored


def test_list_pages_by_fifty(app, db, clients):
    for n in range(53):
        _db.session.add(
            OnlinePayment(token=f"page-{n}", purpose=Purpose.DONATION, amount_cents=100 + n)
        )
    _db.session.commit()
    first = get(clients["treasurer"], LIST)
    assert len(re.findall(r'data-payment-id="', first)) == 50
    assert "Seite 1 von 2" in first
    second = get(clients["treasurer"], f"{LIST}?seite=2")
    assert len(re.findall(r'data-payment-id="', second)) == 3
    assert "1,00 €" in second  # the oldest (100 cents) comes last


def _payments(count: int) -> None:
    """`count` payments of every shape: dues with claims, earmarked and anonymous donations,
    with and without payer, with open and resolved attention items."""
    fund = _db.session.execute(select(Fund).where(Fund.is_earmarked.is_(True))).scalars().first()
    members = [make_member(last_name=f"Zahler{n}") for n in range(count)]
    make_claim(members[0], 2025)
    from supportclub.dues.models import DuesClaim

    claims = list(_db.session.scalars(select(DuesClaim).order_by(DuesClaim.id)))
    for n, member in enumerate(members):
        kind = n % 3
        payment = OnlinePayment(
            token=f"count-{count}-{n}",
            purpose=Purpose.DUES if kind == 0 else Purpose.DONATION,
            amount_cents=3600,
            person_id=member.id if kind != 2 else None,
            fund_id=fund.id if kind == 1 and fund else None,
            anonymous=False,
            donor={"first_name": "Eva", "last_name": f"Ohne{n}"} if kind == 2 else {},
            status=PaymentStatus.SUCCEEDED,
            paid_cents=3600,
        )
        _db.session.add(payment)
        _db.session.flush()
        if kind == 0:
            _db.session.add(
                OnlinePaymentClaim(payment_id=payment.id, claim_id=claims[n].id, amount_cents=3600)
            )
        _db.session.add(
            PaymentAttention(payment_id=payment.id, kind=AttentionKind.AMOUNT_MISMATCH, detail={})
        )
        if kind == 2:
            _db.session.add(
                PaymentAttention(payment_id=payment.id, kind=AttentionKind.PAYER_UNCLEAR, detail={})
            )
    _db.session.commit()


@pytest.mark.parametrize("url", [LIST, f"{LIST}?attention=y&q=a"])
def test_list_sends_the_same_statements_for_3_and_30_payments(app, db, clients, url):
    make_project("Zweck")
    _payments(3)
    few = page_statements(db, clients["treasurer"], url)
    _payments(27)
    many = page_statements(db, clients["treasurer"], url)
    assert len(many) == len(few), tally(many)
    assert len(many) <= 12, tally(many)


# One payment ----------------------------------------------------------------------------------


def test_detail_shows_stripe_ids_donor_bookings_and_events(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000, wants_receipt=True)
    payment = _db.session.get(OnlinePayment, payment.id)
    page = get(clients["treasurer"], f"{LIST}/{payment.id}")
    ids = part(page, "stripe-ids")
    assert payment.checkout_session_id in ids
    assert payment.payment_intent_id.startswith("pi_") and payment.payment_intent_id in ids
    assert payment.charge_id.startswith("ch_") and payment.charge_id in ids
    figures = part(page, "figures")
    assert "angefordert 50,00 €" in figures and "Stripe-Gebühr 1,00 €" in figures
    assert "Zuwendungsbestätigung gewünscht" in figures
    donor = part(page, "donor")
    assert "Lindenweg 3" in donor and "07743 Jena" in donor
    bookings = part(page, "bookings")
    assert f"Buchung {payment.booking_id}" in bookings
    assert f'href="/buchungen/{payment.booking_id}"' in page
    assert "aktuell" in bookings and "erste Buchung" in bookings
    assert "Spende · Allgemeiner" in bookings or "Spende" in bookings
    assert "49,00 €" in bookings  # 50,00 € minus the fee
    events = part(page, "events")
    for kind in ("charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"):
        assert kind in events
    assert "verarbeitet" in events


def test_detail_lists_the_claims_it_pays(app, db, clients, client, stripe_fake):
    member = make_member()
    claim = make_claim(member, 2025)
    payment = dues_payment(stripe_fake, client, member)
    page = get(clients["treasurer"], f"{LIST}/{payment.id}")
    claims = part(page, "claims")
    assert "2025" in claims and "36,00 €" in claims
    assert claim.amount_cents == 3600


def test_detail_shows_reversals_after_a_refund(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    payment = _db.session.get(OnlinePayment, payment.id)
    first = payment.booking_id
    since = len(stripe_fake.events)
    stripe_fake.refund(payment.payment_intent_id, amount=1000)
    deliver_all(client, new_events(stripe_fake, since))
    _db.session.expire_all()
    payment = _db.session.get(OnlinePayment, payment.id)
    page = get(clients["treasurer"], f"{LIST}/{payment.id}")
    ids = [int(i) for i in re.findall(r'data-booking-id="(\d+)"', page)]
    reversal = _db.session.scalar(select(Booking.id).where(Booking.reversal_of_id == first))
    assert ids == [first, reversal, payment.booking_id]
    bookings = part(page, "bookings")
    assert "storniert" in bookings and f"Storno von {first}" in bookings
    assert f"{payment.payment_intent_id}/2" in bookings


def test_admin_sees_the_payment_but_no_actions(app, db, clients, client, stripe_fake):
    make_person(first_name="Erika", last_name="Anders", email="erika@example.org")
    payment = donation(stripe_fake, client, amount_cents=3000)
    admin = get(clients["admin"], f"{LIST}/{payment.id}")
    assert "Zahler unklar" in admin
    for form in ("assign-form", "refresh-form", "refund-form", "resolve-form"):
        assert f'data-testid="{form}' not in admin
    treasurer = get(clients["treasurer"], f"{LIST}/{payment.id}")
    assert 'data-testid="assign-form"' in treasurer
    assert 'data-testid="refresh-form"' in treasurer


def test_unknown_payment_is_404(app, db, clients):
    assert clients["treasurer"].get(f"{LIST}/999999").status_code == 404
    assert clients["treasurer"].get(f"{LIST}/99999999999").status_code == 404


# Events and payouts -----------------------------------------------------------------------------


def test_events_page_lists_newest_first_and_filters(app, db, clients, client, stripe_fake):
    payment = donation(stripe_fake, client, amount_cents=5000)
    _db.session.add(
        WebhookEvent(
            id="evt_failed_1",
            type="charge.refunded",
            object_id="ch_x",
            outcome="failed",
            error="GatewayError: Stripe nicht erreichbar",
        )
    )
    _db.session.commit()
    page = get(clients["treasurer"], "/zahlungen/online/ereignisse")
    outcomes = re.findall(r'data-testid="event-row" data-outcome="(\w+)"', page)
    assert outcomes[0] == "failed" and outcomes.count("processed") == 3
    assert "GatewayError: Stripe nicht erreichbar" in part(page, "events")
    assert f'href="/zahlungen/online/{payment.id}"' in page
    failed = get(clients["admin"], "/zahlungen/online/ereignisse?outcome=failed")
    assert re.findall(r'data-outcome="(\w+)"', failed) == ["failed"]
    by_type = get(clients["treasurer"], "/zahlungen/online/ereignisse?type=charge.succeeded")
    assert re.findall(r'data-outcome="(\w+)"', by_type) == ["processed"]
    assert "charge.succeeded" in by_type


def test_payouts_page_links_both_bookings(app, db, clients, client, stripe_fake):
    donation(stripe_fake, client, amount_cents=5000)
    since = len(stripe_fake.events)
    stripe_fake.payout(4900)
    deliver_all(client, new_events(stripe_fake, since))
    page = get(clients["treasurer"], "/zahlungen/online/auszahlungen")
    payouts = part(page, "payouts")
    assert "auf dem Bankkonto" in payouts and "49,00 €" in payouts
    links = [int(i) for i in re.findall(r'href="/buchungen/(\d+)"', page)]
    assert len(links) == 2
    out, incoming = (_db.session.get(Booking, i) for i in links)
    assert (out.amount_cents, incoming.amount_cents) == (-4900, 4900)
    transfer = _db.session.scalar(select(Category.id).where(Category.code == "transfer"))
    assert {line.category_id for line in out.lines + incoming.lines} == {transfer}
