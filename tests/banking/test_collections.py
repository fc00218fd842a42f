"""Direct-debit collections: who is collected (and who not, and why), the pain.008 file, the
pre-notifications and the cancellation."""

from datetime import date, timedelta

import pytest
from lxml import etree
from sqlalchemy import func, select, update

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.banking.business_days import easter_sunday, is_target_day, next_target_day
from supportclub.banking.collections import (
    active_debit_for_claims,
    cancel_collection,
    create_collection,
    earliest_collection_date,
    plan_collection,
    send_prenotifications,
)
from supportclub.banking.models import CollectionStatus, DebitCollection, DirectDebit
from supportclub.clock import today
from supportclub.errors import ValidationError
from supportclub.ledger.models import Account
from supportclub.members.models import Membership
from supportclub.members.services import set_mandate, set_payer
from tests.factories import by_code, make_claim, make_member, make_person, membership_of

CLUB = "Förderverein „Schule am See“ e.V."
CLUB_IBAN = "DE89370400440532013000"
DEBTOR_IBAN = "DE02120300000000202051"
CREDITOR_ID = "DE98ZZZ09999999999"
YEAR = 2025
NS = "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.08}"


@pytest.fixture
def club(db):
    """The association's name, address, bank IBAN and Gläubiger-ID."""
    settings = get_settings()
    settings.name = CLUB
    settings.street = "Seestraße 5"
    settings.postal_code = "07743"
    settings.city = "Jena"
    settings.creditor_id = CREDITOR_ID
    settings.prenotification_days = 14
    by_code(Account, "bank").iban = CLUB_IBAN
    db.session.commit()
    return settings


def with_mandate(person, *, signed=None, iban=DEBTOR_IBAN, mandate_type="RCUR", reference=None):
    """Give the person's membership a SEPA mandate."""
    from supportclub.extensions import db

    membership = membership_of(person)
    set_mandate(
        membership,
        reference=reference or f"M-{person.member_number}-{membership.id}",
        signed_on=signed or today() - timedelta(days=30),
        iban=iban,
        actor=None,
        mandate_type=mandate_type,
    )
    db.session.commit()
    return membership


def mandated_member(**kw):
    """A member with a claim for YEAR and a recurring mandate."""
    mandate = {k: kw.pop(k) for k in ("signed", "iban", "mandate_type") if k in kw}
    person = make_member(**kw)
    with_mandate(person, **mandate)
    return person


def cdate():
    """The earliest allowed collection date."""
    return earliest_collection_date()


def run_year():
    """Create the dues claims of YEAR for every membership."""
    from supportclub.dues.services import run_dues
    from supportclub.extensions import db

    run_dues(YEAR, actor=None, run_date=date(YEAR, 1, 15))
    db.session.commit()


def create(db, users=None, **kw):
    """Create a collection of YEAR on the earliest date; commit like the route."""
    values = dict(year=YEAR, collection_date=cdate(), actor=users["treasurer"] if users else None)
    values.update(kw)
    collection = create_collection(**values)
    db.session.commit()
    return collection


def fake_collection(db, membership, claim, collection_date, *, sequence="RCUR"):
    """A stored collection with one debit (as if created on ``collection_date``)."""
    collection = DebitCollection(
        message_id=f"SC-TEST-{membership.id}-{collection_date:%Y%m%d}-{sequence}",
        collection_date=collection_date,
        schema="pain.008.001.08",
        count=1,
        total_cents=claim.amount_cents,
        creditor_id=CREDITOR_ID,
        creditor_iban=CLUB_IBAN,
        prenotification_days=14,
        file_xml=b"<Document/>",
        file_sha256="0" * 64,
    )
    db.session.add(collection)
    db.session.flush()
    db.session.add(
        DirectDebit(
            collection_id=collection.id,
            claim_id=claim.id,
            membership_id=membership.id,
            person_id=membership.person_id,
            amount_cents=claim.amount_cents,
            end_to_end_id=f"TEST-{collection.id}",
            sequence_type=sequence,
            mandate_reference=membership.mandate_reference,
            mandate_date=membership.mandate_date,
            iban=membership.mandate_iban,
            debtor_name="Test",
            remittance="Test",
        )
    )
    db.session.commit()
    return collection


def parse(xml: bytes):
    return etree.fromstring(xml)


# planning -------------------------------------------------------------------------------------


def test_a_member_with_mandate_is_planned_with_the_open_amount_and_the_paying_person(db, club):
    member = mandated_member(first_name="Jörg", last_name="Müller")
    run_year()
    plan = plan_collection(year=YEAR, collection_date=cdate())
    assert (plan.count, plan.total_cents) == (1, 3600)
    (item,) = plan.included
    assert item.debtor.id == member.id
    assert item.sequence_type == "RCUR"
    assert item.iban == DEBTOR_IBAN
    assert plan.skipped == []


def test_the_alternate_payer_is_the_debtor(db, club):
    parent = make_person(first_name="Petra", last_name="Eltern", email="petra@example.org")
    child = mandated_member(first_name="Kim", last_name="Eltern", email=None)
    set_payer(membership_of(child), payer_id=parent.id, actor=None)
    db.session.commit()
    run_year()
    (item,) = plan_collection(year=YEAR, collection_date=cdate()).included
    assert (item.debtor.id, item.member.id, item.email) == (
        parent.id,
        child.id,
        "petra@example.org",
    )


def reasons(plan) -> dict[str, int]:
    return {reason: len(items) for reason, items in plan.skipped_by_reason.items()}


def test_each_skip_reason_is_named(db, club):
    make_member(last_name="Ohnemandat")
    mandated_member(last_name="Ohnemail", email=None)
    mandated_member(last_name="Schweiz", iban="CH9300762011623852957")
    bad = mandated_member(last_name="Kaputt")
    db.session.execute(
        update(Membership)
        .where(Membership.id == membership_of(bad).id)
        .values(mandate_iban="DE00123456789012345678")
    )
    old = mandated_member(last_name="Alt", signed=date(2020, 1, 2))
    once = mandated_member(last_name="Einmal", mandate_type="OOFF")
    ok = mandated_member(last_name="Gut")
    run_year()
    claim_once = make_claim(once, YEAR)
    fake_collection(db, membership_of(once), claim_once, date(YEAR, 3, 2), sequence="OOFF")
    plan = plan_collection(year=YEAR, collection_date=cdate())
    assert [item.member.id for item in plan.included] == [ok.id]
    assert reasons(plan) == {
        "kein Mandat": 1,
        "keine E-Mail-Adresse für die Vorabankündigung": 1,
        "IBAN ungültig": 1,
        "Mandat seit 36 Monaten nicht genutzt (verfallen)": 1,
        f"bereits in Lastschrifteinzug {active_id(claim_once)} eingereicht": 1,
        (
            "Name/Adresse fehlt: Konto außerhalb des EWR, dafür verlangt SEPA die Anschrift, "
            "die die Datei nicht enthält"
        ): 1,
    }
    assert old.id not in [item.member.id for item in plan.included]


def active_id(claim) -> int:
    return active_debit_for_claims([claim.id])[claim.id].collection_id


def test_an_ooff_mandate_used_once_is_not_collected_again(db, club):
    once = mandated_member(last_name="Einmal", mandate_type="OOFF")
    last_year = make_claim(once, YEAR - 1)
    fake_collection(db, membership_of(once), last_year, date(YEAR, 3, 2), sequence="OOFF")
    run_year()
    plan = plan_collection(year=YEAR, collection_date=cdate())
    assert plan.count == 0
    assert reasons(plan) == {"einmaliges Mandat (OOFF) bereits genutzt": 1}


def test_an_unused_ooff_mandate_is_collected_as_ooff(db, club):
    mandated_member(mandate_type="OOFF")
    run_year()
    collection = create(db)
    (debit,) = collection.debits
    assert debit.sequence_type == "OOFF"
    assert b"<SeqTp>OOFF</SeqTp>" in collection.file_xml


def test_without_email_is_included_when_asked_and_noted(db, club):
    mandated_member(email=None)
    run_year()
    plan = plan_collection(year=YEAR, collection_date=cdate(), include_without_email=True)
    assert (plan.count, plan.without_email) == (1, 1)
    collection = create(db, include_without_email=True)
    assert "1 ohne E-Mail-Adresse (Vorabankündigung anderweitig)" in collection.note


def test_the_membership_type_filter(db, club):
    from tests.factories import make_membership_type

    a = make_membership_type(rates=((date(2009, 1, 1), 3600),))
    b = make_membership_type(rates=((date(2009, 1, 1), 1800),))
    mandated_member(mtype=a)
    mandated_member(mtype=b)
    run_year()
    plan = plan_collection(year=YEAR, membership_type_id=b.id, collection_date=cdate())
    assert (plan.count, plan.total_cents) == (1, 1800)


# the collection date --------------------------------------------------------------------------


def _future_holiday() -> date:
    """A TARGET holiday on a weekday, far enough ahead to pass the other checks."""
    start = today() + timedelta(days=30)
    for year in (start.year, start.year + 1):
        easter = easter_sunday(year)
        for day in (
            date(year, 1, 1),
            easter - timedelta(days=2),
            easter + timedelta(days=1),
            date(year, 5, 1),
            date(year, 12, 25),
            date(year, 12, 26),
        ):
            if start <= day and day.weekday() < 5:
                return day
    raise AssertionError("no holiday found")


def test_collection_dates_on_weekends_holidays_or_too_early_are_refused(db, club):
    mandated_member()
    run_year()
    earliest = cdate()
    saturday = earliest + timedelta(days=(5 - earliest.weekday()) % 7 or 7)
    cases = {
        saturday: "kein Bankarbeitstag",
        _future_holiday(): "kein Bankarbeitstag",
        next_target_day(today() + timedelta(days=3)): "Vorabankündigung muss 14 Tage",
        next_target_day(today() + timedelta(days=400)): "höchstens ein Jahr",
    }
    for day, text in cases.items():
        with pytest.raises(ValidationError) as error:
            plan_collection(year=YEAR, collection_date=day)
        assert error.value.field == "collection_date"
        assert text in error.value.message
    assert is_target_day(earliest)
    assert earliest >= today() + timedelta(days=14)


def test_a_shorter_prenotification_period_still_needs_the_bank_lead_time(db, club):
    club.prenotification_days = 1
    db.session.commit()
    earliest = cdate()
    assert earliest > next_target_day(today())  # at least the TARGET day after tomorrow's
    with pytest.raises(ValidationError, match="Bankarbeitstag vorher|Bankarbeitstag"):
        plan_collection(year=YEAR, collection_date=next_target_day(today()))


def test_missing_creditor_id_or_bank_iban_points_to_the_settings(db, club):
    club.creditor_id = ""
    db.session.commit()
    with pytest.raises(ValidationError, match="Gläubiger-ID.*Einstellungen › Lastschrift"):
        plan_collection(year=YEAR, collection_date=cdate())
    club.creditor_id = CREDITOR_ID
    by_code(Account, "bank").iban = None
    db.session.commit()
    with pytest.raises(ValidationError, match="IBAN des Vereinskontos"):
        plan_collection(year=YEAR, collection_date=cdate())


# the file -------------------------------------------------------------------------------------


def test_the_created_file_has_sum_count_rcur_transliterated_names_and_references(
    db, club, mailsink, users
):
    müller = mandated_member(first_name="Jörg", last_name="Müller")
    other = mandated_member(first_name="Anna", last_name="Weiß")
    run_year()
    collection = create(db, users)
    assert (collection.count, collection.total_cents) == (2, 7200)
    assert collection.schema == "pain.008.001.08"
    assert collection.message_id.startswith("SC-") and collection.message_id.endswith(
        f"-{collection.id}"
    )
    doc = parse(collection.file_xml)
    assert doc.findtext(f"{NS}CstmrDrctDbtInitn/{NS}GrpHdr/{NS}CtrlSum") == "72.00"
    assert doc.findtext(f"{NS}CstmrDrctDbtInitn/{NS}GrpHdr/{NS}NbOfTxs") == "2"
    assert doc.findtext(f"{NS}CstmrDrctDbtInitn/{NS}GrpHdr/{NS}MsgId") == collection.message_id
    assert doc.findtext(f".//{NS}SeqTp") == "RCUR"
    names = [el.text for el in doc.iter(f"{NS}Nm")]
    assert "Joerg Mueller" in names and "Anna Weiss" in names
    mandates = {el.text for el in doc.iter(f"{NS}MndtId")}
    assert mandates == {
        membership_of(müller).mandate_reference,
        membership_of(other).mandate_reference,
    }
    e2e = {el.text for el in doc.iter(f"{NS}EndToEndId")}
    assert e2e == {d.end_to_end_id for d in collection.debits}
    assert f"BEITRAG-{YEAR}-{müller.member_number}-{collection.id}" in e2e
    assert CREDITOR_ID.encode() in collection.file_xml
    purposes = [el.text for el in doc.iter(f"{NS}Ustrd")]
    assert f"Mitgliedsbeitrag {YEAR} Mitgliedsnummer {müller.member_number} Foerderverein" in (
        " ".join(purposes)
    )
    import hashlib

    assert collection.file_sha256 == hashlib.sha256(collection.file_xml).hexdigest()
    entry = db.session.execute(
        select(AuditEntry).filter_by(action="direct_debit.collection_created")
    ).scalar_one()
    assert (entry.data["count"], entry.data["total_cents"]) == (2, 7200)


def test_the_02_schema_is_offered(db, club):
    mandated_member()
    run_year()
    collection = create(db, schema="pain.008.001.02")
    assert b"urn:iso:std:iso:20022:tech:xsd:pain.008.001.02" in collection.file_xml
    assert collection.schema == "pain.008.001.02"


def test_an_empty_plan_is_refused_and_nothing_is_written(db, club):
    make_member()
    run_year()
    with pytest.raises(ValidationError, match="Keine Forderungen einzuziehen"):
        create(db)
    assert db.session.execute(select(func.count(DebitCollection.id))).scalar_one() == 0


def test_claims_in_a_collection_are_not_planned_again_and_cancelling_frees_them(db, club, users):
    member = mandated_member()
    run_year()
    first = create(db, users)
    plan = plan_collection(year=YEAR, collection_date=cdate())
    assert plan.count == 0
    assert reasons(plan) == {f"bereits in Lastschrifteinzug {first.id} eingereicht": 1}
    claim = make_claim(member, YEAR)
    assert active_debit_for_claims([claim.id])[claim.id].collection_id == first.id

    with pytest.raises(ValidationError) as error:
        cancel_collection(first, "  ", actor=users["treasurer"])
    assert error.value.field == "reason"
    cancel_collection(first, "Datei nicht eingereicht", actor=users["treasurer"])
    db.session.commit()
    assert first.status == CollectionStatus.CANCELLED
    assert first.cancel_reason == "Datei nicht eingereicht"
    assert active_debit_for_claims([claim.id]) == {}
    second = create(db, users)
    assert second.count == 1
    assert second.debits[0].end_to_end_id != first.debits[0].end_to_end_id


def test_a_collection_with_a_booked_line_cannot_be_cancelled(db, club, users):
    mandated_member()
    run_year()
    collection = create(db, users)
    debit = collection.debits[0]
    from supportclub.banking.models import BankImport, StatementLine

    bank = by_code(Account, "bank")
    imp = BankImport(account_id=bank.id, file_sha256="x" * 64, format="camt", iban=CLUB_IBAN)
    db.session.add(imp)
    db.session.flush()
    line = StatementLine(
        import_id=imp.id,
        account_id=bank.id,
        entry_key="k1",
        position=1,
        booking_date=collection.collection_date,
        amount_cents=3600,
    )
    db.session.add(line)
    db.session.flush()
    debit.paid_line_id = line.id
    db.session.commit()
    with pytest.raises(ValidationError, match="nicht mehr storniert"):
        cancel_collection(collection, "zu spät", actor=None)


# pre-notifications ----------------------------------------------------------------------------


def test_the_prenotification_names_amount_date_creditor_id_and_mandate(db, club, mailsink, users):
    member = mandated_member(first_name="Jörg", last_name="Müller", email="joerg@example.org")
    mandated_member(email=None)
    run_year()
    collection = create(db, users, include_without_email=True)
    sent, failed = send_prenotifications(collection, actor=users["treasurer"])
    db.session.commit()
    assert (sent, failed) == (1, [])
    (message,) = mailsink.to("joerg@example.org")
    assert message["Subject"] == f"Vorabankündigung SEPA-Lastschrift {CLUB}"
    body = mailsink.body(message)
    assert "Guten Tag Jörg Müller," in body
    assert "36,00 €" in body
    assert collection.collection_date.strftime("%d.%m.%Y") in body
    assert CREDITOR_ID in body
    assert membership_of(member).mandate_reference in body
    assert f"Mitgliedsbeitrag {YEAR} Mitgliedsnummer {member.member_number}" in body
    assert "Seestraße 5" in body
    notified = [d for d in collection.debits if d.notified_at]
    assert [d.notified_email for d in notified] == ["joerg@example.org"]
    # a resend sends nothing twice
    assert send_prenotifications(collection, actor=None) == (0, [])
    assert len(mailsink.messages) == 1


def test_one_mail_lists_every_debit_of_a_payer(db, club, mailsink):
    parent = make_person(first_name="Petra", last_name="Eltern", email="petra@example.org")
    for name in ("Kim", "Lou"):
        child = mandated_member(first_name=name, last_name="Eltern", email=None)
        set_payer(membership_of(child), payer_id=parent.id, actor=None)
    db.session.commit()
    run_year()
    collection = create(db)
    assert send_prenotifications(collection, actor=None) == (1, [])
    body = mailsink.body(mailsink.to("petra@example.org")[0])
    assert "für: Kim Eltern" in body and "für: Lou Eltern" in body
    assert "Gesamt: 72,00 €" in body


def test_resend_after_a_failure_sends_the_rest(db, club, mailsink, app):
    mandated_member(email="a@example.org")
    run_year()
    collection = create(db)
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    sent, failed = send_prenotifications(collection, actor=None)
    db.session.commit()
    assert sent == 0 and len(failed) == 1
    assert collection.debits[0].notified_at is None
    app.config["MAIL_PORT"] = port
    assert send_prenotifications(collection, actor=None) == (1, [])
    assert collection.debits[0].notified_at is not None


def test_sending_is_refused_when_the_date_is_too_close(db, club, mailsink):
    mandated_member()
    run_year()
    collection = create(db)
    collection.prenotification_days = 60  # as if the date had come too close
    with pytest.raises(ValidationError, match="nicht mehr rechtzeitig"):
        send_prenotifications(collection, actor=None)
    assert mailsink.messages == []


# size ----------------------------------------------------------------------------------------


def test_5000_debits_go_into_one_valid_file(db, club):
    """5,000 collections in one pain.008 (its speed is measured in benchmarks/bank_bench.py)."""
    from schwifty import IBAN
    from sqlalchemy import insert

    from supportclub.dues.models import DuesClaim
    from supportclub.ledger.models import Person, PersonKind
    from tests.factories import make_membership_type

    mtype = make_membership_type()
    n = 5000
    base = 900_000
    db.session.execute(
        insert(Person),
        [
            {
                "kind": PersonKind.PRIVATE,
                "first_name": "Jörg",
                "last_name": f"Müller{i}",
                "email": f"m{i}@example.org",
                "member_number": base + i,
            }
            for i in range(n)
        ],
    )
    ids = (
        db.session.execute(
            select(Person.id).where(Person.member_number >= base).order_by(Person.member_number)
        )
        .scalars()
        .all()
    )
    signed = today() - timedelta(days=100)
    db.session.execute(
        insert(Membership),
        [
            {
                "person_id": pid,
                "membership_type_id": mtype.id,
                "start_date": date(2020, 1, 1),
                "mandate_reference": f"M-{base + i}",
                "mandate_date": signed,
                "mandate_iban": IBAN.generate(
                    "DE", bank_code="12030000", account_code=str(i + 1)
                ).compact,
            }
            for i, pid in enumerate(ids)
        ],
    )
    memberships = (
        db.session.execute(
            select(Membership.id).where(
                Membership.person_id.in_(select(Person.id).where(Person.member_number >= base))
            )
        )
        .scalars()
        .all()
    )
    db.session.execute(
        insert(DuesClaim),
        [
            {"membership_id": mid, "year": YEAR, "amount_cents": 3600, "due_date": date(YEAR, 2, 1)}
            for mid in memberships
        ],
    )
    db.session.commit()
    collection = create(db)
    assert (collection.count, collection.total_cents) == (n, n * 3600)
    assert collection.file_xml.count(b"<DrctDbtTxInf>") == n
    assert f"<CtrlSum>{n * 36}.00</CtrlSum>".encode() in collection.file_xml
