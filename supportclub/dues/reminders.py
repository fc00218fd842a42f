"""Payment reminders: a Zahlungserinnerung first, then a Mahnung, by e-mail or as a letter.

`plan_reminders` works out who gets which reminder (and who does not, and why) without writing;
`send_reminders` checks each one against what is open at that moment, sends the e-mails one by
one, records a Reminder row and an audit entry for each one that went out, and renders the
letters into one PDF. Services flush; the route commits what was sent.
"""

import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from supportclub import audit, mail
from supportclub.admin.services import bank_iban, get_settings
from supportclub.chunks import chunked
from supportclub.clock import LOCAL_TZ, today
from supportclub.dues.models import DuesClaim, Reminder, ReminderChannel, ReminderLevel
from supportclub.dues.queries import (
    OPEN,
    WAIVED,
    ClaimRow,
    claims_by_id,
    claims_select,
    rows,
)
from supportclub.dues.reminder_texts import render_reminder, text_context, text_values, texts_for
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.members.models import Membership
from supportclub.members.validation import format_iban
from supportclub.pdf import Letter, Sender, render_letters

# Planning -------------------------------------------------------------------------------------


@dataclass
class PlannedReminder:
    """A reminder that would go to `recipient` (the paying person) for `member`'s open claims."""

    recipient: Person
    member: Person
    level: ReminderLevel
    channel: ReminderChannel
    rows: list[ClaimRow]
    subject: str
    body: str
    last_reminder: Reminder | None = None

    @property
    def key(self) -> str:
        """Identifies the row in the preview form: "<recipient id>-<member id>"."""
        return f"{self.recipient.id}-{self.member.id}"

    @property
    def claim_ids(self) -> list[int]:
        """The claims the reminder is about."""
        return [row.claim.id for row in self.rows]

    @property
    def open_cents(self) -> int:
        """What is open on these claims."""
        return sum(row.open_cents for row in self.rows)

    @property
    def email(self) -> str | None:
        """Where an e-mail reminder goes."""
        return self.recipient.email if self.channel == ReminderChannel.EMAIL else None


@dataclass(frozen=True)
class SkippedReminder:
    """A member who gets no reminder, and why."""

    recipient_id: int
    member_id: int
    member_name: str
    recipient_name: str
    reason: str

    @property
    def key(self) -> str:
        """The same key the member's row had in the preview."""
        return f"{self.recipient_id}-{self.member_id}"


@dataclass
class ReminderPlan:
    """The reminders a run would send, and the members it leaves out."""

    planned: list[PlannedReminder] = field(default_factory=list)
    skipped: list[SkippedReminder] = field(default_factory=list)

    @property
    def open_cents(self) -> int:
        """The open amount of all planned reminders."""
        return sum(item.open_cents for item in self.planned)

    def choose(self, keys) -> list[PlannedReminder]:
        """The planned reminders whose keys were chosen."""
        keys = set(keys)
        return [item for item in self.planned if item.key in keys]


def _scope(query, *, person_ids, year):
    """Restrict a claims query to a year and to claims of or paid by `person_ids`."""
    if year:
        query = query.where(DuesClaim.year == year)
    if person_ids:
        ids = list(person_ids)
        query = query.where(or_(Membership.person_id.in_(ids), Membership.payer_id.in_(ids)))
    return query


def _persons(ids: set[int]) -> dict[int, Person]:
    """Persons by id, in few queries."""
    found: dict[int, Person] = {}
    for chunk in chunked(sorted(ids)):
        for person in db.session.execute(select(Person).where(Person.id.in_(chunk))).scalars():
            found[person.id] = person
    return found


def reminders_by_member(member_ids: set[int]) -> dict[int, list[Reminder]]:
    """Earlier reminders per member, newest first."""
    found: dict[int, list[Reminder]] = defaultdict(list)
    for chunk in chunked(sorted(member_ids)):
        for reminder in db.session.execute(
            select(Reminder)
            .where(Reminder.member_id.in_(chunk))
            .order_by(Reminder.created_at.desc(), Reminder.id.desc())
        ).scalars():
            found[reminder.member_id].append(reminder)
    return found


def _local_day(reminder: Reminder) -> date:
    """The local calendar day a reminder was made."""
    return reminder.created_at.astimezone(LOCAL_TZ).date()


def next_level(
    claim_ids: list[int], earlier: list[Reminder], interval_days: int
) -> tuple[ReminderLevel | None, Reminder | None]:
    """The level of the next reminder about `claim_ids`, or None while the last one is recent.

    No earlier reminder about any of these claims: a Zahlungserinnerung. The last one at least
    `interval_days` old: a Mahnung (repeated after each further interval). Younger: none yet.
    """
    wanted = set(claim_ids)
    last = next((r for r in earlier if wanted & set(r.claim_ids or [])), None)
    if last is None:
        return ReminderLevel.REMINDER, None
    if (today() - _local_day(last)).days < interval_days:
        return None, last
    return ReminderLevel.DUNNING, last


def has_postal_address(person: Person) -> bool:
    """True when a letter can be addressed to the person."""
    return bool(person.street and person.postal_code and person.city)


def _nothing_open(*, person_ids, year, open_keys: set[tuple[int, int]]) -> list[SkippedReminder]:
    """Members with claims in scope of which nothing is open: paid (or written off)."""
    query = _scope(
        select(
            Membership.person_id,
            Membership.payer_id,
            WAIVED.label("waived"),
        )
        .select_from(DuesClaim)
        .join(Membership, Membership.id == DuesClaim.membership_id)
        .where(OPEN <= 0),
        person_ids=person_ids,
        year=year,
    )
    waived_only: dict[tuple[int, int], bool] = {}
    for member_id, payer_id, waived in db.session.execute(query):
        key = (payer_id or member_id, member_id)
        if key in open_keys:
            continue
        waived_only[key] = waived_only.get(key, False) or bool(waived)
    persons = _persons({pid for key in waived_only for pid in key})
    skipped = []
    for (payer_id, member_id), waived in waived_only.items():
        skipped.append(
            SkippedReminder(
                payer_id,
                member_id,
                persons[member_id].display_name,
                persons[payer_id].display_name,
                _("nichts offen (bezahlt oder erlassen)") if waived else _("bezahlt"),
            )
        )
    return skipped


def plan_reminders(*, person_ids=None, year: int | None = None, overdue_only: bool = True):
    """Who gets which reminder now, and who is skipped and why; writes nothing.

    1. Read the open claims (open amount > 0) of the year and persons asked for.
    2. Group them per paying person and member: one reminder each.
    3. Keep only claims whose due date has passed (unless `overdue_only` is off); a member with
       none is skipped as not yet due.
    4. Level: see `next_level`; a member reminded less than the interval ago is skipped.
    5. Channel: e-mail when the paying person has an address, else a letter; a letter needs a
       postal address, otherwise the member is skipped.
    6. Render subject and text with the placeholders.
    Members whose claims in scope are all paid are listed as skipped ("bezahlt").
    """
    settings = get_settings()
    ctx = text_context()
    open_rows = rows(
        _scope(
            # a locked (erased) member gets no reminder
            claims_select().where(OPEN > 0, Person.locked_at.is_(None)),
            person_ids=person_ids,
            year=year,
        ).order_by(DuesClaim.year, DuesClaim.id)
    )
    payers = _persons({r.membership.payer_id for r in open_rows if r.membership.payer_id})
    groups: dict[tuple[int, int], list[ClaimRow]] = defaultdict(list)
    for row in open_rows:
        membership = row.membership
        groups[(membership.payer_id or membership.person_id, membership.person_id)].append(row)
    earlier = reminders_by_member({member_id for _payer, member_id in groups})
    templates = {level: texts_for(level) for level in ReminderLevel}
    plan = ReminderPlan()
    for (payer_id, member_id), group in groups.items():
        member = group[0].membership.person
        recipient = payers.get(payer_id, member) if payer_id != member_id else member
        item = _plan_one(
            recipient,
            member,
            group,
            earlier=earlier.get(member_id, []),
            interval=settings.reminder_interval_days,
            overdue_only=overdue_only,
            ctx=ctx,
            templates=templates,
        )
        (plan.planned if isinstance(item, PlannedReminder) else plan.skipped).append(item)
    plan.skipped += _nothing_open(person_ids=person_ids, year=year, open_keys=set(groups))
    plan.planned.sort(key=lambda p: (p.member.display_name.lower(), p.member.id))
    plan.skipped.sort(key=lambda s: (s.member_name.lower(), s.member_id))
    return plan


def _plan_one(recipient, member, group, *, earlier, interval, overdue_only, ctx, templates):
    """The planned reminder for one paying person and member, or why there is none."""

    def skip(reason: str) -> SkippedReminder:
        return SkippedReminder(
            recipient.id, member.id, member.display_name, recipient.display_name, reason
        )

    due = [row for row in group if row.claim.due_date < today()] if overdue_only else group
    if not due:
        first = min(row.claim.due_date for row in group)
        return skip(_("noch nicht fällig (fällig am %(day)s)", day=first.strftime("%d.%m.%Y")))
    level, last = next_level([row.claim.id for row in due], earlier, interval)
    if level is None:
        return skip(_("erinnert am %(day)s", day=_local_day(last).strftime("%d.%m.%Y")))
    channel = ReminderChannel.EMAIL if recipient.email else ReminderChannel.LETTER
    if channel == ReminderChannel.LETTER and not has_postal_address(recipient):
        return skip(_("keine E-Mail-Adresse und keine vollständige Anschrift für einen Brief"))
    subject, body = render_reminder(
        level, text_values(recipient, member, due, ctx), templates[level]
    )
    return PlannedReminder(recipient, member, level, channel, due, subject, body, last)


# Sending --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedReminder:
    """A reminder that could not be sent, with the mail server's reason."""

    planned: PlannedReminder
    message: str


@dataclass
class SendResult:
    """What a send did: e-mails sent, letters made, reminders dropped, failures."""

    emails: list[Reminder] = field(default_factory=list)
    letters: list[Reminder] = field(default_factory=list)
    skipped: list[SkippedReminder] = field(default_factory=list)
    failed: list[FailedReminder] = field(default_factory=list)
    pdf: bytes | None = None

    @property
    def recorded(self) -> list[Reminder]:
        """Every reminder recorded (sent by e-mail or printed)."""
        return self.emails + self.letters


def _recipient_only(error: mail.MailError) -> bool:
    """True when the server refused only this message (the next one may go through)."""
    return isinstance(error.__cause__, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError)


def send_reminders(planned: list[PlannedReminder], *, actor) -> SendResult:
    """Send the planned reminders, each checked against what is open right now.

    1. Re-read the claims: a claim paid meanwhile is dropped, a member with nothing open is
       skipped ("inzwischen bezahlt"); the text is rendered again from the current amounts.
    2. E-mails go one by one; each one sent is recorded at once (Reminder row, audit entry),
       so a failure later in the batch keeps the record of those already sent. A refused
       address is reported and the batch goes on; an unreachable server stops the e-mails.
    3. Letters are recorded and rendered into one PDF.
    """
    wanted = sorted({claim_id for item in planned for claim_id in item.claim_ids})
    current = {row.claim.id: row for row in claims_by_id(wanted)}
    ctx = text_context()
    result = SendResult()
    server_error: str | None = None
    for item in planned:
        still_open = [
            current[i] for i in item.claim_ids if i in current and current[i].open_cents > 0
        ]
        if not still_open:
            result.skipped.append(
                SkippedReminder(
                    item.recipient.id,
                    item.member.id,
                    item.member.display_name,
                    item.recipient.display_name,
                    _("inzwischen bezahlt"),
                )
            )
            continue
        subject, body = render_reminder(
            item.level, text_values(item.recipient, item.member, still_open, ctx)
        )
        if item.channel == ReminderChannel.EMAIL:
            if server_error is not None:
                result.failed.append(FailedReminder(item, server_error))
                continue
            try:
                mail.send_one(mail.Mail(to=item.recipient.email, subject=subject, body=body))
            except mail.MailError as error:
                result.failed.append(FailedReminder(item, error.message))
                if not _recipient_only(error):
                    server_error = error.message
                continue
            result.emails.append(_record(item, still_open, subject, body, actor))
        else:
            result.letters.append(_record(item, still_open, subject, body, actor))
    if result.letters:
        result.pdf = letters_pdf(result.letters)
    return result


def _record(item: PlannedReminder, still_open: list[ClaimRow], subject, body, actor) -> Reminder:
    """The Reminder row and the audit entry (on the member) of one reminder sent."""
    reminder = Reminder(
        person_id=item.recipient.id,
        member_id=item.member.id,
        level=int(item.level),
        channel=item.channel,
        email=item.recipient.email if item.channel == ReminderChannel.EMAIL else None,
        open_cents=sum(row.open_cents for row in still_open),
        claim_ids=[row.claim.id for row in still_open],
        subject=subject,
        body=body,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(reminder)
    db.session.flush()
    audit.record(
        actor,
        "dues.reminder_sent",
        item.member,
        {
            "reminder_id": reminder.id,
            "level": reminder.level,
            "channel": reminder.channel,
            "recipient_id": item.recipient.id,
            "email": reminder.email,
            "open_cents": reminder.open_cents,
            "claim_ids": reminder.claim_ids,
        },
    )
    return reminder


# Letters --------------------------------------------------------------------------------------


def association_sender() -> Sender:
    """The association as the sender of its letters (settings and the bank account)."""
    settings = get_settings()
    iban = bank_iban()
    register = " ".join(p for p in (settings.register_court, settings.register_number) if p)
    return Sender(
        name=settings.name or "",
        street=settings.street or "",
        postal_code=settings.postal_code or "",
        city=settings.city or "",
        register=register,
        iban=format_iban(iban) if iban else "",
    )


def address_lines(person: Person) -> list[str]:
    """The recipient block of a letter: name, street, postal code and city (and country)."""
    lines = [person.full_name, *person.address_lines]
    if person.country and person.country.upper() != "DE":
        lines.append(person.country.upper())
    return lines


def letters_pdf(reminders: list[Reminder]) -> bytes:
    """One PDF of the letter reminders, from their stored text (a reprint reads the same)."""
    sender = association_sender()
    return render_letters(
        [
            Letter(
                sender=sender,
                recipient=address_lines(reminder.person),
                subject=reminder.subject,
                body=reminder.body,
                letter_date=reminder.created_at.astimezone(LOCAL_TZ).date(),
            )
            for reminder in reminders
        ]
    )


def letter_reminders(ids: list[int]) -> list[Reminder]:
    """The letter reminders with these ids, in the order asked for (unknown ids left out)."""
    if not ids:
        return []
    found = {
        r.id: r
        for r in db.session.execute(
            select(Reminder).where(Reminder.id.in_(ids), Reminder.channel == ReminderChannel.LETTER)
        ).scalars()
    }
    return [found[i] for i in ids if i in found]


def reminders_of(person_id: int, limit: int | None = None) -> list[Reminder]:
    """Reminders about a member or sent to a paying person, newest first."""
    query = (
        select(Reminder)
        .options(joinedload(Reminder.person), joinedload(Reminder.member))
        .where(or_(Reminder.member_id == person_id, Reminder.person_id == person_id))
        .order_by(Reminder.created_at.desc(), Reminder.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(db.session.execute(query).scalars())


def recent_reminders(limit: int = 20) -> list[Reminder]:
    """The latest reminders of all members."""
    return list(
        db.session.execute(
            select(Reminder)
            .options(joinedload(Reminder.person), joinedload(Reminder.member))
            .order_by(Reminder.created_at.desc(), Reminder.id.desc())
            .limit(limit)
        ).scalars()
    )
