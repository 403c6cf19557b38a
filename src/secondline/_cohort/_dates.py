"""``_dates.py`` as expressions: calendar months between dates, exactly as for one case.

``months_between`` must give the very same float as the per-case function (the 2-year
rule compares it with 24 exactly), so it takes the same steps: whole calendar months,
the day they reach (clipped to the month's end), and the fraction of the following
month, as one division of whole day counts.

A case's dates lie between 1900 and 2999, so the calendar is two small tables, built
once from ``datetime`` itself: each day's month, and each month's first day and length.
Every step is then a lookup or integer arithmetic over columns.
"""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl

from secondline._case import FIRST_DAY, LAST_DAY

_I = pl.Int64
#: the tables reach a little past the last day a case may hold (a month after it)
_FIRST_YEAR, _LAST_YEAR = FIRST_DAY.year, LAST_DAY.year + 1
_EPOCH = dt.date(1970, 1, 1)


@functools.cache
def _tables() -> tuple[pl.Series, pl.Series, pl.Series, int]:
    """Each day's month (counted from January of the first year), each month's first day
    (days since 1970-01-01) and length, and the first day of the tables."""
    firsts, lengths, month_of = [], [], []
    for year in range(_FIRST_YEAR, _LAST_YEAR + 1):
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            following = dt.date(year + month // 12, month % 12 + 1, 1)
            firsts.append((first - _EPOCH).days)
            lengths.append((following - first).days)
            month_of += [len(firsts) - 1] * lengths[-1]
    return (pl.Series(month_of, dtype=pl.Int32), pl.Series(firsts, dtype=_I),
            pl.Series(lengths, dtype=_I), firsts[0])


def _reach(month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """The day number of day ``day`` of month ``month`` (table index), clipped to the
    month's end: ``_dates.add_months``."""
    _, firsts, lengths, _ = _tables()
    return (pl.lit(firsts).gather(month) + pl.min_horizontal(day, pl.lit(lengths).gather(month))
            - 1)


def with_months(frame: pl.DataFrame, pairs: list[tuple[str, str, str]]) -> pl.DataFrame:
    """``frame`` with, for each ``(start, end, name)`` of date columns, the column ``name``:
    months from ``start`` to ``end`` as ``_dates.months_between`` gives them (negative
    when ``end`` is earlier; null when either is); or, for a ``name`` ending in ``years``,
    the whole years between them (``whole_years_between``, for ``end`` not earlier).

    The steps are taken one ``with_columns`` at a time, so that each refers to columns
    only: as one nested expression, the parts that repeat would be worked out again for
    every use.
    """
    month_of, firsts, _, base = _tables()
    c = pl.col
    steps: list[list[pl.Expr]] = [[], [], [], []]
    temporary = []
    for i, (start, end, _) in enumerate(pairs):
        p = f"__m{i}_"
        temporary += [p + n for n in ("lm", "ld", "hm", "hn", "w", "a", "f")]
        low = pl.min_horizontal(start, end).cast(pl.Int32).cast(_I)
        high = pl.max_horizontal(start, end).cast(pl.Int32).cast(_I)
        low_month = pl.lit(month_of).gather(low - base)
        high_month = pl.lit(month_of).gather(high - base)
        steps[0] += [low_month.alias(p + "lm"),
                     (low - pl.lit(firsts).gather(low_month) + 1).alias(p + "ld"),
                     high_month.alias(p + "hm"), high.alias(p + "hn")]
        whole = c(p + "hm") - c(p + "lm")
        steps[1].append(pl.when(_reach(c(p + "hm"), c(p + "ld")) > c(p + "hn"))
                        .then(whole - 1).otherwise(whole).alias(p + "w"))
        steps[2] += [_reach(c(p + "lm") + c(p + "w"), c(p + "ld")).alias(p + "a"),
                     _reach(c(p + "lm") + c(p + "w") + 1, c(p + "ld")).alias(p + "f")]
    for i, (start, end, name) in enumerate(pairs):
        p = f"__m{i}_"
        if name.endswith("years"):
            result = c(p + "w") // 12
        else:
            forward = c(p + "w").cast(pl.Float64) + (c(p + "hn") - c(p + "a")).cast(
                pl.Float64) / (c(p + "f") - c(p + "a")).cast(pl.Float64)
            result = pl.when(c(end) < c(start)).then(-forward).otherwise(forward)
        steps[3].append(pl.when(c(start).is_null() | c(end).is_null()).then(None)
                        .otherwise(result).alias(name))
    staged = frame.lazy()
    for step in steps:
        staged = staged.with_columns(step)
    return staged.drop(temporary).collect()
