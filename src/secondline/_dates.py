"""Calendar arithmetic in months, so that 'exactly two years' means the same day two years on."""

from __future__ import annotations

import datetime as dt

#: days in each month of a common year; February gains a day in a leap year
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_length(year: int, month: int) -> int:
    """Days in a month (1-12). ``calendar.monthrange`` says the same, but it also works
    out the weekday, which made it the largest cost of every assessment."""
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clipped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _whole_months(start: dt.date, end: dt.date) -> tuple[int, dt.date]:
    """Whole calendar months from ``start`` to ``end`` (not before it), and the day they
    reach."""
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    anchor = add_months(start, whole)
    if anchor > end:
        whole -= 1
        anchor = add_months(start, whole)
    return whole, anchor


def months_between(start: dt.date, end: dt.date) -> float:
    """Whole calendar months from ``start`` to ``end`` plus the fraction of the next month.

    ``months_between(d, add_months(d, 24)) == 24.0`` exactly, which the 2-year rule needs.
    """
    if end < start:
        return -months_between(end, start)
    whole, anchor = _whole_months(start, end)
    following = add_months(start, whole + 1)
    return whole + (end - anchor).days / (following - anchor).days


def whole_years_between(start: dt.date, end: dt.date) -> int:
    if end < start:
        return int(months_between(start, end) // 12)
    return _whole_months(start, end)[0] // 12  # the fraction of a month never adds a year
