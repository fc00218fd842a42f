"""Delivery of a batch: e-mail with the PDF where machine receipts are allowed, one print file
for the rest (in kind and waivers always), delivery recorded on each receipt."""

from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from supportclub.audit import AuditEntry
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.mail import MailError
from supportclub.receipts import delivery, services, storage
from supportclub.receipts.batch import BatchLog
from supportclub.receipts.content import ReceiptKind
from supportclub.receipts.models import Delivery
from tests.factories import donation_line, make_contribution, make_person, make_receipt_settings
from tests.receipts.test_batch import (  # noqa: F401 (fixture)
    _one_process,
    machine_settings,
    make_donors,
    pdf_text,
    receipts_of,
    run,
)


def by_person(people: dict) -> dict:
    """The 2025 receipts by the donor's key in `people`."""
    ids = {p.id: key for key, p in people.items()}
    return {ids[r.person_id]: r for r in receipts_of(2025)}


def print_file(batch) -> bytes:
    """The bytes of the batch's print file."""
    return delivery.read_print_file(batch).read_bytes()


def test_machine_receipts_go_by_mail_the_rest_into_one_print_file(app, mailsink):
    machine_settings()
    people = make_donors()
    batch = run(2025)
    got = by_person(people)
    mailed = {key for key, r in got.items() if r.delivery == Delivery.EMAIL}
    assert mailed == {"anna", "ben", "dora"}
    assert {key for key, r in got.items() if r.delivery == Delivery.PRINT} == {"emil", "firma"}
    assert (batch.issued, batch.emailed, batch.to_print) == (5, 3, 2)
    assert sorted(m.envelope_to[0] for m in mailsink.messages) == sorted(
        people[k].email for k in mailed
    )
    anna = got["anna"]
    (message,) = mailsink.to(people["anna"].email)
    assert message["Subject"] == (
        f"Ihre Zuwendungsbestätigung {anna.number} – Förderverein Grundschule Am Park e. V."
    )
    body = mailsink.body(message)
    assert body.startswith("Guten Tag Anna Albrecht,")
    assert f"Nr. {anna.number} über 111,00 € (01.01.2025 – 31.12.2025)" in body
    ((name, data),) = mailsink.attachments(message)
    assert name == f"Zuwendungsbestaetigung-{anna.number}.pdf"
    assert data == storage.read_pdf(anna)
    assert (anna.delivered_to, anna.delivered_at is not None) == (people["anna"].email, True)
    text = pdf_text(print_file(batch))
    assert got["emil"].number in text and got["firma"].number in text
    assert anna.number not in text and got["ben"].number not in text
    assert got["firma"].delivered_to == "Hauptstraße 1, 07743 Jena"
    emailed = db.session.execute(
        select(AuditEntry.target_id).where(AuditEntry.action == "receipts.emailed")
    ).scalars()
    assert sorted(emailed) == sorted(got[k].id for k in mailed)


def test_without_machine_receipts_or_without_mail_everything_is_printed(app, mailsink):
    make_receipt_settings()  # no notification to the tax office
    people = make_donors()
    batch = run(2025)
    assert (batch.emailed, batch.to_print) == (0, 5)
    assert mailsink.messages == []
    assert all(r.delivery == Delivery.PRINT and not r.facsimile for r in receipts_of(2025))
    machine_settings()
    make_contribution(people["ben"], 2500, booking_date=date(2025, 11, 1))
    no_mail = run(2025, send_mail=False)
    assert (no_mail.issued, no_mail.emailed, no_mail.to_print) == (1, 0, 1)
    assert receipts_of(2025)[-1].facsimile  # allowed, but the treasurer chose print
    assert mailsink.messages == []


def test_a_failed_mail_sends_the_receipt_to_print_with_the_reason(app, mailsink, monkeypatch):
    machine_settings()
    people = make_donors()
    real_send = delivery.send_one

    def refuse_ben(mail):
        if mail.to == people["ben"].email:
            raise MailError(f"Der Mailserver hat die Adresse {mail.to} abgelehnt.")
        real_send(mail)

    monkeypatch.setattr(delivery, "send_one", refuse_ben)
    batch = run(2025)
    got = by_person(people)
    assert got["ben"].delivery == Delivery.PRINT
    assert (batch.emailed, batch.to_print) == (2, 3)
    (error,) = BatchLog.of(batch).errors
    assert error == (
        f"E-Mail mit {got['ben'].number} an {people['ben'].email} fehlgeschlagen (Der "
        f"Mailserver hat die Adresse {people['ben'].email} abgelehnt.); die Bestätigung kommt "
        "in die Druckdatei."
    )
    assert got["ben"].number in pdf_text(print_file(batch))


def test_in_kind_and_waiver_receipts_are_never_mailed(app, mailsink):
    machine_settings()
    donor = make_person(first_name="Ines", last_name="Iske")
    in_kind = services.issue_single(
        donation_line(make_contribution(donor, 30000, kind="in_kind")).id, actor=None
    )
    waiver = services.issue_single(
        donation_line(make_contribution(donor, 4000, kind="waiver")).id, actor=None
    )
    db.session.commit()
    assert in_kind.kind == ReceiptKind.IN_KIND and waiver.waiver
    for receipt in (in_kind, waiver):
        assert not delivery.can_email(receipt)
        with pytest.raises(ValidationError, match="nicht per E-Mail"):
            delivery.send_receipt_mail(receipt)
    result = delivery.mail_receipts([in_kind, waiver])
    assert (result.emailed, result.failed) == (set(), set())
    assert mailsink.messages == []
    assert in_kind.delivery is None and waiver.delivery is None


def test_the_print_file_puts_a_thank_you_letter_before_each_receipt(app):
    make_receipt_settings(receipt_thanks=True)
    people = make_donors()
    batch = run(2025)
    reader = PdfReader(delivery.read_print_file(batch))
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    got = by_person(people)
    order = [r.number for r in sorted(got.values(), key=lambda r: r.seq)]
    letters = [i for i, text in enumerate(pages) if "herzlichen Dank" in text]
    assert len(letters) == 5
    for index, number in zip(letters, order, strict=True):
        assert f"Ihre Zuwendungsbestätigung Nr. {number}" in pages[index]
        assert number in pages[index + 1] and pages[index + 1].startswith("Aussteller")
    assert "Guten Tag Fahrrad Fink GmbH" in pages[letters[-1]]
    assert "501,00 €" in pages[letters[-1]]
