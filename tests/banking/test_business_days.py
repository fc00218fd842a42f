"""TARGET2 business days: weekends and the six TARGET holidays are closed."""

from datetime import date

import pytest

from supportclub.banking.business_days import (
    add_target_days,
    easter_sunday,
    is_target_day,
    next_target_day,
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))],
)
def test_easter_sunday_by_the_gregorian_algorithm(year, easter):
    assert easter_sunday(year) == easter


@pytest.mark.parametrize(
    "closed",
    [
        date(2026, 4, 3),  # Good Friday 2026
        date(2026, 4, 6),  # Easter Monday 2026
        date(2027, 3, 26),  # Good Friday 2027
        date(2027, 3, 29),  # Easter Monday 2027
        date(2027, 1, 1),
        date(2026, 5, 1),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 11, 28),  # Saturday
        date(2026, 11, 29),  # Sunday
    ],
)
def test_holidays_and_weekends_are_not_target_days(closed):
    assert not is_target_day(closed)


def test_ordinary_weekdays_and_german_only_holidays_are_target_days():
    assert is_target_day(date(2026, 11, 25))  # a Wednesday
    assert is_target_day(date(2027, 5, 6))  # Ascension Day: a German holiday, TARGET is open
    assert is_target_day(date(2026, 12, 24))  # Christmas Eve: open


def test_next_and_added_target_days_skip_closed_days():
    assert next_target_day(date(2026, 4, 2)) == date(2026, 4, 7)  # over Easter
    assert next_target_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert next_target_day(date(2026, 11, 27)) == date(2026, 11, 30)  # Friday -> Monday
    assert add_target_days(date(2026, 4, 1), 2) == date(2026, 4, 7)
    assert add_target_days(date(2026, 4, 1), 0) == date(2026, 4, 1)
    with pytest.raises(ValueError):
        add_target_days(date(2026, 4, 1), -1)
