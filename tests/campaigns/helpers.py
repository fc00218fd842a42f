"""Helpers for the campaign tests: a campaign, a campaign booking by category codes, row counts."""

from datetime import date

from sqlalchemy import func, select

from supportclub.campaigns.services import CampaignLine, create_campaign, record_campaign_booking
from supportclub.extensions import db
from supportclub.ledger.models import Account
from tests.factories import by_code


def count(model) -> int:
    """Rows of a table."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def campaign(series: str = "Familienwandertag", year: int = 2025, *, actor=None, **kw):
    """A committed campaign named "<series> <year>" unless a name is given."""
    made = create_campaign(name=kw.pop("name", ""), series=series, year=year, actor=actor, **kw)
    db.session.commit()
    return made


def book(camp, *lines, booking_date: date | None = None, account: str = "cash", actor=None, **kw):
    """A committed campaign booking; lines as (code, cents) or (code, cents, quantity, price)."""
    booking = record_campaign_booking(
        camp,
        booking_date=booking_date or date(camp.year, 6, 1),
        account_id=by_code(Account, account).id,
        text=kw.pop("text", ""),
        lines=[CampaignLine(code, cents, "", *rest) for code, cents, *rest in lines],
        actor=actor,
        **kw,
    )
    db.session.commit()
    return booking
