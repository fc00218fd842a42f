"""Import pages: upload, refused upload, what the detail page shows, discarding."""

import io
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from supportclub.admin.services import set_bank_iban
from supportclub.banking.camt_writer import ASSOCIATION_IBAN
from supportclub.banking.models import BankImport, ImportStatus, StatementLine
from supportclub.extensions import db
from tests.factories import make_booking

FILES = Path(__file__).parent / "files"


def upload(client, name: str, data: bytes | None = None):
    data = (FILES / name).read_bytes() if data is None else data
    return client.post(
        "/bank/importe",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def rows() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(BankImport)),
        db.session.scalar(select(func.count()).select_from(StatementLine)),
    )


def with_iban():
    set_bank_iban(ASSOCIATION_IBAN, actor=None)
    db.session.commit()


def test_list_shows_the_upload_form_to_the_treasurer_only(clients):
    page = clients["treasurer"].get("/bank/importe").get_data(as_text=True)
    assert 'data-testid="upload-form"' in page and 'enctype="multipart/form-data"' in page
    assert "CSV-CAMT" in page and "Noch kein Kontoauszug eingelesen." in page
    admin = clients["admin"].get("/bank/importe")
    assert admin.status_code == 200 and 'data-testid="upload-form"' not in admin.text
    assert clients["board"].get("/bank/importe").status_code == 403


def test_upload_reads_the_file_and_shows_what_was_read(clients):
    with_iban()
    make_booking(100000, booking_date=date(2026, 1, 2))
    client = clients["treasurer"]
    response = upload(client, "camt_053_001_02.xml")
    assert response.status_code == 302
    bank_import = db.session.scalars(select(BankImport)).one()
    assert response.headers["Location"].endswith(f"/bank/importe/{bank_import.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "9 Umsätze eingelesen, 0 bereits importiert." in page
    assert "DE89 3704 0044 0532 0130 00" in page
    assert "02.03.2026 – 02.03.2026" in page
    assert "1.000,00 €" in page and "993,65 €" in page  # opening and closing
    assert 'data-testid="pending">1<' in page and 'data-testid="new">9<' in page
    assert "235,00 €" in page and "-241,35 €" in page
    # the balance check: 6,35 € missing, which the 9 open lines explain
    assert 'data-difference="-635"' in page and "alert-danger" in page
    assert "Nach dem Bestätigen der 9 offenen Umsätze" in page
    assert 'data-kind="none"' in page
    assert f'href="/bank/pruefen?import={bank_import.id}"' in page
    assert "Umsätze prüfen und bestätigen" in page
    listing = client.get("/bank/importe").get_data(as_text=True)
    assert "camt_053_001_02.xml" in listing and 'data-testid="import-row"' in listing


def test_second_upload_of_the_same_file_says_nothing_was_booked_twice(clients):
    with_iban()
    client = clients["treasurer"]
    first = upload(client, "camt_053_001_08.xml")
    second = upload(client, "camt_053_001_08.xml")
    assert second.status_code == 302
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "alle 6 Umsätze waren bereits importiert" in page
    assert "nichts wurde doppelt gebucht" in page
    first_id = first.headers["Location"].rsplit("/", 1)[1]
    assert f"/bank/importe/{first_id}" in page and "dieselbe Datei" in page
    assert rows() == (2, 6)


def test_refused_upload_shows_the_message_at_the_field_and_writes_nothing(clients):
    with_iban()
    client = clients["treasurer"]
    response = upload(client, "camt_refuse_dtd.xml")
    assert response.status_code == 422
    assert "invalid-feedback" in response.text
    assert rows() == (0, 0)
    other = upload(client, "csv_camt_v8.csv")  # another account
    assert other.status_code == 422 and "anderen Konto" in other.text
    missing = client.post("/bank/importe", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Bitte eine Datei auswählen." in missing.text
    assert rows() == (0, 0)


def test_upload_without_bank_iban_points_to_the_settings(clients):
    response = upload(clients["treasurer"], "camt_053_001_08.xml")
    assert response.status_code == 422 and "Einstellungen" in response.text
    assert rows() == (0, 0)


def test_discard_removes_the_lines(clients):
    with_iban()
    client = clients["treasurer"]
    location = upload(client, "camt_053_001_08.xml").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="discard-form"' in page
    response = client.post(location + "/verwerfen", data={})
    assert response.status_code == 302
    bank_import = db.session.scalars(select(BankImport)).one()
    db.session.refresh(bank_import)
    assert bank_import.status == ImportStatus.DISCARDED
    assert rows() == (1, 0)
    page = client.get(location).get_data(as_text=True)
    assert "Der Import wurde verworfen" in page and 'data-testid="discard-form"' not in page
    again = client.post(location + "/verwerfen", data={})
    assert again.status_code == 302
    assert "bereits verworfen" in client.get(location).get_data(as_text=True)


def test_admin_sees_the_detail_but_cannot_discard(clients):
    with_iban()
    location = upload(clients["treasurer"], "camt_053_001_08.xml").headers["Location"]
    page = clients["admin"].get(location)
    assert page.status_code == 200 and 'data-testid="discard-form"' not in page.text
    assert clients["admin"].post(location + "/verwerfen").status_code == 403
    assert clients["board"].get(location).status_code == 403


def test_unknown_import_is_404(clients):
    assert clients["treasurer"].get("/bank/importe/999999").status_code == 404


def test_csv_without_balances_says_no_check_is_possible(clients):
    set_bank_iban("DE61760501010012345678", actor=None)
    db.session.commit()
    client = clients["treasurer"]
    location = upload(client, "csv_camt_v8.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="balance-unavailable"' in page
    assert 'data-testid="pending">1<' in page and "nicht angegeben" in page
