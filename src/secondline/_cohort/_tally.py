"""The summary's counts, added up a batch at a time as the assessments are made.

Each assessed batch is counted on its own while it is still in memory (while the next
batches are being assessed): cases by disease and state, each option by outcome, each
missing field (cases, options changed, the options), each caution and each item of the
current guidance. The counts of all batches are then added up into the tables of
``summary.json``, exactly as counting all the rows at once would give them, so the
summary never reads the assessments back and costs little whatever the cohort's size.
"""

from __future__ import annotations

import polars as pl

#: the option lists of an output row, and the outcome each holds
OUTCOMES = {"options_standard": "standard", "options_clinical_trial": "clinical-trial",
            "excluded": "excluded", "not_indicated": "not-indicated",
            "undecided": "undecided"}


def _counts(rows: pl.LazyFrame, guidance: bool) -> dict[str, pl.LazyFrame]:
    """The counts of some output rows, by table."""
    found = {
        "by": rows.group_by("disease", "state").agg(pl.len().alias("cases")),
        "missing": rows.select(pl.col("missing").explode()).drop_nulls().unnest("missing")
        .group_by("field").agg(
            pl.len().alias("cases"),
            pl.col("affects").list.len().sum().alias("options_changed"),
            pl.col("affects").explode().unique().alias("options"),
        ),
        "cautions": rows.select(pl.col("cautions").explode()).drop_nulls().group_by(
            "cautions").agg(pl.len().alias("cases")),
        **{outcome: rows.select(pl.col(column).explode().alias("option")).drop_nulls()
           .group_by("option").agg(pl.len().alias(outcome))
           for column, outcome in OUTCOMES.items()},
    }
    if guidance:
        found["guidance"] = rows.select(pl.col("guidance").explode()).drop_nulls().unnest(
            "guidance").group_by("id", "outcome", "option").agg(pl.len().alias("cases"))
    return found


class Tally:
    """The counts of the batches added so far."""

    def __init__(self) -> None:
        self.parts: dict[str, list[pl.DataFrame]] = {}

    def add(self, result: pl.DataFrame) -> None:
        """Count an assessed batch (rows of the output)."""
        queries = _counts(result.lazy(), "guidance" in result.columns)
        for name, frame in zip(queries, pl.collect_all(list(queries.values())), strict=True):
            self.parts.setdefault(name, []).append(frame)

    def tables(self, rows: pl.LazyFrame, guidance: bool) -> dict[str, pl.DataFrame]:
        """The summary's tables: the batches' counts added up (``rows``, all the output
        rows, are counted instead when no batch was)."""
        if not self.parts:
            queries = _counts(rows, guidance)
            self.parts = {name: [frame] for name, frame in
                          zip(queries, pl.collect_all(list(queries.values())), strict=True)}
        every = {name: pl.concat(frames) for name, frames in self.parts.items()
                 if name not in OUTCOMES.values()}
        tables = {
            "by": every["by"].group_by("disease", "state").agg(pl.col("cases").sum()).sort(
                "disease", "state"),
            "missing": every["missing"].group_by("field").agg(
                pl.col("cases").sum(), pl.col("options_changed").sum(),
                pl.col("options").explode().unique().sort(),
            ).sort(["options_changed", "field"], descending=[True, False]),
            "cautions": every["cautions"].group_by("cautions").agg(pl.col("cases").sum())
            .sort("cases", descending=True),
        }
        options = pl.concat([f for o in OUTCOMES.values() for f in self.parts[o]],
                            how="diagonal").group_by("option").agg(
            pl.col(o).sum() for o in OUTCOMES.values())
        tables["options"] = options.with_columns(
            (pl.col("standard") + pl.col("clinical-trial")).alias("suggested")
        ).sort(["suggested", "option"], descending=[True, False])
        if "guidance" in every:
            tables["guidance"] = every["guidance"].group_by("id", "outcome", "option").agg(
                pl.col("cases").sum()).sort(["id", "outcome"])
        return tables
