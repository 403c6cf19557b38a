"""Calendar arithmetic in months: the 2-year HCL rule depends on it being exact."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secondline._dates import add_months, months_between, whole_years_between

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2026, 1, 15), 1, D(2026, 2, 15)),
        (D(2026, 1, 15), 0, D(2026, 1, 15)),
        (D(2026, 11, 23), 2, D(2027, 1, 23)),  # across a year end
        (D(2026, 1, 15), -1, D(2025, 12, 15)),  # backwards across a year end
        (D(2024, 11, 23), 24, D(2026, 11, 23)),
        (D(2024, 11, 23), -24, D(2022, 11, 23)),
        # month-end clipping
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 8, 31), -2, D(2026, 6, 30)),
        (D(2026, 5, 31), 1, D(2026, 6, 30)),
        # leap years
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(1900, 1, 31), 1, D(1900, 2, 28)),  # 1900 is not a leap year
        (D(2000, 1, 31), 1, D(2000, 2, 29)),  # 2000 is
    ],
)
def test_add_months(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


def test_months_between_two_calendar_years_is_exactly_24() -> None:
    assert months_between(D(2024, 11, 23), D(2026, 11, 23)) == 24.0
    assert months_between(D(2024, 2, 29), D(2026, 2, 28)) == 24.0


def test_months_between_same_day_is_zero() -> None:
    assert months_between(D(2026, 11, 23), D(2026, 11, 23)) == 0.0


def test_months_between_whole_months() -> None:
    assert months_between(D(2026, 1, 15), D(2026, 4, 15)) == 3.0
    assert months_between(D(2024, 1, 31), D(2024, 2, 29)) == 1.0


def test_months_between_fraction_of_the_following_month() -> None:
    # 15 days into a 31-day stretch (1 Jan to 1 Feb)
    assert months_between(D(2026, 1, 1), D(2026, 1, 16)) == pytest.approx(15 / 31)
    # one whole month, then 14 of the 28 days from 1 Feb to 1 Mar 2026
    assert months_between(D(2026, 1, 1), D(2026, 2, 15)) == pytest.approx(1 + 14 / 28)
    # just short of two years: never rounds up to the boundary
    just_short = months_between(D(2024, 11, 23), D(2026, 11, 22))
    assert 23.9 < just_short < 24.0
    just_over = months_between(D(2024, 11, 23), D(2026, 11, 24))
    assert 24.0 < just_over < 24.1


def test_months_between_example_from_the_brief() -> None:
    assert months_between(D(2025, 9, 23), D(2026, 11, 23)) == 14.0


def test_months_between_is_negative_when_reversed() -> None:
    assert months_between(D(2026, 11, 23), D(2024, 11, 23)) == -24.0
    forwards = months_between(D(2026, 1, 1), D(2026, 2, 15))
    assert months_between(D(2026, 2, 15), D(2026, 1, 1)) == -forwards
    assert months_between(D(2026, 2, 15), D(2026, 1, 1)) < 0


def test_whole_years_between() -> None:
    assert whole_years_between(D(2023, 3, 8), D(2026, 3, 7)) == 2
    assert whole_years_between(D(2023, 3, 8), D(2026, 3, 8)) == 3


_dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)).filter(
    lambda d: d.day <= 28
)


@settings(database=None, max_examples=300, deadline=None)
@given(day=_dates, months=st.integers(min_value=-600, max_value=600))
def test_months_between_inverts_add_months(day: dt.date, months: int) -> None:
    assert months_between(day, add_months(day, months)) == months


@settings(database=None, max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)),
    end=st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)),
)
def test_months_between_is_antisymmetric_and_monotone_in_sign(
    start: dt.date, end: dt.date
) -> None:
    there = months_between(start, end)
    assert there == -months_between(end, start)
    assert (there > 0) == (end > start)
    assert (there == 0) == (end == start)
