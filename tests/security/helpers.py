"""Sample files (real ones, made by the libraries that write them) and page helpers."""

import html
import io
import re
import zlib
from pathlib import Path

from openpyxl import Workbook
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import func, select


def pdf_bytes(text: str = "Antrag auf Förderung") -> bytes:
    """A one-page PDF as reportlab writes it."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()


def image_bytes(fmt: str) -> bytes:
    """A small real image: "PNG", "JPEG" or "WEBP"."""
    buffer = io.BytesIO()
    Image.new("RGB", (12, 8), (20, 30, 110)).save(buffer, format=fmt)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    """A member list as an Excel workbook."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Vorname", "Nachname", "Straße", "PLZ", "Ort"])
    sheet.append(["Jörg", "Müller", "Hauptstraße 1", "07743", "Jena"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def scripted_pdf() -> bytes:
    """A PDF that runs JavaScript when opened (the catalog's /OpenAction)."""
    return pdf_bytes().replace(
        b"/Type /Catalog",
        b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
        1,
    )


def hidden_script_pdf() -> bytes:
    """JavaScript hidden in a compressed object stream, its name written with #xx escapes."""
    body = zlib.compress(b"5 0 << /S /J#61vaScript /J#53 (app.alert(1)) >>")
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(body)).encode()
        + b" >>\nstream\n"
        + body
        + b"\nendstream\nendobj\n2 0 obj\n<< /Type /Catalog /OpenAction 5 0 R >>\nendobj\n%%EOF\n"
    )


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def files_in(folder: Path) -> list[str]:
    """Every file below `folder` (relative paths), hidden temp files too."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def count(db, model) -> int:
    """Rows in a table."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def field_error(page: str, field_id: str) -> str:
    """The text of the error shown under the field `field_id` (empty when there is none)."""
    match = re.search(
        rf'<div class="invalid-feedback d-block" id="{field_id}-error">(.*?)</div>', page, re.S
    )
    return html.unescape(match.group(1)) if match else ""
