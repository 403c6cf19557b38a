"""The cohort's numbers: counts by disease, state and option, the missing facts ranked by
how many options they would change, the cautions (added up batch by batch during the
run, ``_tally``), and the concordance of recorded MDT decisions with the suggested
options (from ``assessments.parquet``).

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


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


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
    tables = counts.tally.tables(scan, settings.guidance is not None)
    by, cautions = tables["by"], tables["cautions"]
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
        "options": _records(tables["options"]),
        "missing": _records(tables["missing"]),
        "cautions": _records(cautions.rename({"cautions": "caution"})),
        "guidance_items": _records(tables["guidance"]) if settings.guidance else None,
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
