"""Session-level guards: saved bookings are immutable and always balanced."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from supportclub.errors import ImmutableError, ValidationError
from supportclub.i18n import _
from supportclub.ledger.models import Booking, BookingLine


def _check_flush(session: Session, flush_context, instances) -> None:
    """Refuse updates and deletes of booked data; check that new bookings balance."""
    for obj in session.deleted:
        if isinstance(obj, Booking | BookingLine):
            raise ImmutableError(
                _("Buchungen können nicht gelöscht werden. Bitte stornieren Sie die Buchung.")
            )
    for obj in session.dirty:
        if isinstance(obj, Booking | BookingLine) and session.is_modified(
            obj, include_collections=False
        ):
            raise ImmutableError(
                _(
                    "Gespeicherte Buchungen können nicht geändert werden. "
                    "Bitte stornieren Sie die Buchung und erfassen Sie sie neu."
                )
            )
    for obj in session.new:
        if isinstance(obj, BookingLine):
            booking = obj.booking
            if booking is None or booking not in session.new:
                raise ImmutableError(
                    _("Einer gespeicherten Buchung können keine Positionen hinzugefügt werden.")
                )
        if isinstance(obj, Booking):
            if not obj.lines:
                raise ValidationError(_("Eine Buchung braucht mindestens eine Position."))
            total = sum(line.amount_cents for line in obj.lines)
            if total != obj.amount_cents:
                raise ValidationError(
                    _("Die Positionen ergeben nicht den Buchungsbetrag."), field="lines"
                )


def install() -> None:
    """Register the guards on every SQLAlchemy session (idempotent)."""
    if not event.contains(Session, "before_flush", _check_flush):
        event.listen(Session, "before_flush", _check_flush)
