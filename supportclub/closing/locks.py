"""The lock that keeps bookings out of a year while it is being closed.

Booking into a year takes a SHARED transaction lock for that year before it reads ClosedYear;
closing a year takes the EXCLUSIVE lock for it (and for every earlier year not closed yet) before
it re-checks and sums. So a booking either commits before the closing reads the books (and is
in its balances), or waits until the closing has committed (and then sees the closed year and is
refused). PostgreSQL: advisory transaction locks. SQLite: one writer at a time anyway; closing
takes the write lock first, and a booking whose snapshot predates a closing cannot commit (WAL).
"""

from sqlalchemy import text

from supportclub.extensions import db

# pg_advisory_xact_lock key of a year: "clos" in ASCII, shifted, plus the year
_BASE = 0x636C6F73 << 16


def year_key(year: int) -> int:
    """The advisory lock key of `year` (a bigint)."""
    return _BASE + int(year)


def _is_postgres(connection) -> bool:
    """True on PostgreSQL."""
    return connection.dialect.name == "postgresql"


def lock_years_shared(years) -> None:
    """Booking side: hold the shared lock of each year until the transaction ends."""
    connection = db.session.connection()
    if not _is_postgres(connection):
        return
    for year in sorted(set(years)):
        connection.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": year_key(year)}
        )


def lock_years_exclusive(years) -> None:
    """Closing side: hold the exclusive lock of each year (ascending) until the transaction
    ends; waits for every transaction that is booking into one of them."""
    connection = db.session.connection()
    if _is_postgres(connection):
        for year in sorted(set(years)):
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": year_key(year)})
    else:
        # an UPDATE that matches nothing still takes SQLite's write lock (other writers wait)
        connection.execute(text("UPDATE closed_year SET year = year WHERE 1 = 0"))
