"""A small hand-made book for the report tests, every figure known in advance.

2025, all on the general fund unless said otherwise:
- dues 36,00 €; a donation 100,00 €; a donation 50,00 € booked and reversed (nets out);
- campaign "Familienwandertag 2025": start fees 200,00 € (Zweckbetrieb), 120 cards at 2,50 € =
  300,00 € (wirtschaftlich), food purchase -80,00 € (wirtschaftlich);
- interest 5,00 € (Vermögensverwaltung, source "Sonstige"); office costs -20,00 €;
- project "Lesefest" (organisation "Kita Sonnenschein"): approved 500,00 € on 1 March,
  500,00 € allocated from the general fund, 200,00 € paid out.

Income 641,00 €: dues 36,00, donations 100,00, the campaign 500,00, other 5,00.
Expenses -300,00 €: food -80,00, office -20,00, grant payout -200,00.
General fund 41,00 €, project fund 300,00 €, open commitment 300,00 € (covered), free 41,00 €.
"""

from datetime import date

from supportclub.extensions import db
from supportclub.ledger.models import Account, Category, Fund, PersonKind
from supportclub.ledger.services import LineInput, record_booking, reverse_booking
from supportclub.projects.services import allocate_funds, approve_project, record_payout
from tests.factories import by_code, make_booking, make_campaign, make_person, make_project

INCOME = 64100
EXPENSE = -30000


def line(category: str, cents: int, *, fund: str = "general", **kw) -> LineInput:
    """A booking line by category and fund code."""
    return LineInput(by_code(Category, category).id, by_code(Fund, fund).id, cents, **kw)


def campaign_booking(campaign, when: date, *lines: LineInput, account: str = "cash"):
    """One booking of campaign lines (their campaign_id set)."""
    lines = [
        LineInput(**{**ln.__dict__, "campaign_id": campaign.id}) for ln in lines
    ]  # frozen dataclass: copy with the campaign
    booking = record_booking(
        booking_date=when,
        account_id=by_code(Account, account).id,
        amount_cents=sum(ln.amount_cents for ln in lines),
        lines=lines,
        actor=None,
        text=f"Kasse {campaign.name}",
    )
    db.session.commit()
    return booking


def small_book() -> dict:
    """Create the book described above; returns the objects tests refer to."""
    when = date(2025, 5, 10)
    make_booking(3600, category="dues", booking_date=when)
    make_booking(10000, category="donation", booking_date=when)
    wrong = make_booking(5000, category="donation", booking_date=when)
    reverse_booking(wrong, "Doppelt erfasst", actor=None, reversal_date=date(2025, 5, 11))
    db.session.commit()
    hike = make_campaign("Familienwandertag 2025", series="Familienwandertag", year=2025)
    campaign_booking(
        hike,
        date(2025, 6, 1),
        line("campaign_fees", 20000),
        line("sales", 30000, quantity=120, unit_price_cents=250),
        line("campaign_cost", -8000),
    )
    make_booking(500, category="interest", booking_date=date(2025, 12, 30))
    make_booking(-2000, category="admin_cost", booking_date=date(2025, 7, 1))
    kita = make_person(kind=PersonKind.ORGANISATION, first_name="", last_name="Kita Sonnenschein")
    project = make_project("Lesefest", applicant=kita, requested_cents=60000)
    grant = approve_project(
        project, resolution_date=date(2025, 8, 1), amount_cents=50000, actor=None
    )
    allocate_funds(project, amount_cents=50000, booking_date=date(2025, 8, 2), actor=None)
    record_payout(
        project,
        amount_cents=20000,
        booking_date=date(2025, 9, 1),
        account_id=by_code(Account, "bank").id,
        actor=None,
    )
    db.session.commit()
    return {"campaign": hike, "project": project, "grant": grant, "reversed": wrong}
