"""The campaign pages send a fixed number of SQL statements, however many campaigns and lines."""

import re
from datetime import date

from supportclub.auth.models import User
from supportclub.campaigns.models import Campaign
from supportclub.ledger.services import reverse_booking
from tests.campaigns.helpers import book, campaign
from tests.factories import make_person
from tests.ledger.test_query_counts import page_statements, tally

MAX_STATEMENTS = 12
PAGES = {
    "list": "/aktionen",
    "list of a year": "/aktionen?year=2025",
    "list of a series": "/aktionen?series=Familienwandertag",
    "detail": "/aktionen/{detail}",
}


def statements_per_page(db, client, detail_id: int) -> dict[str, list[str]]:
    """The statements of each campaign page."""
    return {
        name: page_statements(db, client, url.format(detail=detail_id))
        for name, url in PAGES.items()
    }


def few(actor) -> int:
    """One hiking day with one booking; returns its id."""
    made = campaign("Familienwandertag", 2025, actor=actor)
    book(made, ("campaign_fees", None, 80, 500), ("campaign_cost", 2000), actor=actor)
    return made.id


def many_more(db, actor_id: int, detail_id: int) -> None:
    """14 years of hiking days and cards, 30 more bookings with persons, one reversed."""
    actor = db.session.get(User, actor_id)
    persons = [make_person(first_name=f"Person{i}") for i in range(6)]
    for year in range(2011, 2025):
        book(campaign("Familienwandertag", year, actor=actor), ("sales", 10000 + year))
        book(campaign("Weihnachtskarten", year, actor=actor), ("sales", None, year - 1900, 250))
    made = db.session.get(Campaign, detail_id)
    reversed_one = None
    for i in range(30):
        booking = book(
            made,
            ("sales", None, 10 + i, 250),
            ("purpose_cost", 500 + i),
            booking_date=date(2025, 1 + i % 12, 1 + i % 28),
            account="bank" if i % 2 else "cash",
            person_id=persons[i % len(persons)].id,
            actor=actor,
        )
        reversed_one = reversed_one or booking
    reverse_booking(reversed_one, "doppelt", actor=actor, reversal_date=date(2025, 12, 30))
    db.session.commit()


def test_campaign_pages_send_a_constant_number_of_statements(db, users, clients):
    """Same statement count with 1 campaign and 1 booking as with 29 campaigns and 61 bookings."""
    client = clients["treasurer"]
    actor_id = users["treasurer"].id
    detail_id = few(db.session.get(User, actor_id))
    counts_few = {n: len(s) for n, s in statements_per_page(db, client, detail_id).items()}
    many_more(db, actor_id, detail_id)
    many = statements_per_page(db, client, detail_id)
    counts_many = {n: len(s) for n, s in many.items()}
    grown = {n: tally(many[n]) for n in PAGES if counts_many[n] != counts_few[n]}
    assert min(counts_few.values()) >= 2, counts_few
    assert counts_many == counts_few, f"statements with many campaigns: {grown}"
    assert max(counts_many.values()) <= MAX_STATEMENTS, counts_many


def test_the_big_pages_really_show_many_rows(db, users, clients):
    """The count above only bites if the pages show many campaigns, bookings and persons."""
    actor_id = users["treasurer"].id
    detail_id = few(db.session.get(User, actor_id))
    many_more(db, actor_id, detail_id)
    db.session.remove()
    listing = clients["treasurer"].get("/aktionen").get_data(as_text=True)
    assert listing.count('href="/aktionen/') >= 29
    detail = clients["treasurer"].get(f"/aktionen/{detail_id}").get_data(as_text=True)
    booking_links = re.findall(r'href="/buchungen/\d+"', detail)
    assert len(booking_links) == 1 + 30 + 1  # the first, the 30, the reversal
    assert sum(f"Person{i}" in detail for i in range(6)) == 6
    assert "storniert" in detail and "Storno" in detail
    table = detail.split('data-testid="series-table"')[1].split("</table>")[0]
    assert table.count("<tr") == 1 + 15  # header and 2011..2025
