"""Turning bank lines into bookings: the bulk "Vorschläge bestätigen" and the correction of one
line. They flush, never commit.

confirm_lines, in numbered steps (a constant number of queries, whatever the number of lines):

1. lock the lines (FOR UPDATE) and keep those still open with a bookable suggestion;
2. lock the direct debits and the dues claims involved and read every claim's open amount in
   one aggregate query;
3. plan each line (dues lines per claim, donation rest, return with its bank fee, or a link to an
   existing booking); a line whose suggestion no longer fits is skipped with a German reason;
4. record all bookings at once (ledger.bulk), then mark the lines done, the debits paid or
   returned, remember the IBANs and write one audit entry.
"""

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from supportclub import audit
from supportclub.banking.labels import return_reason_text
from supportclub.banking.models import DirectDebit, KnownIban, LineState, MatchKind, StatementLine
from supportclub.banking.suggestion import Suggestion
from supportclub.chunks import chunked
from supportclub.clock import utcnow
from supportclub.dbinsert import insert_if_absent
from supportclub.dues.models import DuesClaim
from supportclub.dues.queries import OPEN
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.bulk import BookingSpec, closed_years, record_bookings
from supportclub.ledger.models import (
    Booking,
    Category,
    Channel,
    Fund,
    Person,
    full_name_of,
)
from supportclub.ledger.services import LineInput, booking_date_problem
from supportclub.members.models import Membership
from supportclub.money import format_cents


@dataclass
class ConfirmResult:
    """What a bulk confirmation did: bookings made, lines linked, lines skipped and why."""

    booked: int = 0
    linked: int = 0
    skipped: list[tuple[StatementLine, str]] = field(default_factory=list)


@dataclass
class ClaimInfo:
    """A dues claim as the confirmation needs it: still open, year, whose."""

    id: int
    year: int
    open_cents: int
    name: str
    member_number: int | None


@dataclass
class _Plan:
    """What one line becomes."""

    line: StatementLine
    spec: BookingSpec | None = None  # None: only linked
    link_booking_id: int | None = None
    paid_debit: DirectDebit | None = None
    returned_debit: DirectDebit | None = None


def booking_text(line: StatementLine) -> str:
    """The text of a line's booking: counterparty and purpose."""
    parts = [(line.counterparty_name or "").strip(), (line.purpose or "").strip()]
    return " – ".join(p for p in parts if p)[:500]


def beitrag_text(claim: ClaimInfo) -> str:
    """The dues line text, as dues.payments.beitrag_text writes it."""
    number = f" ({claim.member_number})" if claim.member_number else ""
    return _("Beitrag %(year)s %(name)s%(number)s", year=claim.year, name=claim.name, number=number)


# Step 1 and 2: lock and read ------------------------------------------------------------------


def lock_lines(ids: list[int]) -> list[StatementLine]:
    """The lines, locked and re-read (another treasurer may have booked them meanwhile)."""
    out: list[StatementLine] = []
    for chunk in chunked(sorted(set(ids))):
        out.extend(
            db.session.execute(
                select(StatementLine)
                .where(StatementLine.id.in_(chunk))
                .order_by(StatementLine.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).scalars()
        )
    return out


def _lock_debits(ids: set[int]) -> dict[int, DirectDebit]:
    """Our direct debits by id, locked."""
    out: dict[int, DirectDebit] = {}
    for chunk in chunked(sorted(ids)):
        for debit in db.session.execute(
            select(DirectDebit)
            .where(DirectDebit.id.in_(chunk))
            .order_by(DirectDebit.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars():
            out[debit.id] = debit
    return out


def lock_claims(ids: set[int]) -> dict[int, ClaimInfo]:
    """The claims locked (by id order), with what is still open on each: one aggregate query."""
    out: dict[int, ClaimInfo] = {}
    for chunk in chunked(sorted(ids)):
        rows = db.session.execute(
            select(
                DuesClaim.id,
                DuesClaim.year,
                OPEN.label("open"),
                Person.kind,
                Person.first_name,
                Person.last_name,
                Person.member_number,
            )
            .join(Membership, DuesClaim.membership_id == Membership.id)
            .join(Person, Membership.person_id == Person.id)
            .where(DuesClaim.id.in_(chunk))
            .order_by(DuesClaim.id)
            .with_for_update(of=DuesClaim)
        )
        for claim_id, year, open_, kind, first, last, number in rows:
            out[claim_id] = ClaimInfo(
                claim_id, year, max(int(open_), 0), full_name_of(kind, first, last), number
            )
    return out


def _states(ids: set[int]) -> dict[int, LineState]:
    """The state of the given lines (the collection credits of returned debits)."""
    out: dict[int, LineState] = {}
    for chunk in chunked(sorted(ids)):
        out.update(
            db.session.execute(
                select(StatementLine.id, StatementLine.state).where(StatementLine.id.in_(chunk))
            ).all()
        )
    return out


def _booked_refs(keys: list[str]) -> dict[str, int]:
    """Entry keys already booked on the bank channel (booking id by key)."""
    out: dict[str, int] = {}
    for chunk in chunked(sorted(set(keys))):
        out.update(
            db.session.execute(
                select(Booking.external_ref, Booking.id).where(
                    Booking.channel == Channel.BANK, Booking.external_ref.in_(chunk)
                )
            ).all()
        )
    return out


def link_targets(ids: set[int]) -> tuple[set[int], set[int], set[int]]:
    """(existing, reversed, already linked) among the booking ids."""
    existing: set[int] = set()
    reversed_: set[int] = set()
    linked: set[int] = set()
    for chunk in chunked(sorted(ids)):
        existing.update(db.session.scalars(select(Booking.id).where(Booking.id.in_(chunk))))
        reversed_.update(
            db.session.scalars(
                select(Booking.reversal_of_id).where(Booking.reversal_of_id.in_(chunk))
            )
        )
        linked.update(
            db.session.scalars(
                select(StatementLine.booking_id).where(StatementLine.booking_id.in_(chunk))
            )
        )
    return existing, reversed_, linked


def _category_ids() -> dict[str, int]:
    """The ids of the categories a confirmation books."""
    rows = db.session.execute(
        select(Category.code, Category.id).where(
            Category.code.in_(("dues", "donation", "bank_fees"))
        )
    )
    return dict(rows.all())


class _Planner:
    """Step 3: what each line becomes, with everything loaded once."""

    def __init__(self, lines: list[StatementLine], suggestions: dict[int, Suggestion]):
        self.suggestions = suggestions
        debit_ids = {s.debit_id for s in suggestions.values() if s.debit_id is not None}
        self.debits = _lock_debits(debit_ids)
        claim_ids = {c for s in suggestions.values() for c, _cents in s.claims}
        claim_ids |= {d.claim_id for d in self.debits.values()}
        self.claims = lock_claims(claim_ids)
        self.paid_states = _states(
            {d.paid_line_id for d in self.debits.values() if d.paid_line_id is not None}
        )
        link_ids = {s.booking_id for s in suggestions.values() if s.booking_id is not None}
        self.existing, self.reversed, self.linked = link_targets(link_ids)
        self.closed = closed_years({line.booking_date.year for line in lines})
        self.booked = _booked_refs([line.entry_key for line in lines])
        self.categories = _category_ids()
        self.general = db.session.execute(select(Fund.id).filter_by(code=Fund.GENERAL)).scalar_one()
        self.paid_in_batch: set[int] = set()  # debits whose collection credit this batch books

    def spec(self, line: StatementLine, person_id, lines: list[LineInput]) -> BookingSpec:
        """The booking of `line`."""
        return BookingSpec(
            booking_date=line.booking_date,
            account_id=line.account_id,
            amount_cents=line.amount_cents,
            lines=lines,
            person_id=person_id,
            text=booking_text(line),
            channel=Channel.BANK,
            external_ref=line.entry_key,
        )

    def plan(self, line: StatementLine) -> _Plan | str:
        """The plan for `line`, or why it is skipped."""
        s = self.suggestions[line.id]
        if s.kind in (MatchKind.PAYOUT, MatchKind.BOOKED):
            return self._link(line, s)
        problem = booking_date_problem(line.booking_date, self.closed)
        if problem is not None:
            return problem[1]
        if line.entry_key in self.booked:
            return _(
                "Dieser Vorgang (%(reference)s) ist bereits gebucht (Buchung %(booking)s).",
                reference=line.entry_key,
                booking=self.booked[line.entry_key],
            )
        if s.kind == MatchKind.COLLECTION:
            return self._collection(line, s)
        if s.kind == MatchKind.RETURN:
            return self._return(line, s)
        return self._claims(line, s)

    def _link(self, line: StatementLine, s: Suggestion) -> _Plan | str:
        """PAYOUT / BOOKED: point the line at the booking that exists."""
        bid = s.booking_id
        if bid not in self.existing:
            return _("Die Buchung %(booking)s gibt es nicht.", booking=bid)
        if bid in self.reversed:
            return _("Die Buchung %(booking)s wurde storniert.", booking=bid)
        if bid in self.linked:
            return _(
                "Die Buchung %(booking)s ist bereits mit einem anderen Umsatz verknüpft.",
                booking=bid,
            )
        self.linked.add(bid)
        return _Plan(line, link_booking_id=bid)

    def _take(self, claim_id: int, cents: int) -> str | None:
        """Reserve `cents` of the claim's open amount, or say why that is no longer possible."""
        claim = self.claims.get(claim_id)
        if claim is None:
            return _("Die Forderung %(claim)s gibt es nicht mehr.", claim=claim_id)
        if claim.open_cents <= 0:
            return _(
                "Beitrag %(year)s von %(name)s ist inzwischen bezahlt.",
                year=claim.year,
                name=claim.name,
            )
        if cents > claim.open_cents:
            return _(
                "Für den Beitrag %(year)s von %(name)s sind nur noch %(open)s offen, "
                "nicht %(amount)s.",
                year=claim.year,
                name=claim.name,
                open=format_cents(claim.open_cents),
                amount=format_cents(cents),
            )
        return None

    def _dues_lines(self, claims: list[tuple[int, int]]) -> list[LineInput] | str:
        """Dues lines for the claims (each still open enough), reserving what they take."""
        for claim_id, cents in claims:
            problem = self._take(claim_id, cents) if cents > 0 else _("Betrag 0")
            if problem:
                return problem
        out = []
        for claim_id, cents in claims:
            claim = self.claims[claim_id]
            claim.open_cents -= cents
            out.append(
                LineInput(
                    self.categories["dues"], self.general, cents, beitrag_text(claim), claim_id
                )
            )
        return out

    def _claims(self, line: StatementLine, s: Suggestion) -> _Plan | str:
        """Claims and/or a donation rest, from the suggestion."""
        if line.amount_cents < 0:
            return _(
                "Eine Abbuchung wird nicht ohne Prüfung gebucht; bitte über „Korrigieren“ zuordnen."
            )
        planned = sum(cents for _c, cents in s.claims) + s.donation_cents
        if planned != line.amount_cents or s.donation_cents < 0:
            return _(
                "Der Vorschlag (%(plan)s) passt nicht zum Betrag %(amount)s.",
                plan=format_cents(planned),
                amount=format_cents(line.amount_cents),
            )
        if s.person_id is None:
            return _("Der Vorschlag nennt keine Person.")
        lines = self._dues_lines(s.claims)
        if isinstance(lines, str):
            return lines
        if s.donation_cents:
            text = _("Spende (Mehrbetrag)") if s.claims else _("Spende")
            lines.append(
                LineInput(self.categories["donation"], self.general, s.donation_cents, text)
            )
        return _Plan(line, spec=self.spec(line, s.person_id, lines))

    def _debit(self, s: Suggestion) -> DirectDebit | str:
        """The suggestion's direct debit, or why there is none."""
        debit = self.debits.get(s.debit_id)
        if debit is None:
            return _("Die Lastschrift gibt es nicht mehr.")
        return debit

    def _collection(self, line: StatementLine, s: Suggestion) -> _Plan | str:
        """Our own direct debit came in: it pays the debit's claim."""
        debit = self._debit(s)
        if isinstance(debit, str):
            return debit
        if line.amount_cents <= 0:
            return _("Eine Lastschriftgutschrift muss ein Zahlungseingang sein.")
        if debit.paid_line_id is not None and debit.paid_line_id != line.id:
            return _(
                "Die Lastschrift %(e2e)s ist bereits einem anderen Umsatz zugeordnet.",
                e2e=debit.end_to_end_id,
            )
        if debit.id in self.paid_in_batch:
            return _(
                "Die Lastschrift %(e2e)s ist bereits einem anderen Umsatz zugeordnet.",
                e2e=debit.end_to_end_id,
            )
        lines = self._dues_lines([(debit.claim_id, line.amount_cents)])
        if isinstance(lines, str):
            return lines
        self.paid_in_batch.add(debit.id)
        return _Plan(line, spec=self.spec(line, debit.person_id, lines), paid_debit=debit)

    def _return(self, line: StatementLine, s: Suggestion) -> _Plan | str:
        """A returned debit: the claim opens again, the bank fee is a cost."""
        debit = self._debit(s)
        if isinstance(debit, str):
            return debit
        if line.amount_cents >= 0:
            return _("Eine Rücklastschrift muss eine Abbuchung sein.")
        if debit.returned_line_id is not None:
            return _("Die Rücklastschrift zu %(e2e)s ist bereits gebucht.", e2e=debit.end_to_end_id)
        credit_booked = debit.paid_line_id is not None and (
            self.paid_states.get(debit.paid_line_id) == LineState.DONE
        )
        if not credit_booked and debit.id not in self.paid_in_batch:
            return _(
                "Die Gutschrift der Lastschrift %(e2e)s ist noch nicht gebucht; bitte zuerst "
                "diese bestätigen.",
                e2e=debit.end_to_end_id,
            )
        fee = line.bank_fee_cents or 0
        dues_cents = -line.amount_cents - fee
        if dues_cents <= 0:
            return _("Die Bankgebühr ist nicht kleiner als der zurückgegebene Betrag.")
        claim = self.claims.get(debit.claim_id)
        if claim is None:
            return _("Die Forderung %(claim)s gibt es nicht mehr.", claim=debit.claim_id)
        claim.open_cents += dues_cents
        text = _(
            "Rücklastschrift Beitrag %(year)s %(name)s (%(reason)s)",
            year=claim.year,
            name=claim.name,
            reason=return_reason_text(line.return_reason),
        )
        lines = [
            LineInput(self.categories["dues"], self.general, -dues_cents, text[:500], claim.id)
        ]
        if fee:
            fee_text = _("Bankgebühr Rücklastschrift")
            lines.append(LineInput(self.categories["bank_fees"], self.general, -fee, fee_text))
        return _Plan(line, spec=self.spec(line, debit.person_id, lines), returned_debit=debit)


# Step 4: write ----------------------------------------------------------------------------------


def _mark_done(plans: list[_Plan], booking_ids: dict[int, int], actor) -> None:
    """Lines done with their booking; debits paid or returned (bulk updates)."""
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    rows = []
    for plan in plans:
        bid = plan.link_booking_id or booking_ids[plan.line.id]
        values = {
            "state": LineState.DONE,
            "booking_id": bid,
            "linked_existing": plan.link_booking_id is not None,
            "done_at": now,
            "done_by_id": actor_id,
        }
        rows.append({"id": plan.line.id, **values})
        for key, value in values.items():
            set_committed_value(plan.line, key, value)
    if rows:
        db.session.execute(update(StatementLine), rows)
    debit_rows = []
    for plan in plans:
        if plan.paid_debit is not None:
            debit_rows.append({"id": plan.paid_debit.id, "paid_line_id": plan.line.id})
            set_committed_value(plan.paid_debit, "paid_line_id", plan.line.id)
        if plan.returned_debit is not None:
            debit_rows.append({"id": plan.returned_debit.id, "returned_line_id": plan.line.id})
            set_committed_value(plan.returned_debit, "returned_line_id", plan.line.id)
    for key in ("paid_line_id", "returned_line_id"):
        subset = [row for row in debit_rows if key in row]
        if subset:
            db.session.execute(update(DirectDebit), subset)


def remember_ibans(pairs: list[tuple[str, int]], *, actor) -> None:
    """Remember IBAN-to-person pairs: new ones inserted, known ones counted once more."""
    now = utcnow()
    counts: dict[tuple[str, int], int] = {}
    for iban, person_id in pairs:
        if iban and person_id:
            key = ("".join(iban.split()).upper(), int(person_id))
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return
    known: dict[tuple[str, int], int] = {}
    for chunk in chunked(sorted({iban for iban, _p in counts})):
        rows = db.session.execute(
            select(KnownIban.iban, KnownIban.person_id, KnownIban.id).where(
                KnownIban.iban.in_(chunk)
            )
        )
        for iban, person_id, kid in rows:
            known[(iban, person_id)] = kid
    new = [
        {
            "iban": iban,
            "person_id": person_id,
            "confirmed_count": n,
            "created_at": now,
            "last_confirmed_at": now,
            "created_by_id": getattr(actor, "id", None),
        }
        for (iban, person_id), n in counts.items()
        if (iban, person_id) not in known
    ]
    if new:
        db.session.execute(insert_if_absent(KnownIban, key=["iban", "person_id"]), new)
    table = KnownIban.__table__
    bumps = [{"kid": known[key], "n": n} for key, n in counts.items() if key in known]
    if bumps:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("kid"))
            .values(
                confirmed_count=table.c.confirmed_count + bindparam("n"), last_confirmed_at=now
            ),
            bumps,
        )


def remember_iban(iban: str | None, person_id: int | None, *, actor) -> None:
    """Remember that `iban` belongs to the person (confirmed once more if known)."""
    if iban and person_id:
        remember_ibans([(iban, person_id)], actor=actor)


def confirm_lines(lines: list[StatementLine], *, actor) -> ConfirmResult:
    """Book (or link) the suggestions of the given lines; see the module docstring."""
    result = ConfirmResult()
    db.session.flush()
    locked = lock_lines([line.id for line in lines])
    candidates = []
    suggestions: dict[int, Suggestion] = {}
    for line in locked:
        if line.state != LineState.OPEN:
            result.skipped.append((line, _("Der Umsatz ist bereits erledigt.")))
            continue
        s = Suggestion.of(line)
        if not s.is_bookable:
            result.skipped.append((line, _("Kein Vorschlag zum Bestätigen.")))
            continue
        suggestions[line.id] = s
        candidates.append(line)
    if not candidates:
        return result
    planner = _Planner(candidates, suggestions)
    # collections before returns: a return may follow its credit within the same batch
    order = {MatchKind.COLLECTION: 0, MatchKind.RETURN: 2}
    candidates.sort(key=lambda ln: (order.get(suggestions[ln.id].kind, 1), ln.id))
    plans: list[_Plan] = []
    for line in candidates:
        plan = planner.plan(line)
        if isinstance(plan, str):
            result.skipped.append((line, plan))
        else:
            plans.append(plan)
    to_book = [p for p in plans if p.spec is not None]
    ids = record_bookings([p.spec for p in to_book], actor=actor)
    booking_ids = {p.line.id: bid for p, bid in zip(to_book, ids, strict=True)}
    _mark_done(plans, booking_ids, actor)
    remember_ibans(
        [
            (p.line.counterparty_iban, p.spec.person_id)
            for p in to_book
            if p.line.counterparty_iban and p.spec.person_id
        ],
        actor=actor,
    )
    result.booked = len(to_book)
    result.linked = len(plans) - len(to_book)
    result.skipped.sort(key=lambda item: item[0].id)
    audit.record(
        actor,
        "bank.lines_confirmed",
        None,
        {"booked": result.booked, "linked": result.linked, "skipped": len(result.skipped)},
    )
    return result
