"""Getting receipts to their donors: by e-mail where allowed, otherwise in one print file.

E-mail is only for machine-made receipts (a facsimile signature, allowed by the settings after
the tax office was notified), never for a donation in kind and never with a waived
reimbursement: those need a handwritten signature and go to print. Every other receipt of a
batch goes into one merged PDF for printing, in number order, each optionally preceded by the
association's thank-you letter (the receipt itself must not thank). The receipts already carry
the address field for window envelopes. Delivery is recorded on the receipt (the database
allows changing exactly these columns); a mail that fails sends its receipt to print.
"""

import hashlib
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from supportclub import audit
from supportclub.admin.services import get_settings
from supportclub.clock import utcnow
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.mail import Attachment, Mail, MailError, send_one
from supportclub.pdf import Sender
from supportclub.receipts import storage
from supportclub.receipts.content import ReceiptContent, ReceiptKind
from supportclub.receipts.cover import placeholder_values, thank_you_letter
from supportclub.receipts.models import Delivery, DonationReceipt, ReceiptBatch
from supportclub.receipts.stamps import merge_pdfs

__all__ = [
    "Delivery",
    "DeliveryResult",
    "MailResult",
    "can_email",
    "deliver_batch",
    "mail_receipts",
    "mail_text",
    "send_receipt_mail",
]

SLICE = 200  # receipts loaded at a time while delivering a batch
SUBJECT_MAX = 200
MAIL_PLACEHOLDERS = ("anrede_name", "nummer", "betrag", "zeitraum", "verein")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(MAIL_PLACEHOLDERS) + r")\}")


@dataclass
class MailResult:
    """What happened to the receipts offered for e-mail."""

    emailed: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


@dataclass
class DeliveryResult:
    """What a batch's delivery did."""

    emailed: int = 0
    printed: int = 0
    errors: list[str] = field(default_factory=list)
    print_storage_key: str | None = None


def may_be_machine_made(receipt: DonationReceipt) -> bool:
    """The receipt carries a facsimile, is not in kind and has no waiver (never revoked)."""
    return (
        receipt.facsimile
        and receipt.kind != ReceiptKind.IN_KIND
        and not receipt.waiver
        and not receipt.is_revoked
    )


def can_email(receipt: DonationReceipt, person: Person | None = None) -> bool:
    """True when `receipt` may go to its donor by e-mail now."""
    person = person or receipt.person
    return bool(
        may_be_machine_made(receipt)
        and receipt.has_pdf
        and get_settings().machine_receipts
        and person is not None
        and (person.email or "").strip()
    )


def mail_text(receipt: DonationReceipt) -> tuple[str, str]:
    """(subject, body) of the receipt's e-mail, from the texts in the settings."""
    settings = get_settings()
    content = ReceiptContent.from_json(receipt.content)
    values = {**placeholder_values(content), "nummer": receipt.number}

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text or "")

    subject = " ".join(fill(settings.receipt_mail_subject).split())[:SUBJECT_MAX]
    return subject, fill(settings.receipt_mail_text)


def attachment_name(receipt: DonationReceipt) -> str:
    """The PDF's file name in the e-mail."""
    return f"Zuwendungsbestaetigung-{receipt.number}.pdf"


def send_receipt_mail(
    receipt: DonationReceipt, person: Person | None = None, *, actor=None
) -> None:
    """E-mail the receipt's PDF to its donor and record the delivery (raises MailError)."""
    person = person or receipt.person
    if not can_email(receipt, person):
        raise ValidationError(
            _(
                "Die Zuwendungsbestätigung %(number)s kann nicht per E-Mail versendet werden: "
                "nur maschinell erstellte Bestätigungen (ohne Sachzuwendung und ohne Verzicht "
                "auf Aufwendungsersatz) an Zuwendende mit E-Mail-Adresse. Bitte ausdrucken.",
                number=receipt.number,
            )
        )
    address = person.email.strip()
    subject, body = mail_text(receipt)
    send_one(
        Mail(
            to=address,
            subject=subject,
            body=body,
            attachments=[Attachment(attachment_name(receipt), storage.read_pdf(receipt))],
        )
    )
    receipt.delivery = Delivery.EMAIL
    receipt.delivered_at = utcnow()
    receipt.delivered_to = address[:254]
    db.session.flush()
    audit.record(
        actor,
        "receipts.emailed",
        receipt,
        {"number": receipt.number, "to": address},
    )


def mail_receipts(
    receipts: Iterable[DonationReceipt], *, actor=None, skip: set[int] = frozenset()
) -> MailResult:
    """E-mail those of `receipts` that may go by e-mail and are not delivered yet."""
    receipts = [r for r in receipts if r.delivery is None and r.id not in skip]
    people = {
        p.id: p
        for p in db.session.execute(
            select(Person).where(Person.id.in_({r.person_id for r in receipts}))
        ).scalars()
    }
    result = MailResult()
    for receipt in receipts:
        person = people.get(receipt.person_id)
        if not can_email(receipt, person):
            continue
        try:
            send_receipt_mail(receipt, person, actor=actor)
        except (MailError, storage.ReceiptFileMissing, storage.ReceiptFileTampered) as exc:
            result.failed.add(receipt.id)
            result.errors.append(
                _(
                    "E-Mail mit %(number)s an %(address)s fehlgeschlagen (%(error)s); die "
                    "Bestätigung kommt in die Druckdatei.",
                    number=receipt.number,
                    address=person.email,
                    error=exc.message,
                )
            )
        else:
            result.emailed.add(receipt.id)
    return result


def _batch_receipt_ids(batch: ReceiptBatch, *condition) -> list[int]:
    """Ids of the batch's receipts (not revoked, with PDF) meeting `condition`, by number."""
    return list(
        db.session.execute(
            select(DonationReceipt.id)
            .where(
                DonationReceipt.batch_id == batch.id,
                DonationReceipt.revoked_at.is_(None),
                DonationReceipt.storage_key.is_not(None),
                *condition,
            )
            .order_by(DonationReceipt.year, DonationReceipt.seq)
        ).scalars()
    )


def _load(ids: list[int]) -> Iterator[DonationReceipt]:
    """The receipts of `ids`, a slice at a time, in the given order."""
    for start in range(0, len(ids), SLICE):
        part = ids[start : start + SLICE]
        rows = db.session.execute(
            select(DonationReceipt)
            .where(DonationReceipt.id.in_(part))
            .options(selectinload(DonationReceipt.person))
        ).scalars()
        by_id = {r.id: r for r in rows}
        yield from (by_id[i] for i in part)


def deliver_batch(
    batch: ReceiptBatch,
    *,
    actor=None,
    send_mail: bool = True,
    no_mail: set[int] = frozenset(),
    merger=None,
) -> DeliveryResult:
    """Mail what may be mailed, put the rest of the batch's receipts into its print file.

    `merger` (render_pool.PrintMerger) has built the print file while the batch ran; it is
    used when it holds exactly the receipts to print, else the file is made here.
    """
    result = DeliveryResult()
    undelivered = _batch_receipt_ids(batch, DonationReceipt.delivery.is_(None))
    if send_mail:
        for start in range(0, len(undelivered), SLICE):
            sent = mail_receipts(
                _load(undelivered[start : start + SLICE]), actor=actor, skip=no_mail
            )
            result.emailed += len(sent.emailed)
            result.errors.extend(sent.errors)
    now = utcnow()
    newly = _batch_receipt_ids(batch, DonationReceipt.delivery.is_(None))
    earlier = _batch_receipt_ids(batch, DonationReceipt.delivery == Delivery.PRINT)
    for receipt in _load(newly):
        receipt.delivery = Delivery.PRINT
        receipt.delivered_at = now
        receipt.delivered_to = ", ".join(receipt.address_lines)[:254] or None
        result.printed += 1
    db.session.flush()
    to_print = _batch_receipt_ids(batch, DonationReceipt.delivery == Delivery.PRINT)
    if result.printed or (to_print and batch.print_storage_key is None):
        old = batch.print_storage_key
        if merger is not None and not earlier and merger.ids == to_print:
            batch.print_storage_key = merger.finish()
        else:
            if merger is not None:
                merger.abort()
            batch.print_storage_key = write_print_file(_load(to_print))
        result.print_storage_key = batch.print_storage_key
        db.session.flush()
        if old:
            storage.discard(old)
    return result


PrintItem = tuple[str, str, str]  # (content JSON, storage key, SHA-256) of a receipt to print


def print_parts(
    items: Iterable[PrintItem], folder: Path | str, thanks: tuple[str, Sender] | None
) -> Iterator[bytes]:
    """The PDFs of the print file: per receipt the thank-you letter (if any), then the receipt.

    No app needed (a separate process builds the print file while a batch runs); a stored
    file that no longer matches its SHA-256 stops the print file.
    """
    folder = Path(folder)
    for content_json, storage_key, sha256 in items:
        content = ReceiptContent.from_json(content_json)
        if thanks is not None:
            yield thank_you_letter(content, thanks[0], thanks[1]).render()
        try:
            data = storage.path_for(storage_key, folder).read_bytes()
        except FileNotFoundError:
            raise storage.ReceiptFileMissing(
                _("Das PDF der Zuwendungsbestätigung %(number)s fehlt.", number=content.number)
            ) from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise storage.ReceiptFileTampered(
                _(
                    "Das gespeicherte PDF der Zuwendungsbestätigung %(number)s wurde verändert "
                    "und wird nicht gedruckt.",
                    number=content.number,
                )
            )
        yield data


def print_thanks() -> tuple[str, Sender] | None:
    """The thank-you letter's text and sender when the settings ask for one."""
    settings = get_settings()
    if not settings.receipt_thanks:
        return None
    from supportclub.dues.reminders import association_sender

    return settings.receipt_thanks_text, association_sender()


def print_item(receipt: DonationReceipt) -> PrintItem:
    """What the print file needs of a receipt."""
    return receipt.content, receipt.storage_key, receipt.pdf_sha256


def write_print_file(receipts: Iterable[DonationReceipt]) -> str:
    """Merge the receipts (with their letters) into one stored PDF; return its storage key."""
    folder = storage.receipt_folder()
    parts = print_parts((print_item(r) for r in receipts), folder, print_thanks())
    return store_merged(folder, lambda out: merge_pdfs(parts, out))


def store_merged(folder: Path, write, tmp: str | None = None) -> str:
    """Store what `write(file)` writes (or the finished file `tmp`) under a new key."""
    key = secrets.token_hex(16)
    if tmp is None:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".print-")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    os.chmod(tmp, 0o444)
    os.replace(tmp, Path(folder) / key)
    return key


def read_print_file(batch: ReceiptBatch) -> Path:
    """The path of the batch's print file (raises ReceiptFileMissing when there is none)."""
    path = storage.path_for(batch.print_storage_key)
    if not path.is_file():
        raise storage.ReceiptFileMissing(
            _("Die Druckdatei des Laufs Nr. %(id)s fehlt.", id=batch.id)
        )
    return path
