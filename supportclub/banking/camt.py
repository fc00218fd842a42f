"""Read camt.053 bank statements (ISO 20022 BankToCustomerStatement), alone or as a ZIP of days.

Any ``urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN`` namespace is read the same way; the few
places where versions differ are handled side by side (``Sts`` as text or ``Sts/Cd``, the party
name in ``Nm`` or ``Pty/Nm``, ``BIC`` or ``BICFI``, charges as ``Chrgs/Amt`` or ``Chrgs/Rcrd/Amt``).

How an entry (``Ntry``) becomes an :class:`Entry` with its transactions:

* The amount is always positive in the file; ``CdtDbtInd`` gives the sign. ``RvslInd`` marks a
  reversal and does not flip the sign. Only status ``BOOK`` is ``booked``.
* ``booking_text`` is the human text ``AddtlNtryInf`` ("SEPA-Gutschrift"), else the bank's code
  ``BkTxCd/Prtry/Cd`` ("NTRF+166+9310").
* An entry with several ``TxDtls`` is split into one transaction per detail only when every
  detail has a euro amount and the details add up exactly to the entry. Otherwise the entry keeps
  ONE transaction with the entry's amount and the references, counterparty and purpose of the
  first detail (a batch whose parts do not add up cannot be booked part by part).
  An entry with exactly one ``TxDtls`` always keeps the entry's amount (a returned debit's detail
  may name the original amount without the fee). An entry without ``TxDtls`` gets one
  transaction with the entry's amount and ``AddtlNtryInf`` as its purpose.
* The counterparty is ``Dbtr`` for a credit and ``Cdtr`` for a debit. For a return (``RtrInf``)
  the roles are swapped, because the bank repeats the parties of the original
  payment: a returned direct debit names the member as ``Dbtr``. Should the chosen party carry the
  statement's own IBAN, the other party is taken instead.
* The creditor identifier is ``CdtrSchmeId`` where a bank writes it, else the SEPA identifier of
  the ``Cdtr`` party (``RltdPties/Cdtr[/Pty]/Id/PrvtId/Othr/Id``).
* ``bank_fee_cents`` is set for returns only: the charges (``Chrgs``) of the entry, or else the
  sum of the charges of its details, as a positive number of cents included in the entry's amount.
* Dates are taken as written (``Dt``, or the date part of ``DtTm`` in the bank's time zone).
* Texts are stripped; repeated ``Ustrd`` lines are joined with a space; ``NOTPROVIDED`` counts as
  not given.

Every problem refuses the whole file with a :class:`StatementError` that names the place
("Buchung 3"), never the bank data.
"""

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from supportclub.banking.statement import Entry, Statement, StatementError, Transaction
from supportclub.i18n import _
from supportclub.money import MAX_CENTS, MoneyError, cents_to_decimal, decimal_to_cents

__all__ = ["read_camt"]

_NS_RE = re.compile(
    r"urn:iso:std:iso:20022:tech:xsd:(?P<type>(?P<kind>[a-z]{4}\.[0-9]{3})\.[0-9]{3}\.[0-9]{2})"
)
# What a treasurer would call the other ISO 20022 messages a bank offers for download.
_OTHER_MESSAGES = {
    "camt.052": "Umsatzinformation untertags",
    "camt.054": "Sammlerauflösung bzw. Einzelumsatzbenachrichtigung",
    "pain.001": "Überweisungsauftrag",
    "pain.008": "Lastschrifteinreichung",
    "pain.002": "Statusbericht",
}
_AMOUNT_RE = re.compile(r"\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_NOT_PROVIDED = "NOTPROVIDED"
_SIGNS = {"CRDT": 1, "DBIT": -1}


@dataclass(frozen=True)
class _Where:
    """The place in the file a message names: statement, entry, detail or balance."""

    statement: int = 1
    statements: int = 1
    entry: int | None = None
    detail: int | None = None
    balance: str | None = None

    def __str__(self) -> str:
        """German text such as "Auszug 2, Buchung 3, Einzelumsatz 1" or "Kontoauszug"."""
        parts = []
        if self.statements > 1:
            parts.append(_("Auszug %(number)s", number=self.statement))
        if self.balance:
            parts.append(_("Saldo %(code)s", code=self.balance))
        if self.entry is not None:
            parts.append(_("Buchung %(number)s", number=self.entry))
        if self.detail is not None:
            parts.append(_("Einzelumsatz %(number)s", number=self.detail))
        return ", ".join(parts) if parts else _("Kontoauszug")


def _refuse(where: _Where, problem: str) -> StatementError:
    """Build the error "<where>: <problem>" from an already translated problem."""
    return StatementError(_("%(where)s: %(problem)s", where=str(where), problem=problem))


class _Xml:
    """Namespaced look-ups in one camt document, written with plain element names."""

    def __init__(self, namespace: str):
        """Remember the document's namespace."""
        self.namespace = namespace

    def _path(self, path: str) -> str:
        """Qualify every step of ``path`` ("NtryDtls/TxDtls") with the namespace."""
        steps = path.split("/")
        return "/".join(s if s in ("", ".") else f"{{{self.namespace}}}{s}" for s in steps)

    def find(self, element: Element | None, path: str) -> Element | None:
        """The first element at ``path`` below ``element``, or None."""
        return None if element is None else element.find(self._path(path))

    def findall(self, element: Element | None, path: str) -> list[Element]:
        """All elements at ``path`` below ``element``."""
        return [] if element is None else element.findall(self._path(path))

    def text(self, element: Element | None, path: str) -> str | None:
        """The stripped text at ``path``; None when missing, empty or "NOTPROVIDED"."""
        return _clean(self.find(element, path))

    def first_text(self, element: Element | None, *paths: str) -> str | None:
        """The text of the first of ``paths`` that has one."""
        for path in paths:
            value = self.text(element, path)
            if value is not None:
                return value
        return None


def _clean(element: Element | None) -> str | None:
    """The stripped text of ``element``; None when missing, empty or "NOTPROVIDED"."""
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return None if not value or value.upper() == _NOT_PROVIDED else value


def read_camt(data: bytes) -> list[Statement]:
    """Read one camt.053 XML document into its statements (normally one); refuse it whole."""
    root = _parse(data)
    message_type, namespace = _message_type(root)
    xml = _Xml(namespace)
    elements = xml.findall(root, "BkToCstmrStmt/Stmt")
    if not elements:
        raise StatementError(_("Die Datei enthält keinen Kontoauszug (Element Stmt fehlt)."))
    statements = [
        _read_statement(xml, element, message_type, _Where(number, len(elements)))
        for number, element in enumerate(elements, start=1)
    ]
    if len({statement.iban for statement in statements}) > 1:
        raise StatementError(_("Die Datei enthält Auszüge mehrerer Konten."))
    return statements


def _parse(data: bytes) -> Element:
    """Parse the XML safely: no DTD, no entities, no external references."""
    try:
        return DefusedET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise StatementError(
            _(
                "Die Datei enthält eine DTD oder Entity-Deklarationen und wird aus "
                "Sicherheitsgründen nicht gelesen. Bitte den Auszug unverändert aus dem "
                "Online-Banking hochladen."
            )
        ) from None
    except ParseError as error:
        line, column = error.position
        raise StatementError(
            _(
                "Die XML-Datei ist fehlerhaft und kann nicht gelesen werden "
                "(Zeile %(line)s, Spalte %(column)s).",
                line=line,
                column=column + 1,
            )
        ) from None
    except LookupError:
        raise StatementError(_("Die Zeichenkodierung der XML-Datei ist unbekannt.")) from None
    except ValueError:
        raise StatementError(_("Die XML-Datei kann nicht gelesen werden.")) from None


def _message_type(root: Element) -> tuple[str, str]:
    """Return ("camt.053.001.08", namespace) or refuse any other message."""
    namespace, _sep, local = root.tag[1:].partition("}") if root.tag[:1] == "{" else ("", "", "")
    match = _NS_RE.fullmatch(namespace)
    if match is None:
        raise StatementError(
            _("Die XML-Datei ist kein Kontoauszug im Format camt.053 (unbekannte Nachricht).")
        )
    if match["kind"] != "camt.053":
        name = _OTHER_MESSAGES.get(match["kind"])
        kind = f"{match['type']} ({name})" if name else match["type"]
        raise StatementError(
            _(
                "Die Datei ist eine Nachricht vom Typ %(type)s, kein Kontoauszug. Bitte den "
                "Kontoauszug im Format camt.053 herunterladen.",
                type=kind,
            )
        )
    if local != "Document":
        raise StatementError(_("Die XML-Datei ist kein camt.053-Dokument (Element Document)."))
    return match["type"], namespace


def _read_statement(xml: _Xml, stmt: Element, message_type: str, where: _Where) -> Statement:
    """Read one ``Stmt``: account, currency, period, balances and entries."""
    iban = _account_iban(xml, stmt, where)
    currency = xml.text(stmt, "Acct/Ccy")
    if currency is not None and currency != "EUR":
        raise _currency_error(where, currency)
    opening, closing = _balances(xml, stmt, where)
    frm = xml.find(stmt, "FrToDt")
    entries = [
        _read_entry(xml, ntry, iban, replace(where, entry=position))
        for position, ntry in enumerate(xml.findall(stmt, "Ntry"), start=1)
    ]
    return Statement(
        format=message_type,
        iban=iban,
        currency="EUR",
        period_start=_datetime_date(xml.text(frm, "FrDtTm"), where),
        period_end=_datetime_date(xml.text(frm, "ToDtTm"), where),
        opening_cents=opening,
        closing_cents=closing,
        entries=entries,
        statement_id=xml.text(stmt, "Id"),
    )


def _account_iban(xml: _Xml, stmt: Element, where: _Where) -> str:
    """The statement account's IBAN, normalised; refuse a missing or invalid one."""
    text = xml.text(stmt, "Acct/Id/IBAN")
    if text is None:
        raise _refuse(where, _("Die IBAN des Kontos fehlt."))
    try:
        return IBAN(text).compact
    except SchwiftyException:
        raise _refuse(where, _("Die IBAN des Kontos ist ungültig.")) from None


def _currency_error(where: _Where, currency: str | None) -> StatementError:
    """Refuse an amount or account in a currency other than euro."""
    code = currency if currency and _CURRENCY_RE.fullmatch(currency) else "?"
    return _refuse(
        where,
        _(
            "Die Währung ist %(currency)s; es können nur Euro-Konten eingelesen werden.",
            currency=code,
        ),
    )


def _balances(xml: _Xml, stmt: Element, where: _Where) -> tuple[int | None, int | None]:
    """Opening (OPBD, else PRCD) and closing (CLBD) balance in signed cents."""
    found: dict[str, int] = {}
    for bal in xml.findall(stmt, "Bal"):
        code = xml.first_text(bal, "Tp/CdOrPrtry/Cd", "Tp/Cd")
        if code not in ("OPBD", "PRCD", "CLBD") or code in found:
            continue
        here = replace(where, balance=code)
        cents = _cents(xml.find(bal, "Amt"), here)
        indicator = xml.text(bal, "CdtDbtInd")
        found[code] = 0 if cents == 0 and indicator is None else _sign(indicator, here) * cents
    opening = found.get("OPBD", found.get("PRCD"))
    return opening, found.get("CLBD")


def _sign(indicator: str | None, where: _Where) -> int:
    """+1 for CRDT, -1 for DBIT; refuse anything else."""
    if indicator not in _SIGNS:
        raise _refuse(where, _("Das Soll/Haben-Kennzeichen (CdtDbtInd) fehlt oder ist ungültig."))
    return _SIGNS[indicator]


def _cents(element: Element | None, where: _Where) -> int:
    """A camt amount (always positive, in euros) as exact integer cents; refuse anything else."""
    if element is None or not (element.text or "").strip():
        raise _refuse(where, _("Der Betrag (Amt) fehlt."))
    currency = element.get("Ccy")
    if currency is not None and currency.strip() != "EUR":
        raise _currency_error(where, currency.strip())
    text = element.text.strip()
    if text.startswith("-") and _AMOUNT_RE.fullmatch(text[1:]):
        raise _refuse(
            where, _("Der Betrag ist negativ; das Vorzeichen steht in camt.053 im Feld CdtDbtInd.")
        )
    if not _AMOUNT_RE.fullmatch(text):
        raise _refuse(where, _("Der Betrag ist keine gültige Zahl."))
    value = Decimal(text)
    if value > cents_to_decimal(MAX_CENTS):
        raise _refuse(where, _("Der Betrag ist zu groß."))
    try:
        return decimal_to_cents(value)
    except MoneyError:
        raise _refuse(where, _("Der Betrag hat mehr als zwei Nachkommastellen.")) from None


def _date(text: str | None, where: _Where) -> date | None:
    """An ISO date ("2026-03-02", optionally with a zone); refuse a malformed one."""
    if text is None:
        return None
    match = _DATE_RE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise _refuse(where, _("Ein Datum ist ungültig.")) from None


def _datetime_date(text: str | None, where: _Where) -> date | None:
    """The date part of an ISO date-time as written; refuse a malformed one."""
    if text is None:
        return None
    match = _DATETIME_RE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return datetime(*(int(part) for part in match.groups())).date()
    except ValueError:
        raise _refuse(where, _("Ein Zeitpunkt ist ungültig.")) from None


def _date_choice(xml: _Xml, element: Element | None, where: _Where) -> date | None:
    """``Dt`` or ``DtTm`` inside ``BookgDt``/``ValDt``; None when the element is missing."""
    if element is None:
        return None
    day = _date(xml.text(element, "Dt"), where) or _datetime_date(xml.text(element, "DtTm"), where)
    if day is None:
        raise _refuse(where, _("Ein Datum (Dt oder DtTm) fehlt."))
    return day


def _status(xml: _Xml, ntry: Element, where: _Where) -> str:
    """The entry status: ``Sts`` as text (up to .04) or ``Sts/Cd``/``Sts/Prtry`` (later)."""
    sts = xml.find(ntry, "Sts")
    status = xml.first_text(sts, "Cd", "Prtry") or _clean(sts)
    if status is None:
        raise _refuse(where, _("Der Buchungsstatus (Sts) fehlt."))
    return status.upper()


def _read_entry(xml: _Xml, ntry: Element, own_iban: str, where: _Where) -> Entry:
    """Read one ``Ntry`` and its transactions (see the module docstring for the rules)."""
    sign = _sign(xml.text(ntry, "CdtDbtInd"), where)
    amount = sign * _cents(xml.find(ntry, "Amt"), where)
    booked = _status(xml, ntry, where) == "BOOK"
    booking_date = _date_choice(xml, xml.find(ntry, "BookgDt"), where)
    value_date = _date_choice(xml, xml.find(ntry, "ValDt"), where)
    if booking_date is None and (booked or value_date is None):
        raise _refuse(where, _("Das Buchungsdatum (BookgDt) fehlt."))
    details = xml.findall(ntry, "NtryDtls/TxDtls")
    is_return = any(xml.find(tx, "RtrInf") is not None for tx in details)
    additional = xml.text(ntry, "AddtlNtryInf")
    fee = _fee_cents(xml, ntry, details, where) if is_return else 0
    return Entry(
        position=where.entry,
        amount_cents=amount,
        booking_date=booking_date or value_date,
        value_date=value_date,
        booked=booked,
        reversal=(xml.text(ntry, "RvslInd") or "").lower() in ("true", "1"),
        bank_reference=xml.text(ntry, "AcctSvcrRef"),
        booking_text=additional or xml.text(ntry, "BkTxCd/Prtry/Cd") or "",
        bank_fee_cents=fee,
        transactions=_transactions(xml, details, amount, additional, own_iban, where),
    )


def _transactions(
    xml: _Xml,
    details: list[Element],
    amount: int,
    additional: str | None,
    own_iban: str,
    where: _Where,
) -> tuple[Transaction, ...]:
    """One transaction per detail when the details add up, else one for the whole entry."""
    if not details:
        return (Transaction(amount_cents=amount, purpose=additional or ""),)
    credit = amount >= 0
    if len(details) > 1:
        amounts = [
            _detail_cents(xml, tx, credit, replace(where, detail=number))
            for number, tx in enumerate(details, start=1)
        ]
        if None not in amounts and sum(amounts) == amount:
            return tuple(
                _transaction(xml, tx, cents, credit, own_iban)
                for tx, cents in zip(details, amounts, strict=True)
            )
    return (_transaction(xml, details[0], amount, credit, own_iban),)


def _detail_cents(xml: _Xml, tx: Element, credit: bool, where: _Where) -> int | None:
    """A detail's signed euro amount (``Amt``, else ``AmtDtls/TxAmt``/``InstdAmt``), or None."""
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        element = xml.find(tx, path)
        if element is None or (element.get("Ccy") or "EUR").strip() != "EUR":
            continue
        indicator = xml.text(tx, "CdtDbtInd")
        sign = _sign(indicator, where) if indicator else (1 if credit else -1)
        return sign * _cents(element, where)
    return None


def _transaction(xml: _Xml, tx: Element, cents: int, credit: bool, own_iban: str) -> Transaction:
    """Build the Transaction of one ``TxDtls`` with the given signed amount."""
    is_return = xml.find(tx, "RtrInf") is not None
    name, iban, bic = _counterparty(xml, tx, credit != is_return, own_iban)
    purpose = " ".join(filter(None, (_clean(line) for line in xml.findall(tx, "RmtInf/Ustrd"))))
    return Transaction(
        amount_cents=cents,
        end_to_end_id=xml.text(tx, "Refs/EndToEndId"),
        mandate_reference=xml.text(tx, "Refs/MndtId"),
        creditor_id=_creditor_id(xml, tx),
        counterparty_name=name,
        counterparty_iban=iban,
        counterparty_bic=bic,
        purpose=purpose,
        return_reason=xml.first_text(tx, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry"),
        bank_reference=xml.text(tx, "Refs/AcctSvcrRef"),
    )


def _counterparty(
    xml: _Xml, tx: Element, debtor_side: bool, own_iban: str
) -> tuple[str, str | None, str | None]:
    """Name, IBAN and BIC of the other party (``Dbtr`` when ``debtor_side``, else ``Cdtr``)."""
    roles = ("Dbtr", "Cdtr") if debtor_side else ("Cdtr", "Dbtr")
    for role in roles:
        iban = xml.text(tx, f"RltdPties/{role}Acct/Id/IBAN")
        iban = iban.replace(" ", "").upper() if iban else None
        if iban is not None and iban == own_iban:
            continue  # the bank named us here: the other party is the counterparty
        name = xml.first_text(tx, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm")
        bic = xml.first_text(
            tx, f"RltdAgts/{role}Agt/FinInstnId/BICFI", f"RltdAgts/{role}Agt/FinInstnId/BIC"
        )
        return name or "", iban, bic
    return "", None, None


def _creditor_id(xml: _Xml, tx: Element) -> str | None:
    """The SEPA creditor identifier (Gläubiger-ID) of a direct debit, if given."""
    paths = (
        ".//CdtrSchmeId/Id/PrvtId/Othr",
        "RltdPties/Cdtr/Id/PrvtId/Othr",
        "RltdPties/Cdtr/Pty/Id/PrvtId/Othr",
    )
    for path in paths:
        for other in xml.findall(tx, path):
            identifier = xml.text(other, "Id")
            if identifier and xml.text(other, "SchmeNm/Prtry") in (None, "SEPA"):
                return identifier
    return None


def _fee_cents(xml: _Xml, ntry: Element, details: list[Element], where: _Where) -> int:
    """The charges of a return in positive cents: the entry's ``Chrgs``, else its details'."""
    charges = xml.findall(ntry, "Chrgs")
    if not charges:
        charges = [chrgs for tx in details for chrgs in xml.findall(tx, "Chrgs")]
    total = 0
    for chrgs in charges:
        overall = xml.find(chrgs, "TtlChrgsAndTaxAmt")
        if overall is not None:
            total += _cents(overall, where)
            continue
        for record in xml.findall(chrgs, "Rcrd") or [chrgs]:
            amount = xml.find(record, "Amt")
            if amount is not None:
                sign = -1 if xml.text(record, "CdtDbtInd") == "CRDT" else 1
                total += sign * _cents(amount, where)
    return total
