"""INSERT ... ON CONFLICT DO NOTHING, the same on SQLite and PostgreSQL.

Rows that concurrent requests may both create (a number series, a webhook event, a payout) are
inserted with it: the first insert wins, the others find the row and go on.
"""

from sqlalchemy.dialects import postgresql, sqlite

from supportclub.extensions import db


def insert_if_absent(table, *, key: list[str], dialect: str | None = None):
    """An INSERT into `table` (a model or Table) that skips a row whose `key` columns exist.

    `dialect` defaults to the current session's database."""
    dialect = dialect or db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=key)
