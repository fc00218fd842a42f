"""The donation pages send a fixed number of SQL statements, however many donations there are."""

from datetime import date

from supportclub.auth.models import User
from supportclub.campaigns.models import Campaign
from supportclub.donations.services import (
    record_cash_batch,
    record_donation,
    record_in_kind,
    record_waiver,
)
from supportclub.ledger.models import Person
from supportclub.projects.models import Project
from tests.donations.helpers import acc, cat, reverse
from tests.factories import make_campaign, make_member, make_person, make_project
from tests.ledger.test_query_counts import page_statements, tally

MAX_STATEMENTS = 15
PAGES = {
    "list": "/spenden",
    "list of a year": "/spenden?year=2025",
    "list of a kind": "/spenden?kind=in_kind",
    "list of a project": "/spenden?fund_id={fund}",
    "list of a campaign": "/spenden?campaign_id={campaign}",
    "list of a donor": "/spenden?person=x+%23{donor}",
    "donor page": "/spenden/spender/{donor}",
    "export": "/spenden/export.csv",
}


def donate(n: int, *, donors, project, campaign, actor) -> None:
    """n donations of every kind, spread over donors, funds, campaigns and two years."""
    for i in range(n):
        donor = donors[i % len(donors)]
        day = date(2025 if i % 3 else 2024, 1 + i % 12, 1 + i % 28)
        fund = project.fund_id if i % 2 else None
        kind = i % 4
        if kind == 0:
            record_donation(
                booking_date=day,
                account_id=acc("bank"),
                amount_cents=1000 + i,
                person_id=donor.id,
                fund_id=fund,
                campaign_id=campaign.id if i % 3 == 0 else None,
                actor=actor,
            )
        elif kind == 1:
            record_in_kind(
                booking_date=day,
                person_id=donor.id,
                value_cents=2000 + i,
                description=f"Sache {i}",
                origin="private",
                value_basis="Rechnung",
                fund_id=fund,
                actor=actor,
            )
        elif kind == 2:
            record_waiver(
                booking_date=day,
                person_id=donor.id,
                amount_cents=300 + i,
                description=f"Fahrt {i}",
                claim_date=day,
                claim_basis="Satzung",
                expense_category_id=cat("admin_cost"),
                actor=actor,
            )
        else:
            record_cash_batch(
                booking_date=day,
                items=[(100 + i, ""), (50, "")],
                campaign_id=campaign.id,
                actor=actor,
            )


def statements(db, client, values) -> dict[str, list[str]]:
    """The statements of every page, by page name."""
    return {name: page_statements(db, client, url.format(**values)) for name, url in PAGES.items()}


def test_statement_counts_do_not_grow_with_the_donations(db, users, clients):
    """Same number of statements per page with 4 and with 64 donations, and at most 15."""
    treasurer_id = users["treasurer"].id
    actor = db.session.get(User, treasurer_id)
    donor = make_member()
    project = make_project()
    campaign = make_campaign()
    donate(4, donors=[donor], project=project, campaign=campaign, actor=actor)
    db.session.commit()
    values = {
        "fund": project.fund_id,
        "fund_project": project.id,
        "campaign": campaign.id,
        "donor": donor.id,
    }
    client = clients["board"]
    few = statements(db, client, values)

    # the page requests started new sessions: load the objects again
    actor = db.session.get(User, treasurer_id)
    donor, project = (
        db.session.get(Person, values["donor"]),
        db.session.get(Project, values["fund_project"]),
    )
    campaign = db.session.get(Campaign, values["campaign"])
    donors = [donor] + [make_person(first_name=f"Person{i}") for i in range(8)]
    donate(60, donors=donors, project=project, campaign=campaign, actor=actor)
    db.session.commit()
    booking = record_donation(
        booking_date=date(2025, 3, 3),
        account_id=acc("bank"),
        amount_cents=999,
        person_id=donor.id,
        actor=actor,
    )
    db.session.commit()
    reverse(db, booking)
    many = statements(db, client, values)

    counts_few = {name: len(s) for name, s in few.items()}
    counts_many = {name: len(s) for name, s in many.items()}
    grown = {name: tally(many[name]) for name in PAGES if counts_many[name] != counts_few[name]}
    assert min(counts_few.values()) >= 3, counts_few
    assert counts_many == counts_few, f"statements with 64 donations: {grown}"
    assert max(counts_many.values()) <= MAX_STATEMENTS, counts_many
    page = client.get("/spenden").get_data(as_text=True)
    assert page.count("<tr data-booking=") == 50
    assert sum(f"Person{i}" in page for i in range(8)) == 8
