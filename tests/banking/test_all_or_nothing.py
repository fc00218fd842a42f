"""An import and a confirmation are all-or-nothing: a crash in the middle of the request (after
rows were already written in its transaction) leaves nothing behind, and the same work can be
repeated afterwards."""

import io

import pytest
from sqlalchemy import func, select

from supportclub.admin.services import set_bank_iban
from supportclub.banking import confirm as confirm_module
from supportclub.banking import imports as imports_module
from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053
from supportclub.banking.models import BankImport, KnownIban, LineState, MatchKind, StatementLine
from supportclub.extensions import db
from supportclub.ledger.models import Booking
from tests.banking.line_factory import make_line, suggest
from tests.factories import make_person


class Crash(RuntimeError):
    """The process dying half way (simulated)."""


def count(model) -> int:
    db.session.rollback()  # a fresh look at what was committed
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, data: bytes):
    return client.post(
        "/bank/importe",
        data={"file": (io.BytesIO(data), "auszug.xml")},
        content_type="multipart/form-data",
    )


@pytest.fixture
def statement(app):
    set_bank_iban(ASSOCIATION_IBAN, actor=None)
    db.session.commit()
    return camt053(
        [
            {"amount_cents": 5000, "name": "Erika Mustermann", "purpose": "Spende"},
            {"amount_cents": -1290, "name": "Druckerei", "purpose": "Rechnung 17"},
        ]
    )


def test_a_crash_after_the_lines_were_written_leaves_no_import(
    app, treasurer_client, statement, monkeypatch
):
    real_insert = imports_module._insert
    written = []

    def insert_then_crash(lines, import_id):
        real_insert(lines, import_id)
        written.append(db.session.scalar(select(func.count()).select_from(StatementLine)))
        raise Crash("killed after the lines were inserted")

    monkeypatch.setattr(imports_module, "_insert", insert_then_crash)
    with pytest.raises(Crash):
        upload(treasurer_client, statement)
    assert written == [2]  # the lines were in the transaction when it died
    assert (count(BankImport), count(StatementLine)) == (0, 0)

    monkeypatch.undo()
    response = upload(treasurer_client, statement)
    assert response.status_code == 302
    assert (count(BankImport), count(StatementLine)) == (1, 2)


def test_a_crash_after_the_bookings_were_written_books_nothing(app, treasurer_client, monkeypatch):
    person = make_person(first_name="Erika", last_name="Mustermann")
    line = make_line(
        5000,
        suggestion=suggest(MatchKind.IBAN, person, donation_cents=5000, reason={"name": "E"}),
    )
    bookings_before = count(Booking)

    def crash(*args, **kwargs):
        raise Crash("killed after the bookings")

    monkeypatch.setattr(confirm_module, "remember_ibans", crash)
    with pytest.raises(Crash):
        treasurer_client.post(
            "/bank/pruefen/bestaetigen", data={"scope": "selected", "line_id": str(line.id)}
        )
    assert count(Booking) == bookings_before
    assert count(KnownIban) == 0
    assert db.session.get(StatementLine, line.id).state == LineState.OPEN

    monkeypatch.undo()
    response = treasurer_client.post(
        "/bank/pruefen/bestaetigen", data={"scope": "selected", "line_id": str(line.id)}
    )
    assert response.status_code == 302
    assert count(Booking) == bookings_before + 1
    done = db.session.get(StatementLine, line.id)
    assert done.state == LineState.DONE
    assert db.session.get(Booking, done.booking_id).amount_cents == 5000
