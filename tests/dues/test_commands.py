"""The dues CLI: flask --app supportclub dues run YEAR [--dry-run]."""

from datetime import date

import pytest
from sqlalchemy import func, select

from supportclub.audit import AuditEntry
from supportclub.clock import today
from supportclub.dues.models import DuesClaim, DuesRun
from tests.factories import make_member, make_membership_type


def count(db, model) -> int:
    """Rows of a table."""
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def members(app, db):
    """Two regular members (36 €), one reduced (18 €), one of a type without a rate in 2025."""
    regular = make_membership_type("regular", name="Regulär")
    reduced = make_membership_type("reduced", name="Ermäßigt", rates=((date(2009, 1, 1), 1800),))
    later = make_membership_type("later", name="Später", rates=((date(2026, 1, 1), 2400),))
    make_member(regular, last_name="Albrecht", first_name="Anna")
    make_member(regular, last_name="Becker", first_name="Ben")
    make_member(reduced, last_name="Conrad", first_name="Carla")
    return {"emil": make_member(later, last_name="Engel", first_name="Emil")}


def test_run_creates_the_claims_as_system(app, db, runner, members):
    result = runner.invoke(args=["dues", "run", "2025"])
    assert result.exit_code == 0, result.output
    emil = members["emil"]
    assert result.output.splitlines() == [
        "Beitragslauf 2025",
        "Neue Forderungen: 3, Summe 90,00 €",
        "Bereits vorhanden: 0",
        "Übersprungen: 1",
        f"  - Engel, Emil (Nr. {emil.member_number}): "
        "Für die Mitgliedsart „Später“ gilt am 01.01.2025 kein Beitragssatz.",
        "3 Forderungen über 90,00 € angelegt.",
    ]
    amounts = db.session.execute(
        select(DuesClaim.amount_cents).where(DuesClaim.year == 2025).order_by(DuesClaim.id)
    ).scalars()
    assert sorted(amounts) == [1800, 3600, 3600]
    run = db.session.execute(select(DuesRun)).scalar_one()
    assert (run.year, run.claims_created, run.total_cents, run.created_by_id) == (
        2025,
        3,
        9000,
        None,
    )
    entry = db.session.execute(select(AuditEntry).filter_by(action="dues.run")).scalar_one()
    assert (entry.actor_id, entry.actor_label) == (None, "System")


def test_dry_run_writes_nothing(app, db, runner, members):
    audit_before = count(db, AuditEntry)
    result = runner.invoke(args=["dues", "run", "2025", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Beitragslauf 2025 (Probelauf)" in result.output
    assert "Neue Forderungen: 3, Summe 90,00 €" in result.output
    assert "3 Forderungen über 90,00 € würden angelegt." in result.output
    assert "Probelauf: es wurde nichts gespeichert." in result.output
    assert (count(db, DuesClaim), count(db, DuesRun)) == (0, 0)
    assert count(db, AuditEntry) == audit_before


def test_second_run_reports_nothing_new(app, db, runner, members):
    assert runner.invoke(args=["dues", "run", "2025"]).exit_code == 0
    result = runner.invoke(args=["dues", "run", "2025"])
    assert result.exit_code == 0, result.output
    assert "Neue Forderungen: 0, Summe 0,00 €" in result.output
    assert "Bereits vorhanden: 3" in result.output
    assert result.output.splitlines()[-1] == (
        "Alle Mitgliedschaften haben ihre Forderung für 2025 bereits; es wurde nichts angelegt. "
        "Übersprungen: 1."
    )
    assert (count(db, DuesClaim), count(db, DuesRun)) == (3, 1)


def test_a_member_added_later_gets_the_missing_claim(app, db, runner, members):
    assert runner.invoke(args=["dues", "run", "2025"]).exit_code == 0
    make_member(last_name="Fuchs", start_date=date(2025, 5, 1))
    result = runner.invoke(args=["dues", "run", "2025"])
    assert "1 Forderung über 36,00 € angelegt." in result.output
    assert "Bereits vorhanden: 3" in result.output
    assert (count(db, DuesClaim), count(db, DuesRun)) == (4, 2)


@pytest.mark.parametrize(
    "year, message",
    [
        ("1800", "Beitragsläufe gibt es für die Jahre 1990 bis"),
        (str(today().year + 2), "Beitragsläufe gibt es für die Jahre 1990 bis"),
        ("abc", "„abc“ ist keine Jahreszahl."),
        ("-5", "ist keine Jahreszahl."),
    ],
)
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_bad_year_is_refused(app, db, runner, members, year, message, dry_run):
    result = runner.invoke(args=["dues", "run", *dry_run, "--", year])
    assert result.exit_code == 2
    assert message in result.output
    assert (count(db, DuesClaim), count(db, DuesRun)) == (0, 0)
