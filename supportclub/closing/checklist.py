"""The year-end checklist: what the treasurer reviews before closing a year.

Each item has a state (ok, info, warning, blocking), a German text, figures in cents and an
optional link to where the problem is fixed. Blocking items stop the closing; warnings need the
treasurer's confirmation. A handful of aggregate queries, whatever the size of the year.
"""

import enum
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import func, select

from supportclub.clock import today
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger import queries as ledger_queries
from supportclub.ledger.models import Account, Booking, ClosedYear
from supportclub.money import format_cents


class State(enum.StrEnum):
    """How an item stands: fine, for information, to confirm, or in the way."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    BLOCKING = "blocking"


@dataclass(frozen=True)
class Figure:
    """A labelled amount (cents) or number shown with an item."""

    label: str
    cents: int | None = None
    number: int | None = None


@dataclass
class Item:
    """One point of the checklist."""

    key: str
    state: State
    title: str
    text: str
    figures: list[Figure] = field(default_factory=list)
    # where to fix it: an endpoint and its arguments (the page builds the url)
    endpoint: str | None = None
    args: dict = field(default_factory=dict)


@dataclass
class Checklist:
    """The checklist of a year."""

    year: int
    items: list[Item]

    @property
    def blocking(self) -> list[Item]:
        """Items that stop the closing."""
        return [i for i in self.items if i.state == State.BLOCKING]

    @property
    def warnings(self) -> list[Item]:
        """Items the treasurer must confirm."""
        return [i for i in self.items if i.state == State.WARNING]

    def as_dict(self) -> dict:
        """The checklist as JSON-ready data (stored with the closing)."""
        return {"year": self.year, "items": [asdict(item) for item in self.items]}


def year_end(year: int) -> date:
    """31 December of `year`."""
    return date(year, 12, 31)


def _year_over(year: int) -> Item:
    """(f) Only a past year can be closed."""
    if year < today().year:
        text = _("Das Jahr %(year)s ist vorbei.", year=year)
        return Item("year_over", State.OK, _("Jahr vorbei"), text)
    return Item(
        "year_over",
        State.BLOCKING,
        _("Jahr vorbei"),
        _(
            "Das Jahr %(year)s ist noch nicht vorbei; es kann erst danach abgeschlossen werden.",
            year=year,
        ),
    )


def _predecessor(year: int) -> Item:
    """(e) Closing goes in order: the year before is closed, or nothing was booked before."""
    title = _("Vorjahr abgeschlossen")
    if db.session.get(ClosedYear, year - 1) is not None:
        text = _("Das Jahr %(year)s ist abgeschlossen.", year=year - 1)
        return Item("predecessor", State.OK, title, text)
    earlier = db.session.execute(
        select(func.count(Booking.id)).where(Booking.booking_date < date(year, 1, 1))
    ).scalar_one()
    if not earlier:
        return Item(
            "predecessor",
            State.OK,
            title,
            _("Vor %(year)s gibt es keine Buchungen; %(year)s ist das erste Jahr.", year=year),
        )
    return Item(
        "predecessor",
        State.BLOCKING,
        title,
        _(
            "Das Jahr %(prev)s ist noch nicht abgeschlossen. Jahre werden der Reihe nach "
            "festgeschrieben: bitte zuerst %(prev)s abschließen.",
            prev=year - 1,
        ),
        [Figure(_("Buchungen vor %(year)s", year=year), number=int(earlier))],
        "closing.year",
        {"year": year - 1},
    )


def _bank_balance(year: int) -> Item:
    """(a) The bank balance per the books on 31.12. against the statement's closing balance."""
    from supportclub.banking.imports import balance_check
    from supportclub.banking.models import BankImport, ImportStatus

    title = _("Kontostand Bank zum 31.12.")
    day = year_end(year)
    bank = db.session.execute(select(Account).filter_by(code="bank")).scalar_one()
    statement = db.session.execute(
        select(BankImport)
        .where(
            BankImport.account_id == bank.id,
            BankImport.status == ImportStatus.IMPORTED,
            BankImport.period_end == day,
            BankImport.closing_cents.is_not(None),
        )
        .order_by(BankImport.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if statement is None:
        books = db.session.execute(
            select(func.coalesce(func.sum(Booking.amount_cents), 0)).where(
                Booking.account_id == bank.id, Booking.booking_date <= day
            )
        ).scalar_one()
        return Item(
            "bank_balance",
            State.WARNING,
            title,
            _(
                "Kein Kontoauszug bis zum 31.12.%(year)s importiert; der Kontostand laut "
                "Buchhaltung ist nicht mit der Bank abgeglichen.",
                year=year,
            ),
            [Figure(_("Kontostand laut Buchhaltung"), cents=int(books))],
            "banking.imports",
        )
    check = balance_check(statement)
    figures = [
        Figure(_("Endsaldo laut Kontoauszug"), cents=check.closing_cents),
        Figure(_("Kontostand laut Buchhaltung"), cents=check.ledger_cents),
    ]
    if check.matches:
        return Item(
            "bank_balance",
            State.OK,
            title,
            _("Der Kontostand laut Buchhaltung stimmt mit dem Kontoauszug überein."),
            figures,
        )
    figures.append(Figure(_("Differenz"), cents=check.difference_cents))
    return Item(
        "bank_balance",
        State.BLOCKING,
        title,
        _(
            "Der Kontostand laut Buchhaltung weicht um %(difference)s vom Endsaldo des "
            "Kontoauszugs ab.",
            difference=format_cents(check.difference_cents),
        ),
        figures,
        "banking.import_detail",
        {"bank_import_id": statement.id},
    )


def _open_bank_lines(year: int) -> Item:
    """(b) No bank line of the year may wait for a decision."""
    from supportclub.banking.models import LineState, StatementLine

    count, cents = db.session.execute(
        select(
            func.count(StatementLine.id), func.coalesce(func.sum(StatementLine.amount_cents), 0)
        ).where(
            StatementLine.state == LineState.OPEN,
            StatementLine.booking_date.between(date(year, 1, 1), year_end(year)),
        )
    ).one()
    title = _("Bankumsätze zugeordnet")
    if not count:
        return Item("bank_lines", State.OK, title, _("Alle Bankumsätze des Jahres sind gebucht."))
    return Item(
        "bank_lines",
        State.BLOCKING,
        title,
        _(
            "%(count)s Bankumsätze des Jahres %(year)s sind noch nicht zugeordnet.",
            count=count,
            year=year,
        ),
        [Figure(_("Umsätze"), number=int(count)), Figure(_("Summe"), cents=int(cents))],
        "banking.review",
    )


def _receipts(year: int) -> Item:
    """(c) Contributions of the year without a receipt (and receipts over reversed bookings)."""
    from supportclub.admin.services import get_settings
    from supportclub.receipts.report import reconcile

    report = reconcile(year, dues_deductible=get_settings().dues_deductible)
    title = _("Zuwendungsbestätigungen abgeglichen")
    figures = [
        Figure(_("Ohne Bestätigung"), number=report.total.open_count),
        Figure(_("Summe ohne Bestätigung"), cents=report.total.open_cents),
    ]
    if report.reversed:
        figures.append(Figure(_("Bestätigt, aber storniert gebucht"), number=len(report.reversed)))
    if report.ok:
        text = _("Alle Zuwendungen des Jahres sind bestätigt.")
        return Item("receipts", State.OK, title, text, figures)
    parts = []
    if report.open_lines:
        parts.append(
            _(
                "%(count)s Zuwendungen über %(amount)s haben keine Zuwendungsbestätigung.",
                count=len(report.open_lines),
                amount=format_cents(report.total.open_cents),
            )
        )
    if report.reversed or report.twice:
        parts.append(
            _(
                "%(count)s gültige Bestätigungen betreffen stornierte oder doppelt bestätigte "
                "Buchungen.",
                count=len(report.reversed) + len(report.twice),
            )
        )
    return Item(
        "receipts",
        State.WARNING,
        title,
        " ".join(parts),
        figures,
        "receipts.reconciliation",
        {"jahr": year},
    )


def _open_claims(year: int) -> Item:
    """(d) Open dues claims of the year stay open and payable: carried over, for information."""
    from supportclub.dues.queries import OpenClaimsFilter, open_claims_total

    count, cents = open_claims_total(OpenClaimsFilter(year=year))
    title = _("Offene Beitragsforderungen")
    if not count:
        text = _("Alle Beiträge des Jahres sind bezahlt oder erlassen.")
        return Item("claims", State.OK, title, text)
    return Item(
        "claims",
        State.INFO,
        title,
        _(
            "%(count)s offene Forderungen über %(amount)s werden ins Folgejahr übernommen "
            "(sie bleiben offen und können weiter bezahlt werden).",
            count=count,
            amount=format_cents(cents),
        ),
        [Figure(_("Forderungen"), number=count), Figure(_("Offen"), cents=cents)],
        "dues.open_claims",
        {"year": year},
    )


def _pending_debits(year: int) -> Item:
    """Direct debits of the year that no statement has shown yet (paid or returned)."""
    from supportclub.banking.models import CollectionStatus, DebitCollection, DirectDebit

    count, cents = db.session.execute(
        select(func.count(DirectDebit.id), func.coalesce(func.sum(DirectDebit.amount_cents), 0))
        .join(DebitCollection, DebitCollection.id == DirectDebit.collection_id)
        .where(
            DebitCollection.status == CollectionStatus.SUBMITTED,
            DebitCollection.collection_date.between(date(year, 1, 1), year_end(year)),
            DirectDebit.paid_line_id.is_(None),
            DirectDebit.returned_line_id.is_(None),
        )
    ).one()
    title = _("Lastschriften auf dem Kontoauszug")
    if not count:
        text = _("Alle Lastschriften des Jahres sind auf dem Kontoauszug.")
        return Item("debits", State.OK, title, text)
    return Item(
        "debits",
        State.WARNING,
        title,
        _(
            "%(count)s Lastschriften des Jahres über %(amount)s sind auf keinem Kontoauszug; "
            "wurde ein Einzug nicht ausgeführt, bitte vorher stornieren.",
            count=count,
            amount=format_cents(cents),
        ),
        [Figure(_("Lastschriften"), number=int(count)), Figure(_("Summe"), cents=int(cents))],
        "banking.collections",
    )


def _accounts(year: int) -> Item:
    """(g) Every account's balance on 31.12. per the books (bank, cash box, Stripe)."""
    figures = [
        Figure(account.name, cents=cents)
        for account, cents in ledger_queries.account_balances(as_of=year_end(year))
        if account.is_active or cents
    ]
    return Item(
        "accounts",
        State.INFO,
        _("Kontostände zum 31.12."),
        _("Kasse und Stripe-Guthaben bitte mit Kassenbuch und Stripe-Übersicht vergleichen."),
        figures,
        "ledger.balances",
    )


def checklist(year: int) -> "Checklist":
    """The checklist of `year`, in the order the treasurer works through it."""
    return Checklist(
        year,
        [
            _year_over(year),
            _predecessor(year),
            _open_bank_lines(year),
            _bank_balance(year),
            _pending_debits(year),
            _receipts(year),
            _open_claims(year),
            _accounts(year),
        ],
    )


# used by the index: years that have bookings or closings
def booked_year_range() -> tuple[int | None, int | None]:
    """The first and last year with a booking (None, None without bookings)."""
    first, last = db.session.execute(
        select(func.min(Booking.booking_date), func.max(Booking.booking_date))
    ).one()
    return (first.year if first else None, last.year if last else None)
