"""Member import, step 4: importing all rows or none.

Reading the file is ``import_files``, mapping its columns ``import_mapping``, checking the rows
``import_checks``. ``import_members`` writes everything or nothing: persons, memberships and
mandates in bulk, member numbers from the locked "member" series, and one audit entry.
``import_members_from_file`` runs all steps in one go.
"""

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select, update

from supportclub import audit
from supportclub.errors import DomainError
from supportclub.extensions import db
from supportclub.i18n import _
from supportclub.ledger.models import Person
from supportclub.members.import_checks import PlannedRow, RowError, Validation, validate_rows
from supportclub.members.import_files import DEFAULT_ENCODING, ParsedFile, parse_file
from supportclub.members.import_mapping import EXISTING_USE, ImportOptions, guess_mapping
from supportclub.members.models import Membership
from supportclub.members.services import FIRST_MEMBER_NUMBER, MEMBER_NUMBER_SERIES
from supportclub.numbering import NumberSequence


class ImportRejected(DomainError):
    """At least one row is wrong: nothing was imported; `validation` holds every error."""

    def __init__(self, validation: "Validation"):
        super().__init__(
            _(
                "Nichts importiert: %(count)s Zeilen enthalten Fehler.",
                count=validation.error_row_count,
            )
        )
        self.validation = validation


def error_report_csv(errors: list[RowError]) -> str:
    """The error report as CSV for Excel (UTF-8 with BOM, ';'): row, column, value, reason."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Zeile"), _("Spalte"), _("Wert"), _("Fehler")])
    for error in errors:
        value = error.value
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            value = "'" + value  # no formula when Excel opens the report
        writer.writerow([error.row, error.column, value, error.message])
    return "\ufeff" + out.getvalue()


@dataclass
class ImportSummary:
    """What an import did."""

    rows: int = 0
    persons_created: int = 0
    memberships_created: int = 0
    mandates_created: int = 0
    existing_used: int = 0  # persons already present that got the membership
    existing_unchanged: int = 0  # persons already present that had a membership then
    existing_skipped: int = 0
    first_number: int | None = None
    last_number: int | None = None

    def to_json(self) -> dict:
        """A JSON-able dict."""
        return asdict(self)


def lock_member_numbers() -> NumberSequence:
    """The "member" number series, locked until commit (serialises concurrent imports)."""
    sequence = db.session.execute(
        select(NumberSequence).where(NumberSequence.name == MEMBER_NUMBER_SERIES).with_for_update()
    ).scalar_one_or_none()
    if sequence is None:
        sequence = NumberSequence(name=MEMBER_NUMBER_SERIES, last_value=FIRST_MEMBER_NUMBER - 1)
        db.session.add(sequence)
        db.session.flush()
    return sequence


def _rows_to_reuse(validation: Validation) -> tuple[list[PlannedRow], int]:
    """Rows of persons already present that lack a membership in the row's period."""
    periods = validation.register.periods()
    reuse, unchanged = [], 0
    for row in validation.existing_rows:
        start, end = row.membership["start_date"], row.membership["end_date"]
        spans = periods[row.existing.id]
        if any(s <= (end or date.max) and (e is None or e >= start) for s, e in spans):
            unchanged += 1
            continue
        spans.append((start, end))
        reuse.append(row)
    return reuse, unchanged


def _assign_numbers(
    sequence: NumberSequence, new: list[PlannedRow], reuse: list[PlannedRow], taken: set[int]
) -> tuple[list[int], dict[int, int]]:
    """Member numbers: the given ones where free, the others after the highest in use.

    Returns the numbers of the new persons (in order) and {person id: number} for persons
    already present that had none. The series moves past every number handed out here.
    """
    needing = [row for row in reuse if row.existing.member_number is None]
    given = [row.member_number for row in new + needing if row.member_number]
    taken = taken | set(given)
    counter = max([sequence.last_value, *given])

    def next_free() -> int:
        nonlocal counter
        counter += 1
        while counter in taken:
            counter += 1
        return counter

    numbers = [row.member_number or next_free() for row in new]
    existing_numbers: dict[int, int] = {}
    for row in needing:
        if row.existing.id not in existing_numbers:
            existing_numbers[row.existing.id] = row.member_number or next_free()
    sequence.last_value = counter
    return numbers, existing_numbers


def import_members(
    parsed: ParsedFile,
    mapping: dict[str, str | None],
    options: ImportOptions,
    *,
    actor,
    filename: str = "",
) -> ImportSummary:
    """Import all rows or none: persons, memberships, mandates; one audit entry.

    1. Lock the member number series (a second import waits until this one commits).
    2. Check every row; any error: raise ImportRejected, nothing written.
    3. Persons already present are skipped, or (options.existing == "use") get the
       membership when they have none in that period.
    4. Insert persons and memberships in bulk; move the number series past the numbers used.
    """
    sequence = lock_member_numbers()
    validation = validate_rows(parsed, mapping, options)
    if validation.errors:
        raise ImportRejected(validation)
    summary = ImportSummary(rows=validation.total)
    new = [row for row in validation.rows if row.existing is None]
    reuse: list[PlannedRow] = []
    if options.existing == EXISTING_USE:
        reuse, summary.existing_unchanged = _rows_to_reuse(validation)
    else:
        summary.existing_skipped = len(validation.existing_rows)
    numbers, existing_numbers = _assign_numbers(
        sequence, new, reuse, set(validation.register.by_number)
    )
    person_ids = _insert_persons(new, numbers)
    _update_reused_persons(reuse, existing_numbers)
    memberships = _insert_memberships(
        [*zip(new, person_ids, strict=True), *((row, row.existing.id) for row in reuse)],
        actor_id=getattr(actor, "id", None),
    )
    db.session.flush()
    _expire_persons({row.existing.id for row in reuse})
    used = numbers + list(existing_numbers.values())
    summary.persons_created = len(new)
    summary.memberships_created = len(memberships)
    summary.mandates_created = sum(1 for m in memberships if m["mandate_reference"])
    summary.existing_used = len({row.existing.id for row in reuse})
    summary.first_number, summary.last_number = (min(used), max(used)) if used else (None, None)
    audit.record(actor, "members.imported", None, {"file": filename, **summary.to_json()})
    return summary


def _insert_persons(rows: list[PlannedRow], numbers: list[int]) -> list[int]:
    """Insert the new persons in bulk; their ids in row order.

    No RETURNING: SQLite would fall back to one INSERT per row to keep the order. Every new
    person has a unique member number, so one query maps the numbers back to the ids.
    render_nulls: without it the ORM leaves out the keys that are None and starts a new batch
    whenever the next row has a different set (one with an e-mail, one without: 3,600 INSERTs
    for 5,000 rows instead of one executemany).
    """
    if not rows:
        return []
    db.session.execute(
        insert(Person).execution_options(render_nulls=True),
        [
            {**row.person, "member_number": number, "is_active": True}
            for row, number in zip(rows, numbers, strict=True)
        ],
    )
    ids = dict(
        db.session.execute(
            select(Person.member_number, Person.id).where(
                Person.member_number.between(min(numbers), max(numbers))
            )
        ).all()
    )
    return [ids[number] for number in numbers]


def _update_reused_persons(reuse: list[PlannedRow], existing_numbers: dict[int, int]) -> None:
    """Persons already present that get a membership become active; those without a member
    number get the one assigned."""
    if not reuse:
        return
    db.session.execute(
        update(Person),
        [
            {
                "id": pid,
                "is_active": True,
                "member_number": existing_numbers.get(pid, number),
            }
            for pid, number in {r.existing.id: r.existing.member_number for r in reuse}.items()
        ],
    )


def _insert_memberships(rows: list[tuple[PlannedRow, int]], *, actor_id) -> list[dict]:
    """Insert one membership (with its mandate, if any) per (row, person id), in bulk."""
    memberships = [
        {**row.membership, "person_id": pid, "created_by_id": actor_id} for row, pid in rows
    ]
    if memberships:
        db.session.execute(insert(Membership).execution_options(render_nulls=True), memberships)
    return memberships


def _expire_persons(ids: set[int]) -> None:
    """Persons changed by the bulk update are reloaded on next access."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Person) and obj.id in ids:
            db.session.expire(obj)


def import_members_from_file(
    path,
    mapping: dict[str, str | None] | None = None,
    options: ImportOptions | None = None,
    *,
    actor=None,
    encoding: str = DEFAULT_ENCODING,
    sheet: str | None = None,
) -> ImportSummary:
    """Read, check and import a file in one go (benchmarks, scripts); the caller commits."""
    path = Path(path)
    parsed = parse_file(path.read_bytes(), encoding=encoding, sheet=sheet)
    mapping = mapping or guess_mapping(parsed.headers)
    return import_members(
        parsed, mapping, options or ImportOptions(), actor=actor, filename=path.name
    )
