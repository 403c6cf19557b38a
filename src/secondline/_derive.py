"""From a case and its status to the named facts the knowledge tests."""

from __future__ import annotations

from secondline._case import Case
from secondline._dates import months_between, whole_years_between
from secondline._facts import FactValue
from secondline._history import after_first_remission, best_response
from secondline._knowledge import Knowledge
from secondline._status import Status


def _known(value: str) -> str | None:
    return None if value == "unknown" else value


def resolve_drugs(knowledge: Knowledge, names: list[str]) -> tuple[frozenset[str], list[str]]:
    """Canonical drug ids for names as written, and the names the knowledge does not know."""
    ids: set[str] = set()
    unknown: list[str] = []
    for name in names:
        found = knowledge.canonical_drugs(name)
        if found:
            ids.update(found)
        else:
            unknown.append(name)
    return frozenset(ids), unknown


def derive_facts(
    case: Case, status: Status, knowledge: Knowledge
) -> tuple[dict[str, FactValue], list[str]]:
    """The fact values for one case, and the drug names that were not recognised."""
    all_names = [name for t in case.treatments for name in t.drugs]
    received, unknown = resolve_drugs(knowledge, all_names)
    history = list(status.history)
    last_names = [name for t in history[-1].treatments for name in t.drugs] if history else []
    last_drugs: frozenset[str] | None = resolve_drugs(knowledge, last_names)[0]
    if not history and case.treatments:
        last_drugs = None  # treatments without dates cannot say which came last
    following = after_first_remission(history)
    a = case.assessment
    extramedullary = None if a is None or a.extramedullary is None else frozenset(a.extramedullary)
    cns: bool | None
    sites = case.relapse_sites or []
    if "cns" in sites or (extramedullary is not None and "cns" in extramedullary):
        cns = True
    elif extramedullary is not None:
        cns = False
    else:
        cns = None

    today = case.judged_on()
    to_relapse = None
    if case.diagnosed and status.relapse_date:
        to_relapse = months_between(case.diagnosed, status.relapse_date)
    age_at_diagnosis = None
    if case.diagnosed:
        age_at_diagnosis = max(case.age - whole_years_between(case.diagnosed, today), 0)

    facts: dict[str, FactValue] = {
        "disease": case.disease,
        "age": case.age,
        "philadelphia": _known(case.philadelphia),
        "markers.CD19": _known(case.markers.CD19),
        "markers.CD20": _known(case.markers.CD20),
        "markers.CD22": _known(case.markers.CD22),
        "fit_for_intensive_treatment": case.fit_for_intensive_treatment,
        "state": _known(status.state),
        "relapses": case.relapses,
        "relapse_sites": None if case.relapse_sites is None else frozenset(case.relapse_sites),
        "extramedullary": extramedullary,
        "cns_involved": cns,
        "previous_transplant": case.previous_transplant,
        "donor": _known(case.donor),
        "symptoms": frozenset(s.lower() for s in case.symptoms),
        "wishes.active_treatment": case.wishes.active_treatment,
        "wishes.clinical_trials": case.wishes.clinical_trials,
        "region": case.region,
        "months_since_last_treatment": status.months_since_last_treatment,
        "remission_length_months": status.remission_length_months,
        "drugs_received": received,
        "last_treatment_drugs": last_drugs,
        "best_response": best_response(case.treatments),
        "last_response": best_response(history[-1].treatments) if history else None,
        "mrd": _known(status.mrd),
        "months_from_diagnosis_to_relapse": to_relapse,
        "age_at_diagnosis": age_at_diagnosis,
        "reinduction_response": best_response(following.treatments) if following else None,
    }
    return facts, unknown

