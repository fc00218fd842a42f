"""Helpers for the project route tests: reading amounts off pages, counting rows, uploads."""

import io
import re
from datetime import date

from sqlalchemy import func, select

from supportclub.ledger.models import Account
from tests.factories import by_code, make_booking

AMOUNT = re.compile(r"-?[\d.]+,\d\d €")


def count(db, model) -> int:
    """Rows in a table."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def money(page: str, key: str) -> str:
    """The first amount shown after the element marked data-money="key"."""
    start = page.index(f'data-money="{key}"')
    return AMOUNT.search(page, start).group(0)


def section(page: str, testid: str) -> str:
    """The HTML from the element marked data-testid="testid" to the end of its table/div."""
    start = page.index(f'data-testid="{testid}"')
    ends = [page.find(tag, start) for tag in ("</table>", "</form>", "</div>\n</div>")]
    return page[start : min(e for e in ends if e != -1)]


def fund_general(cents: int = 500000):
    """Money in the general fund (default 5.000,00 €), booked on 10 January 2025."""
    return make_booking(cents, booking_date=date(2025, 1, 10))


def bank_id() -> int:
    """The bank account's id."""
    return by_code(Account, "bank").id


def upload(data: bytes, name: str) -> tuple:
    """A file part for the test client's multipart form data."""
    return (io.BytesIO(data), name)


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
HTML_BYTES = b"<!doctype html><html><script>alert(1)</script></html>"
