"""The cohort's numbers, from ``assessments.parquet``: counts by disease, state and option,
the missing facts ranked by how many options they would change, the cautions, and the
concordance of recorded MDT decisions with the suggested options.

A decisions table (Parquet or NDJSON, ``--decisions``) has one row per decision:
``case_id`` (or ``row``, the input row), ``chosen`` (option ids, a list or text separated
by commas), optionally ``among_suggested`` (what the MDT recorded) and
``override_reason`` (a code, when the choice was not among the suggestions). With
``--db`` the store gives the same columns (``_store_read.store_decisions``), keyed by
row. A decision is concordant when every option chosen is among those the cohort run
suggests (standard or within a trial); ``recorded_differs`` counts the decisions where
the team's own record, made against the assessment shown at the meeting, says
otherwise (a newer version of the case, another date or another knowledge version).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from secondline import __version__
from secondline._errors import CaseError

if TYPE_CHECKING:
    from secondline._cohort._run import Counts, Settings

_SUGGESTED = ("options_standard", "options_clinical_trial")
_NOT = {"excluded": "excluded", "not_indicated": "not-indicated", "undecided": "undecided"}


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def _options(scan: pl.LazyFrame) -> list[dict[str, Any]]:
    """Per option: how many cases it was suggested for (by availability), and not."""
    parts = []
    for column, outcome in [("options_standard", "standard"),
                            ("options_clinical_trial", "clinical-trial"),
                            *((c, o) for c, o in _NOT.items())]:
        parts.append(scan.select(pl.col(column).explode().alias("option")).drop_nulls()
                     .group_by("option").agg(pl.len().alias(outcome)))
    table = pl.concat([p.collect() for p in parts], how="diagonal").group_by("option").agg(
        pl.col(o).sum() for o in ("standard", "clinical-trial", *_NOT.values()))
    table = table.with_columns(
        (pl.col("standard") + pl.col("clinical-trial")).alias("suggested")
    ).sort(["suggested", "option"], descending=[True, False])
    return _records(table)


def _missing(scan: pl.LazyFrame) -> list[dict[str, Any]]:
    """Per case field: the cases where it is missing and the options it would change,
    ranked by options changed (summed over the cases)."""
    table = scan.select(pl.col("missing").explode()).drop_nulls().unnest("missing").group_by(
        "field").agg(
        pl.len().alias("cases"),
        pl.col("affects").list.len().sum().alias("options_changed"),
        pl.col("affects").explode().unique().sort().alias("options"),
    ).sort(["options_changed", "field"], descending=[True, False]).collect()
    return _records(table)


def _chosen(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v) for v in value or []]


def _read_decisions(path: str) -> pl.DataFrame:
    """The decisions table, with ``chosen`` as a list of option ids whichever way it was
    written (a decisions file is small: its rows are read one by one)."""
    try:
        if path.lower().endswith((".parquet", ".pq")):
            rows = pl.read_parquet(path).to_dicts()
        else:
            with open(path, encoding="utf-8") as stream:
                rows = [json.loads(line) for line in stream if line.strip()]
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        raise CaseError([f"{path}: cannot be read as a decisions table ({exc})"]) from None
    if not all(isinstance(r, dict) for r in rows):
        raise CaseError([f"{path}: each decision must be an object"])
    key = "case_id" if any("case_id" in r for r in rows) else "row"
    if not all(key in r and "chosen" in r for r in rows):
        raise CaseError([f"{path}: each decision needs case_id (or row) and chosen"])
    schema = {key: pl.String if key == "case_id" else pl.Int64, "chosen": pl.List(pl.String),
              "among_suggested": pl.Boolean, "override_reason": pl.String}
    return pl.DataFrame([
        {key: r[key] if key == "row" else (None if r[key] is None else str(r[key])),
         "chosen": _chosen(r["chosen"]), "among_suggested": r.get("among_suggested"),
         "override_reason": r.get("override_reason")} for r in rows
    ], schema=schema, orient="row")


def _mean(values: pl.Series) -> float:
    found = values.cast(pl.Float64).mean()
    return found if isinstance(found, float) else 0.0


def concordance(scan: pl.LazyFrame, decisions: pl.DataFrame) -> dict[str, Any]:
    """How often the recorded decisions chose among the suggested options, by disease and
    by override reason."""
    key = decisions.columns[0]
    cases = scan.select(
        pl.col("case_id" if key == "case_id" else "row"), "disease",
        pl.concat_list(*_SUGGESTED).alias("suggested")).collect()
    if key == "case_id":
        cases = cases.filter(pl.col("case_id").is_not_null()).unique("case_id", keep="first")
    joined = decisions.join(cases, on=key, how="left")
    joined = joined.with_columns(
        pl.when(pl.col("disease").is_null()).then(None).when(pl.col("chosen").list.len() == 0)
        .then(None).otherwise(
            pl.col("chosen").list.set_difference(pl.col("suggested")).list.len() == 0)
        .alias("concordant"))
    matched = joined.filter(pl.col("disease").is_not_null())

    def rates(by: str) -> list[dict[str, Any]]:
        table = matched.group_by(by).agg(
            pl.len().alias("decisions"),
            pl.col("concordant").sum().alias("concordant"),
        ).with_columns((pl.col("concordant") / pl.col("decisions")).round(3).alias("rate"))
        return _records(table.sort(by, nulls_last=True))

    recorded = matched.filter(pl.col("among_suggested").is_not_null())
    return {
        "decisions": len(decisions),
        "matched": len(matched),
        "unmatched": len(decisions) - len(matched),
        "concordant": int(matched["concordant"].sum()),
        "rate": round(_mean(matched["concordant"]), 3),
        "by_disease": rates("disease"),
        "by_override_reason": rates("override_reason"),
        "recorded_differs": int((recorded["among_suggested"] != recorded["concordant"]).sum()),
    }


def _guidance(scan: pl.LazyFrame) -> list[dict[str, Any]]:
    """Per item of the current guidance and outcome: the cases it applies to."""
    table = scan.select(pl.col("guidance").explode()).drop_nulls().unnest("guidance").group_by(
        "id", "outcome", "option").agg(pl.len().alias("cases")).sort(
        ["id", "outcome"]).collect()
    return _records(table)


def _concordance(scan: pl.LazyFrame, settings: Settings) -> dict[str, Any] | None:
    """From the store's decisions (``--db``), else a decisions file, else none."""
    if settings.reader == "store":
        from secondline._cohort._store_read import store_decisions

        found = concordance(scan, store_decisions(settings.source))
        found["from"] = "the case store: each case's latest decision"
        return found
    if settings.decisions:
        found = concordance(scan, _read_decisions(settings.decisions))
        found["from"] = "the decisions file"
        return found
    return None


def summarise(out: Path, counts: Counts, settings: Settings, today: dt.date
              ) -> dict[str, Any]:
    scan = pl.scan_parquet(out / "assessments.parquet")
    by = scan.group_by("disease", "state").agg(pl.len().alias("cases")).sort(
        "disease", "state").collect()
    cautions = scan.select(pl.col("cautions").explode()).drop_nulls().group_by(
        "cautions").agg(pl.len().alias("cases")).sort("cases", descending=True).collect()
    source = settings.source
    if settings.reader == "store":
        from secondline._store.db import shown

        source = shown(source)  # never a password
    summary: dict[str, Any] = {
        "secondline": __version__,
        "input": source,
        "engine": settings.engine,
        "judged_on": (settings.as_of or today).isoformat(),
        "as_of": "given" if settings.as_of else "each case's own, else the day of the run",
        "rows_read": counts.read,
        "assessed": counts.assessed,
        "rejected": counts.rejected,
        "checked_one_by_one": counts.one_by_one,
        "per_case_engine_fallback": counts.per_case,
        "guidance": settings.guidance,
        "seconds": round(counts.seconds, 3),
        "by_disease": _records(by.group_by("disease").agg(pl.col("cases").sum())
                               .sort("disease")),
        "by_state": _records(by.group_by("state").agg(pl.col("cases").sum()).sort("state")),
        "by_disease_and_state": _records(by),
        "options": _options(scan),
        "missing": _missing(scan),
        "cautions": _records(cautions.rename({"cautions": "caution"})),
        "guidance_items": _guidance(scan) if settings.guidance else None,
        "concordance": _concordance(scan, settings),
        **counts.extra,
    }
    return summary


def write_outputs(settings: Settings, counts: Counts, today: dt.date) -> None:
    from secondline._cohort._report import write_report

    summary = summarise(settings.out, counts, settings, today)
    (settings.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n",
                                               encoding="utf-8")
    write_report(settings.out, summary)
