"""The MDT form and the case, both ways: form fields -> case data -> form fields.

Field names are the case's own paths (``markers.CD19``, ``treatments[0].started``), so
a problem the case model reports ("treatments[0].ended: the end date is before the
start date") lands next
to the input it names. A value that does not convert (``age`` = ``abc``) is passed on
as typed, so the case model names it rather than the form dropping it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from secondline._case import MAX_TREATMENTS

INTS = {"age", "relapses"}
NUMBERS = {"assessment.marrow_blasts_percent", "assessment.mrd_percent"}
YES_NO = {
    "fit_for_intensive_treatment", "assessment.blood_counts_normal", "previous_transplant",
    "wishes.active_treatment", "wishes.clinical_trials", "transplant_eligible",
}
#: free text, comma-separated
TEXT_LISTS = {"treatments[].drugs", "symptoms"}
#: ticked boxes
CHOICE_LISTS = {"relapse_sites", "assessment.extramedullary"}
#: the box that says "none found", as opposed to "not assessed" (nothing ticked)
NONE_FOUND = "none-found"

#: every field the form has an input (or a group of inputs) for, list positions blanked
FORM_FIELDS = frozenset({
    "id", "age", "diagnosed", "as_of", "disease", "region", "philadelphia",
    "markers.CD19", "markers.CD20", "markers.CD22", "fit_for_intensive_treatment",
    "wishes.active_treatment", "wishes.clinical_trials", "treatments", "treatments[]",
    "treatments[].drugs", "treatments[].type", "treatments[].started", "treatments[].ended",
    "treatments[].response", "assessment.date", "assessment.marrow_blasts_percent",
    "assessment.blood_counts_normal", "assessment.extramedullary", "assessment.mrd",
    "assessment.mrd_method", "relapses", "donor", "symptoms", "relapse_sites",
    "previous_transplant", "assessment.mrd_percent", "transplant_eligible", "t315i",
})
_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d{1,9})\]")
#: list positions the form builds: one past the case's own limit, so that a longer list
#: is reported by the case model, and no request can make the server build a huge list
MAX_ROWS = MAX_TREATMENTS + 1
_ROW = re.compile(r"treatments\[(\d{1,9})\]")
_INT = re.compile(r"[+-]?\d{1,9}")


def _steps(path: str) -> list[str | int] | None:
    """``treatments[1].ended`` -> ``["treatments", 1, "ended"]``; None for a path the form
    does not read (malformed, or a position past ``MAX_ROWS``)."""
    steps: list[str | int] = []
    pos = 0
    for match in _TOKEN.finditer(path):
        if match.start() != pos and path[pos:match.start()] != ".":
            return None
        name, index = match.groups()
        if index is not None and int(index) >= MAX_ROWS:
            return None
        steps.append(name if name is not None else int(index))
        pos = match.end()
    return steps if steps and pos == len(path) else None


#: what the form calls each field, for the summary of problems above it
LABELS = {
    "id": "Case reference", "age": "Age", "diagnosed": "Date of first diagnosis",
    "as_of": "Judge the case at", "disease": "Disease", "region": "Where care is given",
    "philadelphia": "Philadelphia chromosome", "markers.CD19": "CD19", "markers.CD20": "CD20",
    "markers.CD22": "CD22", "fit_for_intensive_treatment": "Fit for intensive treatment",
    "wishes.active_treatment": "Wants treatment aimed at the leukaemia",
    "wishes.clinical_trials": "Open to a clinical trial", "treatments": "Earlier treatments",
    "treatments[]": "", "treatments[].drugs": "drugs", "treatments[].type": "type",
    "treatments[].started": "started", "treatments[].ended": "ended",
    "treatments[].response": "best response", "assessment": "Latest assessment",
    "assessment.date": "Latest assessment: date",
    "assessment.marrow_blasts_percent": "Latest assessment: blasts in the bone marrow",
    "assessment.blood_counts_normal": "Latest assessment: blood counts normal",
    "assessment.extramedullary": "Latest assessment: leukaemia outside the bone marrow",
    "assessment.mrd": "Latest assessment: MRD", "assessment.mrd_method": "How MRD was measured",
    "relapses": "Relapses so far", "donor": "Stem cell donor", "symptoms": "Symptoms",
    "relapse_sites": "Where the disease has come back",
    "previous_transplant": "Has had a stem cell transplant",
    "assessment.mrd_percent": "Latest assessment: MRD level (%)",
    "transplant_eligible": "Eligible for an allogeneic transplant",
    "t315i": "T315I mutation",
}
_ROW_OF = re.compile(r"treatments\[(\d+)\]")


def label_for(path: str) -> str:
    """A field in the form's words: ``treatments[1].ended`` -> ``Treatment 2: ended``."""
    words = LABELS.get(kind_of(path), path)
    row = _ROW_OF.match(path)
    if row is None:
        return words
    return f"Treatment {int(row[1]) + 1}" + (f": {words}" if words else "")


def kind_of(path: str) -> str:
    """A field's path with list positions blanked: ``treatments[2].drugs`` ->
    ``treatments[].drugs``."""
    return re.sub(r"\[\d+\]", "[]", path)


def _convert(kind: str, values: list[str]) -> Any:
    """The case value for one form field, or None to leave the field out."""
    if kind in CHOICE_LISTS:
        chosen = [v for v in values if v and v != NONE_FOUND]
        return chosen or ([] if NONE_FOUND in values else None)
    raw = values[-1] if values else ""
    text = raw.strip()
    if not text:
        return None
    if kind in TEXT_LISTS:
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind in INTS:
        return int(text) if _INT.fullmatch(text) else text
    if kind in NUMBERS:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    if kind in YES_NO:
        return {"true": True, "false": False}.get(text, text)
    return raw  # as typed: the case model trims it by its own rule


def _put(data: dict[str, Any], steps: list[str | int], value: Any) -> None:
    """Set a value at a path, making the lists and mappings on the way. A path that
    clashes with one already set (``age`` and ``age.x``) is ignored, never an error."""
    node: Any = data
    for step, following in itertools.pairwise(steps):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int) and isinstance(node, list):
            node.extend([None] * (step + 1 - len(node)))
            if node[step] is None:
                node[step] = empty
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict):
            node = node.setdefault(step, empty)
        else:
            return
    last = steps[-1]
    if isinstance(last, str) and isinstance(node, dict):
        node[last] = value


def case_from_form(
    fields: Iterable[tuple[str, str]], *, keep_empty_rows: bool = False
) -> dict[str, Any]:
    """The case data a submitted form describes. Empty fields are left out; so is a
    treatment row left wholly empty, unless ``keep_empty_rows`` (rows keep their places
    while the form is being edited)."""
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    data: dict[str, Any] = {}
    too_many = False
    for name, values in grouped.items():
        steps = _steps(name)
        if steps is None or name.startswith("_"):
            row = _ROW.match(name)
            too_many = too_many or (row is not None and int(row[1]) >= MAX_ROWS)
            continue
        value = _convert(kind_of(name), values)
        if value is not None:
            _put(data, steps, value)
    if isinstance(data.get("treatments"), list):
        rows = [row or {} for row in data["treatments"] if row or keep_empty_rows]
        if rows:
            data["treatments"] = rows
        else:
            del data["treatments"]
    if too_many:  # rows past the limit were not built: say so through the case's own limit
        data["treatments"] = [*data.get("treatments", []),
                              *[{}] * (MAX_ROWS - len(data.get("treatments", [])))]
    # the MRD choice always submits its default: with nothing else, no assessment was given
    if data.get("assessment") == {"mrd": "unknown"}:
        del data["assessment"]
    return data


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class FormView:
    """What the form shows: the values of a case (valid or not) and its problems."""

    def __init__(self, data: Mapping[str, Any] | None = None,
                 problems: Iterable[str] = ()) -> None:
        self.data: Mapping[str, Any] = data or {}
        self.errors: dict[str, list[str]] = {}
        self.unplaced: list[str] = []
        for line in problems:
            field, sep, message = line.partition(": ")
            if sep and kind_of(field) in FORM_FIELDS:
                self.errors.setdefault(field, []).append(message)
            else:
                self.unplaced.append(line)

    def raw(self, path: str) -> Any:
        steps = _steps(path)
        if steps is None:  # a path the form does not read shows nothing, never the case
            return None
        node: Any = self.data
        for step in steps:
            if isinstance(step, int):
                ok = isinstance(node, list) and step < len(node)
                node = node[step] if ok else None
            else:
                node = node.get(step) if isinstance(node, Mapping) else None
        return node

    def value(self, path: str) -> str:
        raw = self.raw(path)
        if isinstance(raw, list) and kind_of(path) in TEXT_LISTS:
            return ", ".join(_text(v) for v in raw)
        return _text(raw)

    def is_chosen(self, path: str, option: str, default: str = "") -> bool:
        raw = self.raw(path)
        if isinstance(raw, list):
            return option == NONE_FOUND if raw == [] else option in [_text(v) for v in raw]
        return (_text(raw) if raw is not None else default) == option

    def treatment_rows(self) -> int:
        raw = self.data.get("treatments")
        return min(len(raw), MAX_ROWS) if isinstance(raw, list) else 0

    def errors_for(self, path: str) -> list[str]:
        return self.errors.get(path, [])

    def row_errors(self) -> list[tuple[str, str]]:
        """Problems with the treatment list or a whole row, as (path, messages)."""
        return [
            (path, "; ".join(messages)) for path, messages in self.errors.items()
            if kind_of(path) in ("treatments", "treatments[]")
        ]


def input_id(path: str) -> str:
    """The HTML id of a field's input: ``treatments[1].ended`` -> ``f-treatments-1-ended``."""
    return "f-" + re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-")
