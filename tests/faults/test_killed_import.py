"""A process killed during bank imports (SIGKILL, no cleanup): every import that committed is
whole, the one in flight left nothing, and importing the files again completes the account with
the exact totals, each entry once."""

import pytest
from sqlalchemy import func, select

from supportclub.admin.services import set_bank_iban
from supportclub.audit import GENESIS, AuditEntry, digest_of
from supportclub.banking.camt_writer import ASSOCIATION_IBAN
from supportclub.banking.models import BankImport, StatementLine
from supportclub.extensions import db
from supportclub.ledger.models import Booking
from tests.faults.conftest import Child, in_app
from tests.faults.worker import ENTRIES, FILES, expected_import_cents


def prepare(app) -> None:
    """The association's bank account has its IBAN (imports need it)."""

    def write():
        set_bank_iban(ASSOCIATION_IBAN, actor=None)
        db.session.commit()

    in_app(app, write)


def assert_consistent(app, *, files_done: int) -> None:
    """Each committed import has exactly its lines; no line without its import; a sound chain."""

    def read():
        imports = db.session.scalars(select(BankImport).order_by(BankImport.id)).all()
        assert len(imports) == files_done
        for bank_import in imports:
            count, cents = db.session.execute(
                select(func.count(), func.coalesce(func.sum(StatementLine.amount_cents), 0)).where(
                    StatementLine.import_id == bank_import.id
                )
            ).one()
            assert count == bank_import.new_count
            assert cents == bank_import.credit_cents + bank_import.debit_cents
        orphans = db.session.scalar(
            select(func.count()).where(StatementLine.import_id.not_in(select(BankImport.id)))
        )
        assert orphans == 0
        keys = db.session.execute(
            select(func.count(), func.count(func.distinct(StatementLine.entry_key)))
        ).one()
        assert keys[0] == keys[1]  # no entry twice
        assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        head = GENESIS
        for entry in entries:
            assert (entry.prev_hash, entry.entry_hash) == (head, digest_of(entry))
            head = entry.entry_hash
        assert [e.action for e in entries].count("bank.imported") == files_done

    in_app(app, read)


@pytest.mark.parametrize("where", ["inside_the_transaction", "anywhere_after_two_files"])
def test_a_killed_import_is_whole_or_absent_and_repeating_it_completes(killable, where):
    app, url, upload_dir = killable
    prepare(app)
    if where == "inside_the_transaction":
        # the third file's lines are written (not committed) when the process dies
        child = Child("import", url, upload_dir, "--pause-at", "3")
        child.wait_until(lambda: "inserted 3" in child.lines(), "the third file's lines")
    else:
        # whatever the process is doing once the second file is committed
        child = Child("import", url, upload_dir)
        child.wait_until(lambda: "committed 2" in child.lines(), "the second file")
    seen = child.lines()
    child.kill()
    committed = sum(1 for line in seen if line.startswith("committed"))
    assert committed >= 2 and "finished" not in seen
    if where == "inside_the_transaction":
        assert committed == 2
    # SQLite finds the killed writer's hot journal and rolls it back; PostgreSQL aborted it
    files_done = db_imports(app)
    assert files_done in (committed, committed + 1)  # the last commit may beat its report
    assert_consistent(app, files_done=files_done)

    # the treasurer uploads every file again: what is there is recognised, the rest comes in
    again = Child("import", url, upload_dir)
    assert again.finish()[-2] == f"committed {FILES}"
    assert_consistent(app, files_done=files_done + FILES)

    def totals():
        return db.session.execute(
            select(func.count(), func.sum(StatementLine.amount_cents))
        ).one(), db.session.scalar(select(func.sum(BankImport.duplicate_count)))

    (count, cents), duplicates = in_app(app, totals)
    assert (count, cents) == (FILES * ENTRIES, expected_import_cents())
    assert duplicates == files_done * ENTRIES  # the files imported before the kill


def db_imports(app) -> int:
    """How many imports are committed."""
    return in_app(app, lambda: db.session.scalar(select(func.count()).select_from(BankImport)))
