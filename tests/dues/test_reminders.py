"""Payment reminders: who gets one, at which level, by which way; what is sent and recorded."""

import json
import socket
from datetime import date, timedelta
from io import BytesIO

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from sqlalchemy import func, select, update

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.clock import today, utcnow
from supportclub.dues.models import Reminder, ReminderChannel, ReminderLevel
from supportclub.dues.payments import Allocation, record_payment
from supportclub.dues.reminder_texts import check_text, render_text, save_reminder_texts
from supportclub.dues.reminders import plan_reminders, send_reminders
from supportclub.errors import ValidationError
from supportclub.ledger.models import Account
from supportclub.members.services import set_payer
from tests.factories import (
    by_code,
    make_claim,
    make_member,
    make_membership_type,
    make_person,
    membership_of,
)

IBAN = "DE89370400440532013000"
CLUB = "Förderverein „Schule am See“ e.V."


@pytest.fixture
def club(db):
    """The association's name, address, register and bank IBAN."""
    settings = get_settings()
    settings.name = CLUB
    settings.street = "Seestraße 5"
    settings.postal_code = "07743"
    settings.city = "Jena"
    settings.register_court = "Amtsgericht Jena"
    settings.register_number = "VR 1234"
    by_code(Account, "bank").iban = IBAN
    db.session.commit()
    return settings


def pay(person, claim, cents: int, booking_date: date = date(2025, 3, 1)):
    """Book a bank payment of `cents` against `claim`."""
    from supportclub.extensions import db

    booking = record_payment(
        person_id=person.id,
        booking_date=booking_date,
        account_id=by_code(Account, "bank").id,
        amount_cents=cents,
        allocations=[Allocation(claim.id, cents)],
        actor=None,
    )
    db.session.commit()
    return booking


def reminders(db, **filters) -> list[Reminder]:
    return list(db.session.execute(select(Reminder).filter_by(**filters)).scalars())


def audit_entries(db, member) -> list[AuditEntry]:
    return list(
        db.session.execute(
            select(AuditEntry).filter_by(
                action="dues.reminder_sent", target_type="Person", target_id=member.id
            )
        ).scalars()
    )


def backdate(db, days: int) -> None:
    """Make every recorded reminder `days` days older."""
    db.session.execute(update(Reminder).values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def send_for(db, person, user=None, **kw):
    """Plan and send the reminders of one person; commit like the route does."""
    result = send_reminders(plan_reminders(person_ids=[person.id], **kw).planned, actor=user)
    db.session.commit()
    return result


# the e-mail -----------------------------------------------------------------------------------


def test_the_reminder_mail_names_the_exact_open_amount_and_the_member_number(
    db, club, mailsink, users
):
    mtype = make_membership_type(name="Regulär", rates=[(date(2009, 1, 1), 3600)])
    member = make_member(mtype, first_name="Jörg", last_name="Weiß", email="joerg@example.org")
    claim = make_claim(member, 2025)
    assert claim.due_date == date(2025, 2, 14)

    plan = plan_reminders(person_ids=[member.id])
    (item,) = plan.planned
    assert (item.level, item.channel, item.open_cents) == (
        ReminderLevel.REMINDER,
        ReminderChannel.EMAIL,
        3600,
    )
    assert reminders(db) == []  # planning writes nothing

    result = send_reminders(plan.planned, actor=users["treasurer"])
    db.session.commit()

    (message,) = mailsink.to("joerg@example.org")
    body = mailsink.body(message)
    assert (
        message["Subject"]
        == "Zahlungserinnerung: Mitgliedsbeitrag Förderverein „Schule am See“ e.V."
    )
    assert "Guten Tag Jörg Weiß," in body
    assert f"Mitgliedsnummer {member.member_number})" in body
    assert "Beitrag 2025 (Regulär): 36,00 €, davon offen 36,00 €" in body
    assert "Offen insgesamt: 36,00 €" in body
    assert "DE89 3704 0044 0532 0130 00" in body
    assert (today() + timedelta(days=14)).strftime("%d.%m.%Y") in body

    (reminder,) = result.emails
    assert reminder == reminders(db)[0]
    assert (reminder.person_id, reminder.member_id, reminder.level) == (member.id, member.id, 1)
    assert (reminder.channel, reminder.email) == (ReminderChannel.EMAIL, "joerg@example.org")
    assert (reminder.open_cents, reminder.claim_ids) == (3600, [claim.id])
    assert reminder.body == body.replace("\r\n", "\n").rstrip("\n")  # the exact text sent
    assert reminder.created_by_id == users["treasurer"].id
    (entry,) = audit_entries(db, member)
    assert entry.actor_id == users["treasurer"].id
    assert entry.data["reminder_id"] == reminder.id
    assert (entry.data["open_cents"], entry.data["channel"]) == (3600, "email")


def test_several_members_are_sent_in_one_batch_each_with_their_own_row_and_audit_entry(
    db, club, mailsink
):
    members = [make_member(email=f"m{i}@example.org") for i in range(3)]
    make_claim(members[0], 2025)

    result = send_reminders(plan_reminders().planned, actor=None)
    db.session.commit()

    assert len(mailsink.messages) == 3
    assert sorted(r.member_id for r in result.emails) == sorted(m.id for m in members)
    assert len(reminders(db)) == 3
    for member in members:
        assert len(audit_entries(db, member)) == 1
        assert mailsink.to(member.email)


def test_the_alternate_payer_receives_the_reminder_for_the_member(db, club, mailsink):
    parent = make_person(first_name="Petra", last_name="Eltern", email="petra@example.org")
    child = make_member(first_name="Kim", last_name="Eltern", email="kim@example.org")
    set_payer(membership_of(child), payer_id=parent.id, actor=None)
    db.session.commit()
    make_claim(child, 2025)

    (item,) = plan_reminders(person_ids=[child.id]).planned
    assert (item.recipient.id, item.member.id) == (parent.id, child.id)
    send_reminders([item], actor=None)
    db.session.commit()

    assert mailsink.to("kim@example.org") == []
    (message,) = mailsink.to("petra@example.org")
    assert "Guten Tag Petra Eltern," in mailsink.body(message)
    assert "für Kim Eltern: 36,00 €, davon offen 36,00 €" in mailsink.body(message)
    (reminder,) = reminders(db)
    assert (reminder.person_id, reminder.member_id) == (parent.id, child.id)
    assert len(audit_entries(db, child)) == 1


# never to a member who has paid ----------------------------------------------------------------


def test_a_member_who_has_paid_gets_nothing(db, club, mailsink):
    member = make_member()
    pay(member, make_claim(member, 2025), 3600)

    plan = plan_reminders(person_ids=[member.id])

    assert plan.planned == []
    assert [(s.member_id, s.reason) for s in plan.skipped] == [(member.id, "bezahlt")]
    assert send_reminders(plan.planned, actor=None).recorded == []
    assert mailsink.messages == []


def test_a_payment_booked_between_preview_and_send_stops_the_reminder(db, club, mailsink):
    member = make_member()
    claim = make_claim(member, 2025)
    plan = plan_reminders(person_ids=[member.id])
    assert len(plan.planned) == 1

    pay(member, claim, 3600)  # the money arrives while the treasurer looks at the preview
    result = send_reminders(plan.planned, actor=None)
    db.session.commit()

    assert mailsink.messages == []
    assert reminders(db) == [] and audit_entries(db, member) == []
    assert [(s.member_id, s.reason) for s in result.skipped] == [(member.id, "inzwischen bezahlt")]


def test_a_claim_paid_meanwhile_is_dropped_and_only_the_rest_is_reminded(db, club, mailsink):
    member = make_member(start_date=date(2023, 1, 1))
    old = make_claim(member, 2024)
    new = make_claim(member, 2025)
    plan = plan_reminders(person_ids=[member.id])
    assert plan.planned[0].claim_ids == [old.id, new.id]
    assert plan.planned[0].open_cents == 7200

    pay(member, old, 3600)
    (reminder,) = send_reminders(plan.planned, actor=None).emails
    db.session.commit()

    assert (reminder.open_cents, reminder.claim_ids) == (3600, [new.id])
    body = mailsink.body(mailsink.messages[0])
    assert "Beitrag 2024" not in body
    assert "Offen insgesamt: 36,00 €" in body


def test_a_partly_paid_claim_is_reminded_with_the_open_rest_only(db, club, mailsink):
    mtype = make_membership_type(name="Regulär", rates=[(date(2009, 1, 1), 4800)])
    member = make_member(mtype)
    claim = make_claim(member, 2025)
    pay(member, claim, 1550)

    (item,) = plan_reminders(person_ids=[member.id]).planned
    assert item.open_cents == 3250
    (reminder,) = send_reminders([item], actor=None).emails

    assert reminder.open_cents == 3250
    body = mailsink.body(mailsink.messages[0])
    assert "Beitrag 2025 (Regulär): 48,00 €, davon offen 32,50 €" in body
    assert "Offen insgesamt: 32,50 €" in body


def test_a_claim_not_yet_due_is_not_reminded(db, club):
    member = make_member()
    next_year = today().year + 1
    claim = make_claim(member, next_year)  # due in February of next year
    assert claim.due_date > today()

    plan = plan_reminders(person_ids=[member.id])

    assert plan.planned == []
    assert plan.skipped[0].reason == f"noch nicht fällig (fällig am {claim.due_date:%d.%m.%Y})"
    assert len(plan_reminders(person_ids=[member.id], overdue_only=False).planned) == 1


def test_the_year_filter_reminds_only_that_year(db, club):
    member = make_member(start_date=date(2023, 1, 1))
    make_claim(member, 2024)
    claim_2025 = make_claim(member, 2025)

    (item,) = plan_reminders(person_ids=[member.id], year=2025).planned

    assert (item.claim_ids, item.open_cents) == ([claim_2025.id], 3600)


# the levels and the interval ------------------------------------------------------------------


def test_a_second_run_within_the_interval_skips_and_after_it_comes_the_mahnung(db, club, mailsink):
    member = make_member(email="late@example.org")
    make_claim(member, 2025)
    send_for(db, member)
    assert len(mailsink.messages) == 1

    again = plan_reminders(person_ids=[member.id])
    assert again.planned == []
    assert [s.reason for s in again.skipped] == [f"erinnert am {today():%d.%m.%Y}"]
    assert send_reminders(again.planned, actor=None).recorded == []

    backdate(db, 13)  # the interval is 14 days
    assert plan_reminders(person_ids=[member.id]).planned == []

    backdate(db, 14)
    (item,) = plan_reminders(person_ids=[member.id]).planned
    assert item.level == ReminderLevel.DUNNING
    result = send_for(db, member)

    message = mailsink.messages[-1]
    assert (
        message["Subject"] == "Mahnung: offener Mitgliedsbeitrag Förderverein „Schule am See“ e.V."
    )
    assert "trotz unserer Zahlungserinnerung" in mailsink.body(message)
    assert result.emails[0].level == 2
    assert sorted(r.level for r in reminders(db)) == [1, 2]

    # a Mahnung is repeated after the next interval, as a Mahnung
    assert plan_reminders(person_ids=[member.id]).planned == []
    backdate(db, 14)
    assert plan_reminders(person_ids=[member.id]).planned[0].level == ReminderLevel.DUNNING


def test_the_interval_comes_from_the_settings(db, club):
    member = make_member()
    make_claim(member, 2025)
    send_for(db, member)
    get_settings().reminder_interval_days = 30
    backdate(db, 20)

    assert plan_reminders(person_ids=[member.id]).planned == []
    backdate(db, 30)
    assert plan_reminders(person_ids=[member.id]).planned[0].level == ReminderLevel.DUNNING


def test_a_new_claim_after_a_reminder_about_an_old_one_starts_with_a_reminder(db, club):
    member = make_member(start_date=date(2023, 1, 1))
    old = make_claim(member, 2024)
    send_for(db, member)
    pay(member, old, 3600)
    make_claim(member, 2025)

    (item,) = plan_reminders(person_ids=[member.id]).planned

    assert item.level == ReminderLevel.REMINDER


# letters --------------------------------------------------------------------------------------


def test_a_member_without_email_gets_a_letter_with_name_address_and_amount(db, club, mailsink):
    member = make_member(
        email=None,
        first_name="Günther",
        last_name="Übermut",
        street="Lindenallee 7",
        postal_code="99423",
        city="Weimar",
    )
    make_claim(member, 2025)

    (item,) = plan_reminders(person_ids=[member.id]).planned
    assert item.channel == ReminderChannel.LETTER
    result = send_for(db, member)

    assert mailsink.messages == []
    (letter,) = result.letters
    assert (letter.channel, letter.email, letter.open_cents) == (ReminderChannel.LETTER, None, 3600)
    assert len(audit_entries(db, member)) == 1
    reader = PdfReader(BytesIO(result.pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in (
        "Günther Übermut",
        "Lindenallee 7",
        "99423 Weimar",
        "Zahlungserinnerung: Mitgliedsbeitrag Förderverein „Schule am See“ e.V.",
        "Offen insgesamt: 36,00 €",
        f"Jena, {today():%d.%m.%Y}",
        "Amtsgericht Jena VR 1234",
        "IBAN DE89 3704 0044 0532 0130 00",
    ):
        assert expected in text


def test_letters_of_a_batch_come_in_one_pdf_and_emails_go_out(db, club, mailsink):
    by_mail = make_member(email="mail@example.org")
    letters = [make_member(email=None, last_name=f"Brief{i}") for i in range(2)]
    make_claim(by_mail, 2025)

    result = send_reminders(plan_reminders().planned, actor=None)
    db.session.commit()

    assert [r.member_id for r in result.emails] == [by_mail.id]
    assert sorted(r.member_id for r in result.letters) == sorted(p.id for p in letters)
    reader = PdfReader(BytesIO(result.pdf))
    assert len(reader.pages) == 2
    assert "Brief0" in reader.pages[0].extract_text() + reader.pages[1].extract_text()
    assert "Brief1" in reader.pages[0].extract_text() + reader.pages[1].extract_text()


def test_a_member_without_email_and_without_address_is_skipped(db, club):
    member = make_member(email=None, street="", postal_code="", city="")
    make_claim(member, 2025)

    plan = plan_reminders(person_ids=[member.id])

    assert plan.planned == []
    assert "keine vollständige Anschrift für einen Brief" in plan.skipped[0].reason


# mail failures --------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_mail_server_down_is_reported_and_nothing_is_recorded_for_the_unsent(
    app, db, club, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    by_mail = [make_member(email=f"down{i}@example.org") for i in range(2)]
    by_letter = make_member(email=None)
    make_claim(by_letter, 2025)

    result = send_reminders(plan_reminders().planned, actor=None)
    db.session.commit()

    assert result.emails == []
    assert sorted(f.planned.member.id for f in result.failed) == sorted(m.id for m in by_mail)
    assert all("E-Mail konnte nicht versendet werden" in f.message for f in result.failed)
    assert [r.member_id for r in reminders(db)] == [by_letter.id]  # the letter still counts
    for member in by_mail:
        assert audit_entries(db, member) == []
    # nothing was recorded, so the next run offers them again at level 1
    again = plan_reminders(person_ids=[m.id for m in by_mail]).planned
    assert [item.level for item in again] == [ReminderLevel.REMINDER] * 2


class RefusingSink:
    """An SMTP server that refuses one address and keeps the other mails."""

    def __init__(self, refused: str):
        self.refused = refused
        self.received: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address == self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received += envelope.rcpt_tos
        return "250 OK"


@pytest.fixture
def refusing_sink(app, monkeypatch):
    handler = RefusingSink("refused@example.org")
    port = _closed_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    yield handler
    controller.stop()


def test_a_refused_address_does_not_lose_the_others(db, club, refusing_sink):
    first = make_member(last_name="Aal", email="first@example.org")
    refused = make_member(last_name="Berg", email="refused@example.org")
    last = make_member(last_name="Zorn", email="last@example.org")
    make_claim(first, 2025)

    result = send_reminders(plan_reminders().planned, actor=None)
    db.session.commit()

    assert sorted(refusing_sink.received) == ["first@example.org", "last@example.org"]
    assert sorted(r.member_id for r in result.emails) == sorted([first.id, last.id])
    ((failure),) = result.failed
    assert failure.planned.member.id == refused.id
    assert "refused@example.org" in failure.message
    assert {r.member_id for r in reminders(db)} == {first.id, last.id}
    assert audit_entries(db, refused) == []


# texts ----------------------------------------------------------------------------------------


def test_unknown_placeholders_stay_visible_instead_of_crashing(db, club, mailsink):
    get_settings().reminder_text = "Hallo {anrede_name}, {unbekannt} {offen} {0} {x!r} {"
    member = make_member(first_name="Ida", last_name="Roth")
    make_claim(member, 2025)

    (item,) = plan_reminders(person_ids=[member.id]).planned

    # broken braces: the text stays as it is, nothing is filled in
    assert item.body == "Hallo {anrede_name}, {unbekannt} {offen} {0} {x!r} {"
    get_settings().reminder_text = "Hallo {anrede_name}, {unbekannt} {offen} {0} {x!r} {{"
    (item,) = plan_reminders(person_ids=[member.id]).planned
    assert item.body == "Hallo Ida Roth, {unbekannt} 36,00 € {0} {x!r} {"


def test_render_text_fills_known_placeholders_only():
    values = {"offen": "1,00 €", "verein": "V"}
    assert render_text("{offen} {verein} {{x}} {foo} {offen:>9}", values) == (
        "1,00 € V {x} {foo} {offen:>9}"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hallo {foo}", "Unbekannter Platzhalter {foo}"),
        ("Hallo {Anrede_name}", "Unbekannter Platzhalter {Anrede_name}"),
        ("Hallo {}", "Unbekannter Platzhalter {}"),
        ("Hallo {offen:>10}", "Unbekannter Platzhalter {offen:>10}"),
        ("Hallo {anrede_name", "geschweiften Klammern passen nicht zusammen"),
        ("Hallo anrede_name}", "geschweiften Klammern passen nicht zusammen"),
    ],
)
def test_a_text_with_an_unknown_placeholder_or_broken_braces_is_refused(text, message):
    with pytest.raises(ValidationError) as error:
        check_text(text, field="reminder_text")
    assert message in error.value.message
    assert error.value.field == "reminder_text"


def test_saving_texts_refuses_an_unknown_placeholder_and_changes_nothing(db, club):
    before = get_settings().dunning_text
    with pytest.raises(ValidationError, match=r"Unbekannter Platzhalter \{betrag\}"):
        save_reminder_texts({"dunning_text": "Offen: {betrag}"}, actor=None)
    assert get_settings().dunning_text == before
    count = db.session.execute(
        select(func.count()).select_from(AuditEntry).filter_by(action="settings.dues_updated")
    ).scalar()
    assert count == 0

    save_reminder_texts({"dunning_text": "Offen: {offen} {{ok}}"}, actor=None)
    assert get_settings().dunning_text == "Offen: {offen} {{ok}}"


def test_without_a_bank_iban_the_text_says_unser_vereinskonto(db, club):
    by_code(Account, "bank").iban = None
    member = make_member()
    make_claim(member, 2025)

    (item,) = plan_reminders(person_ids=[member.id]).planned

    assert "auf unser Konto (IBAN bitte beim Verein erfragen)" in item.body


# routes ---------------------------------------------------------------------------------------


def test_the_preview_lists_members_to_remind_and_skipped_ones(db, club, treasurer_client):
    late = make_member(last_name="Spätzahler")
    paid = make_member(last_name="Pünktlich")
    make_claim(late, 2025)
    pay(paid, membership_claim(paid, 2025), 3600)

    page = treasurer_client.get("/beitraege/mahnungen").get_data(as_text=True)

    assert "Spätzahler" in page and "36,00 €" in page
    assert f'value="{late.id}-{late.id}"' in page
    assert f'value="{paid.id}-{paid.id}"' not in page
    skipped = page[page.index('data-testid="skipped"') :]
    assert "Pünktlich" in skipped and "bezahlt" in skipped
    assert reminders(db) == []


def membership_claim(person, year):
    from supportclub.dues.models import DuesClaim
    from supportclub.extensions import db

    return db.session.execute(
        select(DuesClaim).filter_by(membership_id=membership_of(person).id, year=year)
    ).scalar_one()


def test_person_id_preselects_one_member(db, club, treasurer_client):
    one = make_member(last_name="Eins")
    make_member(last_name="Zwei")
    make_claim(one, 2025)

    page = treasurer_client.get(f"/beitraege/mahnungen?person_id={one.id}").get_data(as_text=True)
    planned = page[page.index('data-testid="planned"') : page.index("</table>")]

    assert "Eins" in planned and "Zwei" not in planned
    assert treasurer_client.get("/beitraege/mahnungen?person_id=999999").status_code == 404


def test_sending_from_the_page_mails_the_chosen_rows_only(
    db, club, mailsink, treasurer_client, users
):
    chosen = make_member(email="chosen@example.org")
    other = make_member(email="other@example.org")
    make_claim(chosen, 2025)

    response = treasurer_client.post(
        "/beitraege/mahnungen", data={"keys": [f"{chosen.id}-{chosen.id}"]}
    )

    assert response.status_code == 302
    assert [m.envelope_to for m in mailsink.messages] == [["chosen@example.org"]]
    assert [r.member_id for r in reminders(db)] == [chosen.id]
    assert reminders(db)[0].created_by_id == users["treasurer"].id
    assert audit_entries(db, other) == []
    page = treasurer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 Erinnerung(en) per E-Mail versendet." in page


def test_a_payment_between_preview_and_send_on_the_page_sends_nothing(
    db, club, mailsink, treasurer_client
):
    member = make_member(last_name="Gerade")
    claim = make_claim(member, 2025)
    treasurer_client.get("/beitraege/mahnungen")
    pay(member, claim, 3600)

    response = treasurer_client.post(
        "/beitraege/mahnungen", data={"keys": [f"{member.id}-{member.id}"]}, follow_redirects=True
    )

    assert mailsink.messages == [] and reminders(db) == []
    assert "Keine Erinnerung an Gerade, Anna: bezahlt" in response.get_data(as_text=True)


def test_mail_server_down_on_the_page_names_the_member(
    app, db, club, treasurer_client, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    member = make_member(first_name="Otto", last_name="Offline", email="otto@example.org")
    make_claim(member, 2025)

    response = treasurer_client.post(
        "/beitraege/mahnungen", data={"keys": [f"{member.id}-{member.id}"]}, follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "Nicht versendet an Otto Offline (otto@example.org)" in page
    assert "E-Mail konnte nicht versendet werden" in page
    assert reminders(db) == []


def test_letters_are_offered_as_pdf_and_reprinted_from_the_stored_text(db, club, treasurer_client):
    member = make_member(email=None, first_name="Lotte", last_name="Lehmann")
    make_claim(member, 2025)

    response = treasurer_client.post(
        "/beitraege/mahnungen", data={"keys": [f"{member.id}-{member.id}"]}
    )
    (letter,) = reminders(db)
    assert f"briefe={letter.id}" in response.headers["Location"]
    page = treasurer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/beitraege/mahnungen/briefe?ids={letter.id}" in page

    get_settings().reminder_text = "Ein ganz anderer Text {offen}"  # later edits do not matter
    pdf = treasurer_client.get(f"/beitraege/mahnungen/briefe?ids={letter.id}")

    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    text = PdfReader(BytesIO(pdf.data)).pages[0].extract_text()
    assert "Lotte Lehmann" in text and "Offen insgesamt: 36,00 €" in text
    assert "ganz anderer" not in text


def test_the_letter_pdf_refuses_unknown_ids_and_email_reminders(
    db, club, mailsink, treasurer_client
):
    member = make_member(email="mail@example.org")
    make_claim(member, 2025)
    (sent,) = send_for(db, member).emails

    assert treasurer_client.get(f"/beitraege/mahnungen/briefe?ids={sent.id}").status_code == 404
    assert treasurer_client.get("/beitraege/mahnungen/briefe?ids=999999").status_code == 404
    assert treasurer_client.get("/beitraege/mahnungen/briefe?ids=1;2").status_code == 404


def test_sending_without_a_row_chosen_sends_nothing(db, club, mailsink, treasurer_client):
    member = make_member()
    make_claim(member, 2025)

    response = treasurer_client.post("/beitraege/mahnungen", data={}, follow_redirects=True)

    assert "Bitte mindestens eine Zeile ankreuzen." in response.get_data(as_text=True)
    assert mailsink.messages == [] and reminders(db) == []


def test_sending_needs_a_csrf_token(app, db, club, mailsink, treasurer_client):
    member = make_member()
    make_claim(member, 2025)
    app.config["WTF_CSRF_ENABLED"] = True

    response = treasurer_client.post(
        "/beitraege/mahnungen", data={"keys": [f"{member.id}-{member.id}"]}
    )

    assert response.status_code in (400, 422)
    assert mailsink.messages == [] and reminders(db) == []


def _texts_form(**overrides) -> dict:
    settings = get_settings()
    data = {
        "reminder_subject": settings.reminder_subject,
        "reminder_text": settings.reminder_text,
        "dunning_subject": settings.dunning_subject,
        "dunning_text": settings.dunning_text,
        "reminder_interval_days": "21",
        "submit": "Speichern",
    }
    data.update(overrides)
    return data


def test_the_texts_page_saves_texts_and_interval(db, club, treasurer_client):
    page = treasurer_client.get("/beitraege/mahnungen/texte").get_data(as_text=True)
    assert "Erika Mustermann" in page  # the preview of the current texts

    response = treasurer_client.post(
        "/beitraege/mahnungen/texte",
        data=_texts_form(reminder_subject="Bitte zahlen, {anrede_name}"),
    )

    assert response.status_code == 302
    settings = get_settings()
    assert (settings.reminder_subject, settings.reminder_interval_days) == (
        "Bitte zahlen, {anrede_name}",
        21,
    )
    (entry,) = db.session.execute(
        select(AuditEntry).filter_by(action="settings.dues_updated")
    ).scalars()
    assert json.loads(entry.data_json)["reminder_interval_days"]["after"] == 21


def test_the_texts_page_refuses_an_unknown_placeholder_next_to_the_field(
    db, club, treasurer_client
):
    before = get_settings().reminder_text

    response = treasurer_client.post(
        "/beitraege/mahnungen/texte", data=_texts_form(reminder_text="Hallo {foo}, {offen}")
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="reminder_text-error"' in page
    error = page[page.index('id="reminder_text-error"') :]
    assert "Unbekannter Platzhalter {foo}" in error[:400]
    db.session.expire_all()
    assert get_settings().reminder_text == before
    assert get_settings().reminder_interval_days == 14


def test_the_texts_preview_renders_the_submitted_text_without_saving(db, club, treasurer_client):
    data = _texts_form(reminder_text="Offen sind {offen} bis {frist}.", preview="Vorschau")
    del data["submit"]
    response = treasurer_client.post("/beitraege/mahnungen/texte", data=data)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    deadline = (today() + timedelta(days=14)).strftime("%d.%m.%Y")
    assert f"Offen sind 48,00 € bis {deadline}." in page
    db.session.expire_all()
    assert "Offen sind" not in get_settings().reminder_text
