"""The cover letter that goes with a receipt: the association's thanks, never on the receipt.

The receipt itself must not thank the donor (receipts.md, rule 2), so the thanks travel in a
separate DIN 5008 letter in the same envelope (or e-mail). Its text is the association's own,
with the placeholders {anrede_name}, {betrag}, {zeitraum} and {verein}; any other brace is left
as written, so a text with "{" in it never breaks.
"""

import re

from supportclub.i18n import _
from supportclub.money import format_cents
from supportclub.pdf import Letter, Sender
from supportclub.receipts.content import ReceiptContent, ReceiptKind

__all__ = ["PLACEHOLDERS", "fill_placeholders", "placeholder_values", "thank_you_letter"]

PLACEHOLDERS = ("anrede_name", "betrag", "zeitraum", "verein")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def thank_you_letter(content: ReceiptContent, text: str, sender: Sender) -> Letter:
    """The thank-you letter for `content`'s donor, addressed for a window envelope."""
    if content.kind == ReceiptKind.SLIP:
        subject = _("Ihr Zuwendungsnachweis Nr. %(number)s", number=content.number)
    else:
        subject = _("Ihre Zuwendungsbestätigung Nr. %(number)s", number=content.number)
    return Letter(
        sender=sender,
        recipient=[content.donor_name, *content.donor_address],
        subject=subject,
        body=fill_placeholders(text, placeholder_values(content)),
        letter_date=content.issued_on,
    )


def placeholder_values(content: ReceiptContent) -> dict[str, str]:
    """What each placeholder stands for on this receipt."""
    if content.kind == ReceiptKind.COLLECTIVE:
        period = f"{_date(content.period_start)} – {_date(content.period_end)}"
    else:
        period = _date(content.contribution_date)
    return {
        "anrede_name": content.donor_name,
        "betrag": format_cents(content.total_cents),
        "zeitraum": period,
        "verein": content.issuer_name,
    }


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """`text` with the known {placeholders} replaced; every other brace stays as it is."""
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text or "")


def _date(day) -> str:
    """TT.MM.JJJJ."""
    return day.strftime("%d.%m.%Y")
