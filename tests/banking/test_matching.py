"""Matching: each rule with the reason the treasurer reads, the order of trust, allocation,
learned IBANs, and a bounded number of queries for a large statement."""

from datetime import date

import pytest
from sqlalchemy import event

from supportclub.banking.labels import reason_text
from supportclub.banking.matching import match_lines, member_numbers_in, name_key, rematch_open
from supportclub.banking.models import (
    BankImport,
    DebitCollection,
    DirectDebit,
    KnownIban,
    LineState,
    MatchKind,
    StatementLine,
)
from supportclub.banking.suggestion import Suggestion
from supportclub.extensions import db
from supportclub.ledger.models import Account, Channel
from supportclub.members.services import set_mandate, set_payer
from tests.factories import (
    by_code,
    make_booking,
    make_claim,
    make_member,
    make_person,
    membership_of,
)

IBAN_A = "DE02120300000000202051"
IBAN_B = "DE02500105170137075030"
DAY = date(2026, 3, 3)


def line(amount_cents: int = 3600, **values) -> StatementLine:
    """A statement line that is not stored (matching only reads it)."""
    values.setdefault("booking_date", DAY)
    values.setdefault("counterparty_name", "")
    values.setdefault("purpose", "")
    values.setdefault("bank_fee_cents", 0)
    return StatementLine(amount_cents=amount_cents, **values)


def matched(*lines: StatementLine) -> list[StatementLine]:
    match_lines(list(lines))
    return list(lines)


def suggestion(one: StatementLine) -> Suggestion:
    return Suggestion.of(one)


@pytest.fixture
def anna(app):
    """Anna Schmidt, member with a 36 € claim for 2026 and a mandate M-1042."""
    person = make_member(first_name="Anna", last_name="Schmidt")
    set_mandate(
        membership_of(person),
        reference="M-1042",
        signed_on=date(2024, 1, 5),
        iban=IBAN_A,
        actor=None,
    )
    db.session.commit()
    return person


def with_iban(person, iban: str):
    """`person` with an IBAN on file."""
    person.iban = iban
    db.session.flush()
    return person


def claim_of(person, year=2026):
    return make_claim(person, year)


# The rules -------------------------------------------------------------------------------------


def test_mandate_reference_pays_the_claim(anna):
    claim = claim_of(anna)
    (one,) = matched(line(3600, mandate_reference="m-1042"))
    s = suggestion(one)
    assert (s.kind, s.person_id, s.claims, s.donation_cents) == (
        MatchKind.MANDATE,
        anna.id,
        [(claim.id, 3600)],
        0,
    )
    assert reason_text(one) == (
        f"Mandatsreferenz M-1042 → Mitglied {anna.member_number}, Beitrag 2026"
    )


def test_allocation_oldest_first_with_donation_rest(anna):
    old, new = claim_of(anna, 2025), claim_of(anna, 2026)
    (one,) = matched(line(10000, mandate_reference="M-1042"))
    s = suggestion(one)
    assert s.claims == [(old.id, 3600), (new.id, 3600)]
    assert s.donation_cents == 2800
    assert s.reason["years"] == "2025, 2026"


def test_two_lines_do_not_pay_the_same_claim_twice(anna):
    claim = claim_of(anna)
    first, second = matched(
        line(3600, mandate_reference="M-1042"), line(3600, mandate_reference="M-1042")
    )
    assert suggestion(first).claims == [(claim.id, 3600)]
    assert suggestion(second).claims == [] and suggestion(second).donation_cents == 3600


def test_mandate_of_a_membership_paid_by_someone_else_goes_to_the_payer(anna):
    parent = make_person(first_name="Petra", last_name="Schmidt")
    set_payer(membership_of(anna), payer_id=parent.id, actor=None)
    claim = claim_of(anna)
    (one,) = matched(line(3600, mandate_reference="M-1042"))
    assert suggestion(one).person_id == parent.id
    assert suggestion(one).claims == [(claim.id, 3600)]


@pytest.mark.parametrize(
    "purpose",
    [
        "Mitgliedsnummer: {n}",
        "Beitrag Mitgl.-Nr. {n}",
        "Mitglieds-Nr {n} Beitrag",
        "mitgliedsnr.{n}",
        "Mitglied {n}",
        "MITGL {n}",
        "MNr {n}",
        "Beitrag Nr. {n}",
    ],
)
def test_member_number_in_the_purpose(anna, purpose):
    claim = claim_of(anna)
    (one,) = matched(line(3600, purpose=purpose.format(n=anna.member_number)))
    s = suggestion(one)
    assert (s.kind, s.person_id, s.claims) == (MatchKind.MEMBER_NUMBER, anna.id, [(claim.id, 3600)])
    assert reason_text(one) == f"Mitgliedsnummer {anna.member_number} im Verwendungszweck"


def test_number_without_keyword_or_unknown_number_is_no_match(anna):
    claim_of(anna)
    unknown, plain = matched(
        line(3600, purpose="Mitgliedsnummer 999999"),
        line(3600, purpose=f"Rechnung {anna.member_number}"),
    )
    assert unknown.match_kind == MatchKind.NONE and plain.match_kind == MatchKind.NONE
    assert reason_text(plain) == "keine Zuordnung"
    assert member_numbers_in("Mitgl.-Nr.: 1042, Mitglied 7") == [1042, 7]


def test_iban_of_a_person_without_claims_is_a_donation(app):
    person = with_iban(make_person(first_name="Jörg", last_name="Weiß"), IBAN_B)
    (one,) = matched(line(5000, counterparty_iban="de02 5001 0517 0137 0750 30"))
    s = suggestion(one)
    assert (s.kind, s.person_id, s.claims, s.donation_cents) == (
        MatchKind.IBAN,
        person.id,
        [],
        5000,
    )
    assert reason_text(one) == "IBAN bekannt von Jörg Weiß"


def test_mandate_iban_is_known_for_the_paying_person(anna):
    claim = claim_of(anna)
    (one,) = matched(line(3600, counterparty_iban=IBAN_A, counterparty_name="Kontoinhaber"))
    assert suggestion(one).kind == MatchKind.IBAN
    assert suggestion(one).claims == [(claim.id, 3600)]


def test_learned_iban_is_used_next_time_and_beats_the_person_iban(app):
    other = with_iban(make_person(first_name="Otto", last_name="Alt"), IBAN_B)
    learned = make_person(first_name="Lena", last_name="Neu")
    (before,) = matched(line(2000, counterparty_iban=IBAN_B))
    assert suggestion(before).person_id == other.id
    # the treasurer confirmed IBAN_B as Lena's (H2's confirm writes this row)
    db.session.add(KnownIban(iban=IBAN_B, person_id=learned.id, confirmed_count=2))
    db.session.flush()
    (after,) = matched(line(2000, counterparty_iban=IBAN_B))
    assert suggestion(after).person_id == learned.id
    assert reason_text(after) == "IBAN bekannt von Lena Neu"


def test_name_and_amount_fit_exactly_one_person(app):
    person = make_member(first_name="Jürgen", last_name="Müller")
    claim = claim_of(person)
    fits, other_amount, umlauts = matched(
        line(3600, counterparty_name="MUELLER, DR. JUERGEN"),
        line(3700, counterparty_name="Jürgen Müller"),
        line(3600, counterparty_name="Juergen Mueller"),
    )
    assert suggestion(fits).kind == MatchKind.NAME_AMOUNT
    assert suggestion(fits).claims == [(claim.id, 3600)]
    assert reason_text(fits) == "Name und Betrag passen (Jürgen Müller)"
    assert other_amount.match_kind == MatchKind.NONE
    assert umlauts.match_kind == MatchKind.NONE  # the claim is taken by the first line


def test_name_shared_by_two_persons_is_no_match(app):
    claim_of(make_member(first_name="Eva", last_name="Klein"))
    make_person(first_name="Eva", last_name="Klein")
    (one,) = matched(line(3600, counterparty_name="Eva Klein"))
    assert one.match_kind == MatchKind.NONE


def test_name_key_folds_order_titles_and_umlauts():
    assert name_key("Anna Schmidt") == name_key("Schmidt, Anna") == name_key("SCHMIDT ANNA")
    assert name_key("Dr. Angelika Groß-Brückner") == name_key("Angelika Gross-Brueckner")
    assert name_key("Müller") == name_key("Mueller") == name_key("Muller")
    assert name_key("Anna Schmidt") != name_key("Anna Schmitt")


def test_a_debit_from_a_known_person_is_not_suggested(anna):
    claim_of(anna)
    (one,) = matched(line(-3600, mandate_reference="M-1042", counterparty_iban=IBAN_A))
    assert one.match_kind == MatchKind.NONE and one.match_person_id is None


# Order of trust --------------------------------------------------------------------------------


def test_mandate_beats_member_number_and_iban(anna):
    other = with_iban(make_member(first_name="Otto", last_name="Alt"), IBAN_B)
    claim_of(anna)
    (one,) = matched(
        line(
            3600,
            mandate_reference="M-1042",
            counterparty_iban=IBAN_B,
            purpose=f"Mitgliedsnummer {other.member_number}",
        )
    )
    assert (one.match_kind, one.match_person_id) == (MatchKind.MANDATE, anna.id)


def test_member_number_beats_iban(anna):
    other = with_iban(make_person(first_name="Otto", last_name="Alt"), IBAN_B)
    (one,) = matched(line(3600, counterparty_iban=IBAN_B, purpose=f"Mitglied {anna.member_number}"))
    assert (one.match_kind, one.match_person_id) == (MatchKind.MEMBER_NUMBER, anna.id)
    assert other.id != anna.id


# Existing bookings -----------------------------------------------------------------------------


def test_hand_entered_booking_is_linked_once_closest_first(app):
    near = make_booking(4200, booking_date=date(2026, 3, 2))
    far = make_booking(4200, booking_date=date(2026, 2, 27))
    make_booking(4200, booking_date=date(2026, 2, 20))  # outside ±5 days
    first, second, third = matched(line(4200), line(4200), line(4200))
    assert suggestion(first).booking_id == near.id
    assert reason_text(first) == f"Bereits gebucht: Buchung {near.id} vom 02.03.2026"
    assert suggestion(second).booking_id == far.id
    assert third.match_kind == MatchKind.NONE


def test_booking_already_linked_to_a_line_is_not_suggested(app, users):
    booking = make_booking(4200, booking_date=date(2026, 3, 2))
    account = by_code(Account, "bank")
    bank_import = BankImport(account_id=account.id, file_sha256="0" * 64, format="x", iban="X")
    db.session.add(bank_import)
    db.session.flush()
    db.session.add(
        StatementLine(
            import_id=bank_import.id,
            account_id=account.id,
            entry_key="K1",
            position=1,
            booking_date=date(2026, 3, 2),
            amount_cents=4200,
            state=LineState.DONE,
            booking_id=booking.id,
        )
    )
    db.session.flush()
    (one,) = matched(line(4200))
    assert one.match_kind == MatchKind.NONE


def test_stripe_payout_is_linked_to_its_bank_booking(app):
    payout = make_booking(
        15000,
        category="transfer",
        booking_date=date(2026, 2, 27),
        channel=Channel.STRIPE,
        external_ref="po_1Abc/bank",
    )
    (one,) = matched(line(15000, counterparty_name="STRIPE PAYMENTS EUROPE LTD"))
    s = suggestion(one)
    assert (s.kind, s.booking_id) == (MatchKind.PAYOUT, payout.id)
    assert reason_text(one) == (
        f"Auszahlung von Stripe po_1Abc, bereits gebucht (Buchung {payout.id})"
    )


# Our own direct debits -------------------------------------------------------------------------


def _debit(person, claim, e2e="BEITRAG-2026-1042", amount=3600, **values) -> DirectDebit:
    collection = DebitCollection(
        message_id=f"MSG-{e2e}",
        collection_date=date(2026, 3, 1),
        schema="pain.008.001.08",
        count=1,
        total_cents=amount,
        creditor_id="DE98ZZZ09999999999",
        creditor_iban="DE89370400440532013000",
        prenotification_days=14,
        file_xml=b"<xml/>",
        file_sha256="0" * 64,
    )
    db.session.add(collection)
    db.session.flush()
    debit = DirectDebit(
        collection_id=collection.id,
        claim_id=claim.id,
        membership_id=claim.membership_id,
        person_id=person.id,
        amount_cents=amount,
        end_to_end_id=e2e,
        sequence_type="RCUR",
        mandate_reference="M-1042",
        mandate_date=date(2024, 1, 5),
        iban=IBAN_A,
        debtor_name="Anna Schmidt",
        remittance="Beitrag 2026",
        **values,
    )
    db.session.add(debit)
    db.session.flush()
    return debit


def test_collection_credit_by_end_to_end_id(anna):
    claim = claim_of(anna)
    debit = _debit(anna, claim)
    (one,) = matched(line(3600, end_to_end_id="BEITRAG-2026-1042", mandate_reference="M-1042"))
    s = suggestion(one)
    assert (s.kind, s.debit_id, s.person_id, s.claims) == (
        MatchKind.COLLECTION,
        debit.id,
        anna.id,
        [(claim.id, 3600)],
    )
    assert reason_text(one) == "Lastschrift BEITRAG-2026-1042 → Anna Schmidt, Beitrag 2026"


def test_collection_with_another_amount_allocates_and_keeps_its_kind(anna):
    claim = claim_of(anna)
    _debit(anna, claim)
    (one,) = matched(line(5000, end_to_end_id="BEITRAG-2026-1042"))
    s = suggestion(one)
    assert s.kind == MatchKind.COLLECTION
    assert (s.claims, s.donation_cents) == ([(claim.id, 3600)], 1400)


def test_return_debit_names_the_reason_in_german(anna):
    claim = claim_of(anna)
    debit = _debit(anna, claim)
    (one,) = matched(
        line(-3900, bank_fee_cents=300, end_to_end_id="BEITRAG-2026-1042", return_reason="MD06")
    )
    s = suggestion(one)
    assert (s.kind, s.debit_id, s.person_id) == (MatchKind.RETURN, debit.id, anna.id)
    assert reason_text(one) == (
        "Rücklastschrift BEITRAG-2026-1042 (MD06: Rückgabe auf Verlangen des "
        "Zahlungspflichtigen (Widerspruch)) → Beitrag 2026 von Anna Schmidt wieder offen"
    )


def test_a_debit_already_returned_is_not_returned_again(anna):
    claim = claim_of(anna)
    _debit(anna, claim)
    booking = make_booking(-3600, category="donation", booking_date=date(2026, 3, 2))
    account = by_code(Account, "bank")
    bank_import = BankImport(account_id=account.id, file_sha256="0" * 64, format="x", iban="X")
    db.session.add(bank_import)
    db.session.flush()
    returned = StatementLine(
        import_id=bank_import.id,
        account_id=account.id,
        entry_key="R1",
        position=1,
        booking_date=DAY,
        amount_cents=-3600,
        state=LineState.DONE,
        booking_id=booking.id,
    )
    db.session.add(returned)
    db.session.flush()
    debit = db.session.query(DirectDebit).one()
    debit.returned_line_id = returned.id
    db.session.flush()
    (one,) = matched(line(-3600, end_to_end_id="BEITRAG-2026-1042", return_reason="AC04"))
    assert one.match_kind != MatchKind.RETURN


# Bulk ------------------------------------------------------------------------------------------


def test_matching_many_lines_runs_a_bounded_number_of_queries(anna):
    claim_of(anna)
    members = [make_member(first_name="Max", last_name=f"Mustermann{n}") for n in range(5)]
    make_booking(4200, booking_date=DAY)
    lines = []
    for n in range(2000):
        kind = n % 5
        if kind == 0:
            lines.append(line(3600, mandate_reference="M-1042"))
        elif kind == 1:
            lines.append(line(1000, purpose=f"Mitglied {members[n % 5].member_number}"))
        elif kind == 2:
            lines.append(line(1000, counterparty_iban=IBAN_A))
        elif kind == 3:
            lines.append(line(1000 + n, end_to_end_id=f"E2E-{n}", counterparty_name="X Y"))
        else:
            lines.append(line(4200, counterparty_name="Stripe"))
    statements = []
    engine = db.session.get_bind()

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        match_lines(lines)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 10, statements
    kinds = {one.match_kind for one in lines}
    assert {MatchKind.MANDATE, MatchKind.MEMBER_NUMBER, MatchKind.IBAN, MatchKind.BOOKED} <= kinds


def test_rematch_open_leaves_done_lines_alone(app):
    person = with_iban(make_person(first_name="Jörg", last_name="Weiß"), IBAN_B)
    open_line = line(5000, counterparty_iban=IBAN_B, state=LineState.OPEN)
    done_line = line(5000, counterparty_iban=IBAN_B, state=LineState.DONE)
    rematch_open([open_line, done_line])
    assert open_line.match_person_id == person.id
    assert done_line.match_kind is None
