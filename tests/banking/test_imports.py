"""Statement import service: what a file becomes, once; what is refused leaves nothing behind."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from supportclub.admin.services import set_bank_iban
from supportclub.audit import AuditEntry
from supportclub.banking import imports
from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053
from supportclub.banking.imports import (
    balance_check,
    discard_import,
    earlier_imports,
    entry_keys,
    import_file,
)
from supportclub.banking.models import (
    BankImport,
    ImportStatus,
    LineState,
    MatchKind,
    StatementLine,
)
from supportclub.banking.statement import Entry, StatementError, Transaction
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from tests.factories import make_booking

FILES = Path(__file__).parent / "files"
SPARKASSE_IBAN = "DE61760501010012345678"  # the CSV-CAMT and MT940 fixtures


def read(name: str) -> bytes:
    return (FILES / name).read_bytes()


def set_iban(iban: str | None = ASSOCIATION_IBAN) -> None:
    set_bank_iban(iban, actor=None)
    db.session.commit()


def counts() -> tuple[int, int, int]:
    """Imports, lines and bank audit entries in the database."""
    return (
        db.session.scalar(select(func.count()).select_from(BankImport)),
        db.session.scalar(select(func.count()).select_from(StatementLine)),
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("bank.%"))
        ),
    )


def lines_of(bank_import) -> list[StatementLine]:
    return list(
        db.session.scalars(
            select(StatementLine)
            .where(StatementLine.import_id == bank_import.id)
            .order_by(StatementLine.id)
        )
    )


@pytest.fixture
def bank(app, users):
    set_iban()
    return users["treasurer"]


# What a file becomes ---------------------------------------------------------------------------


def test_camt_053_001_02_figures_lines_and_batch_split(bank):
    result = import_file(read("camt_053_001_02.xml"), "auszug.xml", actor=bank)
    assert result.format == "camt.053.001.02"
    assert result.iban == ASSOCIATION_IBAN
    assert (result.period_start, result.period_end) == (date(2026, 3, 2), date(2026, 3, 2))
    assert (result.opening_cents, result.closing_cents) == (100000, 99365)
    assert result.statements_count == 1
    assert (result.entries_count, result.pending_count) == (7, 1)  # Lena Krüger: pending
    assert (result.new_count, result.duplicate_count) == (9, 0)  # a batch of 3 split
    assert (result.credit_cents, result.debit_cents) == (23500, -24135)
    assert result.status == ImportStatus.IMPORTED
    assert result.file_name == "auszug.xml" and len(result.file_sha256) == 64
    lines = lines_of(result)
    keys = [line.entry_key for line in lines]
    assert keys[2:5] == ["2026030200003/1", "2026030200003/2", "2026030200003/3"]
    assert keys[0] == "2026030200001"
    assert [line.amount_cents for line in lines[2:5]] == [5000, 2500, 2000]
    assert sum(line.amount_cents for line in lines) == 99365 - 100000
    assert all(line.state == LineState.OPEN and line.booking_id is None for line in lines)
    assert "Lena Krüger" not in {line.counterparty_name for line in lines}
    ret = next(line for line in lines if line.return_reason)
    assert (ret.amount_cents, ret.bank_fee_cents, ret.return_reason) == (-5300, 300, "AC04")
    assert ret.end_to_end_id == "BEITRAG-2026-1077" and ret.mandate_reference == "M-1077"
    reversal = next(line for line in lines if line.is_reversal)
    assert reversal.amount_cents == -6000 and reversal.counterparty_name == "Jürgen Müller"
    assert lines[0].purpose.startswith("Mitgliedsbeitrag 2026")
    assert lines[0].bank_reference == "2026030200001" and lines[0].position == 1
    entry = db.session.scalars(select(AuditEntry).filter_by(action="bank.imported")).one()
    assert entry.target_id == result.id
    assert entry.data["new"] == 9 and entry.data["file_sha256"] == result.file_sha256


def test_camt_053_001_08_return_fee_and_reason(bank):
    result = import_file(read("camt_053_001_08.xml"), "c08.xml", actor=bank)
    assert (result.entries_count, result.new_count, result.pending_count) == (4, 6, 0)
    assert (result.opening_cents, result.closing_cents) == (99365, 130045)
    ret = next(line for line in lines_of(result) if line.return_reason)
    assert (ret.return_reason, ret.bank_fee_cents, ret.amount_cents) == ("MD06", 250, -2750)


def test_zip_of_daily_statements_is_one_import(bank):
    result = import_file(read("camt_053_three_days.zip"), "auszuege.zip", actor=bank)
    assert result.statements_count == 3
    assert (result.period_start, result.period_end) == (date(2026, 3, 4), date(2026, 3, 6))
    assert (result.opening_cents, result.closing_cents) == (130045, 144295)
    assert (result.new_count, result.credit_cents, result.debit_cents) == (3, 14250, 0)


def test_csv_camt_skips_pending_and_keeps_equal_rows_apart(bank):
    set_iban(SPARKASSE_IBAN)
    result = import_file(read("csv_camt_v8.csv"), "umsaetze.csv", actor=bank)
    assert result.format == "csv-camt"
    assert (result.entries_count, result.pending_count, result.new_count) == (7, 1, 7)
    assert result.opening_cents is None and result.closing_cents is None
    lisa = [line for line in lines_of(result) if line.counterparty_name == "Lisa Kühn"]
    assert len(lisa) == 2 and lisa[0].entry_key != lisa[1].entry_key
    assert not balance_check(result).available


def test_mt940_two_statements_sorted_into_one_import(bank):
    set_iban(SPARKASSE_IBAN)
    result = import_file(read("mt940_two_statements.sta"), "alt.sta", actor=bank)
    assert result.statements_count == 2
    assert (result.period_start, result.period_end) == (date(2025, 12, 30), date(2026, 1, 2))
    assert (result.opening_cents, result.closing_cents) == (323456, 137806)
    assert result.new_count == 6
    assert result.credit_cents + result.debit_cents == 137806 - 323456


# Re-import ---------------------------------------------------------------------------------------


def test_same_file_twice_books_nothing_twice_and_says_so(bank):
    data = read("camt_053_001_02.xml")
    first = import_file(data, "a.xml", actor=bank)
    db.session.commit()
    second = import_file(data, "a-nochmal.xml", actor=bank)
    db.session.commit()
    assert (second.new_count, second.duplicate_count) == (0, 9)
    assert (second.credit_cents, second.debit_cents) == (0, 0)
    assert counts() == (2, 9, 2)
    assert earlier_imports(second) == [first]
    assert earlier_imports(first) == []


def test_overlapping_statement_adds_only_the_new_entries(bank):
    first = import_file(camt053([{"amount_cents": 1000, "ref": "A"}]), "1.xml", actor=bank)
    second = import_file(
        camt053([{"amount_cents": 1000, "ref": "A"}, {"amount_cents": 2000, "ref": "B"}]),
        "2.xml",
        actor=bank,
    )
    assert (second.new_count, second.duplicate_count, second.credit_cents) == (1, 1, 2000)
    assert [line.entry_key for line in lines_of(second)] == ["B"]
    assert earlier_imports(second) == [first]


def test_concurrent_import_of_the_same_entries_is_a_clear_error(bank, monkeypatch):
    data = camt053([{"amount_cents": 1000, "ref": "A"}])
    import_file(data, "1.xml", actor=bank)
    # the second upload looked before the first was written
    monkeypatch.setattr(imports, "_existing_keys", lambda account_id, keys: set())
    with pytest.raises(DomainError, match="gerade von einem anderen Import"):
        import_file(data, "1.xml", actor=bank)
    db.session.rollback()


# Keys --------------------------------------------------------------------------------------------


def _entry(ref, cents=100, purpose="x", position=1):
    return Entry(
        position=position,
        amount_cents=cents,
        booking_date=date(2026, 3, 2),
        value_date=None,
        booked=True,
        bank_reference=ref,
        transactions=(Transaction(amount_cents=cents, purpose=purpose),),
    )


def test_keys_use_unique_references_else_a_stable_digest():
    entries = [_entry("R1"), _entry("DUP"), _entry("DUP"), _entry(None), _entry(None)]
    keys = entry_keys(ASSOCIATION_IBAN, entries)
    assert keys[0] == "R1"
    assert len(set(keys)) == 5 and all(len(k) <= 200 for k in keys)
    assert "DUP" not in keys
    assert keys == entry_keys(ASSOCIATION_IBAN, entries)  # the same again on re-import


def test_keys_stay_prefix_free_against_batch_parts():
    entries = [_entry("R"), _entry("R/2"), _entry("X" * 250)]
    keys = entry_keys(ASSOCIATION_IBAN, entries)
    assert keys[0] == "R" and keys[1] != "R/2"  # "R/2" would clash with R's second part
    assert len(keys[2]) <= 200 and keys[2] != "X" * 250


# Refused files -----------------------------------------------------------------------------------


def test_file_of_another_account_is_refused_and_nothing_written(bank):
    set_iban(SPARKASSE_IBAN)
    before = counts()
    with pytest.raises(StatementError, match="anderen Konto") as error:
        import_file(read("camt_053_001_08.xml"), "c.xml", actor=bank)
    assert "3000" in error.value.message and ASSOCIATION_IBAN not in error.value.message
    assert counts() == before


def test_without_bank_iban_the_import_says_where_to_set_it(bank):
    set_iban(None)
    with pytest.raises(ValidationError, match="Einstellungen"):
        import_file(read("camt_053_001_08.xml"), "c.xml", actor=bank)
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "name", ["camt_refuse_dtd.xml", "camt_refuse_external_entity.xml", "camt_054_001_08.xml"]
)
def test_dtd_and_other_messages_are_refused_whole(bank, name):
    with pytest.raises(StatementError):
        import_file(read(name), name, actor=bank)
    assert counts() == (0, 0, 0)


# Discard -----------------------------------------------------------------------------------------


def test_discard_removes_the_lines_and_allows_a_new_import(bank):
    data = read("camt_053_001_08.xml")
    result = import_file(data, "c.xml", actor=bank)
    db.session.commit()
    discard_import(result, actor=bank)
    db.session.commit()
    assert result.status == ImportStatus.DISCARDED
    assert result.discarded_at is not None and result.discarded_by_id == bank.id
    assert lines_of(result) == []
    entry = db.session.scalars(select(AuditEntry).filter_by(action="bank.import_discarded")).one()
    assert entry.data["lines_removed"] == 6
    with pytest.raises(DomainError, match="bereits verworfen"):
        discard_import(result, actor=bank)
    again = import_file(data, "c.xml", actor=bank)
    assert (again.new_count, again.duplicate_count) == (6, 0)
    assert earlier_imports(again) == []


def test_discard_refused_once_a_line_is_booked(bank):
    result = import_file(camt053([{"amount_cents": 1000, "ref": "A"}]), "1.xml", actor=bank)
    line = lines_of(result)[0]
    booking = make_booking(1000, booking_date=date(2026, 3, 2), commit=False)
    line.booking_id, line.state = booking.id, LineState.DONE
    db.session.flush()
    with pytest.raises(DomainError, match="bereits gebucht"):
        discard_import(result, actor=bank)
    assert result.status == ImportStatus.IMPORTED and len(lines_of(result)) == 1


# Balance check -----------------------------------------------------------------------------------


def test_balance_check_compares_closing_with_the_ledger(bank):
    make_booking(100000, booking_date=date(2026, 1, 2))  # the opening balance in the books
    make_booking(777, booking_date=date(2026, 3, 3))  # after the period: not counted
    result = import_file(read("camt_053_001_02.xml"), "a.xml", actor=bank)
    check = balance_check(result)
    assert check.day == date(2026, 3, 2)
    assert (check.closing_cents, check.ledger_cents) == (99365, 100000)
    assert check.difference_cents == -635 and not check.matches
    assert (check.open_count, check.open_cents) == (9, -635)
    assert check.difference_after_open_cents == 0


def test_balance_check_matches_and_leaves_out_lines_of_existing_bookings(bank):
    make_booking(5000, booking_date=date(2026, 3, 1))  # typed in before the statement came
    result = import_file(
        camt053([{"amount_cents": 5000, "name": "Paula Neu"}], opening_cents=0), "x", actor=bank
    )
    assert lines_of(result)[0].match_kind == MatchKind.BOOKED
    check = balance_check(result)
    assert (check.ledger_cents, check.closing_cents, check.open_count) == (5000, 5000, 0)
    assert check.matches and check.difference_after_open_cents == 0


def test_a_large_file_is_read_with_a_bounded_number_of_queries(bank, db):
    entries = [
        {"amount_cents": 100 + n, "name": f"Person {n}", "purpose": f"Spende {n}"}
        for n in range(2000)
    ]
    data = camt053(entries)
    statements = []
    engine = db.session.get_bind()

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        result = import_file(data, "gross.xml", actor=bank)
        db.session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result.new_count == 2000
    assert 3 <= len(statements) <= 25, statements
