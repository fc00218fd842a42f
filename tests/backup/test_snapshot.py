"""The backup reads in one read-only snapshot, and its canonical lines are the same everywhere."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from supportclub.backup.tables import canonical_line, decode, snapshot
from supportclub.extensions import db
from tests.backup.helpers import need


def test_postgresql_reads_in_a_repeatable_read_read_only_transaction(sources):
    need("postgresql")
    app = sources("postgresql").site.app
    with app.app_context(), snapshot(db.engine) as connection:
        isolation = connection.exec_driver_sql("SHOW transaction_isolation").scalar()
        assert isolation == "repeatable read"
        assert connection.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
        with pytest.raises(sa.exc.DBAPIError):
            connection.exec_driver_sql("CREATE TABLE h4_nope (id integer)")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_commit_during_the_snapshot_stays_invisible_to_it(sources, backend):
    need(backend)
    app = sources(backend).site.app
    count = sa.text("SELECT COUNT(*) FROM number_sequence")
    with app.app_context():
        try:
            with snapshot(db.engine) as connection:
                seen = connection.execute(count).scalar()
                with db.engine.begin() as other:
                    other.execute(
                        sa.text(
                            "INSERT INTO number_sequence (name, last_value) "
                            "VALUES ('h4-snapshot', 1)"
                        )
                    )
                    committed = other.execute(count).scalar()
                assert committed == seen + 1
                assert connection.execute(count).scalar() == seen  # still the same moment
        finally:
            with db.engine.begin() as other:
                other.execute(sa.text("DELETE FROM number_sequence WHERE name = 'h4-snapshot'"))


def test_canonical_values_and_their_way_back():
    stamp = datetime(2025, 3, 1, 9, 30, 0, 5, tzinfo=UTC)
    line = canonical_line(
        {
            "b": b"\x00\xff",
            "when": stamp,
            "day": date(2025, 3, 1),
            "ok": True,
            "n": None,
            "name": "Jürgen „Ö“",
            "data": {"z": 1, "a": [1, 2]},
        }
    )
    assert (
        line
        == (
            '{"b":"AP8=","data":{"a":[1,2],"z":1},"day":"2025-03-01","n":null,"name":"Jürgen „Ö“",'
            '"ok":true,"when":"2025-03-01T09:30:00.000005Z"}\n'
        ).encode()
    )
    assert decode("datetime_aware", "2025-03-01T09:30:00.000005Z") == stamp
    assert decode("date", "2025-03-01") == date(2025, 3, 1)
    assert decode("bytes", "AP8=") == b"\x00\xff"
