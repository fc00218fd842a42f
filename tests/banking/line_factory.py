"""Statement lines for tests, made directly in the database (no statement file, no matcher)."""

import itertools
from datetime import date

from supportclub.banking.models import (
    BankImport,
    DebitCollection,
    DirectDebit,
    MatchKind,
    StatementLine,
)
from supportclub.banking.suggestion import Suggestion
from supportclub.extensions import db
from supportclub.ledger.models import Account
from tests.factories import by_code

_counter = itertools.count(1)
IBAN = "DE02120300000000202051"


def make_import(account: str = "bank") -> BankImport:
    """An import of one statement file for the bank account."""
    n = next(_counter)
    bank_import = BankImport(
        account_id=by_code(Account, account).id,
        file_name=f"auszug-{n}.xml",
        file_sha256=f"{n:064d}",
        format="camt.053.001.08",
        iban="DE89370400440532013000",
    )
    db.session.add(bank_import)
    db.session.flush()
    return bank_import


def make_line(
    amount_cents: int,
    *,
    bank_import: BankImport | None = None,
    booking_date: date = date(2025, 3, 3),
    name: str = "Anna Muster",
    iban: str | None = IBAN,
    purpose: str = "Mitgliedsbeitrag",
    suggestion: Suggestion | None = None,
    commit: bool = True,
    **kw,
) -> StatementLine:
    """A statement line (open), with a suggestion when given."""
    bank_import = bank_import or make_import()
    n = next(_counter)
    line = StatementLine(
        import_id=bank_import.id,
        account_id=bank_import.account_id,
        entry_key=kw.pop("entry_key", f"REF-{n}"),
        position=n,
        booking_date=booking_date,
        value_date=booking_date,
        amount_cents=amount_cents,
        counterparty_name=name,
        counterparty_iban=iban,
        purpose=purpose,
        **kw,
    )
    (suggestion or Suggestion()).apply_to(line)
    db.session.add(line)
    db.session.flush()
    if commit:
        db.session.commit()
    return line


def suggest(kind: MatchKind, person=None, **kw) -> Suggestion:
    """A suggestion of `kind` for `person`."""
    return Suggestion(kind=kind, person_id=person.id if person else None, **kw)


def make_debit(claim, person, amount_cents: int | None = None) -> DirectDebit:
    """A submitted collection with one direct debit of the claim."""
    n = next(_counter)
    amount = amount_cents or claim.amount_cents
    collection = DebitCollection(
        message_id=f"MSG-{n}",
        collection_date=date(2025, 3, 1),
        schema="pain.008.001.08",
        count=1,
        total_cents=amount,
        creditor_id="DE98ZZZ09999999999",
        creditor_iban="DE89370400440532013000",
        prenotification_days=14,
        file_xml=b"<xml/>",
        file_sha256=f"{n:064d}",
    )
    db.session.add(collection)
    db.session.flush()
    debit = DirectDebit(
        collection_id=collection.id,
        claim_id=claim.id,
        membership_id=claim.membership_id,
        person_id=person.id,
        amount_cents=amount,
        end_to_end_id=f"BEITRAG-{claim.year}-{n}",
        sequence_type="RCUR",
        mandate_reference=f"M-{n}",
        mandate_date=date(2020, 1, 1),
        iban=IBAN,
        debtor_name=person.full_name,
        remittance="Beitrag",
    )
    db.session.add(debit)
    db.session.commit()
    return debit
