"""Read old MT940 exports (German banks, structured :86: of the DFÜ-Abkommen) into `Statement`s.

A small parser of our own instead of the mt-940 library: it keeps the counterparty's IBAN apart
from the name, reads the SEPA keywords (EREF+, MREF+, CRED+, SVWZ+ ...) across the ?2x lines,
and refuses a broken file with a German message that names the statement and the line.

The file is a list of fields ``:TAG:value`` (continuation lines belong to the field above),
grouped into statements that each start with :20:. Per statement: :25: account, :28C: statement
number, :60F:/:60M: opening balance, :61: + :86: per entry, :62F:/:62M: closing balance. The
balances are reported as given; whether they add up is checked later, not here.

:86: is structured when it starts with the three-digit business code (GVC) and a separator
(``?``): ?00 booking text, ?20-?29 and ?60-?63 purpose lines, ?30 BIC, ?31 IBAN, ?32-?33 name,
?34 a SEPA return reason where the bank gives one.
A purpose line that is full (27 characters) continues directly in the next one; a shorter one
ended at a word, so a space joins them.
"""

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from supportclub.banking.csv_camt import decode_text, entry_digest, parse_german_amount
from supportclub.banking.statement import Entry, Statement, StatementError, Transaction
from supportclub.i18n import _
from supportclub.money import MAX_CENTS, decimal_to_cents

__all__ = ["parse_swift_amount", "read_mt940"]

FORMAT = "mt940"

_TAG_RE = re.compile(r":([0-9]{2}[A-Z]?|NS):(.*)")
_SWIFT_BLOCKS_RE = re.compile(r"^(?:\{[0-9]:[^{}]*\})*\{4:")  # {1:...}{2:...}{4: before the text
_BALANCE_RE = re.compile(r"(?P<mark>[CD])(?P<date>[0-9]{6})(?P<currency>[A-Z]{3})(?P<amount>.+)")
_LINE_61_RE = re.compile(
    r"(?P<value_date>[0-9]{6})(?P<entry_date>[0-9]{4})?(?P<mark>R?[CD])(?P<funds>[A-Z])?"
    r"(?P<amount>[0-9][0-9,]*)(?P<type>[NFS][A-Z0-9]{3})(?P<reference>.*)"
)
_SWIFT_AMOUNT_RE = re.compile(r"(?P<whole>[0-9]{1,15})(?:,(?P<fraction>[0-9]{0,2}))?")
_STRUCTURED_RE = re.compile(r"(?P<gvc>[0-9]{3})(?P<separator>[^0-9A-Za-z\s])[0-9]{2}")
_SEPA_KEYWORD_RE = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|COAM|OAMT|SVWZ|ABWA|ABWE|IBAN|BIC)\+")
_IBAN_RE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_REASON_RE = re.compile(r"[A-Z]{2}[0-9]{2}")
_BIC_RE = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_BLZ_ACCOUNT_RE = re.compile(r"(?P<blz>[0-9]{8})/(?P<account>[0-9]{1,10})(?:[A-Z]{3})?")
_PURPOSE_CODES = [str(n) for n in (*range(20, 30), *range(60, 64))]
_PURPOSE_WIDTH = 27  # characters of one ?2x / ?3x subfield
_LINE_WIDTH = 65  # characters of one :86: line
_NO_REFERENCE = {"", "NONREF", "NOTPROVIDED"}


@dataclass
class _Field:
    """One ``:TAG:`` field with its continuation lines and the line number it starts on."""

    tag: str
    lines: list[str]
    line: int

    @property
    def value(self) -> str:
        """The first line's value, stripped."""
        return self.lines[0].strip()


@dataclass(frozen=True)
class _Details:
    """What :86: says about an entry."""

    booking_text: str = ""
    purpose: str = ""
    end_to_end_id: str | None = None
    mandate_reference: str | None = None
    creditor_id: str | None = None
    name: str = ""
    iban: str | None = None
    bic: str | None = None
    original_cents: int | None = None  # OAMT+: the original amount of a returned payment
    fee_cents: int | None = None  # COAM+: the fees charged with it
    return_reason: str | None = None  # ?34 when it holds a SEPA reason code ("AC04")


@dataclass(frozen=True)
class _Line:
    """One :61: line, parsed, with its :86: details and the raw text for the digest."""

    value_date: date
    booking_date: date
    amount_cents: int
    reversal: bool
    bank_reference: str | None
    details: _Details
    raw: tuple[str, str]  # the :61: and :86: text as written


@dataclass
class _Raw:
    """One statement before its entries get their references."""

    number: int
    iban: str
    currency: str
    statement_id: str | None
    opening: tuple[date, int]
    closing: tuple[date, int]
    lines: list[_Line] = field(default_factory=list)


def parse_swift_amount(text: str) -> int:
    """Parse an MT940 amount ("1234,56", "100,", "0,5") to int cents; ValueError otherwise."""
    match = _SWIFT_AMOUNT_RE.fullmatch(text)
    if match is None:
        raise ValueError("not an MT940 amount")
    value = Decimal(match["whole"] + "." + (match["fraction"] or "0"))
    if value > Decimal(MAX_CENTS) / 100:
        raise ValueError("amount too large")
    return decimal_to_cents(value)


def read_mt940(data: bytes) -> list[Statement]:
    """Read an MT940 file (one or several statements of one account); StatementError if broken."""
    groups = _statements(_fields(decode_text(data)))
    raws = [_read_statement(group, number) for number, group in enumerate(groups, start=1)]
    for raw in raws[1:]:
        if raw.iban != raws[0].iban:
            raise StatementError(
                _(
                    "Auszug %(number)s gehört zu einem anderen Konto als Auszug 1. "
                    "Bitte für jedes Konto eine eigene Datei hochladen.",
                    number=raw.number,
                )
            )
    references = Counter(
        line.bank_reference for raw in raws for line in raw.lines if line.bank_reference
    )
    seen: Counter[tuple[str, ...]] = Counter()
    return [_statement(raw, references, seen) for raw in raws]


def _fields(text: str) -> list[_Field]:
    """Split the text into fields; SWIFT block wrappers, separators and blank lines dropped."""
    fields: list[_Field] = []
    current: _Field | None = None
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = _SWIFT_BLOCKS_RE.sub("", raw_line)
        stripped = line.strip()
        if not stripped:
            continue
        if stripped in ("-", "@@") or stripped.startswith("-}"):  # end of a message
            current = None
            continue
        match = _TAG_RE.match(line)
        if match:
            current = _Field(match[1], [match[2]], number)
            fields.append(current)
        elif current is not None:
            current.lines.append(line)
    return fields


def _statements(fields: list[_Field]) -> list[list[_Field]]:
    """Group the fields into statements, each starting with :20:."""
    if not fields:
        raise StatementError(_("Die Datei enthält keinen MT940-Kontoauszug."))
    groups: list[list[_Field]] = []
    for item in fields:
        if item.tag == "20":
            groups.append([item])
        elif not groups:
            raise StatementError(
                _(
                    "Zeile %(line)s: Vor dem ersten Auszug fehlt das Feld :20: "
                    "(ist das eine MT940-Datei?).",
                    line=item.line,
                )
            )
        else:
            groups[-1].append(item)
    return groups


def _read_statement(fields: list[_Field], number: int) -> _Raw:
    """Read one statement's fields; refuse a missing or broken :25:, :60:, :62: or :61:."""
    found: dict[str, _Field] = {}
    entries: list[tuple[_Field, _Field | None]] = []
    previous = "20"
    for item in fields[1:]:
        kind = item.tag[:2]
        if kind in ("25", "28", "60", "62"):
            if kind in found:
                raise _error(number, item, _("Das Feld :%(tag)s: kommt doppelt vor.", tag=kind))
            found[kind] = item
        elif kind == "61":
            entries.append((item, None))
        elif kind == "86" and previous == "61":
            entries[-1] = (entries[-1][0], item)
        previous = kind
    for kind, label in (("25", ":25:"), ("60", ":60F:"), ("62", ":62F:")):
        if kind not in found:
            raise StatementError(
                _(
                    "Auszug %(number)s (ab Zeile %(line)s): Das Feld %(tag)s fehlt.",
                    number=number,
                    line=fields[0].line,
                    tag=label,
                )
            )
    opening_currency, opening = _balance(found["60"], number)
    closing_currency, closing = _balance(found["62"], number)
    if opening_currency != "EUR" or closing_currency != "EUR":
        raise _error(number, found["60"], _("Nur Konten in EUR werden unterstützt."))
    raw = _Raw(
        number=number,
        iban=_account(found["25"], number),
        currency="EUR",
        statement_id=found["28"].value if "28" in found else None,
        opening=opening,
        closing=closing,
    )
    for position, (line_61, line_86) in enumerate(entries, start=1):
        raw.lines.append(_line(line_61, line_86, number, position))
    return raw


def _error(number: int, item: _Field, problem: str) -> StatementError:
    """A refusal naming the statement and the line."""
    return StatementError(
        _(
            "Auszug %(number)s, Zeile %(line)s: %(problem)s",
            number=number,
            line=item.line,
            problem=problem,
        )
    )


def _account(item: _Field, number: int) -> str:
    """The IBAN from :25: (an IBAN, or BLZ/Kontonummer, either maybe followed by the currency)."""
    compact = "".join(item.value.split()).upper()
    try:
        match = _BLZ_ACCOUNT_RE.fullmatch(compact)
        if match:
            return str(IBAN.generate("DE", bank_code=match["blz"], account_code=match["account"]))
        if _IBAN_RE.fullmatch(compact[:-3]) and compact[-3:].isalpha():  # "DE89...EUR"
            compact = compact[:-3]
        return str(IBAN(compact))
    except SchwiftyException:
        raise _error(
            number,
            item,
            _("Die Kontoangabe (:25:) ist weder eine IBAN noch Bankleitzahl/Kontonummer."),
        ) from None


def _balance(item: _Field, number: int) -> tuple[str, tuple[date, int]]:
    """Currency and (date, signed cents) of :60F:/:60M: or :62F:/:62M:."""
    match = _BALANCE_RE.fullmatch(item.value)
    try:
        if match is None:
            raise ValueError(item.tag)
        cents = parse_swift_amount(match["amount"])
        signed = -cents if match["mark"] == "D" else cents
        return match["currency"], (_swift_date(match["date"]), signed)
    except ValueError:
        raise _error(number, item, _("Der Saldo (:%(tag)s:) ist ungültig.", tag=item.tag)) from None


def _swift_date(text: str) -> date:
    """YYMMDD to a date (YY is 20YY); ValueError for an impossible date."""
    return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))


def _entry_date(value_date: date, mmdd: str) -> date:
    """The booking date MMDD of a :61: line: the year that puts it nearest the value date.

    A value date 30.12.2025 with booking date "0102" is booked on 02.01.2026, and a value date
    02.01.2026 with "1230" was booked on 30.12.2025.
    """
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, int(mmdd[:2]), int(mmdd[2:])))
        except ValueError:
            continue
    if not candidates:
        raise ValueError(mmdd)
    return min(candidates, key=lambda day: abs((day - value_date).days))


def _line(line_61: _Field, line_86: _Field | None, number: int, position: int) -> _Line:
    """Parse one :61: line and its :86: details; refuse a broken :61:."""
    match = _LINE_61_RE.fullmatch(line_61.value)
    try:
        if match is None:
            raise ValueError("61")
        value_date = _swift_date(match["value_date"])
        booking_date = value_date
        if match["entry_date"]:
            booking_date = _entry_date(value_date, match["entry_date"])
        cents = parse_swift_amount(match["amount"])
    except ValueError:
        raise StatementError(
            _(
                "Auszug %(number)s, Umsatz %(position)s (Zeile %(line)s): Die Umsatzzeile "
                ":61: ist ungültig (Datum, Soll/Haben-Kennung oder Betrag).",
                number=number,
                position=position,
                line=line_61.line,
            )
        ) from None
    # C and RD (reversal of a debit) are credits; D and RC (reversal of a credit) are debits.
    debit = match["mark"] in ("D", "RC")
    _customer, _slash, bank = match["reference"].partition("//")
    bank = bank.strip()
    lines_86 = line_86.lines if line_86 else []
    return _Line(
        value_date=value_date,
        booking_date=booking_date,
        amount_cents=-cents if debit else cents,
        reversal=match["mark"].startswith("R"),
        bank_reference=None if bank.upper() in _NO_REFERENCE else bank,
        details=_details(lines_86),
        raw=("\n".join(line.strip() for line in line_61.lines), "".join(lines_86)),
    )


def _statement(raw: _Raw, references: Counter, seen: Counter) -> Statement:
    """Build the Statement; an entry's reference is the bank's when unique in the file."""
    entries = []
    for position, line in enumerate(raw.lines, start=1):
        key = (raw.iban, *line.raw)
        seen[key] += 1
        reference = line.bank_reference
        if reference is None or references[reference] > 1:  # not unique: cannot be used alone
            reference = entry_digest(key, seen[key])
        details = line.details
        payment, fee = _split_fee(line.amount_cents, details)
        transaction = Transaction(
            amount_cents=payment,
            end_to_end_id=details.end_to_end_id,
            mandate_reference=details.mandate_reference,
            creditor_id=details.creditor_id,
            counterparty_name=details.name,
            counterparty_iban=details.iban,
            counterparty_bic=details.bic,
            purpose=details.purpose,
            return_reason=details.return_reason,
            bank_reference=line.bank_reference,
        )
        entries.append(
            Entry(
                position=position,
                amount_cents=line.amount_cents,
                booking_date=line.booking_date,
                value_date=line.value_date,
                booked=True,
                reversal=line.reversal,
                bank_reference=reference,
                booking_text=details.booking_text,
                bank_fee_cents=fee,
                transactions=(transaction,),
            )
        )
    closing_date = raw.closing[0]
    dates = [entry.booking_date for entry in entries]
    return Statement(
        format=FORMAT,
        iban=raw.iban,
        currency=raw.currency,
        period_start=min(dates, default=closing_date),
        period_end=max([*dates, closing_date]),
        opening_cents=raw.opening[1],
        closing_cents=raw.closing[1],
        entries=entries,
        statement_id=raw.statement_id,
    )


def _split_fee(amount: int, details: _Details) -> tuple[int, int]:
    """Split a debit into the payment and the fee charged with it (a return debit).

    COAM+ names the fee, OAMT+ the original amount; either only counts when it is smaller than
    the entry. Returns (payment, fee) with payment + (-fee) == amount.
    """
    if amount < 0:
        if details.fee_cents and 0 < details.fee_cents < -amount:
            return amount + details.fee_cents, details.fee_cents
        if details.original_cents and 0 < details.original_cents < -amount:
            return -details.original_cents, -amount - details.original_cents
    return amount, 0


def _keyword_amount(value: str | None) -> int | None:
    """An amount written in the purpose (OAMT+48,00 or COAM+EUR 3,00); None when unreadable."""
    if not value:
        return None
    try:
        return parse_german_amount(value.upper().replace("EUR", "").strip())
    except ValueError:
        return None


def _join(parts: list[str], width: int) -> tuple[str, set[int]]:
    """Join wrapped lines: a full line continues directly, a shorter one is followed by a space.

    Returns the text and the offsets where each part starts (a keyword may start there).
    """
    text = ""
    starts = set()
    previous: str | None = None
    for part in parts:
        if previous is not None and len(previous) < width:
            text += " "
        starts.add(len(text))
        text += part
        previous = part
    return text, starts


def _clean(text: str) -> str:
    """Collapse runs of whitespace and strip."""
    return " ".join(text.split())


def _reference(value: str | None) -> str | None:
    """A reference: None when empty or "NOTPROVIDED"."""
    if value is None or value.upper() in _NO_REFERENCE:
        return None
    return value


def _details(lines: list[str]) -> _Details:
    """Read :86: (structured with ?NN subfields, or free text) into the entry's details."""
    flat = "".join(lines)
    match = _STRUCTURED_RE.match(flat)
    if match is None:
        text, starts = _join([line.strip() for line in lines], _LINE_WIDTH)
        return _with_keywords(_Details(), text, starts)
    parts = re.split(re.escape(match["separator"]) + r"([0-9]{2})", flat[3:])
    subfields: dict[str, list[str]] = {}
    for code, value in zip(parts[1::2], parts[2::2], strict=True):
        subfields.setdefault(code, []).append(value)
    purpose_lines = [v for code in _PURPOSE_CODES for v in subfields.get(code, [])]
    text, starts = _join(purpose_lines, _PURPOSE_WIDTH)
    name, _starts = _join(subfields.get("32", []) + subfields.get("33", []), _PURPOSE_WIDTH)
    details = _Details(
        booking_text=_clean("".join(subfields.get("00", []))),
        name=_clean(name),
        iban=_counterparty_iban(subfields.get("31", [""])[0], subfields.get("30", [""])[0]),
        bic=_bic(subfields.get("30", [""])[0]),
        return_reason=_return_reason(subfields.get("34", [""])[0]),
    )
    return _with_keywords(details, text, starts)


def _with_keywords(details: _Details, text: str, starts: set[int]) -> _Details:
    """Add purpose and SEPA references from the purpose text (EREF+, MREF+, CRED+, SVWZ+ ...).

    A keyword counts where a line starts or after a space; its value runs to the next keyword.
    Text before the first keyword belongs to the purpose; OAMT+/COAM+ (original amount and fee
    of a return) split the entry later; ABWA+/ABWE+ (ultimate parties), KREF+ and DEBT+ are not
    kept.
    """
    keywords = [
        m
        for m in _SEPA_KEYWORD_RE.finditer(text)
        if m.start() == 0 or m.start() in starts or text[m.start() - 1].isspace()
    ]
    if not keywords:
        return replace(details, purpose=_clean(text))
    values: dict[str, str] = {}
    for current, following in zip(keywords, [*keywords[1:], None], strict=True):
        end = following.start() if following else len(text)
        value = _clean(text[current.end() : end])
        values[current[1]] = _clean(values.get(current[1], "") + " " + value)
    lead = _clean(text[: keywords[0].start()])
    return replace(
        details,
        purpose=_clean(lead + " " + values.get("SVWZ", "")),
        end_to_end_id=_reference(values.get("EREF")),
        mandate_reference=_reference(values.get("MREF")),
        creditor_id=_reference(values.get("CRED")),
        original_cents=_keyword_amount(values.get("OAMT")),
        fee_cents=_keyword_amount(values.get("COAM")),
        iban=details.iban or _counterparty_iban(values.get("IBAN", ""), ""),
        bic=details.bic or _bic(values.get("BIC", "")),
    )


def _counterparty_iban(account: str, bank: str) -> str | None:
    """?31 as IBAN; an old Kontonummer with a BLZ in ?30 is converted; None when neither."""
    account = "".join(account.split()).upper()
    bank = "".join(bank.split())
    if _IBAN_RE.fullmatch(account):
        return account
    if account.isdigit() and len(account) <= 10 and re.fullmatch(r"[0-9]{8}", bank):
        try:
            return str(IBAN.generate("DE", bank_code=bank, account_code=account))
        except SchwiftyException:
            return None
    return None


def _return_reason(value: str) -> str | None:
    """?34 when it is a SEPA reason code like "AC04" or "MD06" (a three-digit key is not)."""
    value = value.strip().upper()
    return value if _REASON_RE.fullmatch(value) else None


def _bic(value: str) -> str | None:
    """?30 when it is a BIC (an old BLZ is not)."""
    value = "".join(value.split()).upper()
    return value if _BIC_RE.fullmatch(value) else None
