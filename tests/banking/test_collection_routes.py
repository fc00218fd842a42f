"""The direct-debit pages: selection, preview, create (with pre-notifications), detail,
download, resend, cancel; and the dues lists that show a submitted debit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from supportclub.banking.collections import earliest_collection_date
from supportclub.banking.models import CollectionStatus, DebitCollection
from supportclub.clock import today
from tests.banking.test_collections import (  # noqa: F401 (the club fixture)
    YEAR,
    club,
    mandated_member,
    run_year,
)
from tests.factories import make_member, make_membership_type, membership_of

pytestmark = pytest.mark.usefixtures("club")


def selection(**overrides) -> dict:
    data = {
        "year": str(YEAR),
        "membership_type_id": "",
        "collection_date": earliest_collection_date().isoformat(),
        "schema": "pain.008.001.08",
    }
    data.update(overrides)
    return data


def collections(db) -> list[DebitCollection]:
    return list(db.session.execute(select(DebitCollection)).scalars())


def test_the_form_proposes_the_earliest_date_and_the_current_year(clients):
    page = clients["treasurer"].get("/lastschriften/neu").get_data(as_text=True)
    assert earliest_collection_date().isoformat() in page
    assert f'value="{today().year}"' in page
    assert "pain.008.001.02" in page


def test_the_preview_shows_count_total_and_skipped_reasons_and_writes_nothing(db, clients):
    mandated_member(last_name="Mitmandat")
    mandated_member(last_name="Zweiter")
    make_member(last_name="Ohnemandat")
    run_year()
    response = clients["treasurer"].post("/lastschriften/neu", data=selection())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="preview-count">2<' in page
    assert "72,00 €" in page
    assert "kein Mandat" in page and "Ohnemandat" in page
    assert "Einzug erstellen" in page
    assert collections(db) == []


def test_a_weekend_date_is_refused_at_the_field(db, clients):
    earliest = earliest_collection_date()
    saturday = earliest + timedelta(days=(5 - earliest.weekday()) % 7 or 7)
    response = clients["treasurer"].post(
        "/lastschriften/neu", data=selection(collection_date=saturday.isoformat())
    )
    assert response.status_code == 422
    assert "kein Bankarbeitstag" in response.get_data(as_text=True)


def test_create_without_confirmation_is_refused(db, clients):
    mandated_member()
    run_year()
    response = clients["treasurer"].post("/lastschriften/erstellen", data=selection())
    assert response.status_code == 422
    assert "Bitte die Vorschau bestätigen" in response.get_data(as_text=True)
    assert collections(db) == []


def test_create_download_resend_and_cancel(db, clients, mailsink):
    member = mandated_member(first_name="Jörg", last_name="Müller", email="joerg@example.org")
    run_year()
    client = clients["treasurer"]
    response = client.post(
        "/lastschriften/erstellen", data=selection(confirm="y"), follow_redirects=True
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (
        "Lastschrifteinzug erstellt: 1 Lastschriften, Summe 36,00 €, 1 Vorabankündigungen "
        "versandt" in page
    )
    (collection,) = collections(db)
    assert len(mailsink.to("joerg@example.org")) == 1
    assert collection.debits[0].notified_at is not None

    download = clients["admin"].get(f"/lastschriften/{collection.id}/datei")
    assert download.status_code == 200
    assert download.mimetype == "application/xml"
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="lastschrift-{collection.collection_date.isoformat()}'
        f'-{collection.id}.xml"'
    )
    assert download.data == collection.file_xml

    listing = clients["admin"].get("/lastschriften").get_data(as_text=True)
    assert collection.message_id in listing and "1/1" in listing

    resend = client.post(f"/lastschriften/{collection.id}/vorabankuendigung")
    assert resend.status_code == 302
    assert len(mailsink.messages) == 1  # nothing left to send

    # the dues lists show the submitted debit
    date_text = collection.collection_date.strftime("%d.%m.%Y")
    claims = client.get("/beitraege/offen").get_data(as_text=True)
    assert f"Lastschrift eingereicht zum {date_text}" in claims
    detail = client.get(f"/mitglieder/{member.id}").get_data(as_text=True)
    assert f"Lastschrift eingereicht zum {date_text}" in detail

    refused = client.post(f"/lastschriften/{collection.id}/stornieren", data={"reason": ""})
    assert refused.status_code == 422
    cancelled = client.post(
        f"/lastschriften/{collection.id}/stornieren", data={"reason": "Bank hat abgelehnt"}
    )
    assert cancelled.status_code == 302
    db.session.refresh(collection)
    assert collection.status == CollectionStatus.CANCELLED
    assert "Lastschrift eingereicht" not in client.get("/beitraege/offen").get_data(as_text=True)


def test_the_mandate_type_is_set_on_the_member_form(db, clients):
    person = make_member()
    membership = membership_of(person)
    response = clients["treasurer"].post(
        f"/mitglieder/mitgliedschaft/{membership.id}/mandat",
        data={
            "mandate_reference": "M-EINMAL-1",
            "mandate_date": (today() - timedelta(days=3)).isoformat(),
            "mandate_iban": "DE02120300000000202051",
            "mandate_type": "OOFF",
            "submit": "Mandat speichern",
        },
    )
    assert response.status_code == 302
    db.session.refresh(membership)
    assert membership.mandate_type == "OOFF"
    page = clients["treasurer"].get(f"/mitglieder/{person.id}").get_data(as_text=True)
    assert "einmalig (OOFF)" in page


def test_a_new_member_with_a_one_off_mandate(db, clients):
    mtype = make_membership_type()
    response = clients["treasurer"].post(
        "/mitglieder/neu",
        data={
            "kind": "private",
            "first_name": "Ole",
            "last_name": "Einmal",
            "country": "DE",
            "membership_type_id": str(mtype.id),
            "start_date": "2026-01-01",
            "mandate_reference": "M-OLE-1",
            "mandate_date": (today() - timedelta(days=3)).isoformat(),
            "mandate_iban": "DE02120300000000202051",
            "mandate_type": "OOFF",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    from supportclub.members.models import Membership

    membership = db.session.execute(
        select(Membership).where(Membership.mandate_reference == "M-OLE-1")
    ).scalar_one()
    assert membership.mandate_type == "OOFF"
    assert db.session.execute(select(func.count(Membership.id))).scalar_one() >= 1


def test_a_crash_while_sending_keeps_the_record_of_the_mails_already_sent(
    db, clients, mailsink, monkeypatch
):
    """The pre-notifications go out in chunks, each committed: when the request dies in the
    second chunk, the first chunk's debits stay marked and the resend sends only the rest."""
    from supportclub import mail
    from supportclub.banking import collection_routes
    from supportclub.banking.models import DirectDebit

    for n in range(3):
        mandated_member(last_name=f"Zahler{n}", email=f"zahler{n}@example.org")
    run_year()
    monkeypatch.setattr(collection_routes, "NOTIFY_CHUNK", 1)
    real_send = mail.Connection.send
    calls = []

    def send_then_die(connection, message):
        calls.append(message.to)
        if len(calls) == 2:
            raise RuntimeError("the worker was killed")
        real_send(connection, message)

    monkeypatch.setattr(mail.Connection, "send", send_then_die)
    client = clients["treasurer"]
    with pytest.raises(RuntimeError):
        client.post("/lastschriften/erstellen", data=selection(confirm="y"))
    db.session.rollback()
    (collection,) = collections(db)
    notified = db.session.execute(
        select(func.count()).where(
            DirectDebit.collection_id == collection.id, DirectDebit.notified_at.is_not(None)
        )
    ).scalar_one()
    assert (collection.count, notified, len(mailsink.messages)) == (3, 1, 1)

    monkeypatch.setattr(mail.Connection, "send", real_send)
    resend = client.post(f"/lastschriften/{collection.id}/vorabankuendigung")
    assert resend.status_code == 302
    assert sorted(m["To"] for m in mailsink.messages) == [
        f"zahler{n}@example.org" for n in range(3)
    ]


def test_the_member_page_flags_a_lapsed_mandate(db, clients):
    """A mandate unused for 36 months is flagged where the treasurer looks at the member."""
    old = mandated_member(last_name="Altmandat", signed=today() - timedelta(days=3 * 366 + 5))
    fresh = mandated_member(last_name="Neumandat", signed=today() - timedelta(days=30))
    client = clients["treasurer"]
    old_page = client.get(f"/mitglieder/{old.id}").get_data(as_text=True)
    fresh_page = client.get(f"/mitglieder/{fresh.id}").get_data(as_text=True)
    assert "verfallen: seit 36 Monaten nicht genutzt" in old_page
    assert 'data-testid="mandate-lapsed"' not in fresh_page


def test_the_pre_notifications_of_a_chunk_share_one_connection(db, clients, mailsink, monkeypatch):
    """One SMTP connection per chunk of debtors, not one per mail (a real server with TLS
    takes a good part of a second to greet)."""
    from supportclub import mail

    for n in range(3):
        mandated_member(last_name=f"Zahler{n}", email=f"zahler{n}@example.org")
    run_year()
    real_open = mail.Connection._open
    opened = []

    def counting_open(connection):
        opened.append(1)
        return real_open(connection)

    monkeypatch.setattr(mail.Connection, "_open", counting_open)
    response = clients["treasurer"].post("/lastschriften/erstellen", data=selection(confirm="y"))
    assert response.status_code == 302
    assert (len(opened), len(mailsink.messages)) == (1, 3)
