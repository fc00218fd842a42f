"""The receipt's page: one A4 page whatever the content, window address, fonts, facsimile."""

import shutil
import subprocess
from datetime import date
from io import BytesIO

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm

from supportclub.receipts import pdf as receipt_pdf
from supportclub.receipts.content import ContributionKind, Item, ReceiptKind
from supportclub.receipts.pdf import render_receipt
from tests.receipts.test_pdf_texts import NOTICE_2, normalise, page_texts, receipt

PAGE_HEIGHT = 297 * mm
LONG_PURPOSES = (
    "der Jugend- und Altenhilfe, der Erziehung, Volks- und Berufsbildung einschließlich der "
    "Studentenhilfe, der Kunst und Kultur, des Denkmalschutzes und der Denkmalpflege, der "
    "Heimatpflege und Heimatkunde, des Sports, der Völkerverständigung, des Umweltschutzes "
    "einschließlich des Klimaschutzes, des Naturschutzes und der Landschaftspflege, des "
    "Tierschutzes, des Wohlfahrtswesens, insbesondere der Zwecke der amtlich anerkannten "
    "Verbände der freien Wohlfahrtspflege, ihrer Unterverbände und ihrer angeschlossenen "
    "Einrichtungen und Anstalten, sowie der mildtätigen Zwecke an unserer Grundschule am See "
    "in Jena"
)
LONG_ADDRESS = (
    "c/o Familie Weiß-Schönberger-Oberndorfer",
    "Hinterhaus, 3. Obergeschoss links",
    "Lindenallee 177a",
    "Ortsteil Oberweimar-Ehringsdorf",
    "99423 Weimar",
    "DEUTSCHLAND",
)


def long_receipt(kind: ReceiptKind, **overrides):
    """A receipt with everything long: 600 characters of purposes, 6 address lines."""
    values = dict(
        purposes=LONG_PURPOSES,
        donor_name="Prof. Dr. Jörg-Maximilian Freiherr von Weiß-Schönberger-Oberndorfer",
        donor_address=LONG_ADDRESS,
        issuer_name="Förderverein der Staatlichen Grundschule „Am See“ Jena-Lobeda-West e.V.",
        issuer_address=("Seestraße 5", "Haus B, Raum 0.12", "07743 Jena"),
        dues_block=kind != ReceiptKind.IN_KIND,
        machine_notice=True,
        in_kind_description="Ein gebrauchtes Notebook, Baujahr 2022, sehr guter Zustand, " * 4,
        documents_present=True,
    )
    values.update(overrides)
    return receipt(kind, **values)


def png(width: int = 300, height: int = 100) -> bytes:
    """A small signature-like PNG."""
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    for x in range(20, width - 20):
        image.putpixel((x, height // 2 + (x % 17) - 8), (20, 30, 120, 255))
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def images_on(pdf: bytes) -> int:
    """How many image XObjects the pages use."""
    count = 0
    for page in PdfReader(BytesIO(pdf)).pages:
        xobjects = page["/Resources"].get("/XObject")
        for xobject in (xobjects.get_object() if xobjects else {}).values():
            if xobject.get_object()["/Subtype"] == "/Image":
                count += 1
    return count


def positions(pdf: bytes, page: int = 0) -> dict[str, tuple[float, float]]:
    """Where each text run starts: {text: (mm from the left, mm from the top)}."""
    found: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.setdefault(text.strip(), (x / mm, (PAGE_HEIGHT - y) / mm))

    PdfReader(BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize("kind", [ReceiptKind.SINGLE, ReceiptKind.IN_KIND, ReceiptKind.SLIP])
def test_a_receipt_is_one_page(kind):
    assert len(PdfReader(BytesIO(render_receipt(receipt(kind)))).pages) == 1


def test_a_sammelbestaetigung_has_the_receipt_on_page_1_and_the_list_after_it():
    pages = page_texts(render_receipt(receipt(ReceiptKind.COLLECTIVE)))

    assert len(pages) == 2
    assert NOTICE_2 in pages[0] and "Anlage zur Sammelbestätigung vom" not in pages[0]
    assert pages[1].startswith("Anlage zur Sammelbestätigung vom 15.01.2026")


@pytest.mark.parametrize("kind", list(ReceiptKind))
def test_long_names_addresses_and_purposes_still_fit_one_page(kind):
    content = long_receipt(kind)
    pages = page_texts(render_receipt(content))

    assert len(LONG_PURPOSES) >= 600
    assert len(pages) == (2 if kind == ReceiptKind.COLLECTIVE else 1)
    first = pages[0]
    assert normalise(LONG_PURPOSES) in first
    assert "DEUTSCHLAND" in first and content.donor_name in first
    assert first.endswith("(§ 63 Abs. 5 AO).")  # the last notice closes page 1, complete


def test_absurdly_long_content_is_shrunk_onto_one_page_rather_than_split():
    content = long_receipt(ReceiptKind.SINGLE, purposes=LONG_PURPOSES * 4)
    pages = page_texts(render_receipt(content))

    assert len(pages) == 1
    assert pages[0].endswith("(§ 63 Abs. 5 AO).")


def test_the_donor_address_sits_in_the_window_field_and_the_number_beside_it():
    found = positions(render_receipt(receipt()))

    for line in ("Jörg Weiß", "Lindenallee 7", "99423 Weimar"):
        left, top = found[line]
        assert 20 <= left <= 30 and 62.7 <= top <= 90, line  # DIN 5008 form B Anschriftzone
    left, top = found["Nr. 2025-0001"]
    assert left >= 105 and top < 95  # right of the window, above the body
    assert (
        found["Aussteller (Bezeichnung und Anschrift der steuerbegünstigten Einrichtung)"][1] < 45
    )


def test_six_address_lines_stay_inside_the_window_field():
    found = positions(render_receipt(long_receipt(ReceiptKind.SINGLE)))

    for line in LONG_ADDRESS:
        assert 62.7 <= found[line][1] <= 90, line


def test_only_the_embedded_dejavu_fonts_are_used():
    pdf = render_receipt(receipt(ReceiptKind.COLLECTIVE))
    for page in PdfReader(BytesIO(pdf)).pages:
        fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
        names = {str(font["/BaseFont"]).split("+")[-1] for font in fonts}
        assert names <= {"DejaVuSans", "DejaVuSans-Bold"}
        for font in fonts:
            assert "/FontFile2" in font["/FontDescriptor"].get_object()


@pytest.mark.parametrize(
    ("facsimile", "image", "drawn"),
    [(True, True, 1), (False, True, 0), (True, False, 0), (False, False, 0)],
)
def test_the_facsimile_is_drawn_only_when_allowed_and_given(facsimile, image, drawn):
    content = receipt(facsimile=facsimile, machine_notice=facsimile)
    pdf = render_receipt(content, facsimile_image=png() if image else None)

    assert images_on(pdf) == drawn
    assert len(PdfReader(BytesIO(pdf)).pages) == 1


def test_the_same_content_gives_the_same_bytes_even_with_cold_caches():
    content = receipt(ReceiptKind.COLLECTIVE, machine_notice=True)
    first = render_receipt(content)
    second = render_receipt(content)
    receipt_pdf._laid_out.cache_clear()
    cold = render_receipt(content)

    assert first == second == cold


def test_receipts_of_different_donors_do_not_share_text():
    render_receipt(receipt(donor_name="Anna Alt", total_cents=100))
    (text,) = page_texts(render_receipt(receipt(donor_name="Bernd Bau", total_cents=200)))

    assert "Anna Alt" not in text and "ein Euro" not in text
    assert "Bernd Bau" in text and "zwei Euro" in text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(total_cents=1), "add up"),
        (dict(items=()), "items"),
    ],
)
def test_inconsistent_collective_content_is_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        render_receipt(receipt(ReceiptKind.COLLECTIVE, **overrides))


def test_a_receipt_without_its_date_is_refused():
    with pytest.raises(ValueError, match="date"):
        render_receipt(receipt(contribution_date=None))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_tick_boxes_and_the_list_columns():
    rows = (Item(receipt().contribution_date, ContributionKind.DUES, False, 3600),)
    single = render_receipt(receipt(waiver=True))
    collective = render_receipt(receipt(ReceiptKind.COLLECTIVE, items=rows))

    def layout(pdf: bytes) -> str:
        return subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()

    assert "Ja ☒" in layout(single) and "Nein ☐" in layout(single)
    assert normalise("14.03.2025 Mitgliedsbeitrag nein 36,00 €") in normalise(layout(collective))


@pytest.mark.parametrize("count", [39, 40, 41, 42, 81, 82])
def test_at_the_page_boundary_no_list_page_is_without_rows_and_the_total_comes_last(count):
    rows = tuple(
        Item(date(2025, 1 + n // 28, 1 + n % 28), ContributionKind.DONATION, False, 100)
        for n in range(count)
    )
    pages = page_texts(render_receipt(receipt(ReceiptKind.COLLECTIVE, items=rows)))
    listing = pages[1:]
    printed = [text.count(" Geldzuwendung nein 1,00 €") for text in listing]

    assert sum(printed) == count
    assert all(printed)  # every list page carries rows, the last one too
    assert [("Gesamtsumme" in text) for text in listing] == [False] * (len(listing) - 1) + [True]
    assert f"Gesamtsumme {count},00 €" in listing[-1]


def test_a_large_scanned_signature_does_not_bloat_every_receipt():
    content = receipt(facsimile=True, machine_notice=True)
    without = render_receipt(content)
    scanned = render_receipt(content, facsimile_image=png(3000, 1000))

    (xobject,) = PdfReader(BytesIO(scanned)).pages[0]["/Resources"]["/XObject"].values()
    assert xobject.get_object()["/Width"] <= 720  # 300 dpi at the printed size
    assert len(scanned) - len(without) < 40_000
