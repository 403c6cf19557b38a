"""The current-guidance layer over a whole frame: ``_guidance.apply_guidance`` as columns.

Only on request (``--guidance current``), exactly as for one case: the pages' answer is
worked out first and never changed; the layer's items are then judged against the same
facts and the options the pages suggest. Each item gives one outcome column (null where
the item does not apply), in the order of the layer; the output keeps, per case, the
items that apply with their outcome and the option they speak about, and the fields
whose value would decide an item now undecided (``guidance_missing``).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from secondline._cohort._expr import any_of
from secondline._conditions import Condition, facts_used
from secondline._facts import FACTS
from secondline._guidance import GuidanceLayer

GUIDANCE_ITEM = pl.Struct({"id": pl.String, "outcome": pl.String, "option": pl.String})
GUIDANCE_MISSING = pl.Struct({"field": pl.String, "affects": pl.List(pl.String)})
#: the columns the layer adds to an output row
GUIDANCE_COLUMNS = pl.Schema([("guidance", pl.List(GUIDANCE_ITEM)),
                              ("guidance_missing", pl.List(GUIDANCE_MISSING))])


def guidance_columns(
    layer: GuidanceLayer, truth: Callable[[Condition], pl.Expr], listed: set[str],
    suggested_outcomes: list[pl.Expr],
) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Two stages of expressions: each item's outcome column, then the two output
    columns made from them. ``truth`` gives a tree's truth over the facts (null: not
    known); ``listed`` the options with an outcome column (``<id>|outcome``), and
    ``suggested_outcomes`` the values of that column that mean suggested."""
    outcomes: list[pl.Expr] = []
    entries: list[pl.Expr] = []
    missing: dict[str, list[pl.Expr]] = {}
    for number, c in enumerate(layer.items):
        item = c.item
        applies = truth(item.applies_when).eq(True).fill_null(False)
        option = item.option
        column = pl.col(f"{option}|outcome")
        suggested = (any_of(column == value for value in suggested_outcomes).fill_null(False)
                     if option in listed else pl.lit(False))
        if item.effect != "widens" and option is not None:
            applies = applies & suggested
        covered = pl.lit(True) if item.covered_when is None else truth(item.covered_when)
        if item.effect in ("withdrawn", "noted"):
            said = pl.lit(item.effect)
        elif item.effect == "widens":
            said = (pl.when(covered.is_null()).then(pl.lit("undecided"))
                    .when(covered).then(pl.when(suggested).then(pl.lit("supports"))
                                        .otherwise(pl.lit("widens"))))
        else:
            said = (pl.when(covered.is_null()).then(pl.lit("undecided"))
                    .when(covered).then(pl.lit("supports")).otherwise(pl.lit("narrows")))
        name = f"guidance|{number}"
        outcomes.append(pl.when(applies).then(said).otherwise(None).alias(name))
        shown = item.new_option.id if item.new_option else option
        entries.append(pl.when(pl.col(name).is_not_null()).then(pl.struct(
            pl.lit(item.id).alias("id"), pl.col(name).alias("outcome"),
            pl.lit(shown, dtype=pl.String).alias("option"))))
        if item.covered_when is not None:
            undecided = pl.col(name) == "undecided"
            for fact in sorted(facts_used(item.covered_when)):
                missing.setdefault(FACTS[fact].field, []).append(
                    pl.when(undecided & pl.col(fact).is_null()).then(pl.lit(item.id)))
    items = (pl.concat_list(entries).list.drop_nulls() if entries
             else pl.lit([], dtype=pl.List(GUIDANCE_ITEM)))
    fields = [pl.struct(pl.lit(field).alias("field"),
                        pl.concat_list(parts).list.drop_nulls().list.unique().list.sort()
                        .alias("affects"))
              for field, parts in sorted(missing.items())]
    gaps = (pl.concat_list(fields).list.eval(
        pl.element().filter(pl.element().struct.field("affects").list.len() > 0))
        if fields else pl.lit([], dtype=pl.List(GUIDANCE_MISSING)))
    return outcomes, [items.cast(pl.List(GUIDANCE_ITEM)).alias("guidance"),
                      gaps.cast(pl.List(GUIDANCE_MISSING)).alias("guidance_missing")]
