"""Whole cohorts at once: a vectorised engine with the same answers as ``assess``.

Readers turn an input (NDJSON or Parquet of native cases; later FHIR Bulk Data and the
case store) into frames of ``CASE_SCHEMA``; the checks split off the rows that are not
valid cases; the engine assesses the rest a whole frame at a time; the run writes the
assessments, a summary and a report. The per-case engine never imports this package.
"""

from secondline._cohort._engine import CohortEngine, cohort_engine
from secondline._cohort._frame import CASE_SCHEMA, frame_of, row_case

__all__ = ["CASE_SCHEMA", "CohortEngine", "cohort_engine", "frame_of", "row_case"]
