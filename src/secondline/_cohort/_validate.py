"""Which rows are valid cases, decided for a whole frame at once.

The rules are the case model's (``_case.py``): required fields, the contract's lists of
values, ranges, whole numbers, text and list lengths, real dates in range, and dates in
order (an end not before its start; nothing after ``as_of``; nothing before the
diagnosis). Here they are one boolean per row; the few rows found invalid are then given
to ``parse_case`` itself, one by one, for the named problems, so a rejected row is said
in exactly the words ``secondline assess`` would use. The tests hold the set of rows
refused here equal to the set ``parse_case`` refuses.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import get_args

import polars as pl

from secondline._case import (
    FIRST_DAY,
    LAST_DAY,
    MAX_DRUGS,
    MAX_SYMPTOMS,
    MAX_TEXT,
    MAX_TREATMENTS,
    Disease,
    Donor,
    ExtramedullarySite,
    MrdMethod,
    Presence,
    Region,
    RelapseSite,
    Response,
    TreatmentType,
)

#: what Python's ``str.strip()`` removes (the case model strips dates with it)
PY_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def parsed_date(text: pl.Expr) -> pl.Expr:
    """ISO text as a date; null where it is not one (the checks refuse those rows)."""
    return text.str.strip_chars(PY_WHITESPACE).str.to_date("%Y-%m-%d", strict=False)


def _bad_date(text: pl.Expr) -> pl.Expr:
    """True where a date is given but is not an ISO calendar date between the limits."""
    stripped = text.str.strip_chars(PY_WHITESPACE)
    day = stripped.str.to_date("%Y-%m-%d", strict=False)
    ok = (stripped.str.contains(_ISO) & day.is_not_null()
          & day.is_between(FIRST_DAY, LAST_DAY))
    return text.is_not_null() & ~ok.fill_null(False)


def _not_in(value: pl.Expr, allowed: tuple[str, ...]) -> pl.Expr:
    return value.is_not_null() & ~value.is_in(list(allowed)).fill_null(False)


def _not_whole(value: pl.Expr) -> pl.Expr:
    return value.is_not_null() & ((value != value.floor()) | value.is_nan()
                                  | value.is_infinite()).fill_null(True)


def _too_long(text: pl.Expr) -> pl.Expr:
    return (text.str.strip_chars().str.len_chars() > MAX_TEXT).fill_null(False)


def _list_any(column: pl.Expr, test: pl.Expr) -> pl.Expr:
    """Any element of a list column passes ``test`` (written over ``pl.element()``)."""
    return column.list.eval(test).list.any().fill_null(False)


def _bad_text_list(column: pl.Expr, most: int) -> pl.Expr:
    element = pl.element()
    return (column.list.len() > most).fill_null(False) | _list_any(
        column, element.is_null() | _too_long(element))


def _bad_choice_list(column: pl.Expr, allowed: tuple[str, ...]) -> pl.Expr:
    element = pl.element()
    return (column.list.len() > len(allowed)).fill_null(False) | _list_any(
        column, element.is_null() | _not_in(element, allowed))


def invalid(as_of: dt.date | None) -> pl.Expr:
    """True for each row that is not a valid case, judged at ``as_of`` when it is given
    (it then replaces each case's own, as ``parse_case`` does)."""
    markers = pl.col("markers")
    a = pl.col("assessment")
    t = pl.element()
    treatments = pl.col("treatments")
    judged = pl.lit(as_of) if as_of else parsed_date(pl.col("as_of"))
    diagnosed = parsed_date(pl.col("diagnosed"))
    started = parsed_date(t.struct.field("started"))
    ended = parsed_date(t.struct.field("ended"))
    bad_treatment = (
        t.is_null()
        | (t.struct.field("drugs").list.len() > MAX_DRUGS).fill_null(False)
        | t.struct.field("drugs").list.eval(
            pl.element().is_null() | _too_long(pl.element())).list.any().fill_null(False)
        | _not_in(t.struct.field("type"), get_args(TreatmentType))
        | _not_in(t.struct.field("response"), get_args(Response))
        | _bad_date(t.struct.field("started")) | _bad_date(t.struct.field("ended"))
        | (ended < started).fill_null(False)
    )
    starts, ends = treatments.list.eval(started), treatments.list.eval(ended)
    latest = pl.max_horizontal(starts.list.max(), ends.list.max())
    earliest = pl.min_horizontal(starts.list.min(), ends.list.min())
    a_date = parsed_date(a.struct.field("date"))
    checks = [
        pl.lit(False) if as_of else _bad_date(pl.col("as_of")),
        _too_long(pl.col("id")),
        pl.col("age").is_null() | _not_whole(pl.col("age"))
        | ~pl.col("age").is_between(0, 120).fill_null(True),
        pl.col("disease").is_null() | _not_in(pl.col("disease"), get_args(Disease)),
        _bad_date(pl.col("diagnosed")),
        (diagnosed > judged).fill_null(False),
        _not_in(pl.col("philadelphia"), get_args(Presence)),
        *(_not_in(markers.struct.field(m), get_args(Presence)) for m in ("CD19", "CD20", "CD22")),
        (treatments.list.len() > MAX_TREATMENTS).fill_null(False),
        _list_any(treatments, bad_treatment),
        (latest > judged).fill_null(False),
        (earliest < diagnosed).fill_null(False),
        _bad_date(a.struct.field("date")),
        (a_date > judged).fill_null(False),
        (a_date < diagnosed).fill_null(False),
        ~a.struct.field("marrow_blasts_percent").is_between(0, 100).fill_null(True),
        _bad_choice_list(a.struct.field("extramedullary"), get_args(ExtramedullarySite)),
        _not_in(a.struct.field("mrd"), get_args(Presence)),
        _not_in(a.struct.field("mrd_method"), get_args(MrdMethod)),
        ~a.struct.field("mrd_percent").is_between(0, 100).fill_null(True),
        _not_in(pl.col("t315i"), get_args(Presence)),
        _not_whole(pl.col("relapses")) | (pl.col("relapses") < 0).fill_null(False),
        _bad_choice_list(pl.col("relapse_sites"), get_args(RelapseSite)),
        _not_in(pl.col("donor"), get_args(Donor)),
        _bad_text_list(pl.col("symptoms"), MAX_SYMPTOMS),
        _not_in(pl.col("region"), get_args(Region)),
    ]
    return pl.any_horizontal(checks).fill_null(True)
