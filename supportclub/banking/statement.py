"""What a bank statement says, whatever its format (camt.053, Sparkasse CSV-CAMT, MT940).

The readers (camt.py, csv_camt.py, mt940.py) turn a file into a `Statement`; everything after
them (the preview, matching, booking) sees only these types. Amounts are integer cents with their
sign (a credit is positive, a debit negative); texts are as the bank wrote them.
"""

from dataclasses import dataclass, field
from datetime import date

from supportclub.errors import DomainError


class StatementError(DomainError):
    """A file that cannot be imported as a whole; the message names the problem and the entry
    (its position), never the bank data itself."""


@dataclass(frozen=True)
class Transaction:
    """One payment inside an entry (an entry of a batch has several)."""

    amount_cents: int  # signed like its entry
    end_to_end_id: str | None = None  # None for "NOTPROVIDED" or none given
    mandate_reference: str | None = None
    creditor_id: str | None = None
    counterparty_name: str = ""
    counterparty_iban: str | None = None
    counterparty_bic: str | None = None
    purpose: str = ""  # the remittance lines, joined
    return_reason: str | None = None  # e.g. "AC04" for a returned direct debit
    bank_reference: str | None = None  # AcctSvcrRef of the transaction, where given


@dataclass(frozen=True)
class Entry:
    """One booked line of the statement."""

    position: int  # 1-based, in the file's order (for messages)
    amount_cents: int  # signed: + credit, − debit
    booking_date: date
    value_date: date | None
    booked: bool  # only booked entries (BOOK, "Umsatz gebucht") become bookings
    reversal: bool = False  # RvslInd: a reversal of an earlier entry (the sign stays as given)
    bank_reference: str | None = None  # AcctSvcrRef (camt) or a digest where the format has none
    booking_text: str = ""  # "Gutschrift", "Lastschrift", "SEPA-Überweisung"...
    bank_fee_cents: int = 0  # the charges of a return ("Auslagenersatz Rücklastschrift")
    transactions: tuple[Transaction, ...] = ()

    @property
    def is_batch(self) -> bool:
        """True when the entry carries several transactions that add up to it."""
        return len(self.transactions) > 1


@dataclass(frozen=True)
class Statement:
    """One account's statement for a period."""

    format: str  # "camt.053.001.08", "csv-camt", "mt940"
    iban: str
    currency: str
    period_start: date | None
    period_end: date | None
    opening_cents: int | None  # OPBD
    closing_cents: int | None  # CLBD
    entries: list[Entry] = field(default_factory=list)
    statement_id: str | None = None  # the bank's statement id, where given

    @property
    def booked(self) -> list[Entry]:
        """The entries that really happened."""
        return [e for e in self.entries if e.booked]
