"""Association settings, user management and the audit trail."""

from datetime import date

import pytest
from sqlalchemy import select

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.auth.models import User
from supportclub.errors import ImmutableError
from supportclub.extensions import db as _db
from tests.conftest import login
from tests.factories import make_booking, make_person


def settings_form(**overrides) -> dict:
    """A complete settings form."""
    data = {
        "name": "Förderkreis Familienbündnis e.V.",
        "street": "Markt 1",
        "postal_code": "07743",
        "city": "Jena",
        "register_court": "Amtsgericht Jena",
        "register_number": "VR 123456",
        "tax_office": "Jena",
        "tax_number": "162/141/12345",
        "exemption_kind": "freistellungsbescheid",
        "exemption_date": "2024-05-14",
        "exemption_period": "2020 bis 2022",
        "purposes": "der Jugend- und Altenhilfe",
        "founding_year": "2009",
        "grants_before_cents": "12.345,67",
        "grants_before_until_year": "2012",
    }
    data.update(overrides)
    return data


def test_admin_saves_settings_with_audit(app, db, clients, users):
    response = clients["admin"].post("/verwaltung/einstellungen", data=settings_form())
    assert response.status_code == 302
    settings = get_settings()
    assert settings.name == "Förderkreis Familienbündnis e.V."
    assert settings.grants_before_cents == 1234567
    assert settings.exemption_date == date(2024, 5, 14)
    assert settings.founding_year == 2009
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "settings.updated")
    ).scalar_one()
    assert entry.actor_id == users["admin"].id
    assert entry.data["grants_before_cents"] == {"before": 0, "after": 1234567}
    page = clients["admin"].get("/verwaltung/einstellungen").get_data(as_text=True)
    assert 'value="12.345,67"' in page


def test_admin_sets_the_bank_iban_of_the_association(app, db, clients):
    from supportclub.admin.services import bank_iban

    form = settings_form(bank_iban="de89 3704 0044 0532 0130 00")
    assert clients["admin"].post("/verwaltung/einstellungen", data=form).status_code == 302
    assert bank_iban() == "DE89370400440532013000"
    page = clients["admin"].get("/verwaltung/einstellungen").get_data(as_text=True)
    assert 'value="DE89 3704 0044 0532 0130 00"' in page
    entry = db.session.execute(
        select(AuditEntry).filter_by(action="accounts.iban_changed")
    ).scalar_one()
    assert entry.data == {"before": None, "after": "DE89370400440532013000"}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"name": ""}, "Bitte Namen angeben."),
        ({"grants_before_cents": "-5"}, "nicht negativ"),
        ({"grants_before_cents": "viel"}, "kein gültiger Betrag"),
        ({"founding_year": "209"}, "Ungültiges Jahr."),
        ({"exemption_date": "14.05.2024x"}, "Kein gültiges Datum."),
        ({"bank_iban": "DE89370400440532013001"}, "Prüfsumme falsch"),
    ],
)
def test_bad_settings_are_refused(app, db, clients, overrides, message):
    response = clients["admin"].post("/verwaltung/einstellungen", data=settings_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert get_settings().name == ""
    updated = select(AuditEntry).filter_by(action="settings.updated")
    assert db.session.execute(updated).first() is None


def test_admin_creates_and_edits_users(app, db, clients):
    person = make_person()
    response = clients["admin"].post(
        "/verwaltung/zugaenge/neu",
        data={
            "email": "neu@example.org",
            "role": "board",
            "password": "lang-genug-123",
            "person_id": str(person.id),
        },
    )
    assert response.status_code == 302
    user = db.session.execute(select(User).filter_by(email="neu@example.org")).scalar_one()
    assert (user.role, user.person_id) == ("board", person.id)
    login(app.test_client(), user, password="lang-genug-123")
    response = clients["admin"].post(
        f"/verwaltung/zugaenge/{user.id}",
        data={"role": "member", "person_id": "", "new_password": "noch-ein-pw-9"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (user.role, user.is_active, user.person_id) == ("member", False, None)
    actions = (
        db.session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.target_type == "User", AuditEntry.target_id == user.id)
            .order_by(AuditEntry.id)
        )
        .scalars()
        .all()
    )
    assert actions == ["users.created", "users.updated", "users.password_reset"]


def test_user_form_refuses_bad_input(app, db, clients, users):
    duplicate = clients["admin"].post(
        "/verwaltung/zugaenge/neu",
        data={"email": users["admin"].email.upper(), "role": "board", "password": "lang-genug-123"},
    )
    page = duplicate.get_data(as_text=True)
    assert duplicate.status_code == 200
    missing_person = clients["admin"].post(
        "/verwaltung/zugaenge/neu",
        data={
            "email": "x@example.org",
            "role": "board",
            "password": "lang-genug-123",
            "person_id": "999999",
        },
    )
    assert "Diese Person gibt es nicht." in missing_person.get_data(as_text=True)
    assert db.session.execute(select(User).filter_by(email="x@example.org")).first() is None
    assert "Diese E-Mail-Adresse hat schon einen Zugang." in page


def test_last_admin_cannot_be_removed(app, db, clients, users):
    admin = users["admin"]
    response = clients["admin"].post(
        f"/verwaltung/zugaenge/{admin.id}", data={"role": "board", "is_active": "y"}
    )
    assert "letzte aktive Administrator" in response.get_data(as_text=True)
    db.session.expire_all()
    assert admin.role == "admin"


def test_audit_log_lists_and_filters(app, db, clients, users):
    booking = make_booking(1000, actor=users["treasurer"])
    make_person()
    page = clients["treasurer"].get("/verwaltung/protokoll").get_data(as_text=True)
    assert "bookings.recorded" in page and "persons.created" in page
    page = (
        clients["treasurer"]
        .get(f"/verwaltung/protokoll?action=bookings&target_id={booking.id}")
        .get_data(as_text=True)
    )
    assert "bookings.recorded" in page and "persons.created" not in page
    page = (
        clients["admin"]
        .get(f"/verwaltung/protokoll?actor={users['treasurer'].email}")
        .get_data(as_text=True)
    )
    assert "bookings.recorded" in page
    assert clients["admin"].get("/verwaltung/protokoll?date_from=kaputt").status_code == 200


def test_audit_entries_cannot_be_edited_or_deleted(app, db):
    make_booking(1000)
    entry = db.session.execute(select(AuditEntry)).scalars().first()
    entry.action = "nothing.happened"
    with pytest.raises(ImmutableError):
        _db.session.flush()
    _db.session.rollback()
    entry = db.session.execute(select(AuditEntry)).scalars().first()
    _db.session.delete(entry)
    with pytest.raises(ImmutableError):
        _db.session.flush()
