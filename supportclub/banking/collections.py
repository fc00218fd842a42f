"""SEPA direct-debit collections ("Lastschrifteinzug") of dues.

``plan_collection`` works out which open dues claims of a year can be collected on a date and
why the others cannot, without writing. ``create_collection`` plans again under a lock on the
claims, stores the debits and the pain.008 file. ``send_prenotifications`` e-mails each debtor
amount, due date, creditor id and mandate reference. ``cancel_collection`` withdraws a
collection before the bank statement shows any of its debits. Services flush; routes commit.
"""

import hashlib
import smtplib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from flask import current_app
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from sqlalchemy import case, func, insert, or_, select, true
from sqlalchemy.orm import contains_eager, joinedload

from supportclub import audit, mail
from supportclub.banking.business_days import (
    is_target_day,
    next_target_day,
    target_day_on_or_after,
)
from supportclub.banking.mandates import MandateState, mandate_checks
from supportclub.banking.models import CollectionStatus, DebitCollection, DirectDebit
from supportclub.banking.pain008 import EEA_IBAN_COUNTRIES, VERSIONS, Debit, build_pain008
from supportclub.banking.sepa_text import is_sepa_identifier, sepa_text
from supportclub.banking.settings import DirectDebitSettings, creditor, direct_debit_settings
from supportclub.chunks import chunked
from supportclub.clock import LOCAL_TZ, today, utcnow
from supportclub.dues.models import DuesClaim
from supportclub.dues.queries import OPEN, ClaimRow, claims_select, rows
from supportclub.errors import ValidationError
from supportclub.extensions import db
from supportclub.i18n import N_, _
from supportclub.ledger.models import Person
from supportclub.members.models import Membership
from supportclub.members.validation import format_iban
from supportclub.money import format_cents

__all__ = [
    "Plan",
    "PlannedDebit",
    "SkippedClaim",
    "active_debit_for_claims",
    "cancel_collection",
    "check_collection_date",
    "collection_summaries",
    "create_collection",
    "earliest_collection_date",
    "plan_collection",
    "send_prenotifications",
]

MAX_DAYS_AHEAD = 365
MAX_ID = 35
MAX_PURPOSE = 140
MAX_NAME = 70

SKIP_NO_MANDATE = N_("kein Mandat")
SKIP_LAPSED = N_("Mandat seit 36 Monaten nicht genutzt (verfallen)")
SKIP_OOFF_USED = N_("einmaliges Mandat (OOFF) bereits genutzt")
SKIP_IBAN = N_("IBAN ungültig")
SKIP_ACTIVE = N_("bereits in Lastschrifteinzug %(id)s eingereicht")
SKIP_NO_EMAIL = N_("keine E-Mail-Adresse für die Vorabankündigung")
SKIP_NOT_EEA = N_(
    "Name/Adresse fehlt: Konto außerhalb des EWR, dafür verlangt SEPA die Anschrift, die die "
    "Datei nicht enthält"
)
SKIP_REFERENCE = N_("Mandatsreferenz passt nicht zum SEPA-Zeichensatz")
SKIP_FUTURE_MANDATE = N_("Mandat erst in der Zukunft unterschrieben")
SKIP_NO_NAME = N_("Name fehlt (keine im SEPA-Verfahren darstellbaren Zeichen)")

_MANDATE_REASONS = {
    MandateState.MISSING: SKIP_NO_MANDATE,
    MandateState.LAPSED: SKIP_LAPSED,
    MandateState.OOFF_USED: SKIP_OOFF_USED,
    MandateState.IBAN_INVALID: SKIP_IBAN,
}


# Planning -------------------------------------------------------------------------------------


@dataclass
class PlannedDebit:
    """A claim that would be collected: from whom, how much, under which mandate."""

    claim_id: int
    year: int
    membership_id: int
    member: Person
    debtor: Person
    amount_cents: int
    iban: str
    mandate_reference: str
    mandate_date: date
    sequence_type: str
    email: str | None  # None: pre-notified another way (include_without_email)
    debtor_name: str = ""  # in SEPA characters, as it goes into the file


@dataclass(frozen=True)
class SkippedClaim:
    """A claim that is not collected, and why."""

    claim_id: int
    member_name: str
    debtor_name: str
    amount_cents: int
    reason: str


@dataclass
class Plan:
    """What a collection would contain, and the claims it leaves out."""

    year: int
    collection_date: date
    membership_type_id: int | None
    include_without_email: bool
    included: list[PlannedDebit] = field(default_factory=list)
    skipped: list[SkippedClaim] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Number of debits."""
        return len(self.included)

    @property
    def total_cents(self) -> int:
        """Sum of the debits."""
        return sum(item.amount_cents for item in self.included)

    @property
    def without_email(self) -> int:
        """Debits whose debtor is pre-notified another way (no e-mail address)."""
        return sum(1 for item in self.included if not item.email)

    @property
    def skipped_by_reason(self) -> dict[str, list[SkippedClaim]]:
        """The skipped claims grouped by reason, largest group first."""
        groups: dict[str, list[SkippedClaim]] = defaultdict(list)
        for item in self.skipped:
            groups[item.reason].append(item)
        return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def earliest_collection_date(settings: DirectDebitSettings | None = None) -> date:
    """The first TARGET day a collection made today may ask for: after the pre-notification
    period and at least the next TARGET day after tomorrow (CORE lead time D-1)."""
    settings = settings or direct_debit_settings()
    now = today()
    notice = now + timedelta(days=settings.prenotification_days)
    lead = next_target_day(now + timedelta(days=1))
    return target_day_on_or_after(max(notice, lead))


def check_collection_date(collection_date: date | None, settings: DirectDebitSettings) -> None:
    """Raise ValidationError at collection_date when the date cannot be asked for today."""
    if collection_date is None:
        raise ValidationError(_("Bitte das Einzugsdatum angeben."), field="collection_date")
    earliest = earliest_collection_date(settings)
    if not is_target_day(collection_date):
        raise ValidationError(
            _(
                "Am %(date)s ist kein Bankarbeitstag (TARGET2: kein Wochenende, Neujahr, "
                "Karfreitag, Ostermontag, 1. Mai, 25./26. Dezember). Frühestmöglich: "
                "%(earliest)s.",
                date=_day(collection_date),
                earliest=_day(earliest),
            ),
            field="collection_date",
        )
    now = today()
    if collection_date < now + timedelta(days=settings.prenotification_days):
        raise ValidationError(
            _(
                "Das Einzugsdatum ist zu früh: die Vorabankündigung muss %(days)s Tage vorher "
                "beim Zahlungspflichtigen sein. Frühestmöglich: %(earliest)s.",
                days=settings.prenotification_days,
                earliest=_day(earliest),
            ),
            field="collection_date",
        )
    if collection_date < earliest:
        raise ValidationError(
            _(
                "Das Einzugsdatum ist zu früh: die Bank braucht die Datei mindestens einen "
                "Bankarbeitstag vorher. Frühestmöglich: %(earliest)s.",
                earliest=_day(earliest),
            ),
            field="collection_date",
        )
    if collection_date > now + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(
            _("Das Einzugsdatum darf höchstens ein Jahr in der Zukunft liegen."),
            field="collection_date",
        )


def _active_select():
    """Debits of submitted collections that were neither returned nor paid yet."""
    return (
        select(DirectDebit)
        .join(DebitCollection, DebitCollection.id == DirectDebit.collection_id)
        .options(contains_eager(DirectDebit.collection))
        .where(
            DebitCollection.status == CollectionStatus.SUBMITTED,
            DirectDebit.returned_line_id.is_(None),
            DirectDebit.paid_line_id.is_(None),
        )
    )


def active_debit_for_claims(claim_ids) -> dict[int, DirectDebit]:
    """claim id -> its debit in a submitted collection that was not returned (or paid) yet,
    with the collection loaded; one query per 500 claims."""
    found: dict[int, DirectDebit] = {}
    for chunk in chunked(sorted(set(claim_ids))):
        for debit in db.session.execute(
            _active_select().where(DirectDebit.claim_id.in_(chunk))
        ).scalars():
            found[debit.claim_id] = debit
    return found


def _persons(ids: set[int]) -> dict[int, Person]:
    """Persons by id, in few queries."""
    found: dict[int, Person] = {}
    for chunk in chunked(sorted(ids)):
        for person in db.session.execute(select(Person).where(Person.id.in_(chunk))).scalars():
            found[person.id] = person
    return found


def _open_claims(year: int, membership_type_id: int | None) -> list[ClaimRow]:
    """Open claims of ``year`` (and the membership type), by member name."""
    # a locked (erased) member is never debited, whatever their claims say
    query = claims_select().where(OPEN > 0, DuesClaim.year == year, Person.locked_at.is_(None))
    if membership_type_id:
        query = query.where(Membership.membership_type_id == membership_type_id)
    return rows(query.order_by(Person.last_name, Person.first_name, DuesClaim.id))


@lru_cache(maxsize=16384)
def _compact_iban(value: str | None) -> str | None:
    """The compact IBAN if schwifty accepts it and it lies in the SEPA zone, else None
    (cached: a plan checks each IBAN more than once)."""
    try:
        iban = IBAN(value or "")
    except SchwiftyException:
        return None
    return iban.compact if iban.in_sepa_zone else None


def plan_collection(
    *,
    year: int,
    membership_type_id: int | None = None,
    collection_date: date,
    include_without_email: bool = False,
) -> Plan:
    """Which open claims of ``year`` a collection on ``collection_date`` takes; writes nothing.

    1. Check the settings (creditor id, bank IBAN) and the collection date.
    2. Read the open claims of the year (one query), their payers and active debits.
    3. Check each membership's mandate (one query for all last uses).
    4. Keep a claim when it has no active debit, a valid mandate, an IBAN in the EEA, a
       mandate reference in SEPA characters and a debtor with an e-mail address (or
       ``include_without_email``); otherwise skip it with the reason.
    """
    settings = direct_debit_settings()
    creditor(settings)  # names what is missing in the settings
    check_collection_date(collection_date, settings)
    plan = Plan(year, collection_date, membership_type_id, include_without_email)
    open_rows = _open_claims(year, membership_type_id)
    payers = _persons({r.membership.payer_id for r in open_rows if r.membership.payer_id})
    active = {
        debit.claim_id: debit
        for debit in db.session.execute(
            _active_select()
            .join(DuesClaim, DuesClaim.id == DirectDebit.claim_id)
            .where(DuesClaim.year == year)
        ).scalars()
    }
    checks = mandate_checks([r.membership for r in open_rows], collection_date)
    now = today()
    for row in open_rows:
        membership = row.membership
        debtor = payers.get(membership.payer_id) or membership.person
        name = sepa_text(debtor.full_name, MAX_NAME)
        reason = _skip_reason(row, debtor, active, checks[membership.id], include_without_email)
        if reason is None and not name:
            reason = _(SKIP_NO_NAME)
        if reason is None and membership.mandate_date > now:
            reason = _(SKIP_FUTURE_MANDATE)
        if reason is not None:
            plan.skipped.append(
                SkippedClaim(
                    row.claim.id,
                    membership.person.display_name,
                    debtor.display_name,
                    row.open_cents,
                    reason,
                )
            )
            continue
        plan.included.append(
            PlannedDebit(
                claim_id=row.claim.id,
                year=year,
                membership_id=membership.id,
                member=membership.person,
                debtor=debtor,
                amount_cents=row.open_cents,
                iban=_compact_iban(membership.mandate_iban) or "",
                mandate_reference=membership.mandate_reference,
                mandate_date=membership.mandate_date,
                sequence_type=membership.mandate_type,
                email=(debtor.email or "").strip() or None,
                debtor_name=name,
            )
        )
    return plan


def _skip_reason(row: ClaimRow, debtor: Person, active, check, include_without_email):
    """Why the claim cannot be collected, or None."""
    debit = active.get(row.claim.id)
    if debit is not None:
        return _(SKIP_ACTIVE, id=debit.collection_id)
    if not check.is_valid:
        return _(_MANDATE_REASONS[check.state])
    membership = row.membership
    iban = _compact_iban(membership.mandate_iban)
    if iban is None:
        return _(SKIP_IBAN)
    if iban[:2] not in EEA_IBAN_COUNTRIES:
        return _(SKIP_NOT_EEA)
    if not is_sepa_identifier(membership.mandate_reference, allow_space=False):
        return _(SKIP_REFERENCE)
    if not (debtor.email or "").strip() and not include_without_email:
        return _(SKIP_NO_EMAIL)
    return None


# Creating -------------------------------------------------------------------------------------


def _lock_claims(year: int) -> None:
    """Lock the claims of ``year`` (PostgreSQL) so two collections cannot take the same claim."""
    db.session.execute(select(DuesClaim.id).where(DuesClaim.year == year).with_for_update()).all()


def _end_to_end_ids(plan: Plan, collection_id: int) -> list[str]:
    """ "BEITRAG-<year>-<member number or P<person id>>-<collection id>[-n]", unique."""
    ids: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(plan.included, 1):
        who = str(item.member.member_number or f"P{item.member.id}")
        base = f"BEITRAG-{plan.year}-{who}-{collection_id}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}-{n}"
        if len(candidate) > MAX_ID:
            candidate = f"BEITRAG-{plan.year}-C{collection_id}-{position}"
        seen.add(candidate)
        ids.append(candidate)
    return ids


def remittance_text(year: int, member: Person, association: str) -> str:
    """ "Mitgliedsbeitrag 2026 Mitgliedsnummer 1042 Foerderverein ..." in SEPA characters."""
    parts = [f"Mitgliedsbeitrag {year}"]
    if member.member_number:
        parts.append(f"Mitgliedsnummer {member.member_number}")
    parts.append(association)
    return sepa_text(" ".join(parts), MAX_PURPOSE)


def _note(plan: Plan) -> str:
    """The selection in words, kept with the collection."""
    from supportclub.members.models import MembershipType

    kind = _("alle Mitgliedsarten")
    if plan.membership_type_id:
        name = db.session.get(MembershipType, plan.membership_type_id)
        kind = name.name if name else kind
    note = _("Mitgliedsbeiträge %(year)s, %(kind)s", year=plan.year, kind=kind)
    if plan.without_email:
        note += "; " + _(
            "%(n)s ohne E-Mail-Adresse (Vorabankündigung anderweitig)", n=plan.without_email
        )
    return note[:200]


def create_collection(
    *,
    year: int,
    membership_type_id: int | None = None,
    collection_date: date,
    include_without_email: bool = False,
    schema: str = "pain.008.001.08",
    actor,
) -> DebitCollection:
    """Plan again under a lock on the claims, store the debits and the pain.008 file.

    Nothing is written when the plan is empty or the file is refused (a savepoint).
    """
    if schema not in VERSIONS:
        raise ValidationError(_("Bitte ein Dateiformat wählen."), field="schema")
    _lock_claims(year)
    plan = plan_collection(
        year=year,
        membership_type_id=membership_type_id,
        collection_date=collection_date,
        include_without_email=include_without_email,
    )
    if not plan.included:
        raise ValidationError(_("Keine Forderungen einzuziehen."))
    settings = direct_debit_settings()
    party = creditor(settings)
    with db.session.begin_nested():
        collection = _write_collection(plan, settings, party, schema, actor)
    return collection


def _write_collection(plan: Plan, settings, party, schema: str, actor) -> DebitCollection:
    """Insert the collection and its debits, build and store the file, audit."""
    now = utcnow()
    collection = DebitCollection(
        message_id=f"SC-TMP-{uuid.uuid4().hex[:24]}",
        collection_date=plan.collection_date,
        schema=schema,
        status=CollectionStatus.SUBMITTED,
        count=plan.count,
        total_cents=plan.total_cents,
        creditor_id=party.creditor_id,
        creditor_iban=_compact_iban(party.iban) or party.iban,
        prenotification_days=settings.prenotification_days,
        file_xml=b"",
        file_sha256="",
        note=_note(plan),
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(collection)
    db.session.flush()
    collection.message_id = f"SC-{now.astimezone(LOCAL_TZ):%Y%m%d%H%M%S}-{collection.id}"
    e2e_ids = _end_to_end_ids(plan, collection.id)
    values, debits = [], []
    for item, e2e in zip(plan.included, e2e_ids, strict=True):
        purpose = remittance_text(plan.year, item.member, settings.association_name)
        name = item.debtor_name
        debits.append(
            Debit(
                end_to_end_id=e2e,
                amount_cents=item.amount_cents,
                mandate_reference=item.mandate_reference,
                mandate_date=item.mandate_date,
                debtor_name=name,
                debtor_iban=item.iban,
                debtor_bic=None,
                purpose=purpose,
                sequence=item.sequence_type,
            )
        )
        values.append(
            {
                "collection_id": collection.id,
                "claim_id": item.claim_id,
                "membership_id": item.membership_id,
                "person_id": item.debtor.id,
                "amount_cents": item.amount_cents,
                "end_to_end_id": e2e,
                "sequence_type": item.sequence_type,
                "mandate_reference": item.mandate_reference,
                "mandate_date": item.mandate_date,
                "iban": item.iban,
                "debtor_name": name,
                "remittance": purpose,
            }
        )
    xml = build_pain008(
        party,
        debits,
        plan.collection_date,
        message_id=collection.message_id,
        created_at=now,
        version=schema,
    )
    db.session.execute(insert(DirectDebit), values)
    collection.file_xml = xml
    collection.file_sha256 = hashlib.sha256(xml).hexdigest()
    db.session.flush()
    audit.record(
        actor,
        "direct_debit.collection_created",
        collection,
        {
            "message_id": collection.message_id,
            "collection_date": plan.collection_date,
            "schema": schema,
            "count": plan.count,
            "total_cents": plan.total_cents,
            "year": plan.year,
            "membership_type_id": plan.membership_type_id,
            "skipped": len(plan.skipped),
            "file_sha256": collection.file_sha256,
        },
    )
    return collection


# Pre-notifications ----------------------------------------------------------------------------


def _mask(iban: str) -> str:
    """An IBAN with only its country and last four characters: "DE** **** ... 3000"."""
    return f"{iban[:2]}… {iban[-4:]}" if len(iban) > 6 else iban


def prenotification_mail(collection: DebitCollection, debtor: Person, debits) -> mail.Mail:
    """The pre-notification to one debtor, listing each of their debits."""
    settings = direct_debit_settings()
    association = settings.association_name
    due = _day(collection.collection_date)
    lines = []
    for debit in debits:
        member = debit.membership.person
        lines.append(
            "\n".join(
                [
                    _("Betrag: %(amount)s", amount=format_cents(debit.amount_cents)),
                    _("Fälligkeitstag (Einzug): %(date)s", date=due),
                    _("Mandatsreferenz: %(ref)s", ref=debit.mandate_reference),
                    _("Verwendungszweck: %(text)s", text=debit.remittance),
                    _("Konto: %(iban)s", iban=_mask(format_iban(debit.iban))),
                ]
                + ([_("für: %(name)s", name=member.full_name)] if member.id != debtor.id else [])
            )
        )
    total = sum(debit.amount_cents for debit in debits)
    contact = _contact(association)
    body = "\n\n".join(
        [
            _("Guten Tag %(name)s,", name=debtor.full_name),
            _(
                "wir kündigen Ihnen den Einzug per SEPA-Lastschrift an. Wir ziehen von Ihrem "
                "Konto ein:"
            ),
            *lines,
            _(
                "Gesamt: %(total)s am %(date)s. Gläubiger-ID: %(creditor)s.",
                total=format_cents(total),
                date=due,
                creditor=collection.creditor_id,
            ),
            _(
                "Bitte sorgen Sie für ausreichende Deckung Ihres Kontos. Fällt der Tag auf ein "
                "Wochenende oder einen Feiertag, erfolgt die Belastung am nächsten "
                "Bankarbeitstag."
            ),
            _("Bei Fragen erreichen Sie uns so:") + "\n" + contact,
            _("Mit freundlichen Grüßen") + "\n" + association,
        ]
    )
    subject = _("Vorabankündigung SEPA-Lastschrift %(club)s", club=association)
    return mail.Mail(to=(debtor.email or "").strip(), subject=subject, body=body)


def _contact(association: str) -> str:
    """The association's name, address and e-mail for questions."""
    from supportclub.admin.services import get_settings

    settings = get_settings()
    lines = [association, settings.street, f"{settings.postal_code} {settings.city}".strip()]
    lines.append(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return "\n".join(line for line in lines if line)


def _recipient_only(error: mail.MailError) -> bool:
    """True when the server refused only this message (the next one may go through)."""
    return isinstance(error.__cause__, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError)


def check_can_notify(collection: DebitCollection) -> None:
    """Raise ValidationError when pre-notifications can no longer go out in time."""
    if collection.status != CollectionStatus.SUBMITTED:
        raise ValidationError(_("Der Lastschrifteinzug ist storniert."))
    latest = collection.collection_date - timedelta(days=collection.prenotification_days)
    if today() > latest:
        raise ValidationError(
            _(
                "Die Vorabankündigung kann nicht mehr rechtzeitig versandt werden: sie muss "
                "%(days)s Tage vor dem Einzug am %(date)s beim Zahlungspflichtigen sein "
                "(spätestens am %(latest)s). Bitte den Einzug stornieren und mit einem "
                "späteren Datum neu erstellen.",
                days=collection.prenotification_days,
                date=_day(collection.collection_date),
                latest=_day(latest),
            )
        )


def pending_debtor_ids(collection: DebitCollection) -> list[int]:
    """The debtors of the collection with a debit not yet pre-notified, in order."""
    return list(
        db.session.execute(
            select(DirectDebit.person_id)
            .where(DirectDebit.collection_id == collection.id, DirectDebit.notified_at.is_(None))
            .group_by(DirectDebit.person_id)
            .order_by(DirectDebit.person_id)
        ).scalars()
    )


def send_prenotifications(
    collection: DebitCollection, *, actor, debtor_ids: list[int] | None = None
) -> tuple[int, list[str]]:
    """E-mail the debits not yet pre-notified, one mail per debtor; (mails sent, failures).

    ``debtor_ids`` limits the run to these debtors (the route sends in chunks and commits after
    each, so what went out is on record even if the request dies half way).

    Each sent mail marks its debits (notified_email, notified_at) at once, so a failure later
    keeps the record of those sent. A refused address is reported and the batch goes on; an
    unreachable server stops it. Debtors without an e-mail address are left out (pre-notified
    another way).
    """
    check_can_notify(collection)
    pending = (
        db.session.execute(
            select(DirectDebit)
            .where(DirectDebit.collection_id == collection.id, DirectDebit.notified_at.is_(None))
            .where(DirectDebit.person_id.in_(debtor_ids) if debtor_ids is not None else true())
            .options(
                joinedload(DirectDebit.person),
                joinedload(DirectDebit.membership).joinedload(Membership.person),
            )
            .order_by(DirectDebit.id)
        )
        .scalars()
        .all()
    )
    groups: dict[int, list[DirectDebit]] = defaultdict(list)
    for debit in pending:
        groups[debit.person_id].append(debit)
    sent, failed, entries = 0, [], []
    server_error: str | None = None
    with mail.Connection() as connection:
        for debits in groups.values():
            debtor = debits[0].person
            if not (debtor.email or "").strip():
                continue
            if server_error is not None:
                failed.append(_("%(name)s: %(error)s", name=debtor.full_name, error=server_error))
                continue
            message = prenotification_mail(collection, debtor, debits)
            try:
                connection.send(message)
            except mail.MailError as error:
                failed.append(_("%(name)s: %(error)s", name=debtor.full_name, error=error.message))
                if not _recipient_only(error):
                    server_error = error.message
                continue
            now = utcnow()
            for debit in debits:
                debit.notified_email = message.to
                debit.notified_at = now
            sent += 1
            entries.append(
                (
                    "direct_debit.prenotified",
                    collection,
                    {
                        "person_id": debtor.id,
                        "email": message.to,
                        "debit_ids": [debit.id for debit in debits],
                        "amount_cents": sum(debit.amount_cents for debit in debits),
                    },
                )
            )
            db.session.flush()
    audit.record_many(actor, entries)
    return sent, failed


# Cancelling and reading -----------------------------------------------------------------------


def cancel_collection(collection: DebitCollection, reason: str, *, actor) -> DebitCollection:
    """Cancel a collection before the statement shows any of its debits; its claims are free
    for the next collection."""
    if collection.status == CollectionStatus.CANCELLED:
        raise ValidationError(_("Der Lastschrifteinzug ist bereits storniert."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Bitte einen Grund für die Stornierung angeben."), field="reason")
    seen = db.session.execute(
        select(func.count())
        .select_from(DirectDebit)
        .where(
            DirectDebit.collection_id == collection.id,
            or_(DirectDebit.paid_line_id.is_not(None), DirectDebit.returned_line_id.is_not(None)),
        )
    ).scalar_one()
    if seen:
        raise ValidationError(
            _(
                "Der Lastschrifteinzug kann nicht mehr storniert werden: %(n)s seiner "
                "Lastschriften sind schon auf dem Kontoauszug gebucht.",
                n=seen,
            )
        )
    collection.status = CollectionStatus.CANCELLED
    collection.cancelled_at = utcnow()
    collection.cancelled_by_id = getattr(actor, "id", None)
    collection.cancel_reason = reason[:2000]
    db.session.flush()
    audit.record(
        actor,
        "direct_debit.collection_cancelled",
        collection,
        {"reason": collection.cancel_reason, "count": collection.count},
    )
    return collection


@dataclass(frozen=True)
class CollectionSummary:
    """A collection with how many of its debits were notified, paid and returned."""

    collection: DebitCollection
    notified: int
    paid: int
    returned: int


def _counts():
    """Per collection: notified, paid and returned debits (a grouped subquery)."""
    return (
        select(
            DirectDebit.collection_id.label("collection_id"),
            func.sum(case((DirectDebit.notified_at.is_not(None), 1), else_=0)).label("notified"),
            func.sum(case((DirectDebit.paid_line_id.is_not(None), 1), else_=0)).label("paid"),
            func.sum(case((DirectDebit.returned_line_id.is_not(None), 1), else_=0)).label(
                "returned"
            ),
        )
        .group_by(DirectDebit.collection_id)
        .subquery()
    )


def collection_summaries(collection_id: int | None = None) -> list[CollectionSummary]:
    """Collections newest first with their counts (one query)."""
    counts = _counts()
    query = (
        select(DebitCollection, counts.c.notified, counts.c.paid, counts.c.returned)
        .outerjoin(counts, counts.c.collection_id == DebitCollection.id)
        .order_by(DebitCollection.created_at.desc(), DebitCollection.id.desc())
    )
    if collection_id is not None:
        query = query.where(DebitCollection.id == collection_id)
    return [
        CollectionSummary(c, int(n or 0), int(p or 0), int(r or 0))
        for c, n, p, r in db.session.execute(query)
    ]


def debits_of(collection: DebitCollection) -> list[DirectDebit]:
    """The collection's debits with payer and member (two joins, one query)."""
    return list(
        db.session.execute(
            select(DirectDebit)
            .where(DirectDebit.collection_id == collection.id)
            .options(
                joinedload(DirectDebit.person),
                joinedload(DirectDebit.membership).joinedload(Membership.person),
            )
            .order_by(DirectDebit.id)
        ).scalars()
    )
