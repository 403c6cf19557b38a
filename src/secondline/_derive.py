"""From a case and its status to the named facts the knowledge tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from secondline._case import Case, Treatment
from secondline._dates import months_between, whole_years_between
from secondline._facts import FactValue
from secondline._history import Course, after_latest_relapse, best_response, courses
from secondline._knowledge import Knowledge, symptom_key
from secondline._status import Status


class Given(NamedTuple):
    """An earlier treatment placed in the history, with what its names mean to the
    knowledge. Worked out once per case, so that each option's holds compare sets
    instead of looking every name up again."""

    course: Course
    #: canonical drug ids of its names, and its kinds (its type and its drugs' kinds)
    drugs: frozenset[str]
    kinds: frozenset[str]


class Group(NamedTuple):
    """Earlier treatments the holds judge together (those of one dated episode, or one
    undated treatment), with the drug ids and kinds of them all."""

    members: tuple[Given, ...]
    drugs: frozenset[str]
    kinds: frozenset[str]


@dataclass(frozen=True, slots=True)
class Derived:
    """What the engine works out from a case before it asks the knowledge anything."""

    facts: dict[str, FactValue]
    #: drug and symptom names as written that the knowledge does not know
    unknown_drugs: list[str]
    unknown_symptoms: list[str]
    #: every earlier treatment, placed in the history, with whether it failed
    courses: list[Course]
    #: drug ids and kinds of earlier treatments whose response is not recorded
    unrecorded: frozenset[str] = frozenset()
    #: the courses with their drug ids and kinds, grouped as the holds judge them
    groups: tuple[Group, ...] = ()
    #: the drug ids and kinds of every earlier treatment
    given_drugs: frozenset[str] = frozenset()
    given_kinds: frozenset[str] = frozenset()
    #: each treatment's drug ids (by ``id()`` of the treatment), in the order named
    drug_ids: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def failures(self) -> list[Course]:
        return [c for c in self.courses if c.failed]


def _known(value: str) -> str | None:
    return None if value == "unknown" else value


def resolve_symptoms(knowledge: Knowledge, names: list[str]) -> tuple[frozenset[str], list[str]]:
    """Canonical symptom ids for names as written, and the names the knowledge does not know."""
    ids: set[str] = set()
    unknown: list[str] = []
    for name in names:
        found = knowledge.symptom_names.get(symptom_key(name))
        if found:
            ids.add(found)
        else:
            unknown.append(name)
    return frozenset(ids), unknown


def _kinds(knowledge: Knowledge, treatment: Treatment, ids: Iterable[str]) -> frozenset[str]:
    """The kinds a treatment is: its recorded type, and the kinds of its drugs."""
    drugs = knowledge.drug_by_id
    return frozenset((treatment.type, *(k for i in ids if (k := drugs[i].kind))))


def _groups(given: list[Given]) -> tuple[Group, ...]:
    """The treatments of one dated episode together; each undated one on its own.

    ``courses`` lists the dated treatments first, episode by episode, then the undated
    ones (episode 0).
    """
    runs: list[list[Given]] = []
    for g in given:
        if g.course.episode and runs and runs[-1][0].course.episode == g.course.episode:
            runs[-1].append(g)
        else:
            runs.append([g])
    groups = []
    for run in runs:
        if len(run) == 1:
            groups.append(Group((run[0],), run[0].drugs, run[0].kinds))
        else:
            groups.append(Group(tuple(run), frozenset(i for g in run for i in g.drugs),
                                frozenset(k for g in run for k in g.kinds)))
    return tuple(groups)


def derive(case: Case, status: Status, knowledge: Knowledge) -> Derived:
    """The fact values for one case, with what was not recognised and what failed."""
    # each treatment's names are looked up once; every fact and hold below reuses them
    drug_ids: dict[int, tuple[str, ...]] = {}
    kinds: dict[int, frozenset[str]] = {}
    unknown: list[str] = []
    for t in case.treatments:
        ids: list[str] = []
        for name in t.drugs:
            found = knowledge.canonical_drugs(name)
            if found:
                ids.extend(found)
            else:
                unknown.append(name)
        drug_ids[id(t)] = tuple(dict.fromkeys(ids))
        kinds[id(t)] = _kinds(knowledge, t, ids)
    received = frozenset(i for ids in drug_ids.values() for i in ids)
    symptoms, unknown_symptoms = resolve_symptoms(knowledge, case.symptoms)
    history = list(status.history)
    last_drugs: frozenset[str] | None = frozenset(
        i for t in history[-1].treatments for i in drug_ids[id(t)]
    ) if history else frozenset()
    if not history and case.treatments:
        last_drugs = None  # treatments without dates cannot say which came last
    following = after_latest_relapse(history, status.state)
    undated = [t for t in case.treatments if t.started is None and t.ended is None]
    placed = courses(history, undated, status.relapse_date)
    given = [
        Given(c, frozenset(drug_ids[id(c.treatment)]), kinds[id(c.treatment)]) for c in placed
    ]
    given_kinds = frozenset(k for g in given for k in g.kinds)
    failed = [g for g in given if g.course.failed]
    failed_drugs = frozenset(i for g in failed for i in g.drugs)
    failed_kinds = frozenset(k for g in failed for k in g.kinds)
    drugs = knowledge.drug_by_id
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
    age_limit = knowledge.settings.assessment_max_age_days.value
    age_days = status.assessment_age_days
    signs = knowledge.relapse_signs

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
        "transplant_eligible": case.transplant_eligible,
        "t315i": _known(case.t315i),
        "mrd_percent": a.mrd_percent if a is not None else None,
        "donor": _known(case.donor),
        "symptoms": symptoms,
        "relapse_symptoms_recorded": bool(symptoms & signs),
        "wishes.active_treatment": case.wishes.active_treatment,
        "wishes.clinical_trials": case.wishes.clinical_trials,
        "region": case.region,
        "months_since_last_treatment": status.months_since_last_treatment,
        "remission_length_months": status.remission_length_months,
        "months_from_last_treatment_to_relapse": status.months_from_last_treatment_to_relapse,
        "drugs_received": received,
        "last_treatment_drugs": last_drugs,
        "targets_received": frozenset(t for i in received for t in drugs[i].targets),
        "kinds_received": given_kinds,
        "unrecognised_drugs_given": bool(unknown),
        "failed_drugs": failed_drugs,
        "failed_kinds": failed_kinds,
        "best_response": best_response(case.treatments),
        "last_response": best_response(history[-1].treatments) if history else None,
        "mrd": _known(status.mrd),
        "months_from_diagnosis_to_relapse": to_relapse,
        "age_at_diagnosis": age_at_diagnosis,
        "reinduction_response": (
            None if following is None else best_response(history[following].treatments)
        ),
        "reinduction_episode": None if following is None else following + 1,
        "assessment_age_days": age_days,
        "assessment_past_age_limit": None if age_days is None else age_days > age_limit,
        "assessment_predates_latest_treatment": status.assessment_predates_latest_treatment,
    }
    unrecorded = frozenset(
        word
        for t in case.treatments
        if t.response == "unknown"
        for word in (t.type, *drug_ids[id(t)])
    )
    return Derived(facts, unknown, unknown_symptoms, placed, unrecorded, _groups(given),
                   received, given_kinds, drug_ids)
