"""Whole cohorts at once: a vectorised engine with the same answers as ``assess``.

Readers turn an input (NDJSON or Parquet of native cases, a FHIR Bulk Data export read
patient by patient with the FHIR reader, the case store) into frames of ``CASE_SCHEMA``;
the checks split off the rows that are not valid cases; the engine assesses the rest a
whole frame at a time (in this process or on a Dask cluster), with the per-case engine
as the fallback for a batch it cannot run (``_percase``); the run writes the
assessments, a summary and a report. The per-case engine, the FHIR package and the
store never import this package; it imports no interface.

    _frame.py      the case as columns           _read.py        NDJSON, Parquet, checks
    _validate.py   which rows are valid cases    _fhir_bulk.py   FHIR Bulk Data folders
    _derive.py     derived facts, history        _store_read.py  the case store (read only)
    _dates.py      calendar months as columns    _run.py         batches, outputs, progress
    _expr.py       condition trees -> Polars     _dask.py        the same on Dask
    _engine.py     options, missing, cautions    _summary.py     summary.json
    _guidance.py   the current-guidance layer    _report.py      report.html and the plots
    _percase.py    the per-case fallback        _tally.py       the summary's counts
"""

from secondline._cohort._engine import CohortEngine, cohort_engine
from secondline._cohort._frame import CASE_SCHEMA, frame_of, row_case

__all__ = ["CASE_SCHEMA", "CohortEngine", "cohort_engine", "frame_of", "row_case"]
