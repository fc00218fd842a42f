"""SEPA direct debit in a real browser: the treasurer enters the Gläubiger-ID (a wrong one is
refused), previews the collection of this year's dues, creates it, downloads the pain.008 file;
the members get their pre-notifications; the bank statement comes back with both credits and one
return, and after confirming, one claim is paid and the returned one is open again with the
bank's fee booked."""

import re
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from supportclub.banking.camt_writer import ASSOCIATION_IBAN, camt053
from supportclub.banking.models import DirectDebit
from supportclub.clock import today
from supportclub.extensions import db
from supportclub.ledger.models import BookingLine, Category
from tests.e2e.test_ledger_journey import log_in
from tests.mailsink import MailSink, _free_port

pytestmark = pytest.mark.e2e
MEMBERS = (
    ("Jana", "Kowalski", "DE02120300000000202051"),
    ("Timo", "Brückner", "DE12500105170648489890"),
)


@pytest.fixture
def mails(live_server):
    """The live app's mail goes to a local SMTP sink."""
    sink, port = MailSink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    live_server.app.config.update(
        MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False
    )
    yield sink
    controller.stop()


def seed(live_server) -> int:
    """The association's name and bank IBAN, 48 € dues, two members with a mandate and one
    without; this year's claims. Returns the year."""
    from supportclub.admin.services import set_bank_iban, update_settings
    from supportclub.dues.services import run_dues
    from supportclub.members.services import add_fee_rate, create_membership_type, join, set_mandate
    from tests.factories import make_person

    year = today().year
    with live_server.app.app_context():
        update_settings({"name": "Förderverein Grundschule am Lindenpark e. V."}, actor=None)
        set_bank_iban(ASSOCIATION_IBAN, actor=None)
        mtype = create_membership_type(code="regular", name="Regulär", actor=None)
        add_fee_rate(mtype, valid_from=date(2009, 1, 1), amount_cents=4800, actor=None)
        for first, last, iban in MEMBERS:
            person = make_person(first_name=first, last_name=last, email=f"{first.lower()}@x.de")
            membership = join(
                person, membership_type_id=mtype.id, start_date=date(2020, 1, 1), actor=None
            )
            set_mandate(
                membership,
                reference=f"M-{person.member_number}",
                signed_on=date(year, 1, 10),
                iban=iban,
                actor=None,
            )
        without = make_person(first_name="Olaf", last_name="Ohnemandat")
        join(without, membership_type_id=mtype.id, start_date=date(2020, 1, 1), actor=None)
        run_dues(year, actor=None, run_date=date(year, 1, 15))
        db.session.commit()
    return year


def test_collect_dues_by_direct_debit_and_book_the_returns(
    page: Page, live_server, mails, tmp_path
):
    year = seed(live_server)
    log_in(page, live_server.emails["treasurer"], live_server.password)
    page.get_by_role("navigation").get_by_role("link", name="Lastschriften", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lastschrifteinzüge")

    # the creditor settings: wrong check digits are refused, the right ID is kept
    page.get_by_role("link", name="Einstellungen Lastschrift").click()
    page.get_by_label("Gläubiger-ID").fill("DE99ZZZ09999999999")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator(".invalid-feedback").first).to_contain_text("Prüfziffer")
    page.get_by_label("Gläubiger-ID").fill("DE98 ZZZ0 9999 9999 99")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_label("Gläubiger-ID")).to_have_value("DE98ZZZ09999999999")

    # the preview: two debits, one member skipped for having no mandate
    page.get_by_role("link", name="Lastschrifteinzüge", exact=True).click()
    page.get_by_role("link", name="Neuer Lastschrifteinzug").click()
    page.get_by_label("Beitragsjahr").fill(str(year))
    page.get_by_role("button", name="Vorschau anzeigen").click()
    expect(page.get_by_test_id("preview-count")).to_have_text("2")
    expect(page.get_by_test_id("preview-total")).to_contain_text("96,00 €")
    expect(page.get_by_test_id("skip-reason")).to_have_text("kein Mandat")
    page.get_by_test_id("skipped-group").locator("summary").click()
    expect(page.get_by_test_id("skipped-group")).to_contain_text("Ohnemandat")

    # create it: the file, the pre-notifications, the claims marked
    page.get_by_label(re.compile("Ich habe die Vorschau geprüft")).check()
    page.get_by_role("button", name="Einzug erstellen").click()
    expect(page.get_by_role("alert").first).to_contain_text("2 Lastschriften")
    expect(page.get_by_test_id("count")).to_have_text("2")
    expect(page.get_by_test_id("notified")).to_contain_text("2/2")
    with page.expect_download() as info:
        page.get_by_test_id("download").click()
    xml = tmp_path / "pain.xml"
    info.value.save_as(xml)
    content = xml.read_text(encoding="utf-8")
    assert "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08" in content
    assert "<NbOfTxs>2</NbOfTxs>" in content and "<CtrlSum>96.00</CtrlSum>" in content
    assert "Brueckner" in content and "<SeqTp>RCUR</SeqTp>" in content

    assert sorted(m["To"] for m in mails.messages) == ["jana@x.de", "timo@x.de"]
    body = MailSink.body(mails.messages[0])
    assert "48,00 €" in body and "DE98ZZZ09999999999" in body and "M-" in body

    # the bank statement: both credits, then Timo's debit comes back with a fee of 3,00 €
    with live_server.app.app_context():
        debits = {
            d.debtor_name: (d.end_to_end_id, d.claim_id)
            for d in db.session.execute(select(DirectDebit)).scalars()
        }
    jana_e2e, jana_claim = debits["Jana Kowalski"]
    timo_e2e, timo_claim = debits["Timo Brueckner"]  # the SEPA character set
    day = today()
    statement = camt053(
        [
            {"amount_cents": 4800, "name": "Jana Kowalski", "e2e": jana_e2e, "booking_date": day},
            {"amount_cents": 4800, "name": "Timo Brückner", "e2e": timo_e2e, "booking_date": day},
            {
                "amount_cents": -5100,
                "fee_cents": 300,
                "name": "Timo Brückner",
                "e2e": timo_e2e,
                "return_reason": "MD06",
                "booking_date": day,
                "text": "RUECKLASTSCHRIFT",
            },
        ],
        start=day,
    )
    path = tmp_path / "auszug.xml"
    path.write_bytes(statement)
    page.get_by_role("navigation").get_by_role("link", name="Kontoauszüge", exact=True).click()
    page.get_by_label("Kontoauszug-Datei").set_input_files(str(path))
    page.get_by_role("button", name="Einlesen").click()
    page.get_by_test_id("review-link").click()
    rows = page.get_by_test_id("line-row")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="-51,00 €").get_by_test_id("reason")).to_contain_text(
        "MD06: Rückgabe auf Verlangen des Zahlungspflichtigen (Widerspruch)"
    )
    expect(rows.filter(has_text="Jana").get_by_test_id("reason")).to_contain_text(
        f"Lastschrift {jana_e2e}"
    )
    page.get_by_test_id("confirm-all").click()
    expect(page.get_by_role("alert").first).to_contain_text("3 Umsätze gebucht")

    from supportclub.dues.queries import claims_by_id

    with live_server.app.app_context():
        status = {row.claim.id: row.open_cents for row in claims_by_id([jana_claim, timo_claim])}
        assert status == {jana_claim: 0, timo_claim: 4800}
        fees = db.session.execute(
            select(func.sum(BookingLine.amount_cents))
            .join(Category, Category.id == BookingLine.category_id)
            .where(Category.code == "bank_fees")
        ).scalar_one()
        assert fees == -300
