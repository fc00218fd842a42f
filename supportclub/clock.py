"""The one place that knows what time it is (tests may patch it)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the association's time zone."""
    return datetime.now(LOCAL_TZ).date()
