"""What the store's templates are given: each case's summary line and plan, read from
its stored assessment as it was shown.

An assessment that carries ``summary`` and ``plan`` (newer engines) is shown with them;
an older one falls back to a summary line made of its own fields and the list of its
options. Nothing here works out a clinical answer: every word comes from the stored
assessment.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from secondline._knowledge import knowledge_version
from secondline._store import override_reasons
from secondline._web.view import CATEGORIES

#: the longest summary line shown (the engine's own are at most 300 characters)
SUMMARY_LIMIT = 300


def summary_line(assessment: dict[str, Any]) -> str:
    """The assessment's ``summary``, or one line made of its disease, state and counts."""
    given = assessment.get("summary")
    if isinstance(given, str) and given.strip():
        return given.strip()[:SUMMARY_LIMIT]
    state = assessment["status"]["state"]
    options = len(assessment.get("options", []))
    missing = len(assessment.get("missing", []))
    line = (f"{assessment['disease']}, {state}; {options} option"
            f"{'' if options == 1 else 's'} the sources describe")
    if missing:
        line += f"; {missing} fact{'' if missing == 1 else 's'} missing that would change them"
    return line + "."


def plan_steps(assessment: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The assessment's ``plan`` with each option's name beside its id; None when the
    assessment has no plan (the page then lists the options)."""
    plan = assessment.get("plan")
    if not isinstance(plan, list) or not plan:
        return None
    names = {o["id"]: o for o in assessment.get("options", [])}
    steps = []
    for step in plan:
        if not isinstance(step, dict):
            continue
        ids = [i for i in step.get("options", []) if isinstance(i, str)]
        steps.append({
            "step": step.get("step"), "title": str(step.get("title", "")),
            "choose_one": step.get("choose") == "one",
            "options": [{"id": i, "name": names[i]["name"] if i in names else i,
                         "availability": names[i]["availability"] if i in names else None}
                        for i in ids],
        })
    return steps or None


def grouped_options(assessment: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    by_category: dict[str, list[dict[str, Any]]] = {}
    for option in assessment.get("options", []):
        by_category.setdefault(option.get("category", ""), []).append(option)
    order = [*CATEGORIES, *sorted(set(by_category) - set(CATEGORIES))]
    return [(CATEGORIES.get(c, c), by_category[c]) for c in order if c in by_category]


def _case_view(case: dict[str, Any]) -> dict[str, Any]:
    assessment = case["assessment"]
    latest = case["decisions"][-1] if case["decisions"] else None
    return {**case, "summary": summary_line(assessment), "plan": plan_steps(assessment),
            # assessed with other knowledge than this program's: the team is told
            "earlier_knowledge": case["knowledge_version"] != knowledge_version(),
            "groups": grouped_options(assessment), "latest": latest,
            "option_names": {o["id"]: o["name"] for o in assessment.get("options", [])}}


def meeting_context(detail: dict[str, Any], problems: dict[str, list[str]],
                    typed: dict[str, Any]) -> dict[str, Any]:
    return {"meeting": detail, "cases": [_case_view(c) for c in detail["cases"]],
            "reasons": override_reasons(), "problems": problems, "typed": typed}


def case_context(detail: dict[str, Any]) -> dict[str, Any]:
    assessments = [{**a, "summary": summary_line(a["assessment"]),
                    "option_ids": [o["id"] for o in a["assessment"]["options"]]}
                   for a in detail["assessments"]]
    latest = detail["assessments"][-1]["assessment"]
    names = {o["id"]: o["name"] for a in detail["assessments"]
             for o in a["assessment"]["options"]}
    versions = detail["versions"]
    changes = {later["version"]: sorted(k for k in {*earlier["case"], *later["case"]}
                                        if earlier["case"].get(k) != later["case"].get(k))
               for earlier, later in pairwise(versions)}
    return {"case": detail, "assessments": assessments, "option_names": names,
            "changes": changes,
            "latest": {"summary": summary_line(latest), "plan": plan_steps(latest),
                       "assessment": latest,
                       "groups": grouped_options(latest)}}
