"""Bank statement imports: read an uploaded file into statement lines, once, with suggestions.

``import_file`` is all-or-nothing (it only flushes; the route commits once):

1. read the file (readers.read_statement_file refuses what it cannot read whole);
2. check that every statement is of the association's bank account (ledger account "bank");
3. give every booked transaction a key that recognises it again (the bank's reference where it
   is unique in the upload, else a digest of the entry; "/n" for the n-th part of a batch);
4. leave out the keys already imported for the account (a re-import books nothing twice);
5. suggest what each new line pays (matching.match_lines) and insert the lines in bulk;
6. keep one BankImport with the figures of the upload and one audit entry.
"""

import hashlib
import os
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from supportclub import audit
from supportclub.banking.csv_camt import entry_digest
from supportclub.banking.matching import match_lines
from supportclub.banking.models import (
    BankImport,
    ImportStatus,
    LineState,
    MatchKind,
    StatementLine,
)
from supportclub.banking.readers import check_one_account, read_statement_file
from supportclub.banking.statement import Entry, Statement, Transaction
from supportclub.chunks import chunked
from supportclub.clock import utcnow
from supportclub.errors import DomainError, ValidationError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Account, Booking

__all__ = [
    "BalanceCheck",
    "balance_check",
    "discard_import",
    "earlier_imports",
    "entry_keys",
    "has_done_lines",
    "import_file",
    "kind_counts",
]

MAX_REFERENCE = 190  # a longer bank reference is replaced by a digest (keys are ≤ 200)
_INSERTED = [
    c.key for c in StatementLine.__table__.columns if c.key not in ("id", "done_at", "done_by_id")
]


# Keys ------------------------------------------------------------------------------------------


def _digest_fields(iban: str, entry: Entry) -> list[str]:
    """What identifies an entry whose bank reference cannot be used."""
    txs = entry.transactions
    return [
        iban,
        entry.booking_date.isoformat(),
        str(entry.amount_cents),
        (txs[0].counterparty_iban or "") if txs else "",
        "|".join(t.purpose for t in txs),
        "|".join(t.end_to_end_id or "" for t in txs),
    ]


def entry_keys(iban: str, entries: list[Entry]) -> list[str]:
    """One key per entry, unique and prefix-free within the upload, stable across re-imports.

    The bank's reference is used when it occurs once in the upload, is short enough, and is not
    another reference followed by "/n" (which a split batch entry's lines would produce);
    otherwise a digest of the entry, counting identical entries 1, 2, ...
    """
    references = Counter(e.bank_reference for e in entries if e.bank_reference)

    def usable(ref: str | None) -> bool:
        if not ref or references[ref] != 1 or len(ref) > MAX_REFERENCE:
            return False
        head, _sep, tail = ref.rpartition("/")
        return not (head and tail.isdigit() and head in references)

    seen: Counter = Counter()
    keys = []
    for entry in entries:
        if usable(entry.bank_reference):
            keys.append(entry.bank_reference)
            continue
        fields = _digest_fields(iban, entry)
        seen[tuple(fields)] += 1
        keys.append(entry_digest(fields, seen[tuple(fields)]))
    return keys


# Import ----------------------------------------------------------------------------------------


def _bank_account() -> Account:
    """The association's bank account (ledger account "bank"); refused without an IBAN (set
    in the settings, see admin.services.set_bank_iban)."""
    account = db.session.execute(select(Account).filter_by(code="bank")).scalar_one()
    if not account.iban:
        raise ValidationError(
            _(
                "Für das Bankkonto des Vereins ist keine IBAN hinterlegt. Bitte zuerst unter "
                "Einstellungen die IBAN des Vereinskontos eintragen."
            ),
            field="file",
        )
    return account


def _sorted(statements: list[Statement]) -> list[Statement]:
    """Statements in the order of their periods (a ZIP's files, MT940's statements)."""
    return sorted(
        statements,
        key=lambda s: (s.period_start or date.min, s.period_end or date.min),
    )


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


class _NewLine:
    """A line before it is inserted: StatementLine's columns as plain attributes, for matching
    and the bulk insert (10,000 ORM instances would cost more than the insert itself)."""

    def __init__(self, **values):
        self.__dict__.update(values)
        self.id = None


def _line(account_id: int, key: str, entry: Entry, tx, amount: int, fee: int) -> _NewLine:
    """A new line of one transaction."""
    return _NewLine(
        account_id=account_id,
        entry_key=key,
        position=entry.position,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        amount_cents=amount,
        bank_fee_cents=fee,
        booking_text=(entry.booking_text or "")[:100],
        counterparty_name=(tx.counterparty_name or "")[:140],
        counterparty_iban=_cut(tx.counterparty_iban, 34),
        counterparty_bic=_cut(tx.counterparty_bic, 11),
        purpose=tx.purpose or "",
        end_to_end_id=_cut(tx.end_to_end_id, 35),
        mandate_reference=_cut(tx.mandate_reference, 35),
        creditor_id=_cut(tx.creditor_id, 35),
        return_reason=_cut(tx.return_reason, 4),
        bank_reference=_cut(entry.bank_reference, 100),
        is_reversal=entry.reversal,
        state=LineState.OPEN,
        match_kind=MatchKind.NONE,
        match_person_id=None,
        match_data={},
        linked_existing=False,
        booking_id=None,
    )


def _lines_of(account_id: int, key: str, entry: Entry) -> list[_NewLine]:
    """An entry's lines: one per transaction of a split batch, else one for the entry."""
    txs = entry.transactions
    if len(txs) <= 1:
        tx = txs[0] if txs else Transaction(amount_cents=entry.amount_cents)
        return [_line(account_id, key, entry, tx, entry.amount_cents, entry.bank_fee_cents)]
    return [
        _line(account_id, f"{key}/{n}", entry, tx, tx.amount_cents, entry.bank_fee_cents * (n == 1))
        for n, tx in enumerate(txs, start=1)
    ]


def _period(statements: list[Statement]) -> tuple[date | None, date | None]:
    """The upload's first and last day: the statements' periods, else the entries' dates."""
    days = [e.booking_date for s in statements for e in s.entries]
    starts = [s.period_start for s in statements if s.period_start] or days
    ends = [s.period_end for s in statements if s.period_end] or days
    return min(starts, default=None), max(ends, default=None)


def _existing_keys(account_id: int, keys: list[str]) -> set[str]:
    """The keys already imported for the account."""
    found: set[str] = set()
    for chunk in chunked(keys):
        found.update(
            db.session.scalars(
                select(StatementLine.entry_key).where(
                    StatementLine.account_id == account_id,
                    StatementLine.entry_key.in_(chunk),
                )
            )
        )
    return found


def _row(line: _NewLine, import_id: int) -> dict:
    """The insert values of a new line."""
    values = {c: getattr(line, c) for c in _INSERTED if c != "import_id"}
    values["import_id"] = import_id
    return values


def import_file(data: bytes, filename: str, *, actor) -> BankImport:
    """Read an uploaded statement file into new statement lines with suggestions (see module)."""
    statements = _sorted(read_statement_file(data, filename))
    account = _bank_account()
    check_one_account(statements, account.iban)
    entries = [entry for s in statements for entry in s.entries]
    booked = [entry for entry in entries if entry.booked]
    keys = entry_keys(statements[0].iban, booked)
    lines = [
        line
        for key, entry in zip(keys, booked, strict=True)
        for line in _lines_of(account.id, key, entry)
    ]
    existing = _existing_keys(account.id, [line.entry_key for line in lines])
    new = [line for line in lines if line.entry_key not in existing]
    start, end = _period(statements)
    bank_import = BankImport(
        account_id=account.id,
        status=ImportStatus.IMPORTED,
        file_name=os.path.basename((filename or "").replace("\\", "/"))[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        format=statements[0].format[:40],
        iban=statements[0].iban,
        period_start=start,
        period_end=end,
        opening_cents=statements[0].opening_cents,
        closing_cents=statements[-1].closing_cents,
        statements_count=len(statements),
        entries_count=len(booked),
        pending_count=len(entries) - len(booked),
        new_count=len(new),
        duplicate_count=len(lines) - len(new),
        credit_cents=sum(line.amount_cents for line in new if line.amount_cents > 0),
        debit_cents=sum(line.amount_cents for line in new if line.amount_cents < 0),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(bank_import)
    db.session.flush()
    match_lines(new)
    _insert(new, bank_import.id)
    audit.record(
        actor,
        "bank.imported",
        bank_import,
        {
            "file_sha256": bank_import.file_sha256,
            "file_name": bank_import.file_name,
            "entries": bank_import.entries_count,
            "pending": bank_import.pending_count,
            "new": bank_import.new_count,
            "duplicates": bank_import.duplicate_count,
            "credit_cents": bank_import.credit_cents,
            "debit_cents": bank_import.debit_cents,
        },
    )
    return bank_import


def _insert(lines: list[_NewLine], import_id: int) -> None:
    """Insert the new lines in one executemany; a concurrent import of the same entries loses."""
    if not lines:
        return
    try:
        # Core executemany on the table: the ORM bulk insert would split the rows wherever a
        # value is None in one row and set in the next
        db.session.execute(StatementLine.__table__.insert(), [_row(ln, import_id) for ln in lines])
    except IntegrityError:
        raise DomainError(
            _(
                "Diese Umsätze werden gerade von einem anderen Import eingelesen. "
                "Bitte die Importliste neu laden und prüfen, ob der Import schon da ist."
            ),
            field="file",
        ) from None


# After the import ------------------------------------------------------------------------------


def earlier_imports(bank_import: BankImport) -> list[BankImport]:
    """Kept imports before this one of the same file or with lines in its period (what its
    duplicates were imported with), oldest first."""
    if bank_import.duplicate_count == 0:
        return []
    conditions = [BankImport.file_sha256 == bank_import.file_sha256]
    if bank_import.period_start and bank_import.period_end:
        conditions.append(
            exists().where(
                StatementLine.import_id == BankImport.id,
                StatementLine.booking_date.between(
                    bank_import.period_start, bank_import.period_end
                ),
            )
        )
    return list(
        db.session.scalars(
            select(BankImport)
            .where(
                BankImport.account_id == bank_import.account_id,
                BankImport.id < bank_import.id,
                BankImport.status == ImportStatus.IMPORTED,
                or_(*conditions),
            )
            .order_by(BankImport.id)
        )
    )


def kind_counts(bank_import: BankImport) -> dict[MatchKind, int]:
    """How many lines of the import each kind of suggestion has (only kinds that occur)."""
    rows = db.session.execute(
        select(StatementLine.match_kind, func.count())
        .where(StatementLine.import_id == bank_import.id)
        .group_by(StatementLine.match_kind)
    )
    counts = {MatchKind(kind): int(n) for kind, n in rows}
    return {kind: counts[kind] for kind in MatchKind if kind in counts}


def has_done_lines(bank_import: BankImport) -> bool:
    """True when a line of the import was booked (or linked): it can no longer be discarded."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    StatementLine.import_id == bank_import.id,
                    StatementLine.state == LineState.DONE,
                )
            )
        )
    )


def discard_import(bank_import: BankImport, *, actor) -> None:
    """Throw an import away while none of its lines is booked: its lines go, the record stays."""
    if bank_import.status == ImportStatus.DISCARDED:
        raise DomainError(_("Der Import wurde bereits verworfen."))
    if has_done_lines(bank_import):
        raise DomainError(
            _(
                "Der Import kann nicht mehr verworfen werden: Umsätze daraus sind bereits "
                "gebucht. Gebuchtes wird mit einer Stornobuchung korrigiert."
            )
        )
    removed = db.session.execute(
        delete(StatementLine)
        .where(StatementLine.import_id == bank_import.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(bank_import, ["lines"])
    bank_import.status = ImportStatus.DISCARDED
    bank_import.discarded_at = utcnow()
    bank_import.discarded_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        actor,
        "bank.import_discarded",
        bank_import,
        {"lines_removed": removed, "file_sha256": bank_import.file_sha256},
    )


@dataclass(frozen=True)
class BalanceCheck:
    """The statement's closing balance against the ledger's bank balance at the period's end."""

    day: date | None
    closing_cents: int | None  # what the bank says (None: the format has no balance)
    ledger_cents: int  # bookings on the bank account up to `day`
    open_count: int  # lines of the account up to `day` still waiting to be booked
    open_cents: int

    @property
    def available(self) -> bool:
        """False when the statement gives no closing balance (CSV-CAMT)."""
        return self.closing_cents is not None and self.day is not None

    @property
    def difference_cents(self) -> int:
        """Bank minus ledger: 0 when the books agree with the statement."""
        return (self.closing_cents or 0) - self.ledger_cents

    @property
    def difference_after_open_cents(self) -> int:
        """The difference once the open lines are confirmed."""
        return self.difference_cents - self.open_cents

    @property
    def matches(self) -> bool:
        """True when the ledger shows the bank's closing balance."""
        return self.available and self.difference_cents == 0


def balance_check(bank_import: BankImport) -> BalanceCheck:
    """The closing balance against the ledger at period end, and what the open lines add.

    Open lines whose suggestion links a booking that already exists (a payout, a booking typed
    in by hand) are already in the ledger and are not added again."""
    day = bank_import.period_end
    if day is None:
        return BalanceCheck(None, bank_import.closing_cents, 0, 0, 0)
    ledger = db.session.scalar(
        select(func.coalesce(func.sum(Booking.amount_cents), 0)).where(
            Booking.account_id == bank_import.account_id, Booking.booking_date <= day
        )
    )
    count, cents = db.session.execute(
        select(func.count(), func.coalesce(func.sum(StatementLine.amount_cents), 0)).where(
            StatementLine.account_id == bank_import.account_id,
            StatementLine.state == LineState.OPEN,
            StatementLine.booking_date <= day,
            StatementLine.match_kind.not_in((MatchKind.PAYOUT, MatchKind.BOOKED)),
        )
    ).one()
    return BalanceCheck(day, bank_import.closing_cents, int(ledger), int(count), int(cents))
