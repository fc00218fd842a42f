"""The direct-debit settings: Gläubiger-ID check digits, BIC, pre-notification days; the page."""

import pytest
from sqlalchemy import select

from supportclub.admin.services import get_settings
from supportclub.audit import AuditEntry
from supportclub.banking.settings import update_direct_debit_settings
from supportclub.errors import ValidationError
from supportclub.ledger.models import Account
from tests.factories import by_code

URL = "/verwaltung/einstellungen/lastschrift"


def test_a_valid_creditor_id_is_stored_normalized_and_audited(db, users):
    update_direct_debit_settings(
        {
            "creditor_id": " de98 zzz0 9999 9999 99",
            "creditor_bic": "cobadeffxxx",
            "prenotification_days": 10,
        },
        actor=users["treasurer"],
    )
    db.session.commit()
    settings = get_settings()
    assert (settings.creditor_id, settings.creditor_bic, settings.prenotification_days) == (
        "DE98ZZZ09999999999",
        "COBADEFFXXX",
        10,
    )
    entry = db.session.execute(
        select(AuditEntry).filter_by(action="settings.direct_debit_changed")
    ).scalar_one()
    assert entry.data["creditor_id"] == {"before": "", "after": "DE98ZZZ09999999999"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"creditor_id": "DE99ZZZ09999999999"}, "creditor_id"),
        ({"creditor_bic": "NOTABIC"}, "creditor_bic"),
        ({"prenotification_days": 0}, "prenotification_days"),
        ({"prenotification_days": 61}, "prenotification_days"),
    ],
)
def test_bad_values_are_refused_at_their_field(db, values, field):
    with pytest.raises(ValidationError) as error:
        update_direct_debit_settings(values, actor=None)
    assert error.value.field == field
    assert get_settings().creditor_id == ""


def test_the_page_shows_the_bank_iban_and_saves(db, clients):
    by_code(Account, "bank").iban = "DE89370400440532013000"
    db.session.commit()
    page = clients["admin"].get(URL).get_data(as_text=True)
    assert "DE89 3704 0044 0532 0130 00" in page
    assert "in den Einstellungen ändern" in page
    response = clients["treasurer"].post(
        URL,
        data={
            "creditor_id": "DE99ZZZ09999999999",
            "creditor_bic": "",
            "prenotification_days": "14",
        },
    )
    assert response.status_code == 422
    assert "Prüfziffern der Gläubiger-ID" in response.get_data(as_text=True)
    assert get_settings().creditor_id == ""
    response = clients["treasurer"].post(
        URL,
        data={"creditor_id": "DE98ZZZ09999999999", "creditor_bic": "", "prenotification_days": "7"},
    )
    assert response.status_code == 302
    assert (get_settings().creditor_id, get_settings().prenotification_days) == (
        "DE98ZZZ09999999999",
        7,
    )
