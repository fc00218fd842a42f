"""The batch on the command line: flask --app supportclub receipts issue-year YEAR
[--dry-run] [--no-mail], and the worker command."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.extensions import db
from supportclub.numbering import NumberSequence
from supportclub.receipts.models import BatchStatus, Delivery, DonationReceipt, ReceiptBatch
from tests.factories import make_receipt_settings
from tests.receipts.test_batch import (  # noqa: F401 (fixture)
    _one_process,
    machine_settings,
    make_donors,
    receipts_of,
)


def counts() -> tuple[int, int, int]:
    """Receipts, batches, numbering series."""
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (DonationReceipt, ReceiptBatch, NumberSequence)
    )


def test_dry_run_prints_the_preview_and_changes_nothing(app, runner):
    machine_settings()
    make_donors()
    before = counts()
    result = runner.invoke(args=["receipts", "issue-year", "2025", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Zuwendungsbestätigungen 2025 (Probelauf)"
    assert lines[1].split() == ["Name", "Art", "Zuwendungen", "Summe", "Versand"]
    assert lines[2].split() == [
        "Albrecht,",
        "Anna",
        "Sammelbestätigung",
        "3",
        "111,00",
        "€",
        "E-Mail",
    ]
    assert lines[5].split() == ["Engel,", "Emil", "Sammelbestätigung", "2", "50,00", "€", "Druck"]
    assert lines[6].split()[-3:] == ["501,00", "€", "Druck"]
    assert lines[7] == "Übersprungen: 2"
    assert lines[8].startswith("  - Conrad, Carla: Keine Postanschrift")
    assert lines[9].startswith("  - Dietz, Dora: Sachzuwendungen (1, zusammen 200,00 €)")
    assert lines[10] == (
        "Zusammen: 5 Bestätigungen (3 Sammel-, 2 Einzelbestätigungen) über 10 Zuwendungen, 777,00 €"
    )
    assert lines[-1] == "Probelauf: es wurde nichts gespeichert."
    assert counts() == before


def test_issue_year_issues_with_a_progress_bar_and_a_summary(app, runner, mailsink):
    machine_settings()
    make_donors()
    result = runner.invoke(args=["receipts", "issue-year", "2025"])
    assert result.exit_code == 0, result.output
    batch = db.session.execute(select(ReceiptBatch)).scalar_one()
    assert batch.status == BatchStatus.DONE and batch.created_by_id is None
    assert f"Zuwendungsbestätigungen 2025, Lauf Nr. {batch.id}" in result.output
    assert "Fortschritt" in result.output
    tail = result.output[result.output.index("Ausgestellt") :].splitlines()
    assert tail[:3] == ["Ausgestellt: 5", "Per E-Mail versendet: 3", "Zum Drucken: 2"]
    assert tail[3].startswith("Druckdatei: ") and tail[3].endswith(batch.print_storage_key)
    assert tail[4] == "Übersprungen: 2"
    assert [r.number for r in receipts_of(2025)] == [f"2025-000{n}" for n in range(1, 6)]
    assert len(mailsink.messages) == 3
    again = runner.invoke(args=["receipts", "issue-year", "2025"])
    assert again.exit_code == 0, again.output
    assert "Ausgestellt: 0" in again.output and len(receipts_of(2025)) == 5


def test_no_mail_puts_everything_into_the_print_file(app, runner, mailsink):
    machine_settings()
    make_donors()
    result = runner.invoke(args=["receipts", "issue-year", "2025", "--no-mail"])
    assert result.exit_code == 0, result.output
    assert "Per E-Mail versendet: 0" in result.output and "Zum Drucken: 5" in result.output
    assert mailsink.messages == []
    assert all(r.delivery == Delivery.PRINT for r in receipts_of(2025))


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("zwanzig", "„zwanzig“ ist keine Jahreszahl."),
        ("1999", "Das Jahr 1999 ist nicht möglich: bitte ein Jahr von 2000 bis"),
        (str(date.today().year + 1), f"Das Jahr {date.today().year + 1} ist nicht möglich"),
    ],
)
def test_a_bad_year_is_refused_with_exit_code_2(app, runner, year, message):
    make_receipt_settings()
    result = runner.invoke(args=["receipts", "issue-year", year])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert counts()[:2] == (0, 0)


def test_incomplete_settings_stop_the_run_with_what_to_fix(app, runner):
    make_receipt_settings(tax_number="")
    make_donors()
    result = runner.invoke(args=["receipts", "issue-year", "2025"])
    assert result.exit_code == 1
    assert "In den Vereinseinstellungen fehlt" in result.output and "Steuernummer" in result.output
    assert counts()[:2] == (0, 0)
    dry = runner.invoke(args=["receipts", "issue-year", "2025", "--dry-run"])
    assert dry.exit_code == 0
    assert dry.output.splitlines()[1].startswith("Achtung: In den Vereinseinstellungen fehlt")


def test_the_worker_needs_redis(app, runner):
    result = runner.invoke(args=["receipts", "worker", "--burst"])
    assert result.exit_code == 1
    assert "REDIS_URL ist nicht gesetzt" in result.output
