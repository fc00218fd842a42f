"""Who paid a donation without a login: a certain match is linked, nobody known becomes a new
person, anything doubtful waits (unbooked) for the treasurer, anonymous stays anonymous."""

import pytest
from sqlalchemy import func, select

from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.ledger.models import Booking, Person
from supportclub.payments import events
from supportclub.payments.models import AttentionKind, OnlinePayment, PaymentStatus
from supportclub.payments.payers import assign_payer
from tests.factories import make_person, make_user
from tests.payments.conftest import deliver_all, donation, new_events

DONOR = dict(
    first_name="Erika",
    last_name="Spenderin",
    street="Lindenweg 3",
    postal_code="07743",
    city="Jena",
)


def reload(payment) -> OnlinePayment:
    """The payment as stored now."""
    db.session.expire_all()
    return db.session.get(OnlinePayment, payment.id)


def persons() -> int:
    """How many persons there are."""
    return db.session.scalar(select(func.count()).select_from(Person))


def bookings() -> int:
    """How many bookings there are."""
    return db.session.scalar(select(func.count()).select_from(Booking))


def unclear(payment):
    """The payment's payer_unclear attention item, or None."""
    return next(
        (a for a in reload(payment).attention if a.kind == AttentionKind.PAYER_UNCLEAR), None
    )


def test_same_email_and_name_is_linked_to_that_person(client, stripe_fake):
    known = make_person(email="erika@example.org", **DONOR)
    before = persons()
    payment = reload(donation(stripe_fake, client, email="Erika@Example.org"))
    assert payment.person_id == known.id
    assert payment.booking.person_id == known.id
    assert payment.booking.amount_cents == 4900
    assert persons() == before
    assert unclear(payment) is None


def test_same_email_other_name_waits_for_the_treasurer_unbooked(client, stripe_fake):
    known = make_person(first_name="Max", last_name="Gatte", email="erika@example.org")
    before = (persons(), bookings())
    payment = reload(donation(stripe_fake, client))
    assert payment.status == PaymentStatus.SUCCEEDED  # the money is there ...
    assert payment.person_id is None  # ... but whose it is must be confirmed
    assert payment.booking_id is None
    assert (persons(), bookings()) == before
    item = unclear(payment)
    assert item.detail == {"candidates": [known.id]}
    assert item.resolved_at is None
    # asking Stripe again changes nothing while the question is open
    events.refresh(payment.id)
    db.session.commit()
    assert reload(payment).booking_id is None
    assert bookings() == before[1]


def test_assigning_a_candidate_then_refreshing_books_on_that_person(client, stripe_fake):
    known = make_person(first_name="Max", last_name="Gatte", email="erika@example.org")
    treasurer = make_user("treasurer")
    payment = reload(donation(stripe_fake, client))
    before = persons()
    assign_payer(payment, person_id=known.id, actor=treasurer)
    events.refresh(payment.id, actor=treasurer)
    db.session.commit()
    payment = reload(payment)
    assert payment.person_id == known.id
    assert payment.booking.person_id == known.id
    assert payment.booking.amount_cents == 4900
    assert payment.booking.created_by_id == treasurer.id
    assert persons() == before
    item = unclear(payment)
    assert item.resolved_at is not None
    assert item.resolved_by_id == treasurer.id
    assert item.resolution == f"Zugeordnet: {known.full_name}"
    with pytest.raises(ValidationError):
        assign_payer(payment, person_id=None, actor=treasurer)


def test_assigning_a_new_person_creates_one_from_the_donors_entry(client, stripe_fake):
    make_person(first_name="Max", last_name="Gatte", email="erika@example.org")
    treasurer = make_user("treasurer")
    payment = reload(donation(stripe_fake, client))
    before = persons()
    person = assign_payer(payment, person_id=None, actor=treasurer)
    events.refresh(payment.id, actor=treasurer)
    db.session.commit()
    payment = reload(payment)
    assert persons() == before + 1
    assert (person.first_name, person.last_name, person.street, person.postal_code) == (
        "Erika",
        "Spenderin",
        "Lindenweg 3",
        "07743",
    )
    assert payment.booking.person_id == person.id
    assert unclear(payment).resolution == "Neue Person angelegt"


def test_assigning_an_unknown_person_is_refused(client, stripe_fake):
    make_person(first_name="Max", last_name="Gatte", email="erika@example.org")
    payment = reload(donation(stripe_fake, client))
    with pytest.raises(ValidationError):
        assign_payer(payment, person_id=999_999, actor=make_user("treasurer"))
    assert reload(payment).person_id is None


def test_nobody_known_becomes_a_new_person_with_the_entered_address(client, stripe_fake):
    before = persons()
    payment = reload(donation(stripe_fake, client, email="neu@example.org"))
    assert persons() == before + 1
    person = payment.person
    assert (
        person.first_name,
        person.last_name,
        person.street,
        person.postal_code,
        person.city,
        person.email,
    ) == ("Erika", "Spenderin", "Lindenweg 3", "07743", "Jena", "neu@example.org")
    assert payment.booking.person_id == person.id
    assert unclear(payment) is None


def test_anonymous_donation_is_booked_without_a_person(client, stripe_fake):
    make_person(email="erika@example.org", **DONOR)
    before = persons()
    payment = reload(donation(stripe_fake, client, anonymous=True))
    assert payment.anonymous
    assert payment.person_id is None
    assert payment.booking.person_id is None
    assert payment.booking.amount_cents == 4900
    assert persons() == before
    assert unclear(payment) is None


def test_same_name_and_postal_code_with_other_email_is_queued(client, stripe_fake):
    known = make_person(email="erika.alt@example.org", **DONOR)
    before = (persons(), bookings())
    payment = reload(donation(stripe_fake, client, email="erika.neu@example.org"))
    assert payment.booking_id is None
    assert (persons(), bookings()) == before
    assert unclear(payment).detail == {"candidates": [known.id]}


def test_same_email_and_name_but_another_address_is_queued(client, stripe_fake):
    known = make_person(
        email="erika@example.org", **dict(DONOR, street="Am Markt 1", postal_code="99423")
    )
    payment = reload(donation(stripe_fake, client))
    assert payment.booking_id is None
    assert unclear(payment).detail == {"candidates": [known.id]}


def test_refund_while_the_payer_is_unclear_is_booked_net_once_assigned(client, stripe_fake):
    make_person(first_name="Max", last_name="Gatte", email="erika@example.org")
    payment = reload(donation(stripe_fake, client))
    since = len(stripe_fake.events)
    stripe_fake.refund(payment.payment_intent_id, 1000)
    deliver_all(client, new_events(stripe_fake, since))
    assert reload(payment).booking_id is None
    person = assign_payer(reload(payment), person_id=None, actor=make_user("treasurer"))
    events.refresh(payment.id)
    db.session.commit()
    payment = reload(payment)
    assert payment.booking.person_id == person.id
    assert sorted(x.amount_cents for x in payment.booking.lines) == [-100, 4000]
    assert bookings() == 1
