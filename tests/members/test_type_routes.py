"""Membership types and fee rates over HTTP: rate history, new and edited types, bad rates."""

from datetime import date

import pytest
from sqlalchemy import select

from supportclub.members.models import FeeRate, MembershipType
from supportclub.members.services import add_fee_rate
from tests.factories import make_membership_type
from tests.members.test_routes import claim_of, count, error_at, make_club, text


@pytest.fixture
def club(db):
    """The four members of make_club()."""
    return make_club(db)


def test_types_list_the_rate_history(db, treasurer_client, clients):
    mtype = make_membership_type("regular", name="Regulär", rates=((date(2009, 1, 1), 3600),))
    add_fee_rate(mtype, valid_from=date(2025, 1, 1), amount_cents=4800, actor=None)
    db.session.commit()
    for role in ("treasurer", "board"):
        page = text(clients[role].get("/mitglieder/arten"))
        assert "36,00 € ab 01.01.2009 bis 31.12.2024; 48,00 € ab 01.01.2025" in page
    assert "Neuer Beitragssatz" not in text(clients["board"].get("/mitglieder/arten"))


def test_create_a_type_with_its_first_rate_and_edit_it(db, treasurer_client):
    response = treasurer_client.post(
        "/mitglieder/arten/neu",
        data={
            "code": "foerder",
            "name": "Fördermitglied",
            "description": "",
            "sort_order": "3",
            "amount": "24,00",
            "valid_from": "2025-01-01",
        },
    )
    assert response.status_code == 302
    mtype = db.session.execute(select(MembershipType).filter_by(code="foerder")).scalar_one()
    assert [(r.valid_from, r.amount_cents) for r in mtype.rates] == [(date(2025, 1, 1), 2400)]
    response = treasurer_client.post(
        f"/mitglieder/arten/{mtype.id}", data={"name": "Förderer", "description": "ab 2025"}
    )
    assert response.status_code == 302
    db.session.refresh(mtype)
    assert mtype.name == "Förderer" and mtype.is_active is False
    duplicate = treasurer_client.post(
        "/mitglieder/arten/neu", data={"code": "foerder", "name": "Nochmal"}
    )
    assert duplicate.status_code == 422
    assert "Kürzel foerder gibt es schon" in text(duplicate)


def test_a_new_rate_keeps_existing_claims(db, club, treasurer_client):
    claim = claim_of(db, club.anna)
    url = f"/mitglieder/arten/{club.regular.id}/satz"
    page = text(treasurer_client.get(url))
    assert "Bereits erstellte Forderungen behalten ihren Betrag" in page
    response = treasurer_client.post(url, data={"valid_from": "2025-01-01", "amount": "48,00"})
    assert response.status_code == 302
    rates = [(r.valid_from, r.valid_until, r.amount_cents) for r in club.regular.rates]
    assert rates == [
        (date(2009, 1, 1), date(2024, 12, 31), 3600),
        (date(2025, 1, 1), None, 4800),
    ]
    db.session.refresh(claim)
    assert claim.amount_cents == 3600


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"valid_from": "2009-01-01", "amount": "40"}, "valid_from", "überschneidet sich"),
        ({"valid_from": "2020-06-01", "amount": "40"}, "valid_from", "überschneidet sich"),
        ({"valid_from": "2026-01-01", "amount": "-5"}, "amount", "nicht negativ"),
        ({"valid_from": "", "amount": "40"}, "valid_from", "Bitte ein gültiges Datum angeben"),
    ],
)
def test_bad_fee_rates_are_refused(db, treasurer_client, data, field, message):
    mtype = make_membership_type(rates=((date(2009, 1, 1), 3600), (date(2025, 1, 1), 4800)))
    before = count(db, FeeRate)
    response = treasurer_client.post(f"/mitglieder/arten/{mtype.id}/satz", data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in error_at(page, field)
    assert count(db, FeeRate) == before
