"""What a receipt download serves: the stored PDF (stamped when revoked) or a stamped duplicate.

The stored PDF is never re-rendered: it is read back and checked against its SHA-256. A revoked
receipt is served with a "STORNIERT" stamp over the archived original; a reprint for a donor who
lost theirs is stamped "Duplikat" and leaves an audit entry, nothing else changes.
"""

from supportclub import audit
from supportclub.clock import LOCAL_TZ
from supportclub.errors import ValidationError
from supportclub.i18n import _
from supportclub.receipts.models import DonationReceipt
from supportclub.receipts.storage import read_pdf

# Stamped onto the German receipt itself, so German whatever the reader's language (like the
# template texts in receipts/pdf.py, deliberately not passed to `_()`).
STAMP_REVOKED = "STORNIERT am {date} – Grund: {reason}"
STAMP_REPLACED = "ersetzt durch Nr. {number}"
STAMP_DUPLICATE = "Duplikat"


def revoked_lines(receipt: DonationReceipt) -> list[str]:
    """The stamp of a revoked receipt: when and why, and its replacement if there is one."""
    day = receipt.revoked_at.astimezone(LOCAL_TZ).strftime("%d.%m.%Y")
    lines = [STAMP_REVOKED.format(date=day, reason=" ".join(receipt.revoke_reason.split()))]
    if receipt.replaced_by is not None:
        lines.append(STAMP_REPLACED.format(number=receipt.replaced_by.number))
    return lines


def _stamp(data: bytes, lines: list[str]) -> bytes:
    """The PDF with `lines` stamped on every page."""
    from supportclub.receipts.stamps import stamp_pdf

    return stamp_pdf(data, lines)


def receipt_pdf(receipt: DonationReceipt, *, original: bool = False) -> bytes:
    """The stored PDF, verified; a revoked one stamped unless the untouched `original` is asked."""
    data = read_pdf(receipt)
    if receipt.is_revoked and not original:
        return _stamp(data, revoked_lines(receipt))
    return data


def duplicate_pdf(receipt: DonationReceipt, *, actor) -> bytes:
    """A reprint stamped "Duplikat" (same number and data); audited, nothing else changes."""
    if receipt.is_revoked:
        replacement = receipt.replaced_by
        raise ValidationError(
            _(
                "Die Zuwendungsbestätigung %(number)s ist storniert; davon gibt es kein Duplikat. "
                "%(hint)s",
                number=receipt.number,
                hint=(
                    _("Bitte die Ersatzbestätigung %(new)s verwenden.", new=replacement.number)
                    if replacement is not None
                    else _("Bitte eine neue Bestätigung ausstellen.")
                ),
            )
        )
    data = _stamp(read_pdf(receipt), [STAMP_DUPLICATE])
    audit.record(actor, "receipts.duplicate_printed", receipt, {"number": receipt.number})
    return data
