"""Stamps over stored receipts (DUPLIKAT, STORNIERT) and joining receipts into one PDF."""

import shutil
import subprocess
from io import BytesIO

import pytest
from pypdf import PdfReader

from supportclub.receipts.content import ReceiptKind
from supportclub.receipts.pdf import render_receipt
from supportclub.receipts.stamps import merge_pdfs, stamp_pdf
from tests.receipts.test_pdf_texts import NOTICE_1, assert_in_order, page_texts, receipt


@pytest.fixture(scope="module")
def single() -> bytes:
    """A one-page receipt."""
    return render_receipt(receipt(number="2025-0001"))


@pytest.fixture(scope="module")
def collective() -> bytes:
    """A Sammelbestätigung: the receipt page and one list page."""
    return render_receipt(receipt(ReceiptKind.COLLECTIVE, number="2025-0002"))


def test_a_duplicate_keeps_pages_text_and_metadata_and_says_duplikat(collective):
    stamped = stamp_pdf(collective, ["DUPLIKAT"])
    before, after = page_texts(collective), page_texts(stamped)

    assert len(after) == len(before) == 2
    for original, now in zip(before, after, strict=True):
        assert now.startswith(original)  # the receipt's own text first, unchanged
        assert "DUPLIKAT" in now
    assert PdfReader(BytesIO(stamped)).metadata.title == "Zuwendungsbestätigung 2025-0002"


def test_a_revocation_stamp_prints_all_its_lines(single):
    lines = ["STORNIERT am 03.02.2026", "Grund: falscher Betrag, ersetzt durch Nr. 2025-0009"]
    (text,) = page_texts(stamp_pdf(single, lines))

    assert_in_order(text, ["Bestätigung über Geldzuwendungen/Mitgliedsbeitrag", NOTICE_1])
    assert_in_order(text, ["STORNIERT am 03.02.2026", "Grund: falscher Betrag"])
    assert "ersetzt durch Nr. 2025-0009" in text


def test_stamping_is_deterministic_and_uses_only_dejavu(single):
    stamped = stamp_pdf(single, ["DUPLIKAT"])

    assert stamped == stamp_pdf(single, ["DUPLIKAT"])
    fonts = PdfReader(BytesIO(stamped)).pages[0]["/Resources"]["/Font"].values()
    names = {str(font.get_object()["/BaseFont"]).split("+")[-1] for font in fonts}
    assert names <= {"DejaVuSans", "DejaVuSans-Bold"}


def test_a_stamp_without_text_is_refused(single):
    with pytest.raises(ValueError, match="at least one line"):
        stamp_pdf(single, ["  "])


class WriteOnly:
    """A sink that can only be written to (like a response stream): no seek, no tell."""

    def __init__(self):
        """Nothing written yet."""
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        """Keep a copy of `data`."""
        self.chunks.append(bytes(data))
        return len(data)

    def value(self) -> bytes:
        """Everything written so far."""
        return b"".join(self.chunks)


def test_merging_joins_bytes_paths_and_files_in_order(tmp_path, single, collective):
    path = tmp_path / "collective.pdf"
    path.write_bytes(collective)
    duplicate = stamp_pdf(single, ["DUPLIKAT"])
    out = WriteOnly()

    pages = merge_pdfs([single, str(path), BytesIO(duplicate), path], out)

    merged = out.value()
    reader = PdfReader(BytesIO(merged), strict=True)
    texts = page_texts(merged)
    assert pages == len(reader.pages) == 1 + 2 + 1 + 2
    assert [text.count("Nr. 2025-0001") for text in texts] == [1, 0, 0, 1, 0, 0]
    assert "Sammelbestätigung über" in texts[1] and texts[2].startswith("Anlage zur")
    assert "DUPLIKAT" in texts[3] and "DUPLIKAT" not in texts[0]
    assert texts[4] == texts[1]


def test_a_merged_file_shares_nothing_it_should_not_and_repeats_nothing(single):
    out = BytesIO()
    merge_pdfs([single] * 5, out)

    merged = out.getvalue()
    assert len(PdfReader(BytesIO(merged)).pages) == 5
    assert len(merged) < 5.2 * len(single)  # each source's objects once, no more


def test_an_empty_merge_is_still_a_valid_pdf():
    out = BytesIO()

    assert merge_pdfs([], out) == 0
    assert len(PdfReader(BytesIO(out.getvalue())).pages) == 0


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_poppler_reads_the_merged_file_without_complaint(single, collective):
    out = BytesIO()
    merge_pdfs([single, collective], out)

    result = subprocess.run(
        ["pdftotext", "-", "-"], input=out.getvalue(), capture_output=True, check=True
    )
    assert result.stderr == b""
    assert result.stdout.decode().count("Hinweis:") == 2


def test_merging_writes_each_source_before_reading_the_next(single):
    out = WriteOnly()
    written_before: list[int] = []

    def sources():
        for _ in range(3):
            written_before.append(len(out.value()))
            yield single

    merge_pdfs(sources(), out)

    assert written_before[0] < written_before[1] < written_before[2]  # pages already out
    assert len(PdfReader(BytesIO(out.value())).pages) == 3
