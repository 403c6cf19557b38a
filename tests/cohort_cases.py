"""Many cases fast, from a seed: for the cohort's bulk tests and its benchmark.

``strategies.case_dicts`` draws cases to find the edge that breaks a rule; it draws a few
hundred a second. A cohort needs hundreds of thousands, so ``random_cases`` makes them
with ``random`` instead, still leaning on the same edges (histories with a relapse and a
treatment that failed or was running when it was found, overlapping and undated
treatments, the 2-year rule to the day, blasts at 5 %, ages 25 and 26, unknown drug and
symptom names). ``invalid_case`` breaks a valid case in one of the ways ``parse_case``
refuses.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from strategies import (
    DONORS,
    EXTRAMEDULLARY_SITES,
    HELD_DRUG_NAMES,
    KNOWN_DRUG_NAMES,
    PRESENCE,
    RELAPSE_SITES,
    RESPONSES,
    SYMPTOMS,
    TREATMENT_TYPES,
)

_UNKNOWN = ("zorbalimab", "trial drug XJ-7")


def _day(rng: random.Random, earliest: dt.date, latest: dt.date) -> dt.date:
    return earliest + dt.timedelta(days=rng.randint(0, max((latest - earliest).days, 0)))


def _drugs(rng: random.Random, most: int = 3) -> list[str]:
    names = [rng.choice(HELD_DRUG_NAMES if rng.random() < 0.5 else KNOWN_DRUG_NAMES)
             for _ in range(rng.randint(0, most))]
    if rng.random() < 0.05:
        names.append(rng.choice(_UNKNOWN))
    return [rng.choice((n, n.lower(), n.upper(), f" {n} ")) for n in names]


def _treatment(rng: random.Random, earliest: dt.date, latest: dt.date) -> dict[str, Any]:
    t: dict[str, Any] = {"drugs": _drugs(rng), "type": rng.choice(TREATMENT_TYPES),
                         "response": rng.choice(RESPONSES)}
    shape = rng.random()
    if shape < 0.85:
        started = _day(rng, earliest, latest)
        t["started"] = started.isoformat()
        if rng.random() < 0.85:
            t["ended"] = _day(rng, started, latest).isoformat()
    elif shape < 0.93:
        t["ended"] = _day(rng, earliest, latest).isoformat()
    return t


def _two_years_before(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 2, day=28 if (day.month, day.day) == (2, 29) else day.day)


def random_case(rng: random.Random, number: int = 0) -> dict[str, Any]:
    """One valid case (no nulls: what is not known is left out)."""
    as_of = _day(rng, dt.date(2020, 1, 1), dt.date(2030, 12, 31))
    disease = rng.choice(("B-ALL", "T-ALL", "HCL"))
    case: dict[str, Any] = {"id": f"C-{number}", "age": rng.choice(
        (25, 26, rng.randint(0, 120), rng.randint(18, 90))), "disease": disease}
    start = as_of - dt.timedelta(days=rng.randint(30, 5000))
    if rng.random() < 0.6:
        case["diagnosed"] = start.isoformat()
    shape = rng.random()
    treatments: list[dict[str, Any]] = []
    if shape < 0.3:  # a relapse after a remission, perhaps after a treatment that failed
        found = _day(rng, max(start, as_of - dt.timedelta(days=400)), as_of)
        first_end = max(start, found - dt.timedelta(days=rng.randint(200, 2000)))
        treatments.append({"drugs": _drugs(rng), "type": "chemotherapy",
                           "started": max(start, first_end - dt.timedelta(days=300)).isoformat(),
                           "ended": first_end.isoformat(), "response": "complete-remission"})
        if rng.random() < 0.6 and (found - first_end).days > 2:
            later = {"drugs": [rng.choice(HELD_DRUG_NAMES)], "type": rng.choice(TREATMENT_TYPES),
                     "started": _day(rng, first_end + dt.timedelta(days=1),
                                     found - dt.timedelta(days=1)).isoformat(),
                     "response": rng.choice(RESPONSES)}
            if rng.random() < 0.6:
                later["ended"] = rng.choice((found.isoformat(), later["started"]))
            treatments.append(later)
        case["assessment"] = {"date": found.isoformat(), "blood_counts_normal": False,
                              "marrow_blasts_percent": rng.randint(5, 100), "extramedullary": []}
        if rng.random() < 0.5:
            case["philadelphia"] = "positive"
            case["markers"] = dict.fromkeys(("CD19", "CD20", "CD22"), "positive")
    elif shape < 0.45 and start <= _two_years_before(as_of) - dt.timedelta(days=30):
        case["disease"] = "HCL"  # the 2-year rule, to the day
        ended = _two_years_before(as_of) + dt.timedelta(days=rng.choice((0, 0, -1, 1, 90)))
        treatments.append({"drugs": [rng.choice(("cladribine", "Nipent", "Leustat"))],
                           "type": "chemotherapy",
                           "started": (ended - dt.timedelta(days=7)).isoformat(),
                           "ended": ended.isoformat(), "response": rng.choice(RESPONSES)})
        case["assessment"] = {"blood_counts_normal": False}
    else:
        treatments = [_treatment(rng, start, as_of) for _ in range(rng.choice((0, 1, 2, 3, 5)))]
        if rng.random() < 0.8:
            assessment: dict[str, Any] = {}
            if rng.random() < 0.8:
                assessment["date"] = _day(rng, start, as_of).isoformat()
            remission = rng.random() < 0.4
            assessment["blood_counts_normal"] = remission or rng.random() < 0.3
            assessment["marrow_blasts_percent"] = rng.choice(
                (0, 4.99, 5, 5.0, 5.01, 60) if not remission else (0, 1, 4.99))
            if remission or rng.random() < 0.7:
                assessment["extramedullary"] = [] if remission else rng.sample(
                    EXTRAMEDULLARY_SITES, rng.randint(0, 2))
            if rng.random() < 0.6:
                assessment["mrd"] = rng.choice(PRESENCE)
            case["assessment"] = assessment
    if treatments:
        case["treatments"] = treatments
    for key, values in (("philadelphia", PRESENCE), ("donor", DONORS), ("region", ("UK", "CA"))):
        if key not in case and rng.random() < 0.6:
            case[key] = rng.choice(values)
    if "markers" not in case and rng.random() < 0.7:
        case["markers"] = {m: rng.choice(PRESENCE) for m in ("CD19", "CD20", "CD22")
                           if rng.random() < 0.8}
    if rng.random() < 0.6:
        case["fit_for_intensive_treatment"] = rng.random() < 0.7
    if rng.random() < 0.5:
        case["relapses"] = rng.randint(0, 3)
    if rng.random() < 0.4:
        case["relapse_sites"] = rng.sample(RELAPSE_SITES, rng.randint(0, 2))
    if rng.random() < 0.3:
        case["previous_transplant"] = rng.random() < 0.4
    if rng.random() < 0.4:
        case["symptoms"] = rng.sample(SYMPTOMS, rng.randint(0, 3))
    if rng.random() < 0.5:
        case["t315i"] = rng.choice(PRESENCE)
    if rng.random() < 0.4:
        case["transplant_eligible"] = rng.random() < 0.6
    if "assessment" in case and rng.random() < 0.4:
        case["assessment"]["mrd_percent"] = rng.choice((0, 0.05, 0.1, 0.1, 2.5, 40))
        if rng.random() < 0.5:
            case["assessment"]["mrd"] = "positive"
    if rng.random() < 0.2:
        case["wishes"] = {"active_treatment": rng.random() < 0.7,
                          "clinical_trials": rng.random() < 0.7}
    case["as_of"] = as_of.isoformat()
    return case


def random_cases(count: int, seed: int = 20261130) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [random_case(rng, n) for n in range(count)]


#: ways to break a valid case, each one ``parse_case`` refuses
BREAKS = (
    "age-over", "age-fraction", "age-text", "age-missing", "disease-unknown",
    "end-before-start", "date-unreal", "date-after-as-of", "blasts-over", "unknown-key",
    "misplaced-key", "text-as-number", "null-needed", "too-many-drugs", "drug-too-long",
    "relapses-negative", "marker-unknown", "before-diagnosis", "date-out-of-range",
    "treatment-not-object", "null-misplaced", "t315i-unknown-value", "mrd-percent-over",
    "t315i-null",
)


def invalid_case(rng: random.Random, case: dict[str, Any], how: str) -> dict[str, Any]:
    """``case`` broken in the way ``how`` names."""
    case = {**case}
    treatments = [dict(t) for t in case.get("treatments", [])] or [{"type": "other"}]
    match how:
        case "age-over":
            case["age"] = rng.randint(121, 300)
        case "age-fraction":
            case["age"] = 30.5
        case "age-text":
            case["age"] = "30"
        case "age-missing":
            del case["age"]
        case "disease-unknown":
            case["disease"] = rng.choice(("AML", "b-all", " B-ALL"))
        case "end-before-start":
            treatments[0] = {**treatments[0], "started": "2020-05-02", "ended": "2020-05-01"}
            case["treatments"] = treatments
        case "date-unreal":
            case["diagnosed"] = "2021-02-30"
        case "date-after-as-of":
            case["assessment"] = {**case.get("assessment", {}), "date": "2031-01-01"}
        case "blasts-over":
            case["assessment"] = {**case.get("assessment", {}), "marrow_blasts_percent": 100.5}
        case "unknown-key":
            case["wieght"] = 70
        case "misplaced-key":
            case["ended"] = "2020-01-01"
        case "text-as-number":
            case["id"] = 17
        case "null-needed":
            case["donor"] = None
        case "too-many-drugs":
            treatments[0] = {**treatments[0], "drugs": ["prednisolone"] * 31}
            case["treatments"] = treatments
        case "drug-too-long":
            treatments[0] = {**treatments[0], "drugs": ["x" * 201]}
            case["treatments"] = treatments
        case "relapses-negative":
            case["relapses"] = -1
        case "marker-unknown":
            case["markers"] = {"CD19": "weak"}
        case "before-diagnosis":
            case["diagnosed"] = case["as_of"]
            case["assessment"] = {**case.get("assessment", {}), "date": "2019-12-31"}
        case "date-out-of-range":
            case["as_of"] = "3001-01-01"
        case "treatment-not-object":
            case["treatments"] = [*case.get("treatments", []), "chemotherapy"]
        case "t315i-unknown-value":
            case["t315i"] = "present"
        case "mrd-percent-over":
            case["assessment"] = {**case.get("assessment", {}), "mrd_percent": 101}
        case "t315i-null":
            case["t315i"] = None
        case "null-misplaced":
            treatments[0] = {**treatments[0], "relapses": None}
            case["treatments"] = treatments
    return case
