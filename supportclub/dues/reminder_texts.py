"""Reminder texts: the placeholders, checking a text when it is saved, filling it in.

The texts live in the association settings (reminder_subject/text, dunning_subject/text). A
placeholder the software does not know is refused when a text is saved and left visible when
an older text is filled in, so a typo never stops a batch of reminders.
"""

import string
from dataclasses import dataclass
from datetime import date, timedelta

from supportclub.admin.services import bank_iban, get_settings, update_dues_settings
from supportclub.clock import today
from supportclub.dues.models import ReminderLevel
from supportclub.dues.queries import ClaimRow
from supportclub.errors import ValidationError
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.members.validation import format_iban
from supportclub.money import format_cents

PLACEHOLDERS = (
    "anrede_name",
    "mitgliedsnummer",
    "offen",
    "positionen",
    "verein",
    "iban",
    "frist",
)
TEXT_FIELDS = ("reminder_subject", "reminder_text", "dunning_subject", "dunning_text")
DEADLINE_DAYS = 14
SUBJECT_MAX = 200

# What the placeholders put into the text is German like the configured texts themselves: the
# member reads the letter, not the treasurer, whose interface language does not matter here.
POSITION_LINE = "Beitrag {year} ({type}){member}: {amount}, davon offen {open}"
NO_IBAN = "(IBAN bitte beim Verein erfragen)"


def check_text(text: str, *, field: str | None = None) -> None:
    """Refuse a text with an unknown placeholder or braces that do not pair up."""
    try:
        parts = list(string.Formatter().parse(text or ""))
    except ValueError as error:
        raise ValidationError(
            _(
                "Die geschweiften Klammern passen nicht zusammen. Platzhalter stehen in "
                "Klammern, z. B. {offen}; eine Klammer als Zeichen schreiben Sie doppelt: "
                "{{ oder }}."
            ),
            field=field,
        ) from error
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise ValidationError(
                _(
                    "Unbekannter Platzhalter %(placeholder)s. Erlaubt sind: %(allowed)s.",
                    placeholder=_field_text(name, spec, conversion),
                    allowed=" ".join("{" + p + "}" for p in PLACEHOLDERS),
                ),
                field=field,
            )


def _field_text(name: str, spec: str | None, conversion: str | None) -> str:
    """A replacement field as it was written: "{foo}", "{foo!r}", "{foo:>5}"."""
    conversion = f"!{conversion}" if conversion else ""
    spec = f":{spec}" if spec else ""
    return "{" + name + conversion + spec + "}"


def render_text(text: str, values: dict[str, str]) -> str:
    """Fill in the placeholders; an unknown one stays visible, broken braces leave the text."""
    try:
        parts = list(string.Formatter().parse(text or ""))
    except ValueError:
        return text or ""
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if name in values and not spec and not conversion:
            out.append(values[name])
        else:
            out.append(_field_text(name, spec, conversion))
    return "".join(out)


def save_reminder_texts(values: dict, *, actor):
    """Save the reminder texts and interval after checking every placeholder."""
    for name in TEXT_FIELDS:
        if name in values:
            check_text(values[name], field=name)
    return update_dues_settings(values, actor=actor)


@dataclass(frozen=True)
class TextContext:
    """What is the same in every reminder of a batch: association, bank, deadline."""

    association: str
    iban: str
    deadline: date

    @property
    def iban_text(self) -> str:
        """The IBAN grouped in fours, or a request to ask for it when none is set."""
        return format_iban(self.iban) if self.iban else NO_IBAN


def text_context() -> TextContext:
    """The association's name, the bank IBAN (ledger account "bank") and today + 14 days."""
    settings = get_settings()
    deadline = today() + timedelta(days=DEADLINE_DAYS)
    return TextContext(settings.name or "", bank_iban() or "", deadline)


def position_lines(rows_: list[ClaimRow], recipient: Person) -> str:
    """One line per claim: "Beitrag 2025 (Regulär): 36,00 €, davon offen 36,00 €"."""
    lines = []
    for row in rows_:
        member = row.membership.person
        lines.append(
            POSITION_LINE.format(
                year=row.claim.year,
                type=row.membership.membership_type.name,
                member=f" für {member.full_name}" if member.id != recipient.id else "",
                amount=format_cents(row.claim.amount_cents),
                open=format_cents(row.open_cents),
            )
        )
    return "\n".join(lines)


def text_values(
    recipient: Person, member: Person, rows_: list[ClaimRow], ctx: TextContext
) -> dict[str, str]:
    """The placeholder values of one reminder."""
    return {
        "anrede_name": recipient.full_name,
        "mitgliedsnummer": str(member.member_number or ""),
        "offen": format_cents(sum(row.open_cents for row in rows_)),
        "positionen": position_lines(rows_, recipient),
        "verein": ctx.association,
        "iban": ctx.iban_text,
        "frist": ctx.deadline.strftime("%d.%m.%Y"),
    }


def texts_for(level: ReminderLevel) -> tuple[str, str]:
    """(subject, text) templates of a level from the settings."""
    settings = get_settings()
    if level == ReminderLevel.DUNNING:
        return settings.dunning_subject, settings.dunning_text
    return settings.reminder_subject, settings.reminder_text


def render_reminder(
    level: ReminderLevel, values: dict[str, str], templates: tuple[str, str] | None = None
) -> tuple[str, str]:
    """The rendered (subject, body) of a reminder of `level`."""
    subject_template, body_template = templates or texts_for(level)
    subject = " ".join(render_text(subject_template, values).split())[:SUBJECT_MAX]
    return subject, render_text(body_template, values)


def sample_values(ctx: TextContext | None = None) -> dict[str, str]:
    """Placeholder values of an invented member, for the preview on the texts page."""
    ctx = ctx or text_context()
    return {
        "anrede_name": "Erika Mustermann",
        "mitgliedsnummer": "1001",
        "offen": format_cents(4800),
        "positionen": "\n".join(
            [
                POSITION_LINE.format(
                    year=ctx.deadline.year - 1,
                    type="Regulär",
                    member="",
                    amount=format_cents(3600),
                    open=format_cents(1200),
                ),
                POSITION_LINE.format(
                    year=ctx.deadline.year,
                    type="Regulär",
                    member="",
                    amount=format_cents(3600),
                    open=format_cents(3600),
                ),
            ]
        ),
        "verein": ctx.association,
        "iban": ctx.iban_text,
        "frist": ctx.deadline.strftime("%d.%m.%Y"),
    }
