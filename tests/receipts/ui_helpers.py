"""Helpers of the receipt page and service tests: settings, donors, issued receipts, PDFs."""

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy import func, select

from supportclub.extensions import db
from supportclub.numbering import NumberSequence
from supportclub.receipts import services
from supportclub.receipts.models import DonationReceipt, ReceiptItem
from tests.factories import donation_line, make_contribution, make_person, make_receipt_settings

__all__ = [
    "date",
    "donation_line",
    "issue",
    "last_number",
    "make_contribution",
    "make_person",
    "make_receipt_settings",
    "pdf_text",
    "png_bytes",
    "receipt_count",
]


def issue(person, cents: int = 5000, *, kind: str = "money", day=date(2025, 3, 1), actor=None):
    """Book a contribution of `person` and issue its single receipt (committed)."""
    booking = make_contribution(person, cents, kind=kind, booking_date=day)
    receipt = services.issue_single(donation_line(booking).id, actor=actor)
    db.session.commit()
    return receipt


def receipt_count() -> tuple[int, int]:
    """How many receipts and items there are."""
    return (
        db.session.execute(select(func.count(DonationReceipt.id))).scalar_one(),
        db.session.execute(select(func.count(ReceiptItem.id))).scalar_one(),
    )


def last_number(year: int) -> int:
    """The last receipt number handed out in `year` (0 when none)."""
    value = db.session.execute(
        select(NumberSequence.last_value).where(NumberSequence.name == f"receipt-{year}")
    ).scalar_one_or_none()
    return value or 0


def pdf_text(data: bytes) -> str:
    """The text of every page, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def png_bytes(width: int = 120, height: int = 40) -> bytes:
    """A small PNG signature image."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(image).line((5, 30, 60, 8, 115, 30), fill="black", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
