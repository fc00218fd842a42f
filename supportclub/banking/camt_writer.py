"""Write camt.053.001.08 statements: ``camt053(entries, ...)`` (demo, tests, benchmarks).

An entry is a dict: amount_cents (signed), and optionally booking_date, name, iban, purpose,
e2e, mandate, ref (AcctSvcrRef; default "REF-<n>"), status ("BOOK"), return_reason, fee_cents,
batch (a list of transaction dicts with amount_cents, name, iban, purpose, e2e, mandate).
"""

from datetime import date
from xml.sax.saxutils import escape

ASSOCIATION_IBAN = "DE89370400440532013000"
NAME = "Förderverein Grundschule am Lindenpark e. V."


def _amount(cents: int) -> str:
    return f"{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _tx(tx: dict, credit: bool, fee_cents: int = 0) -> str:
    cents = tx["amount_cents"]
    e2e = tx.get("e2e") or "NOTPROVIDED"
    mandate = f"<MndtId>{escape(tx['mandate'])}</MndtId>" if tx.get("mandate") else ""
    party = f"<Pty><Nm>{escape(tx.get('name', ''))}</Nm></Pty>"
    iban = tx.get("iban")
    acct = f"<Id><IBAN>{iban}</IBAN></Id>" if iban else ""
    own = f"<Pty><Nm>{escape(NAME)}</Nm></Pty>"
    own_acct = f"<Id><IBAN>{ASSOCIATION_IBAN}</IBAN></Id>"
    if credit:
        parties = f"<Dbtr>{party}</Dbtr>" + (f"<DbtrAcct>{acct}</DbtrAcct>" if acct else "")
        parties += f"<Cdtr>{own}</Cdtr><CdtrAcct>{own_acct}</CdtrAcct>"
    else:
        parties = f"<Dbtr>{own}</Dbtr><DbtrAcct>{own_acct}</DbtrAcct>"
        parties += f"<Cdtr>{party}</Cdtr>" + (f"<CdtrAcct>{acct}</CdtrAcct>" if acct else "")
    charges = ""
    if fee_cents:
        charges = (
            f'<Chrgs><TtlChrgsAndTaxAmt Ccy="EUR">{_amount(fee_cents)}</TtlChrgsAndTaxAmt>'
            f'<Rcrd><Amt Ccy="EUR">{_amount(fee_cents)}</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
            "<ChrgInclInd>true</ChrgInclInd></Rcrd></Chrgs>"
        )
    ret = ""
    if tx.get("return_reason"):
        ret = f"<RtrInf><Rsn><Cd>{tx['return_reason']}</Cd></Rsn></RtrInf>"
    purpose = tx.get("purpose", "")
    rmt = f"<RmtInf><Ustrd>{escape(purpose)}</Ustrd></RmtInf>" if purpose else ""
    return (
        f"<TxDtls><Refs><EndToEndId>{escape(e2e)}</EndToEndId>{mandate}</Refs>"
        f'<Amt Ccy="EUR">{_amount(cents)}</Amt>'
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>"
        f"{charges}<RltdPties>{parties}</RltdPties>{rmt}{ret}</TxDtls>"
    )


def _entry(n: int, entry: dict, default_date: date) -> str:
    cents = entry["amount_cents"]
    credit = cents > 0
    day = entry.get("booking_date", default_date).isoformat()
    ref = entry.get("ref", f"REF-{n}")
    transactions = entry.get("batch") or [entry]
    details = "".join(
        _tx(tx, credit, entry.get("fee_cents", 0) if not entry.get("batch") else 0)
        for tx in transactions
    )
    text = entry.get("text", "SEPA-GUTSCHRIFT" if credit else "SEPA-LASTSCHRIFT")
    reversal = "<RvslInd>true</RvslInd>" if entry.get("reversal") else ""
    ref_xml = f"<AcctSvcrRef>{escape(ref)}</AcctSvcrRef>" if ref else ""
    return (
        f'<Ntry><NtryRef>{n}</NtryRef><Amt Ccy="EUR">{_amount(cents)}</Amt>'
        f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>{reversal}"
        f"<Sts><Cd>{entry.get('status', 'BOOK')}</Cd></Sts>"
        f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>{ref_xml}"
        f"<BkTxCd><Prtry><Cd>NTRF+166+9310</Cd><Issr>DK</Issr></Prtry></BkTxCd>"
        f"<NtryDtls>{details}</NtryDtls>"
        f"<AddtlNtryInf>{escape(text)}</AddtlNtryInf></Ntry>"
    )


def camt053(
    entries: list[dict],
    *,
    iban: str = ASSOCIATION_IBAN,
    opening_cents: int = 0,
    start: date = date(2026, 3, 2),
    end: date | None = None,
    statement_id: str = "STMT-1",
) -> bytes:
    """A camt.053.001.08 document with one statement of `entries` (closing = opening + booked)."""
    end = end or max([e.get("booking_date", start) for e in entries] + [start])
    closing = opening_cents + sum(
        e["amount_cents"] for e in entries if e.get("status", "BOOK") == "BOOK"
    )

    def balance(code: str, cents: int, day: date) -> str:
        sign = "CRDT" if cents >= 0 else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="EUR">{_amount(cents)}</Amt><CdtDbtInd>{sign}</CdtDbtInd>'
            f"<Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
        )

    body = "".join(_entry(n, e, start) for n, e in enumerate(entries, start=1))
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
        "<BkToCstmrStmt><GrpHdr><MsgId>MSG-" + escape(statement_id) + "</MsgId>"
        "<CreDtTm>2026-03-04T06:12:03+01:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(statement_id)}</Id>"
        f"<FrToDt><FrDtTm>{start.isoformat()}T00:00:00+01:00</FrDtTm>"
        f"<ToDtTm>{end.isoformat()}T23:59:59+01:00</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + balance("OPBD", opening_cents, start)
        + balance("CLBD", closing, end)
        + body
        + "</Stmt></BkToCstmrStmt></Document>"
    )
    return xml.encode("utf-8")
