"""CLI: flask --app supportclub payments refresh [--payment ID] [--min-age MINUTES].

Webhooks can be missed (an outage longer than Stripe's three days of retries, a wrong secret).
`payments refresh` reads every payment that is still open (created or pending) from Stripe and
books what Stripe confirms, exactly as the webhook would; a scheduler can run it hourly.
"""

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from supportclub.clock import utcnow
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.payments import events, gateway
from supportclub.payments.models import OnlinePayment, PaymentStatus

payments_cli = AppGroup("payments", help="Online-Zahlungen (Stripe).")

OPEN = (PaymentStatus.CREATED, PaymentStatus.PENDING)


@payments_cli.command("refresh")
@click.option("--payment", "payment_id", type=click.IntRange(min=1), help="Nur diese Zahlung.")
@click.option(
    "--min-age",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Nur Zahlungen, die älter sind als so viele Minuten (frische erledigt der Webhook).",
)
def refresh_command(payment_id: int | None, min_age: int) -> None:
    """Read open online payments from Stripe and book what Stripe has confirmed."""
    if not gateway.configured():
        raise click.ClickException(
            _("Online-Zahlungen sind nicht eingerichtet (STRIPE_SECRET_KEY fehlt).")
        )
    if payment_id is not None:
        if db.session.get(OnlinePayment, payment_id) is None:
            raise click.BadParameter(
                _("Die Zahlung %(id)s gibt es nicht.", id=payment_id), param_hint="--payment"
            )
        ids = [payment_id]
    else:
        ids = list(
            db.session.scalars(
                select(OnlinePayment.id)
                .where(
                    OnlinePayment.status.in_(OPEN),
                    OnlinePayment.created_at <= utcnow() - timedelta(minutes=min_age),
                )
                .order_by(OnlinePayment.id)
            )
        )
    changed = failed = 0
    for pid in ids:
        before = db.session.get(OnlinePayment, pid).status
        try:
            payment = events.refresh(pid)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            failed += 1
            click.echo(_("Zahlung %(id)s: %(error)s", id=pid, error=exc.message), err=True)
            continue
        if payment.status != before:
            changed += 1
            click.echo(
                _(
                    "Zahlung %(id)s: %(before)s → %(after)s",
                    id=pid,
                    before=before.value,
                    after=payment.status.value,
                )
            )
    click.echo(
        _(
            "%(count)s offene Zahlungen abgeglichen, %(changed)s geändert, %(failed)s Fehler.",
            count=len(ids),
            changed=changed,
            failed=failed,
        )
    )
    if failed:
        raise SystemExit(1)
