"""Calendar arithmetic in months, so that 'exactly two years' means the same day two years on."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clipped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def months_between(start: dt.date, end: dt.date) -> float:
    """Whole calendar months from ``start`` to ``end`` plus the fraction of the next month.

    ``months_between(d, add_months(d, 24)) == 24.0`` exactly, which the 2-year rule needs.
    """
    if end < start:
        return -months_between(end, start)
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, whole) > end:
        whole -= 1
    anchor = add_months(start, whole)
    following = add_months(start, whole + 1)
    return whole + (end - anchor).days / (following - anchor).days


def whole_years_between(start: dt.date, end: dt.date) -> int:
    return int(months_between(start, end) // 12)
