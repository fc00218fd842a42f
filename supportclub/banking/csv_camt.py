"""Read the Sparkasse CSV-CAMT export (V2 and V8 share the header) into a `Statement`.

The export has 17 columns, `;`-separated, every field double-quoted, Windows-1252, CRLF (see
shared/domain/banking.md). It has no balances and no bank reference: every entry gets a stable
digest of its row instead (`entry_digest`), so importing the same rows again is recognised.

A return debit carries its bank fee in "Auslagenersatz Ruecklastschrift": the entry's amount is
what the bank booked (payment and fee), its transaction's amount is the payment alone and the fee
is `Entry.bank_fee_cents` (positive), the way camt.053 reports charges.

`decode_text`, `entry_digest` and `parse_german_amount` are shared with the MT940 reader.
"""

import codecs
import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from supportclub.banking.statement import Entry, Statement, StatementError, Transaction
from supportclub.i18n import _
from supportclub.money import MAX_CENTS, decimal_to_cents

__all__ = ["COLUMNS", "decode_text", "entry_digest", "parse_german_amount", "read_csv_camt"]

FORMAT = "csv-camt"

# The header as the Sparkasse writes it (V2 and V8 alike), in the file's order.
COLUMNS = (
    "Auftragskonto",
    "Buchungstag",
    "Valutadatum",
    "Buchungstext",
    "Verwendungszweck",
    "Glaeubiger ID",
    "Mandatsreferenz",
    "Kundenreferenz (End-to-End)",
    "Sammlerreferenz",
    "Lastschrift Ursprungsbetrag",
    "Auslagenersatz Ruecklastschrift",
    "Beguenstigter/Zahlungspflichtiger",
    "Kontonummer/IBAN",
    "BIC (SWIFT-Code)",
    "Betrag",
    "Waehrung",
    "Info",
)
# Columns that only the Sparkasse's other CSV export ("CSV-MT940") has.
_CSV_MT940_COLUMNS = {"kontonummer", "blz"}

_BOOKED = "umsatz gebucht"
_NOT_PROVIDED = "NOTPROVIDED"
_GERMAN_AMOUNT_RE = re.compile(
    r"(?P<sign>[+-])?(?P<whole>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,(?P<fraction>[0-9]{1,2}))?"
)
_DATE_RE = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{2}|[0-9]{4})")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_DIGEST_LENGTH = 32  # hex digits (128 bits); fits a 35-character reference column


def decode_text(data: bytes) -> str:
    """Decode an uploaded bank file: UTF-8 (with or without BOM), else Windows-1252.

    German text in Windows-1252 (ä = 0xE4, ß = 0xDF ...) is never valid UTF-8, so trying UTF-8
    first cannot misread a Windows-1252 file. Anything else is refused with StatementError.
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"expected the uploaded bytes, got {type(data).__name__}")
    if not data.strip():
        raise StatementError(_("Die Datei ist leer."))
    data = bytes(data)
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StatementError(
                _("Die Datei ist als UTF-8 gekennzeichnet, enthält aber ungültige Zeichen.")
            ) from None
    if b"\x00" in data or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise StatementError(
            _("Die Kodierung der Datei wird nicht unterstützt (erwartet: Windows-1252 oder UTF-8).")
        )
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatementError(
        _("Die Datei enthält Zeichen, die weder Windows-1252 noch UTF-8 sind; sie ist beschädigt.")
    )


def entry_digest(fields: Iterable[str], occurrence: int) -> str:
    """A stable reference for an entry whose bank gave none: sha256 of its fields.

    ``occurrence`` counts identical rows within the file (1, 2, ...), so two equal payments on
    the same day get different digests, and a re-import of the same rows gets the same ones.
    """
    text = "\x1f".join(fields) + "\x1e" + str(occurrence)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_DIGEST_LENGTH]


def parse_german_amount(text: str) -> int:
    """Parse a bank's German amount ("-1.850,00", "12,5", "300") to signed int cents.

    Thousands dots must group exactly three digits, at most two decimals follow the comma, and
    the amount must not exceed the application's ceiling. ValueError otherwise (the caller
    names the line; the message never shows the amount).
    """
    match = _GERMAN_AMOUNT_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError("not a German amount")
    if len(match["whole"]) > 15:
        raise ValueError("amount too large")
    digits = match["whole"].replace(".", "") + "." + (match["fraction"] or "0")
    value = Decimal(digits)
    if match["sign"] == "-":
        value = -value
    if abs(value) > Decimal(MAX_CENTS) / 100:
        raise ValueError("amount too large")
    return decimal_to_cents(value)


def read_csv_camt(data: bytes) -> Statement:
    """Read a Sparkasse CSV-CAMT export; StatementError names the problem and its line."""
    rows = _read_rows(decode_text(data))
    if not rows:
        raise StatementError(_("Die Datei ist leer."))
    header_line, header = rows[0]
    index = _column_index(header)
    if len(rows) == 1:
        raise StatementError(_("Die Datei enthält keine Umsätze."))

    entries: list[Entry] = []
    account: str | None = None
    seen: Counter[tuple[str, ...]] = Counter()
    for position, (line, row) in enumerate(rows[1:], start=1):
        if len(row) != len(header):
            raise StatementError(
                _(
                    "Zeile %(line)s hat %(found)s statt %(expected)s Spalten.",
                    line=line,
                    found=len(row),
                    expected=len(header),
                )
            )
        values = {name: row[i].strip() for name, i in index.items()}
        row_account = _account(values["Auftragskonto"], line)
        if account is None:
            account = row_account
        elif row_account != account:
            raise StatementError(
                _(
                    "Zeile %(line)s gehört zu einem anderen Konto als Zeile %(first)s. "
                    "Bitte für jedes Konto eine eigene Datei hochladen.",
                    line=line,
                    first=rows[1][0],
                )
            )
        key = tuple(values[name] for name in COLUMNS)
        seen[key] += 1
        entries.append(_entry(values, position, line, entry_digest(key, seen[key])))

    return Statement(
        format=FORMAT,
        iban=account,
        currency="EUR",
        period_start=min(e.booking_date for e in entries),
        period_end=max(e.booking_date for e in entries),
        opening_cents=None,
        closing_cents=None,
        entries=entries,
    )


def _read_rows(text: str) -> list[tuple[int, list[str]]]:
    """Split the text into CSV rows with the line number each starts on; blank lines skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)
    rows = []
    start = 1
    try:
        for row in reader:
            if any(value.strip() for value in row):
                rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error:
        raise StatementError(
            _(
                "Zeile %(line)s ist keine gültige CSV-Zeile (Anführungszeichen oder Trennzeichen "
                "stimmen nicht).",
                line=reader.line_num,
            )
        ) from None
    return rows


def _normalise_name(name: str) -> str:
    """Compare column names ignoring case, umlauts and spacing: "Währung" == "WAEHRUNG"."""
    name = name.replace("\ufeff", "").casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        name = name.replace(umlaut, spelled)
    return " ".join(name.split())


def _column_index(header: list[str]) -> dict[str, int]:
    """Map each expected column to its position in the header; refuse a header that differs."""
    expected = {_normalise_name(name): name for name in COLUMNS}
    found = [_normalise_name(name) for name in header]
    if set(found) >= _CSV_MT940_COLUMNS:
        raise StatementError(
            _(
                "Das ist der Sparkassen-Export „CSV-MT940“. Bitte im Online-Banking das "
                "Format „CSV-CAMT“ wählen und die Datei erneut hochladen."
            )
        )
    if not set(found) & set(expected):
        raise StatementError(
            _("Die erste Zeile ist nicht die Kopfzeile eines CSV-CAMT-Exports der Sparkasse.")
        )
    index: dict[str, int] = {}
    for i, name in enumerate(found):
        shown = header[i].strip()[:40]
        if name not in expected:
            raise StatementError(
                _("Die Kopfzeile enthält die unbekannte Spalte „%(name)s“.", name=shown)
            )
        if expected[name] in index:
            raise StatementError(
                _("Die Spalte „%(name)s“ kommt in der Kopfzeile doppelt vor.", name=shown)
            )
        index[expected[name]] = i
    missing = [name for name in COLUMNS if name not in index]
    if len(missing) == 1:
        raise StatementError(_("In der Kopfzeile fehlt die Spalte „%(name)s“.", name=missing[0]))
    if missing:
        raise StatementError(
            _("In der Kopfzeile fehlen die Spalten „%(names)s“.", names="“, „".join(missing))
        )
    return index


def _account(value: str, line: int) -> str:
    """The account's IBAN from "Auftragskonto" (spaces removed), else StatementError."""
    try:
        return str(IBAN(value))
    except SchwiftyException:
        raise StatementError(
            _("Zeile %(line)s: Das Auftragskonto ist keine gültige IBAN.", line=line)
        ) from None


def _entry(values: dict[str, str], position: int, line: int, digest: str) -> Entry:
    """Build the entry (with its one transaction) of one data row."""
    booked = _normalise_name(values["Info"]) == _BOOKED
    currency = values["Waehrung"].upper()
    if currency != "EUR":
        shown = currency if _CURRENCY_RE.fullmatch(currency) else "?"
        raise StatementError(
            _(
                "Zeile %(line)s: Die Währung „%(currency)s“ wird nicht unterstützt (nur EUR).",
                line=line,
                currency=shown,
            )
        )
    value_date = _date(values["Valutadatum"], "Valutadatum", line, required=False)
    booking_date = _date(values["Buchungstag"], "Buchungstag", line, required=booked)
    if booking_date is None:  # a pending row may not have one yet
        booking_date = value_date
        if booking_date is None:
            raise _missing("Buchungstag", line)
    amount = _amount(values["Betrag"], "Betrag", line, required=True)
    fee = abs(_amount(values["Auslagenersatz Ruecklastschrift"], "Auslagenersatz", line))
    _amount(values["Lastschrift Ursprungsbetrag"], "Lastschrift Ursprungsbetrag", line)
    payment = amount + fee if amount < 0 and -amount > fee else amount  # the fee is separate

    transaction = Transaction(
        amount_cents=payment,
        end_to_end_id=_reference(values["Kundenreferenz (End-to-End)"]),
        mandate_reference=_reference(values["Mandatsreferenz"]),
        creditor_id=_reference(values["Glaeubiger ID"]),
        counterparty_name=values["Beguenstigter/Zahlungspflichtiger"],
        counterparty_iban=_compact(values["Kontonummer/IBAN"]),
        counterparty_bic=_compact(values["BIC (SWIFT-Code)"]),
        purpose=" ".join(values["Verwendungszweck"].splitlines()).strip(),
    )
    return Entry(
        position=position,
        amount_cents=amount,
        booking_date=booking_date,
        value_date=value_date,
        booked=booked,
        bank_reference=digest,
        booking_text=values["Buchungstext"],
        bank_fee_cents=fee,
        transactions=(transaction,),
    )


def _missing(column: str, line: int) -> StatementError:
    """The error for a required field left empty."""
    return StatementError(
        _("Zeile %(line)s: Das Feld „%(column)s“ ist leer.", line=line, column=column)
    )


def _date(value: str, column: str, line: int, *, required: bool) -> date | None:
    """Parse DD.MM.YY or DD.MM.YYYY (YY is 20YY); None for an empty optional field."""
    if not value:
        if required:
            raise _missing(column, line)
        return None
    match = _DATE_RE.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        day, month, year = (int(part) for part in match.groups())
        return date(year + 2000 if year < 100 else year, month, day)
    except ValueError:
        raise StatementError(
            _(
                "Zeile %(line)s: „%(column)s“ ist kein gültiges Datum (erwartet: TT.MM.JJ).",
                line=line,
                column=column,
            )
        ) from None


def _amount(value: str, column: str, line: int, *, required: bool = False) -> int:
    """Parse a German amount field to cents; 0 for an empty optional field."""
    if not value:
        if required:
            raise _missing(column, line)
        return 0
    try:
        return parse_german_amount(value)
    except ValueError:
        raise StatementError(
            _(
                "Zeile %(line)s: „%(column)s“ ist kein gültiger Betrag "
                "(erwartet z. B. -1.234,56 mit höchstens zwei Nachkommastellen).",
                line=line,
                column=column,
            )
        ) from None


def _reference(value: str) -> str | None:
    """A reference field: None when empty or "NOTPROVIDED"."""
    return None if not value or value.upper() == _NOT_PROVIDED else value


def _compact(value: str) -> str | None:
    """An IBAN or BIC without spaces, upper case; None when empty."""
    value = "".join(value.split()).upper()
    return value or None
