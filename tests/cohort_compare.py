"""The cohort engine's row and the per-case assessment, in the same terms, to compare."""

from __future__ import annotations

from typing import Any

from secondline import Assessment

_NOT = {"excluded": "excluded", "not_indicated": "not-indicated", "undecided": "undecided"}


def from_assessment(result: Assessment) -> dict[str, Any]:
    return {
        "state": result.status.state,
        "options_standard": [o.id for o in result.options if o.availability == "standard"],
        "options_clinical_trial": [o.id for o in result.options
                                   if o.availability == "clinical-trial"],
        "not_suggested": {n.id: n.outcome for n in result.not_suggested},
        "missing": {m.field: m.affects for m in result.missing},
        "cautions": [c.id for c in result.cautions],
        **({} if result.guidance is None else {
            "guidance": [(i.id, i.outcome, i.option) for i in result.guidance.items],
            "guidance_missing": {m.field: m.affects for m in result.guidance.missing},
        }),
    }


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "state": row["state"],
        "options_standard": row["options_standard"],
        "options_clinical_trial": row["options_clinical_trial"],
        "not_suggested": {i: outcome for column, outcome in _NOT.items() for i in row[column]},
        "missing": {m["field"]: m["affects"] for m in row["missing"]},
        "cautions": row["cautions"],
        **({} if "guidance" not in row else {
            "guidance": [(i["id"], i["outcome"], i["option"]) for i in row["guidance"]],
            "guidance_missing": {m["field"]: m["affects"] for m in row["guidance_missing"]},
        }),
    }
