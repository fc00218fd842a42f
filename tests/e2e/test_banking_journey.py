"""Bank statements in a real browser: the treasurer uploads a camt.053 file, reads what it
says, confirms the suggestions, corrects one line, and the members' claims show paid (one of them
in the member's own "Mein Konto")."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from supportclub.auth.models import User
from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053
from supportclub.banking.models import LineState, StatementLine
from supportclub.extensions import db
from supportclub.ledger.models import Booking, BookingLine, Category
from tests.e2e.test_dues_journey import log_out
from tests.e2e.test_ledger_journey import go_to, log_in

pytestmark = pytest.mark.e2e
YEAR = 2026


def seed(live_server) -> dict[str, int]:
    """The bank IBAN, a 48 € membership type, three members with this year's claims; the
    member login belongs to Anna. Returns the member numbers by first name."""
    from supportclub.admin.services import set_bank_iban
    from supportclub.dues.services import run_dues
    from supportclub.members.services import add_fee_rate, create_membership_type, join
    from tests.factories import make_person

    with live_server.app.app_context():
        set_bank_iban(ASSOCIATION_IBAN, actor=None)
        mtype = create_membership_type(code="regular", name="Regulär", actor=None)
        add_fee_rate(mtype, valid_from=date(2009, 1, 1), amount_cents=4800, actor=None)
        numbers = {}
        for first, last in (("Anna", "Schmidt"), ("Bernd", "Wagenknecht"), ("Clara", "Fischer")):
            person = make_person(first_name=first, last_name=last, email=f"{first.lower()}@x.de")
            join(person, membership_type_id=mtype.id, start_date=date(2020, 1, 1), actor=None)
            numbers[first] = person.member_number
            if first == "Anna":
                user = db.session.execute(
                    select(User).filter_by(email=live_server.emails["member"])
                ).scalar_one()
                user.person_id = person.id
        run_dues(YEAR, actor=None, run_date=date(YEAR, 1, 15))
        db.session.commit()
        return numbers


def statement(numbers: dict[str, int]) -> bytes:
    """Four booked entries and one pending: a member number, a name with the right amount, an
    unknown sender who pays dues plus a donation, a bakery invoice; the pending one is skipped."""
    day = date(YEAR, 3, 3)
    return camt053(
        [
            {
                "amount_cents": 4800,
                "name": "Anna Schmidt",
                "iban": "DE02120300000000202051",
                "purpose": f"Mitgliedsbeitrag {YEAR} Mitgliedsnummer {numbers['Anna']}",
                "booking_date": day,
            },
            {
                "amount_cents": 4800,
                "name": "WAGENKNECHT, BERND",
                "iban": "DE02500105170137075030",
                "purpose": "Jahresbeitrag",
                "booking_date": day,
            },
            {
                "amount_cents": 10000,
                "name": "C. u. M. Fischer",
                "iban": "DE12500105170648489890",
                "purpose": "Beitrag und Spende fuer den Schulgarten",
                "booking_date": day,
            },
            {
                "amount_cents": -3570,
                "name": "Bäckerei Öztürk",
                "iban": "DE85760501010011223344",
                "purpose": "Rechnung 2026-117",
                "booking_date": day,
            },
            {"amount_cents": 999, "name": "Vorgemerkt", "status": "PDNG", "booking_date": day},
        ],
        opening_cents=100000,
        start=day,
    )


def test_upload_confirm_correct_and_claims_paid(page: Page, live_server, tmp_path):
    numbers = seed(live_server)
    path = tmp_path / "kontoauszug-2026-03-03.xml"
    path.write_bytes(statement(numbers))

    log_in(page, live_server.emails["treasurer"], live_server.password)
    go_to(page, "Kontoauszüge")
    page.get_by_label("Kontoauszug-Datei").set_input_files(str(path))
    page.get_by_role("button", name="Einlesen").click()

    # what was read, before anything is booked
    expect(page.get_by_role("alert").first).to_contain_text("4")
    expect(page.get_by_test_id("entries")).to_have_text("4")
    expect(page.get_by_test_id("pending")).to_have_text("1")
    expect(page.get_by_test_id("opening")).to_contain_text("1.000,00 €")
    expect(page.get_by_test_id("closing")).to_contain_text("1.160,30 €")
    expect(page.get_by_test_id("balance-check")).to_contain_text("1.160,30 €")

    # the suggestions with their reasons
    page.get_by_test_id("review-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bankumsätze prüfen")
    rows = page.get_by_test_id("line-row")
    expect(rows).to_have_count(4)
    anna = rows.filter(has_text="Anna Schmidt")
    expect(anna.get_by_test_id("reason")).to_have_text(
        f"Mitgliedsnummer {numbers['Anna']} im Verwendungszweck"
    )
    expect(anna.get_by_test_id("plan")).to_have_text(f"Beitrag {YEAR} (48,00 €)")
    bernd = rows.filter(has_text="WAGENKNECHT")
    expect(bernd.get_by_test_id("reason")).to_contain_text("Name und Betrag passen")
    expect(rows.filter(has_text="Fischer").get_by_test_id("reason")).to_have_text("keine Zuordnung")

    # confirm the two suggestions in one go
    page.get_by_test_id("confirm-all").click()
    expect(page.get_by_role("alert").first).to_contain_text("2 Umsätze gebucht")
    expect(page.get_by_test_id("line-row")).to_have_count(2)

    # correct the Fischer line: dues of Clara Fischer plus a donation
    page.get_by_test_id("line-row").filter(has_text="Fischer").get_by_role(
        "link", name="Korrigieren"
    ).click()
    page.get_by_label("Beitrag + Spende").check()
    with live_server.app.app_context():
        from supportclub.ledger.models import Person
        from supportclub.ledger.person_picker import person_label

        clara = db.session.execute(
            select(Person).filter_by(member_number=numbers["Clara"])
        ).scalar_one()
        clara_label = person_label(clara)
    page.get_by_label("Gegenüber (Person oder Organisation)").fill(clara_label)
    page.get_by_role("button", name="Zuordnen und buchen").click()
    expect(page.get_by_role("alert").first).to_contain_text("100,00 €")
    # only the bakery invoice is left for review
    expect(page.get_by_test_id("line-row")).to_have_count(1)
    expect(page.get_by_test_id("line-row")).to_contain_text("Bäckerei Öztürk")

    # the members' claims are paid: on the member pages and in the books
    for first in ("Anna", "Bernd", "Clara"):
        go_to(page, "Mitglieder")
        page.get_by_label("Suche").fill(str(numbers[first]))
        page.get_by_label("Suche").press("Enter")
        page.get_by_role("link", name=first).first.click()
        expect(page.get_by_test_id("balance-open")).to_have_text("0,00 €")
        expect(page.get_by_test_id("balance-paid")).to_have_text("48,00 €")
    with live_server.app.app_context():
        lines = db.session.execute(
            select(Category.code, func.sum(BookingLine.amount_cents))
            .join(Category, Category.id == BookingLine.category_id)
            .join(Booking, Booking.id == BookingLine.booking_id)
            .where(Booking.channel == "bank")
            .group_by(Category.code)
        ).all()
        assert dict(lines) == {"dues": 3 * 4800, "donation": 10000 - 4800}
        assert (
            db.session.execute(
                select(func.count()).where(StatementLine.state == LineState.OPEN)
            ).scalar_one()
            == 1
        )

    # Anna sees her claim paid in "Mein Konto"
    log_out(page)
    log_in(page, live_server.emails["member"], live_server.password)
    page.get_by_role("link", name="Mein Konto").first.click()
    claim = page.get_by_test_id("claims").locator("tbody tr").filter(has_text=str(YEAR))
    expect(claim).to_contain_text("bezahlt")
    expect(claim.locator("td.num").nth(2)).to_have_text("0,00 €")
