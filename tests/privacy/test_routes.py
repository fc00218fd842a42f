"""The privacy pages: the overview, the erasure page (what is deleted, what is locked until
when), the confirmation, refusals, and the "Datenschutz" box on a member's page."""

from datetime import date

from supportclub.extensions import db
from supportclub.ledger.models import Person
from tests.factories import make_member
from tests.privacy.helpers import former_member, ledger_sums


def test_the_erase_page_lists_what_is_deleted_and_locked(app, clients):
    former = former_member()
    page = clients["treasurer"].get(f"/datenschutz/personen/{former.person.id}/loeschen")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "wird gelöscht" in text and "Telefonnummer" in text
    assert "wird gesperrt bis 31.12.2036" in text and "Buchungen: 2" in text
    assert 'name="confirm"' in text


def test_without_confirmation_nothing_changes(app, clients):
    former = former_member()
    url = f"/datenschutz/personen/{former.person.id}/loeschen"
    response = clients["treasurer"].post(url, data={"reason": "Antrag"})
    assert response.status_code == 422
    assert "Bitte die Löschung bestätigen." in response.get_data(as_text=True)
    response = clients["treasurer"].post(url, data={"reason": "", "confirm": "y"})
    assert response.status_code == 422
    assert "Bitte den Grund der Löschung angeben" in response.get_data(as_text=True)
    db.session.expire_all()
    person = db.session.get(Person, former.person.id)
    assert person.locked_at is None and person.phone == "03641 123456"


def test_confirmed_erasure_locks_and_shows_in_the_overview(app, clients):
    former = former_member()
    books = ledger_sums()
    url = f"/datenschutz/personen/{former.person.id}/loeschen"
    response = clients["treasurer"].post(url, data={"reason": "Antrag vom 01.11.", "confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/datenschutz")
    db.session.expire_all()
    person = db.session.get(Person, former.person.id)
    assert person.locked_at is not None and person.retain_until == date(2036, 12, 31)
    assert ledger_sums() == books
    overview = clients["admin"].get("/datenschutz").get_data(as_text=True)
    assert "Ehemalig, Erika" in overview and "31.12.2036" in overview
    assert "Antrag vom 01.11." in overview
    # the member page: banner, no second erase button
    detail = clients["treasurer"].get(f"/mitglieder/{person.id}").get_data(as_text=True)
    assert "Gesperrt (DSGVO) bis 31.12.2036" in detail
    assert "Daten löschen …" not in detail


def test_a_refused_erasure_shows_why_and_offers_no_form(app, clients):
    member = make_member(first_name="Rita", last_name="Laufend")
    url = f"/datenschutz/personen/{member.id}/loeschen"
    page = clients["treasurer"].get(url).get_data(as_text=True)
    assert "Die Mitgliedschaft läuft noch." in page and 'name="confirm"' not in page
    response = clients["treasurer"].post(url, data={"reason": "Antrag", "confirm": "y"})
    assert response.status_code == 422
    assert "Die Mitgliedschaft läuft noch." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, member.id).locked_at is None


def test_the_member_page_has_the_privacy_box_for_treasurer_and_admin(app, clients):
    member = make_member()
    treasurer = clients["treasurer"].get(f"/mitglieder/{member.id}").get_data(as_text=True)
    assert f"/datenschutz/personen/{member.id}/auskunft.pdf" in treasurer
    assert f"/datenschutz/personen/{member.id}/loeschen" in treasurer
    admin = clients["admin"].get(f"/mitglieder/{member.id}").get_data(as_text=True)
    assert f"/datenschutz/personen/{member.id}/auskunft.pdf" in admin
    assert f"/datenschutz/personen/{member.id}/loeschen" not in admin
    board = clients["board"].get(f"/mitglieder/{member.id}").get_data(as_text=True)
    assert "/datenschutz/" not in board


def test_the_overview_lists_candidates(app, clients):
    old = make_member(first_name="Otto", last_name="Alt", start_date=date(2010, 1, 1))
    from supportclub.members.services import leave
    from tests.factories import membership_of

    leave(membership_of(old), end_date=date(2015, 6, 30), actor=None)
    db.session.commit()
    page = clients["treasurer"].get("/datenschutz").get_data(as_text=True)
    assert "Alt, Otto" in page and "30.06.2015" in page and "31.12.2025" in page
