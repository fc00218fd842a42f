"""flask closing check YEAR / close YEAR: the same checklist and closing as the page."""

from datetime import date

from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.clock import today
from supportclub.ledger.models import ClosedYear
from tests.banking.line_factory import make_line
from tests.factories import make_booking

THIS = today().year
LAST = THIS - 1


def closed_count(db) -> int:
    """How many years are closed."""
    return db.session.execute(select(func.count()).select_from(ClosedYear)).scalar_one()


def test_check_prints_the_checklist(db, runner):
    make_booking(2500, booking_date=date(LAST, 3, 1))
    result = runner.invoke(args=["closing", "check", str(LAST)])
    assert result.exit_code == 0, result.output
    assert f"Checkliste Jahresabschluss {LAST}" in result.output
    assert f"[HINWEIS] Kontostand Bank zum 31.12.: Kein Kontoauszug bis zum 31.12.{LAST}" in (
        result.output
    )
    assert "Kontostand laut Buchhaltung: 25,00 €" in result.output
    assert closed_count(db) == 0


def test_check_exits_1_when_something_blocks(db, runner):
    make_line(4200, booking_date=date(LAST, 12, 30))
    result = runner.invoke(args=["closing", "check", str(LAST)])
    assert result.exit_code == 1
    assert f"[BLOCKIERT] Bankumsätze zugeordnet: 1 Bankumsätze des Jahres {LAST}" in result.output
    assert "1 Punkte verhindern den Abschluss." in result.output


def test_close_needs_the_confirmation_of_the_hints(db, runner):
    result = runner.invoke(args=["closing", "close", str(LAST)])
    assert result.exit_code == 1
    assert "Bitte bestätigen Sie, dass Sie die Hinweise geprüft haben" in result.output
    assert closed_count(db) == 0


def test_close_as_the_system(db, runner):
    make_booking(2500, booking_date=date(LAST, 3, 1))
    result = runner.invoke(
        args=["closing", "close", str(LAST), "--confirm-warnings", "--note", "per Kommando"]
    )
    assert result.exit_code == 0, result.output
    assert f"Das Jahr {LAST} ist festgeschrieben" in result.output
    closed = db.session.get(ClosedYear, LAST)
    assert closed.closed_by_id is None
    assert closed.note == "per Kommando"
    entry = db.session.execute(select(AuditEntry).filter_by(action="closing.closed")).scalar_one()
    assert entry.actor_label == "System"
    again = runner.invoke(args=["closing", "close", str(LAST), "--confirm-warnings"])
    assert again.exit_code == 1
    assert f"Das Jahr {LAST} ist bereits abgeschlossen" in again.output


def test_close_refuses_the_running_year(db, runner):
    result = runner.invoke(args=["closing", "close", str(THIS), "--confirm-warnings"])
    assert result.exit_code == 1
    assert f"Das Jahr {THIS} ist noch nicht vorbei" in result.output
    assert closed_count(db) == 0


def test_a_bad_year_argument_is_named(db, runner):
    result = runner.invoke(args=["closing", "check", "zwanzig"])
    assert result.exit_code == 2
    assert "„zwanzig“ ist keine Jahreszahl." in result.output
    result = runner.invoke(args=["closing", "close", "1200"])
    assert result.exit_code == 2
    assert "Das Jahr 1200 liegt außerhalb des möglichen Bereichs" in result.output
    assert closed_count(db) == 0
