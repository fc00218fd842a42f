"""Reminder pages: preview and send, the letters as PDF, the reminder texts.

Thin: parse -> call supportclub.dues.reminders -> commit -> flash -> redirect.
"""

import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice as C

from supportclub.admin.services import get_settings
from supportclub.clock import today
from supportclub.dues import bp
from supportclub.dues import queries as q
from supportclub.dues.models import ReminderChannel, ReminderLevel
from supportclub.dues.reminder_forms import (
    PLACEHOLDER_HELP,
    ReminderFilterForm,
    ReminderSendForm,
    ReminderTextsForm,
)
from supportclub.dues.reminder_texts import (
    TEXT_FIELDS,
    render_reminder,
    sample_values,
    save_reminder_texts,
)
from supportclub.dues.reminders import (
    SendResult,
    letter_reminders,
    letters_pdf,
    plan_reminders,
    recent_reminders,
    reminders_of,
    send_reminders,
)
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.forms import apply_domain_error
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.permissions import Role, role_required

LEVEL_LABELS = {
    ReminderLevel.REMINDER: _l("Zahlungserinnerung"),
    ReminderLevel.DUNNING: _l("Mahnung"),
}
CHANNEL_LABELS = {
    ReminderChannel.EMAIL: _l("E-Mail"),
    ReminderChannel.LETTER: _l("Brief"),
}
IDS = re.compile(r"^\d+(,\d+)*$")
MAX_LETTERS = 1000
SKIPPED_ROWS = 300  # paid members can be most of the club; the page lists the first ones


def _int_or_none(value) -> int | None:
    """An int from a hidden field or query value, else None."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _ids(value: str) -> list[int]:
    """ "1,2,3" -> [1, 2, 3]; anything else -> []."""
    value = (value or "").strip()
    if not IDS.match(value):
        return []
    return list(dict.fromkeys(int(part) for part in value.split(",")))[:MAX_LETTERS]


def _page(form, send_form, *, year, person, status=200):
    """The preview page (plan, skipped members, recent reminders)."""
    plan = plan_reminders(person_ids=[person.id] if person else None, year=year)
    letter_ids = _ids(request.args.get("briefe", ""))
    return (
        render_template(
            "dues/reminders.html",
            form=form,
            send_form=send_form,
            plan=plan,
            person=person,
            year=year,
            level_labels=LEVEL_LABELS,
            channel_labels=CHANNEL_LABELS,
            letter_ids=",".join(str(i) for i in letter_ids),
            letters=len(letter_ids),
            recent=reminders_of(person.id, limit=20) if person else recent_reminders(20),
            interval=get_settings().reminder_interval_days,
            skipped_rows=SKIPPED_ROWS,
        ),
        status,
    )


@bp.route("/mahnungen", methods=["GET", "POST"])
@role_required(Role.TREASURER)
def reminders():
    """Preview the reminders for the open dues, then send the chosen ones."""
    if request.method == "POST":
        return _send()
    form = ReminderFilterForm(request.args)
    form.year.choices = [C("", _("alle Jahre"))] + [C(y, str(y)) for y in q.dues_years()]
    form.validate()
    year = form.year.data if not form.year.errors else None
    person_id = form.person_id.data if not form.person_id.errors else None
    person = db.session.get(Person, person_id) if person_id else None
    if person_id and person is None:
        abort(404)
    send_form = ReminderSendForm(
        formdata=None, year=year or "", person_id=person.id if person else ""
    )
    return _page(form, send_form, year=year, person=person)


def _send():
    """Plan the chosen rows again on the server, send them, commit what went out."""
    send_form = ReminderSendForm()
    year = _int_or_none(send_form.year.data)
    person_id = _int_or_none(send_form.person_id.data)
    person = db.session.get(Person, person_id) if person_id else None
    if not send_form.validate_on_submit():
        form = ReminderFilterForm(formdata=None, year=year, person_id=person_id)
        form.year.choices = [C("", _("alle Jahre"))] + [C(y, str(y)) for y in q.dues_years()]
        return _page(form, send_form, year=year, person=person, status=422)
    back = {"year": year or None, "person_id": person.id if person else None}
    keys = set(send_form.keys.data or [])
    if not keys:
        flash(_("Bitte mindestens eine Zeile ankreuzen."), "warning")
        return redirect(url_for("dues.reminders", **back))
    plan = plan_reminders(person_ids=[person.id] if person else None, year=year)
    result = send_reminders(plan.choose(keys), actor=current_user)
    result.skipped += [item for item in plan.skipped if item.key in keys]
    db.session.commit()
    _flash_result(result)
    if result.letters:
        back["briefe"] = ",".join(str(r.id) for r in result.letters)
    return redirect(url_for("dues.reminders", **back))


def _flash_result(result: SendResult) -> None:
    """Say what was sent, printed, left out and what failed (by name)."""
    if result.emails:
        flash(
            _("%(count)s Erinnerung(en) per E-Mail versendet.", count=len(result.emails)),
            "success",
        )
    if result.letters:
        flash(
            _(
                "%(count)s Brief(e) erstellt. Bitte das PDF herunterladen und ausdrucken.",
                count=len(result.letters),
            ),
            "success",
        )
    for item in result.skipped:
        flash(
            _(
                "Keine Erinnerung an %(name)s: %(reason)s",
                name=item.member_name,
                reason=item.reason,
            ),
            "info",
        )
    for failure in result.failed:
        flash(
            _(
                "Nicht versendet an %(name)s (%(email)s): %(error)s",
                name=failure.planned.recipient.full_name,
                email=failure.planned.recipient.email,
                error=failure.message,
            ),
            "error",
        )
    if not (result.emails or result.letters or result.skipped or result.failed):
        flash(_("Es wurde keine Erinnerung versendet."), "warning")


@bp.route("/mahnungen/briefe")
@role_required(Role.TREASURER)
def reminder_letters():
    """The PDF of the given letter reminders (?ids=1,2,3), from their stored text."""
    ids = _ids(request.args.get("ids", ""))
    reminders = letter_reminders(ids)
    if not ids or len(reminders) != len(ids):
        abort(404)
    filename = f"mahnbriefe-{today().isoformat()}.pdf"
    return Response(
        letters_pdf(reminders),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/mahnungen/texte", methods=["GET", "POST"])
@role_required(Role.TREASURER, Role.ADMIN)
def reminder_texts():
    """Edit the texts of the Zahlungserinnerung and the Mahnung, with a preview."""
    settings = get_settings()
    form = ReminderTextsForm(obj=settings if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            values = {name: form[name].data for name in TEXT_FIELDS}
            values["reminder_interval_days"] = form.reminder_interval_days.data
            if form.submit.data:
                try:
                    save_reminder_texts(values, actor=current_user)
                except DomainError as exc:
                    db.session.rollback()
                    apply_domain_error(form, exc)
                    status = 422
                else:
                    db.session.commit()
                    flash(_("Die Texte der Erinnerungen wurden gespeichert."), "success")
                    return redirect(url_for("dues.reminder_texts"))
        else:
            status = 422
    return (
        render_template(
            "dues/reminder_texts.html",
            form=form,
            previews=_previews(form),
            placeholders=PLACEHOLDER_HELP,
        ),
        status,
    )


def _previews(form: ReminderTextsForm) -> list[tuple[str, str, str]]:
    """(label, subject, body) of both levels for an invented member; a broken text is left out."""
    values = sample_values()
    previews = []
    for level, subject_field, text_field in (
        (ReminderLevel.REMINDER, form.reminder_subject, form.reminder_text),
        (ReminderLevel.DUNNING, form.dunning_subject, form.dunning_text),
    ):
        if subject_field.errors or text_field.errors:
            continue
        subject, body = render_reminder(
            level, values, (subject_field.data or "", text_field.data or "")
        )
        previews.append((str(LEVEL_LABELS[level]), subject, body))
    return previews
