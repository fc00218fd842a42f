"""TARGET2 business days: the days on which SEPA direct debits are settled.

Closed: Saturdays and Sundays, New Year's Day, Good Friday, Easter Monday, Labour Day (1 May),
Christmas Day and 26 December. Easter comes from the Anonymous Gregorian algorithm
(Meeus/Jones/Butcher), valid for every Gregorian year.
"""

from datetime import date, timedelta
from functools import cache

__all__ = ["add_target_days", "easter_sunday", "is_target_day", "next_target_day"]

_FIXED_HOLIDAYS = ((1, 1), (5, 1), (12, 25), (12, 26))
_ONE_DAY = timedelta(days=1)


@cache
def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` (Gregorian calendar): 2026 -> 5 April, 2027 -> 28 March."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def _holidays(year: int) -> frozenset[date]:
    """The TARGET2 holidays of ``year``."""
    easter = easter_sunday(year)
    fixed = {date(year, month, day) for month, day in _FIXED_HOLIDAYS}
    return frozenset(fixed | {easter - timedelta(days=2), easter + timedelta(days=1)})


def is_target_day(day: date) -> bool:
    """True when TARGET2 is open on ``day`` (a weekday that is not one of its holidays)."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_target_day(day: date) -> date:
    """The first TARGET day strictly after ``day``."""
    day += _ONE_DAY
    while not is_target_day(day):
        day += _ONE_DAY
    return day


def target_day_on_or_after(day: date) -> date:
    """``day`` itself when it is a TARGET day, else the next one."""
    return day if is_target_day(day) else next_target_day(day)


def add_target_days(day: date, count: int) -> date:
    """The ``count``-th TARGET day after ``day`` (``count`` >= 0; 0 gives ``day`` itself)."""
    if count < 0:
        raise ValueError("count must not be negative")
    for _step in range(count):
        day = next_target_day(day)
    return day
