"""Object-level access: changing an id in a URL never hands out someone else's object.

Every route with an object id in its URL (`<int:...>` in app.url_map) is classified in
OBJECT_ROUTES:

- OWN: a member reaches it, but only for their own object; another member's gives 403 (the
  portal's payment page and receipt PDF);
- STAFF: a member never reaches it, whatever the id (the role decorator answers 403).

Then, per object type, a member (Anna) tries Bruno's things and gets 403 (or 404 where the app
hides that the object exists, with nothing of it in the page); and the board and the auditor,
who read the books, cannot write to the treasurer's object routes (403, nothing changed).
A new object route fails test_every_object_route_is_classified until it is put in the table.
"""

import re

import pytest
from sqlalchemy import func, select

from supportclub.banking.models import DebitCollection, StatementLine
from supportclub.extensions import db as _db
from supportclub.ledger.models import Booking
from supportclub.payments.models import OnlinePayment, PaymentStatus, Purpose
from supportclub.receipts.models import DonationReceipt
from tests.conftest import login
from tests.factories import (
    donation_line,
    make_booking,
    make_claim,
    make_contribution,
    make_member,
    make_receipt_settings,
    make_user,
)
from tests.payments.conftest import stripe_fake  # noqa: F401  (the fake Stripe fixture)
from tests.test_access_matrix import MATRIX, MODULES, _url

OWN = "own"  # a member may open it for their own object only
STAFF = "staff"  # never for a member, whatever the id

OBJECT_ROUTES = {
    # Mein Konto
    "portal.payment": OWN,
    "portal.receipt_pdf": OWN,
    # books
    "ledger.booking_detail": STAFF,
    "ledger.booking_reverse": STAFF,
    "reports.annual_report": STAFF,
    # members, dues, donations, campaigns
    "members.detail": STAFF,
    "members.edit": STAFF,
    "members.deactivate": STAFF,
    "members.membership_new": STAFF,
    "members.membership_end": STAFF,
    "members.mandate": STAFF,
    "members.payer": STAFF,
    "members.type_edit": STAFF,
    "members.rate_new": STAFF,
    "dues.claim_waive": STAFF,
    "donations.donor": STAFF,
    "campaigns.detail": STAFF,
    "campaigns.edit": STAFF,
    "campaigns.booking_new": STAFF,
    # receipts and the year's batch
    "receipts.detail": STAFF,
    "receipts.pdf": STAFF,
    "receipts.duplicate": STAFF,
    "receipts.replace": STAFF,
    "receipts.revoke": STAFF,
    "receipts.batch_progress": STAFF,
    "receipts.batch_status": STAFF,
    "receipts.batch_print": STAFF,
    # bank statements and direct debit
    "banking.import_detail": STAFF,
    "banking.import_discard": STAFF,
    "banking.line_detail": STAFF,
    "banking.line_assign": STAFF,
    "banking.collection_detail": STAFF,
    "banking.collection_download": STAFF,
    "banking.collection_cancel": STAFF,
    "banking.collection_notify": STAFF,
    # online payments (the treasurer's side)
    "payments.admin_detail": STAFF,
    "payments.admin_refresh": STAFF,
    "payments.admin_refund": STAFF,
    "payments.admin_resolve": STAFF,
    "payments.admin_excess_to_donation": STAFF,
    "payments.admin_assign_payer": STAFF,
    # projects and their documents
    "projects.detail": STAFF,
    "projects.edit": STAFF,
    "projects.approve": STAFF,
    "projects.reject": STAFF,
    "projects.allocate": STAFF,
    "projects.payout": STAFF,
    "projects.proof": STAFF,
    "projects.close": STAFF,
    "projects.release": STAFF,
    "projects.revoke_grant": STAFF,
    "projects.document_upload": STAFF,
    "projects.document": STAFF,
    # logins
    "admin.user_edit": STAFF,
    "admin.user_totp_reset": STAFF,
    "auth.invite_member": STAFF,
    # issue #8: year-end closing, the auditors' export, privacy rights
    "closing.year": STAFF,
    "closing.close": STAFF,
    "auditing.export": STAFF,
    "privacy.export_json": STAFF,
    "privacy.export_pdf": STAFF,
    "privacy.erase": STAFF,
}

READ_ONLY_ROLES = ("board", "auditor")


def object_rules(app) -> dict:
    """endpoint -> its rule, for every rule with an integer id in its URL."""
    return {rule.endpoint: rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule}


def fingerprint(db) -> tuple:
    """The row count of every table, in one query: a refused request changes none of them."""
    tables = db.metadata.sorted_tables
    counts = [select(func.count()).select_from(table).scalar_subquery() for table in tables]
    return tuple(db.session.execute(select(*counts)).one())


def test_every_object_route_is_classified(app):
    rules = object_rules(app)
    missing = sorted(set(rules) - set(OBJECT_ROUTES))
    stale = sorted(set(OBJECT_ROUTES) - set(rules))
    assert not missing, f"object routes not classified in OBJECT_ROUTES: {missing}"
    assert not stale, f"OBJECT_ROUTES lists routes that are gone: {stale}"


# Staff objects: a member gets 403 whatever the id ----------------------------------------------


@pytest.mark.parametrize(
    "endpoint", sorted(e for e, kind in OBJECT_ROUTES.items() if kind == STAFF)
)
def test_a_member_never_reaches_a_staff_object(app, db, clients, users, endpoint):
    rule = object_rules(app)[endpoint]
    url = _url(endpoint, users)
    method = "GET" if "GET" in rule.methods else "POST"
    before = fingerprint(db)
    response = clients["member"].open(url, method=method, data={})
    assert response.status_code == 403, f"{method} {url}: {response.status_code}"
    assert response.mimetype == "text/html"  # the error page, never the PDF/XML/JSON
    assert fingerprint(db) == before


def object_urls(users) -> dict:
    """endpoint -> url of every object route, its objects made once by the access matrix's
    context() functions (tests/access/)."""
    values: dict = {}
    for module in MODULES:
        if hasattr(module, "context"):
            values.update(module.context(users))
    return {endpoint: MATRIX[endpoint][1].format(**values) for endpoint in OBJECT_ROUTES}


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_readers_cannot_write_to_any_object_route(app, db, clients, users, role):
    """Every object route that takes a POST and is not open to the role: 403, nothing changed."""
    rules, urls = object_rules(app), object_urls(users)
    tried, wrong = [], []
    for endpoint in sorted(OBJECT_ROUTES):
        if "POST" not in rules[endpoint].methods or role in MATRIX[endpoint][2]:
            continue
        url = urls[endpoint]
        before = fingerprint(db)
        response = clients[role].post(url, data={"reason": "Test", "confirm": "y"})
        tried.append(endpoint)
        if response.status_code != 403 or fingerprint(db) != before:
            wrong.append((endpoint, response.status_code))
    assert wrong == []
    assert {"ledger.booking_reverse", "receipts.revoke", "banking.collection_cancel"} <= set(tried)


# Mein Konto: Anna tries Bruno's things ---------------------------------------------------------


@pytest.fixture
def anna(app, db, users):
    """The member login's own person (Anna Acker), with a claim and a payment of her own."""
    person = make_member(first_name="Anna", last_name="Acker")
    users["member"].person_id = person.id
    db.session.commit()
    return person


@pytest.fixture
def bruno(app, db):
    """Another member (Bruno Brandt) with his own login, payment, claim and receipt."""
    person = make_member(first_name="Bruno", last_name="Brandt", email="bruno@example.org")
    user = make_user(role="member", person_id=person.id)
    client = login(app.test_client(), user)
    make_receipt_settings()
    booking = make_booking(4711, category="dues", person_id=person.id)
    receipt = _issue(person)
    claim = make_claim(person, 2025)
    payment = OnlinePayment(
        token="bruno-payment-token-0000000000000000000000",
        checkout_session_id="cs_test_bruno",
        purpose=Purpose.DONATION,
        status=PaymentStatus.SUCCEEDED,
        amount_cents=8642,
        paid_cents=8642,
        person_id=person.id,
        user_id=user.id,
        donor={"first_name": "Bruno", "last_name": "Brandt"},
        email="bruno@example.org",
    )
    db.session.add(payment)
    db.session.commit()
    return {
        "person": person,
        "client": client,
        "booking": booking,
        "receipt": receipt,
        "claim": claim,
        "payment": payment,
    }


def _issue(person) -> DonationReceipt:
    """A stored single receipt for a 50 € donation of `person`."""
    from supportclub.receipts.services import issue_single

    receipt = issue_single(donation_line(make_contribution(person, 5000)).id, actor=None)
    _db.session.commit()
    return receipt


def _leaks(page: str) -> list[str]:
    """Bruno's data found in a page."""
    return [text for text in ("Brandt", "bruno@example.org", "47,11", "86,42") if text in page]


def test_another_members_receipt_pdf_is_403(db, clients, anna, bruno):
    url = f"/mein-konto/zuwendungsbestaetigungen/{bruno['receipt'].id}.pdf"
    own = bruno["client"].get(url)
    assert own.status_code == 200 and own.data.startswith(b"%PDF-")  # the test can fail
    response = clients["member"].get(url)
    assert response.status_code == 403
    assert not response.data.startswith(b"%PDF") and _leaks(response.get_data(as_text=True)) == []


def test_another_members_payment_page_is_403(db, clients, anna, bruno):
    url = f"/mein-konto/zahlungen/{bruno['booking'].id}"
    assert bruno["client"].get(url).status_code == 200
    response = clients["member"].get(url)
    assert response.status_code == 403
    assert _leaks(response.get_data(as_text=True)) == []


def test_another_members_online_payment_return_page_is_hidden(db, clients, anna, bruno):
    """The return page answers 404 for someone else's payment: it does not even exist for them."""
    url = f"/mein-konto/zahlung/{bruno['payment'].token}"
    assert bruno["client"].get(url).status_code == 200
    response = clients["member"].get(url)
    assert response.status_code == 404
    assert _leaks(response.get_data(as_text=True)) == []


def test_paying_another_members_claim_is_refused(db, clients, anna, bruno, stripe_fake):  # noqa: F811
    before = fingerprint(db)
    response = clients["member"].post(
        "/mein-konto/beitraege/online-bezahlen", data={"claim_id": str(bruno["claim"].id)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/mein-konto")
    page = clients["member"].get("/mein-konto").get_data(as_text=True)
    assert "Dieser Beitrag ist nicht (mehr) offen." in page
    assert fingerprint(db) == before
    assert stripe_fake.requests_to("POST", "/v1/checkout/sessions") == []
    payments = db.session.scalars(select(OnlinePayment.person_id)).all()
    assert payments == [bruno["person"].id]  # only Bruno's own payment from the fixture


def test_another_persons_data_export_is_403(app, db, clients, anna, bruno):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    if "/datenschutz/personen/<int:person_id>/auskunft.json" not in rules:
        pytest.skip("the data export route (/datenschutz/.../auskunft.json) does not exist yet")
    for suffix in ("json", "pdf"):
        url = f"/datenschutz/personen/{bruno['person'].id}/auskunft.{suffix}"
        response = clients["member"].get(url)
        assert response.status_code == 403, url
        assert _leaks(response.get_data(as_text=True)) == []
    # the member's own export names no id, and holds only Anna
    own = clients["member"].get("/mein-konto/meine-daten.json")
    assert own.status_code == 200 and "Acker" in own.get_data(as_text=True)
    assert _leaks(own.get_data(as_text=True)) == []


# Staff objects, one per type: the member gets 403 and none of the object ------------------------


@pytest.mark.parametrize(
    ("endpoint", "marker"),
    [
        ("projects.document", b"%PDF-1.4 test"),
        ("banking.line_detail", "Zugriffstest"),
        ("banking.collection_download", b"<Document/>"),
        ("receipts.batch_print", b"%PDF-1.4 Druckdatei"),
        ("receipts.pdf", b"%PDF"),
        ("ledger.booking_detail", "50,00"),
        ("payments.admin_detail", "Spenderin"),
    ],
)
def test_a_member_gets_none_of_a_staff_object(app, db, clients, users, endpoint, marker):
    url = _url(endpoint, users)
    allowed = clients["treasurer"].get(url)
    body = allowed.data if isinstance(marker, bytes) else allowed.get_data(as_text=True)
    assert allowed.status_code == 200 and marker in body  # the marker is real: the test can fail
    response = clients["member"].get(url)
    body = response.data if isinstance(marker, bytes) else response.get_data(as_text=True)
    assert response.status_code == 403 and marker not in body


def test_the_audit_trail_is_closed_to_members_and_the_board(db, clients):
    for role in ("member", "board"):
        response = clients[role].get("/verwaltung/protokoll")
        assert response.status_code == 403
        assert "auth.user_created" not in response.get_data(as_text=True)
    assert clients["auditor"].get("/verwaltung/protokoll").status_code == 200


# The board and the auditor read the books but do not change them -----------------------------


def test_readers_cannot_reverse_a_booking(db, clients):
    booking = make_booking(5000)
    for role in READ_ONLY_ROLES:
        before = fingerprint(db)
        response = clients[role].post(
            f"/buchungen/{booking.id}/stornieren",
            data={"reason": "Fehlbuchung", "booking_date": "2025-06-01"},
        )
        assert response.status_code == 403
        assert fingerprint(db) == before
    assert db.session.scalar(select(func.count()).where(Booking.reversal_of_id == booking.id)) == 0


def test_readers_cannot_revoke_a_receipt(db, clients, anna):
    make_receipt_settings()
    receipt = _issue(anna)
    for role in READ_ONLY_ROLES:
        before = fingerprint(db)
        response = clients[role].post(
            f"/zuwendungsbestaetigungen/{receipt.id}/stornieren", data={"reason": "falsch"}
        )
        assert response.status_code == 403
        assert fingerprint(db) == before
    db.session.expire_all()
    assert db.session.get(DonationReceipt, receipt.id).revoked_at is None


def test_readers_cannot_cancel_a_collection(db, clients, users):
    collection_id = int(re.search(r"\d+", _url("banking.collection_cancel", users)).group())
    for role in READ_ONLY_ROLES:
        before = fingerprint(db)
        response = clients[role].post(f"/lastschriften/{collection_id}/stornieren", data={})
        assert response.status_code == 403
        assert fingerprint(db) == before
    db.session.expire_all()
    collection = db.session.get(DebitCollection, collection_id)
    assert collection.cancelled_at is None


def test_readers_cannot_confirm_a_bank_line(db, clients, users):
    line_id = int(re.search(r"\d+", _url("banking.line_assign", users)).group())
    state = db.session.get(StatementLine, line_id).state
    for role in READ_ONLY_ROLES:
        before = fingerprint(db)
        response = clients[role].post(f"/bank/umsaetze/{line_id}/zuordnen", data={"kind": "other"})
        assert response.status_code == 403
        response = clients[role].post("/bank/pruefen/bestaetigen", data={"line_ids": str(line_id)})
        assert response.status_code == 403
        assert fingerprint(db) == before
    db.session.expire_all()
    line = db.session.get(StatementLine, line_id)
    assert (line.state, line.done_at) == (state, None)
