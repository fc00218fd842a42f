"""The letter renderer: DIN 5008 form B, embedded DejaVu font, read back with pypdf."""

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm

from supportclub.pdf import Letter, Sender, render_letters

SENDER = Sender(
    name="Förderverein „Schule am See“ e.V.",
    street="Seestraße 5",
    postal_code="07743",
    city="Jena",
    register="Amtsgericht Jena VR 1234",
    iban="DE89 3704 0044 0532 0130 00",
)
PAGE_HEIGHT = 297 * mm


def letter(**overrides) -> Letter:
    values = dict(
        sender=SENDER,
        recipient=["Jörg Weiß", "Lindenallee 7", "99423 Weimar"],
        subject="Zahlungserinnerung: Mitgliedsbeitrag",
        body="Guten Tag Jörg Weiß,\n\nBeitrag 2025 (Regulär): 36,00 €\nOffen: 36,00 €\n\nGruß",
        letter_date=date(2026, 5, 3),
    )
    values.update(overrides)
    return Letter(**values)


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


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


def test_a_letter_shows_umlauts_euro_and_german_quotes():
    (text,) = pages(letter().render())

    for expected in (
        "Jörg Weiß",
        "Lindenallee 7",
        "99423 Weimar",
        "Beitrag 2025 (Regulär): 36,00 €",
        "Förderverein „Schule am See“ e.V.",
        "Jena, 03.05.2026",
        "Amtsgericht Jena VR 1234",
        "IBAN DE89 3704 0044 0532 0130 00",
    ):
        assert expected in text


def test_only_the_embedded_dejavu_font_is_used():
    reader = PdfReader(BytesIO(letter().render()))
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]

    assert {str(font["/BaseFont"]).split("+")[-1] for font in fonts} == {
        "DejaVuSans",
        "DejaVuSans-Bold",
    }
    for font in fonts:  # TrueType subsets embedded in the file, not looked up on the printer
        assert font["/Subtype"] == "/TrueType"
        assert "/FontFile2" in font["/FontDescriptor"].get_object()


def test_the_recipient_sits_in_the_window_and_the_sender_line_above_it():
    found = positions(letter().render())

    x, y = found["Jörg Weiß"]
    assert 20 <= x <= 105 and 45 <= y <= 90  # address field: 20 mm left, 45 mm top, 85 x 45 mm
    assert y >= 62.7  # below the Zusatz- und Vermerkzone
    last_x, last_y = found["99423 Weimar"]
    assert last_x == pytest.approx(x) and y < last_y <= 90
    sender = next(pos for text, pos in found.items() if text.startswith("Förderverein „Schule"))
    sender_line = found["Förderverein „Schule am See“ e.V. · Seestraße 5 · 07743 Jena"]
    assert 45 <= sender_line[1] < y  # small sender line at the top of the field, above the name
    assert sender[1] < 45  # the letterhead stays above the window
    date_x, date_y = found["Jena, 03.05.2026"]
    assert date_x > 105 and date_y > 90  # the date right, below the address field
    assert found["Zahlungserinnerung: Mitgliedsbeitrag"][1] > date_y


def test_markup_characters_in_the_text_are_printed_as_typed():
    (text,) = pages(letter(body="Preis <b>nicht fett</b> & mehr; 5 > 3").render())

    assert "Preis <b>nicht fett</b> & mehr; 5 > 3" in text


def test_a_long_text_flows_onto_a_second_page_with_footer_and_page_number():
    body = "\n\n".join(f"Absatz {i}: " + "Lorem ipsum dolor sit amet. " * 12 for i in range(30))

    texts = pages(letter(body=body).render())

    assert len(texts) >= 2
    assert "Absatz 29" in texts[-1]
    assert "Seite 2" in texts[1]
    assert "Amtsgericht Jena VR 1234" in texts[1]
    assert "Jörg Weiß" not in texts[1]  # the address only on the first page


def test_many_letters_make_one_pdf_each_starting_on_its_own_page():
    letters = [
        letter(recipient=["Anna Ärger", "Weg 1", "07743 Jena"], subject="Erinnerung A"),
        letter(
            recipient=["Bernd Öztürk", "Weg 2", "07745 Jena"],
            subject="Mahnung B",
            body="\n\n".join("Text " * 80 for _ in range(12)),
        ),
        letter(recipient=["Carla Über", "Weg 3", "07747 Jena"], subject="Erinnerung C"),
    ]

    texts = pages(render_letters(letters))

    first_pages = [i for i, text in enumerate(texts) if "Weg " in text]
    assert len(first_pages) == 3
    assert "Anna Ärger" in texts[first_pages[0]] and "Erinnerung A" in texts[first_pages[0]]
    assert "Bernd Öztürk" in texts[first_pages[1]] and "Mahnung B" in texts[first_pages[1]]
    assert "Carla Über" in texts[first_pages[2]] and "Erinnerung C" in texts[first_pages[2]]
    assert first_pages[2] - first_pages[1] >= 2  # Bernd's long letter took two pages
    for index in range(first_pages[1] + 1, first_pages[2]):
        assert "Seite 2" in texts[index]


def test_rendering_is_repeatable():
    assert letter().render() == letter().render()


def test_render_letters_needs_a_letter():
    with pytest.raises(ValueError):
        render_letters([])
