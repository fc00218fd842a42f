"""Select-box choices of the donation forms: earmarks, campaigns, accounts, categories, funds."""

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice as C

from supportclub.campaigns.models import Campaign
from supportclub.extensions import db
from supportclub.ledger.models import Account, Category, Fund


def earmark_choices() -> list:
    """ "free" first, then the projects that still accept earmarked donations (value: fund id)."""
    from supportclub.projects.queries import projects_accepting_donations

    return [C("", _("frei (allgemeiner Fonds)"))] + [
        C(p.fund_id, p.title) for p in projects_accepting_donations()
    ]


def campaign_choices(empty: str) -> list:
    """Campaigns, newest year first, after an empty choice labelled `empty`."""
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.name).order_by(Campaign.year.desc(), Campaign.name)
    )
    return [C("", empty)] + [C(cid, name) for cid, name in campaigns]


def account_choices() -> list:
    """Active accounts (bank, cash, ...)."""
    accounts = db.session.execute(
        select(Account.id, Account.name).where(Account.is_active.is_(True)).order_by(Account.id)
    )
    return [C(aid, name) for aid, name in accounts]


def account_id(code: str) -> int | None:
    """The id of an account by its code."""
    return db.session.execute(select(Account.id).filter_by(code=code)).scalar()


def expense_choices(*, first: str | None = None, empty: str | None = None) -> list:
    """Active expense categories; the one with code `first` on top, or an empty choice."""
    rows = db.session.execute(
        select(Category.id, Category.code, Category.name)
        .where(Category.is_active.is_(True), Category.direction == -1)
        .order_by(Category.sort_order, Category.name)
    ).all()
    rows.sort(key=lambda row: row.code != first)
    choices = [C(cid, name) for cid, _code, name in rows]
    return ([C("", empty)] if empty else []) + choices


def fund_filter_choices(empty: str) -> list:
    """The general fund and every earmarked fund (also of closed projects), for filtering."""
    funds = db.session.execute(
        select(Fund.id, Fund.name)
        .where(Fund.is_earmarked.is_(True) | (Fund.code == Fund.GENERAL))
        .order_by(Fund.is_earmarked, Fund.name)
    )
    return [C("", empty)] + [C(fid, name) for fid, name in funds]
