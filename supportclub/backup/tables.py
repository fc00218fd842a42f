"""The database side of a backup: every table as canonical JSON lines, read in one snapshot.

A row becomes one JSON object (columns by name, keys sorted, no spaces) whose values are encoded
the same way on every database: timestamps as ISO UTC with microseconds ("...T10:00:00.000000Z"),
dates as ISO, booleans, integers, strings, bytes as base64, JSON columns as their JSON value, NULL
as null. Rows go in primary-key order (strings compared by code point on both databases), so a
table's lines, and their SHA-256, are the same on SQLite and PostgreSQL.

Tables and columns are read from the database itself (what it really holds at its revision); the
models lend their column types where they know the column, so enums, JSON and UTC timestamps are
read back as the app reads them.
"""

import base64
import contextlib
import enum
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

from supportclub.dbtypes import UTCDateTime
from supportclub.extensions import db

STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
VERSION_TABLE = "alembic_version"
# rows fetched from the database at a time: memory stays flat however large a table is
FETCH_ROWS = 1000


@dataclass(frozen=True)
class TableSpec:
    """One table as the backup reads and writes it."""

    name: str
    table: sa.TableClause
    order_by: tuple[str, ...]
    kinds: dict[str, str]  # column name -> datetime_aware | datetime | date | bytes | plain

    @property
    def columns(self) -> list[str]:
        """The column names, in the table's order."""
        return [column.name for column in self.table.c]


def upload_base() -> Path:
    """The folder of all stored files (UPLOAD_DIR, default instance/uploads)."""
    base = current_app.config.get("UPLOAD_DIR") or os.path.join(
        current_app.instance_path, "uploads"
    )
    return Path(base)


def kind_of(type_) -> str:
    """How a column's values are written into and read back from JSON."""
    if isinstance(type_, UTCDateTime):
        return "datetime_aware"
    inner = type_.impl if isinstance(type_, TypeDecorator) else type_
    if isinstance(inner, sa.DateTime):
        return "datetime_aware" if inner.timezone else "datetime"
    if isinstance(inner, sa.Date):
        return "date"
    if isinstance(inner, sa.LargeBinary):
        return "bytes"
    return "plain"


def table_specs(connection: Connection) -> list[TableSpec]:
    """The database's tables in foreign-key order (parents first), alembic_version included."""
    reflected = sa.MetaData()
    reflected.reflect(bind=connection)
    specs = []
    for table in reflected.sorted_tables:
        model = db.metadata.tables.get(table.name)
        columns = []
        for column in table.columns:
            known = model is not None and column.name in model.c
            columns.append(
                sa.column(column.name, model.c[column.name].type if known else column.type)
            )
        key = [column.name for column in table.primary_key.columns] or [
            column.name for column in table.columns
        ]
        clause = sa.table(table.name, *columns)
        specs.append(
            TableSpec(
                name=table.name,
                table=clause,
                order_by=tuple(key),
                kinds={column.name: kind_of(column.type) for column in clause.c},
            )
        )
    return specs


def encode(value):
    """One value in its canonical JSON form."""
    if value is None or isinstance(value, bool | int | str | dict | list):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime(STAMP)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"no canonical form for {type(value).__name__}")


def decode(kind: str, value):
    """A canonical JSON value back into what the column takes."""
    if value is None:
        return None
    if kind == "datetime_aware":
        return datetime.strptime(value, STAMP).replace(tzinfo=UTC)
    if kind == "datetime":
        return datetime.strptime(value, STAMP)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    return value


def canonical_line(row: dict) -> bytes:
    """One row as a line of canonical JSON (UTF-8, newline-terminated)."""
    encoded = {name: encode(value) for name, value in row.items()}
    text = json.dumps(encoded, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def iter_lines(connection: Connection, spec: TableSpec) -> Iterator[bytes]:
    """The table's rows as canonical lines in key order, streamed from the database."""
    order = []
    for name in spec.order_by:
        column = spec.table.c[name]
        # code-point order, as on SQLite, whatever the database's collation
        if (
            connection.dialect.name == "postgresql"
            and isinstance(column.type, sa.String)
            and not isinstance(column.type, sa.Enum)
        ):
            column = column.collate("C")
        order.append(column)
    statement = sa.select(*spec.table.c).order_by(*order)
    result = connection.execute(statement.execution_options(yield_per=FETCH_ROWS))
    for row in result:
        yield canonical_line(dict(row._mapping))


@contextlib.contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One read-only transaction that sees the database as of its first read.

    PostgreSQL: REPEATABLE READ, READ ONLY. SQLite: one BEGIN and every read inside it (in WAL
    mode a reader keeps its snapshot while writers go on).
    """
    with engine.connect() as connection:
        connection.begin()
        try:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
            yield connection
        finally:
            connection.rollback()


def revision_of(connection: Connection) -> str | None:
    """The database's Alembic revision (None without an alembic_version table or row)."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
