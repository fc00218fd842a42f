"""Long value lists cut into pieces for SQL ``IN (...)``: one helper and one usual size for every
query that looks up many rows at once (a constant number of queries for a given batch)."""

from collections.abc import Iterable, Iterator

IN_LIST_SIZE = 1000  # values per IN (...): far below the parameter limits of SQLite and PostgreSQL


def chunked(values: Iterable, size: int = IN_LIST_SIZE) -> Iterator[list]:
    """`values` in lists of at most `size`, in their order."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]
