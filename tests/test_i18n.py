"""Translations: the English catalog is complete, compiled and in use.

German is the source language (every msgid is German); English lives in
supportclub/translations/en/LC_MESSAGES/messages.po and its compiled messages.mo. After adding
or changing a string, run supportclub/translations/update.sh and translate what it lists.
"""

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from supportclub.extensions import db
from supportclub.ledger.services import reverse_booking
from tests.factories import booking_form, make_booking

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "supportclub" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
UPDATE = "supportclub/translations/update.sh"

# The same keywords as update.sh passes to pybabel extract (-k _l -k lazy_gettext -k N_).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}

# The English wording the tests below look for (as translated in messages.po).
NAV_EN = ("Home", "Record booking", "Bookings", "Balances", "Annual overview", "Audit log")
NAV_DE = ("Buchung erfassen", "Buchungen", "Salden", "Jahresübersicht", "Protokoll")
# Messages raised by money.py and the services (translated at raise time).
DECIMALS_EN = "At most two decimal places are allowed (example: 12,34)."
DECIMALS_DE = "Höchstens zwei Nachkommastellen sind erlaubt (Beispiel: 12,34)."
SPHERES_EN = (
    "Non-profit sphere",
    "Asset management",
    "Purpose-related business",
    "Commercial business",
)


def _read_po():
    with PO.open("rb") as f:
        return read_po(f, locale="en")


def _translations(catalog) -> dict:
    """msgid -> msgstr of the entries gettext uses (translated and not fuzzy), header excluded."""
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def _shows(page: str, text: str) -> bool:
    """True when `text` is the whole text of an element (a link, heading, cell, button)."""
    return re.search(r">\s*" + re.escape(text) + r"\s*<", page) is not None


def _where(message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations) or "?"


def _extract() -> dict[str, list[str]]:
    """A fresh extraction with babel.cfg: msgid -> where it occurs."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def test_compiled_catalog_matches_the_po_file():
    with MO.open("rb") as f:
        compiled = read_mo(f)
    po, mo = _translations(_read_po()), _translations(compiled)
    missing = sorted(set(po) - set(mo))
    extra = sorted(set(mo) - set(po))
    differ = sorted(k for k in set(po) & set(mo) if po[k] != mo[k])
    assert po == mo, (
        f"messages.mo is out of date with messages.po; run {UPDATE} (or pybabel compile -d "
        f"supportclub/translations).\nonly in .po: {missing}\nonly in .mo: {extra}\n"
        f"different: {differ}"
    )


def test_every_entry_is_translated_and_none_is_fuzzy():
    catalog = _read_po()
    todo = [
        f"{m.id!r} ({'fuzzy' if m.fuzzy else 'untranslated'}; {_where(m)})"
        for m in catalog
        if m.id and (m.fuzzy or not m.string)
    ]
    assert not todo, f"translate these in {PO.relative_to(ROOT)}:\n" + "\n".join(todo)
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"


def test_translations_keep_the_placeholders():
    problems = [
        f"{m.id!r}: {'; '.join(str(e) for e in errors)}" for m, errors in _read_po().check()
    ]
    assert not problems, "\n".join(problems)


def test_every_extracted_msgid_is_in_the_catalog():
    found = _extract()
    assert "Anmelden" in found, "the extraction found nothing; is babel.cfg broken?"
    known = {m.id for m in _read_po() if m.id}
    missing = sorted(set(found) - known)
    listing = "\n".join(f"  {msgid!r}  ({', '.join(found[msgid])})" for msgid in missing)
    assert not missing, (
        f"{len(missing)} msgid(s) in the code are not in {PO.relative_to(ROOT)}; run {UPDATE} "
        f"and translate them:\n{listing}"
    )


def test_login_page_in_english(client):
    response = client.post("/sprache/en", data={"next": "/anmelden"})
    assert response.status_code == 302
    page = client.get("/anmelden").get_data(as_text=True)
    assert 'lang="en"' in page
    assert re.search(r"<title>\s*Log in\b", page)
    assert re.search(r"<h1[^>]*>\s*Log in\s*</h1>", page)
    assert 'value="Log in"' in page  # the submit button
    for label in ("Email", "Password", "Stay logged in"):
        assert label in page
    assert "Anmelden" not in page and "Passwort" not in page


def test_treasurer_sees_english_navigation(clients):
    treasurer = clients["treasurer"]
    treasurer.post("/sprache/en", data={"next": "/buchungen"})
    response = treasurer.get("/buchungen")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'lang="en"' in page
    for label in NAV_EN:
        assert _shows(page, label), label
    assert 'aria-label="Main navigation"' in page
    assert _shows(page, "Log out")
    for label in NAV_DE:
        assert not _shows(page, label), label


def test_year_overview_names_the_tax_spheres_in_english(clients):
    # SPHERE_LABELS in ledger/routes.py are lazy msgids.
    board = clients["board"]
    board.post("/sprache/en", data={"next": "/jahresuebersicht"})
    page = board.get("/jahresuebersicht").get_data(as_text=True)
    assert 'lang="en"' in page
    assert _shows(page, "By tax sphere")
    for label in SPHERES_EN:
        assert _shows(page, label), label
    assert "Ideeller Bereich" not in page


def test_balances_in_english(clients):
    board = clients["board"]
    board.post("/sprache/en", data={"next": "/salden"})
    page = board.get("/salden").get_data(as_text=True)
    assert re.search(r"<h1[^>]*>\s*Balances\s*<", page)
    for label in ("Accounts", "Fund", "Total", "Show"):
        assert _shows(page, label), label


def test_switching_back_to_german(client):
    client.post("/sprache/en", data={"next": "/anmelden"})
    assert "Log in" in client.get("/anmelden").get_data(as_text=True)
    client.post("/sprache/de", data={"next": "/anmelden"})
    page = client.get("/anmelden").get_data(as_text=True)
    assert 'lang="de"' in page
    assert re.search(r"<h1[^>]*>\s*Anmelden\s*</h1>", page)
    assert "Log in" not in page


def test_amount_error_in_english(clients):
    treasurer = clients["treasurer"]
    treasurer.post("/sprache/en", data={"next": "/buchungen/neu"})
    data = booking_form(amount="12,345", submit="Save booking")
    page = treasurer.post("/buchungen/neu", data=data).get_data(as_text=True)
    assert 'lang="en"' in page
    assert DECIMALS_EN in page
    assert DECIMALS_DE not in page


def test_service_error_in_english(clients):
    booking = make_booking(5000)
    reversal = reverse_booking(booking, "doppelt erfasst", actor=None)
    db.session.commit()
    treasurer = clients["treasurer"]
    treasurer.post("/sprache/en", data={"next": f"/buchungen/{booking.id}"})
    response = treasurer.post(f"/buchungen/{booking.id}/stornieren", data={"reason": "nochmal"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"This booking has already been reversed (booking {reversal.id})." in page
    assert "bereits storniert" not in page
