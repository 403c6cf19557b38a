"""Hypothesis strategies for valid cases (contract section 1).

``case_dicts()`` draws plain mappings, as a team or an integration would send them (dates
as ISO strings); ``cases()`` parses them with ``secondline.parse_case``. Every draw is a
*valid* case: dates in order and never after ``as_of``, values from the contract's lists.

The generator leans on the edges where rules change their answer:

* age exactly 25 and 26 (tisagenlecleucel as standard care up to 25);
* marrow blasts exactly 5 % (remission needs blasts *below* 5 %);
* hairy cell leukaemia whose most recent treatment ended exactly 2 calendar years before
  ``as_of`` (the 2-year rule for cladribine and pentostatin);
* a history shaped like a real relapse: a first treatment that brought a remission, then
  often a later one that may have failed, given with no response or still running when
  the assessment found the leukaemia back (the failed-treatment and TKI holds);

and draws drug names the way people write them: ids, names, brands, other names and
regimen names (``FLAG-IDA``) in any letter case, plus now and then a name the knowledge
does not know.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from secondline import Case, load_knowledge, parse_case

KNOWLEDGE = load_knowledge()

DISEASES = ("B-ALL", "T-ALL", "HCL")
PRESENCE = ("positive", "negative", "unknown")
MARKERS = ("CD19", "CD20", "CD22")
TREATMENT_TYPES = (
    "chemotherapy", "targeted", "immunotherapy", "car-t", "stem-cell-transplant",
    "radiotherapy", "other",
)
RESPONSES = ("complete-remission", "partial-remission", "no-response", "unknown")
RELAPSE_SITES = ("bone-marrow", "cns", "testes", "other")
EXTRAMEDULLARY_SITES = ("cns", "testes", "bone", "skin", "lymph-nodes", "other")
DONORS = ("sibling", "matched-unrelated", "cord-blood", "none", "unknown")
MRD_METHODS = ("flow-cytometry", "pcr")
REGIONS = ("UK", "CA")
#: every symptom name the knowledge knows, and a few it does not
SYMPTOMS: tuple[str, ...] = (
    *sorted(
        name
        for symptom in KNOWLEDGE.symptoms.symptoms
        for name in (symptom.id, symptom.name, *symptom.also_called)
    ),
    "Bone-Pain", "Bone pain", "itching", "dizzy spells",
)

AS_OF_MIN = dt.date(2020, 1, 1)
AS_OF_MAX = dt.date(2030, 12, 31)
#: how far back treatments, diagnoses and assessments may go before ``as_of``
HISTORY = dt.timedelta(days=366 * 15)

#: every name the knowledge resolves: drug ids, names, brands, other names, regimen names
KNOWN_DRUG_NAMES: tuple[str, ...] = tuple(
    sorted(
        {
            name
            for drug in KNOWLEDGE.drugs.drugs
            for name in (drug.id, drug.name, *drug.brands, *drug.also_called)
        }
        | {name for regimen in KNOWLEDGE.drugs.regimens for name in regimen.names}
    )
)
#: names the knowledge does not know; a case may still use them (kept, with a warning)
UNKNOWN_DRUG_NAMES = ("zorbalimab", "investigational agent", "trial drug XJ-7")
PURINE_ANALOGUE_NAMES: dict[str, tuple[str, ...]] = {
    drug.id: (drug.id, drug.name, *drug.brands, *drug.also_called)
    for drug in KNOWLEDGE.drugs.drugs
    if drug.id in ("cladribine", "pentostatin")
}


def _letter_case(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from((name, name.lower(), name.upper(), name.title(), f" {name} "))


def known_drug_names() -> st.SearchStrategy[str]:
    """A name the knowledge resolves, in any letter case."""
    return st.sampled_from(KNOWN_DRUG_NAMES).flatmap(_letter_case)


def unknown_drug_names() -> st.SearchStrategy[str]:
    """A name the knowledge does not resolve (checked, so the text draw cannot collide)."""
    return st.one_of(
        st.sampled_from(UNKNOWN_DRUG_NAMES),
        st.text(
            alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=3, max_size=12
        ).map(lambda text: f"trial-{text}"),
    ).filter(lambda name: not KNOWLEDGE.canonical_drugs(name))


@st.composite
def drug_names(draw: st.DrawFn) -> str:
    """Mostly known names; about one draw in ten is unknown."""
    unknown = draw(st.integers(0, 9)) == 0
    return draw(unknown_drug_names() if unknown else known_drug_names())


def two_years_before(day: dt.date) -> dt.date:
    """The same calendar day 2 years earlier (``day`` must not be 29 February)."""
    return day.replace(year=day.year - 2)


def _no_leap_day(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1) if (day.month, day.day) == (2, 29) else day


def as_of_dates() -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=AS_OF_MIN, max_value=AS_OF_MAX)


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _maybe(
    draw: st.DrawFn,
    target: dict[str, Any],
    key: str,
    values: st.SearchStrategy[Any],
    often: bool = False,
) -> None:
    """Set the optional ``target[key]`` half the time, or three times in four if ``often``."""
    if draw(st.integers(0, 3)) < (3 if often else 2):
        target[key] = draw(values)


@st.composite
def treatment_dicts(
    draw: st.DrawFn, as_of: dt.date, before: dt.date | None = None
) -> dict[str, Any]:
    """One earlier treatment, dated no later than ``as_of``.

    With ``before``, the treatment lies wholly before that day (a start always comes with
    an end), so it cannot overlap a treatment that starts on ``before``.
    """
    latest = before - dt.timedelta(days=1) if before else as_of
    earliest = latest - HISTORY
    treatment: dict[str, Any] = {}
    _maybe(draw, treatment, "drugs", st.lists(drug_names(), max_size=4))
    _maybe(draw, treatment, "type", st.sampled_from(TREATMENT_TYPES))
    _maybe(draw, treatment, "response", st.sampled_from(RESPONSES), often=True)
    started = draw(st.none() | st.dates(min_value=earliest, max_value=latest))
    ended: dt.date | None
    if started is not None:
        treatment["started"] = _iso(started)
        ends = st.dates(min_value=started, max_value=latest)
        ended = draw(ends if before else st.none() | ends)
    else:
        ended = draw(st.none() | st.dates(min_value=earliest, max_value=latest))
    if ended is not None:
        treatment["ended"] = _iso(ended)
    return treatment


BLASTS_EDGES = (0, 4.99, 5, 5.0, 5.01, 100)


@st.composite
def assessment_dicts(draw: st.DrawFn, as_of: dt.date) -> dict[str, Any]:
    """The latest assessment: a remission picture, a picture of disease, or anything at all.

    Left to chance alone the three remission criteria would hardly ever all be met, so a
    third of draws show a remission and a third show leukaemia; the rest mix freely.
    """
    picture = draw(st.sampled_from(("remission", "disease", "free")))
    assessment: dict[str, Any] = {}
    _maybe(draw, assessment, "date", st.dates(as_of - HISTORY, as_of).map(_iso), often=True)
    if picture == "remission":
        assessment["blood_counts_normal"] = True
        assessment["marrow_blasts_percent"] = draw(
            st.one_of(st.sampled_from((0, 4.99)), st.floats(0, 5, exclude_max=True))
        )
        assessment["extramedullary"] = []
    elif picture == "disease":
        _maybe(draw, assessment, "blood_counts_normal", st.none() | st.booleans())
        assessment["marrow_blasts_percent"] = draw(
            st.one_of(st.sampled_from((5, 5.0, 5.01, 100)), st.integers(5, 100))
        )
        _maybe(
            draw, assessment, "extramedullary",
            st.lists(st.sampled_from(EXTRAMEDULLARY_SITES), max_size=3, unique=True),
        )
    else:
        _maybe(
            draw, assessment, "marrow_blasts_percent",
            st.one_of(
                st.sampled_from(BLASTS_EDGES),
                st.integers(0, 100),
                st.floats(0, 100, allow_nan=False, allow_infinity=False),
            ),
        )
        _maybe(draw, assessment, "blood_counts_normal", st.none() | st.booleans())
        _maybe(
            draw, assessment, "extramedullary",
            st.none() | st.lists(st.sampled_from(EXTRAMEDULLARY_SITES), max_size=3, unique=True),
        )
    _maybe(draw, assessment, "mrd", st.sampled_from(PRESENCE))
    _maybe(draw, assessment, "mrd_method", st.sampled_from(MRD_METHODS))
    return assessment


def marker_values() -> st.SearchStrategy[str]:
    """Positive half the time (as markers mostly are in B-ALL), else negative or unknown."""
    return st.sampled_from(("positive", "positive", "negative", "unknown"))


def ages() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from((0, 25, 26, 120)), st.integers(0, 120))


@st.composite
def case_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid case as a plain mapping (dates as ISO strings)."""
    as_of = draw(as_of_dates())
    # about one case in six: hairy cell leukaemia whose most recent treatment ended exactly
    # 2 calendar years before as_of; earlier ones end before it starts, so that overlapping
    # treatments (grouped as one episode) cannot move "the most recent treatment"
    two_year_edge = draw(st.integers(0, 5)) == 0
    if two_year_edge:
        as_of = _no_leap_day(as_of)
    disease = "HCL" if two_year_edge else draw(st.sampled_from(DISEASES))
    case: dict[str, Any] = {"age": draw(ages()), "disease": disease}
    _maybe(draw, case, "id", st.text(max_size=12))
    _maybe(draw, case, "diagnosed", st.dates(as_of - HISTORY, as_of).map(_iso))
    _maybe(draw, case, "philadelphia", st.sampled_from(PRESENCE), often=True)
    _maybe(
        draw, case, "markers",
        st.fixed_dictionaries({}, optional={m: marker_values() for m in MARKERS}),
        often=True,
    )
    _maybe(draw, case, "fit_for_intensive_treatment", st.none() | st.booleans())

    relapse_history = not two_year_edge and draw(st.integers(0, 4)) == 0
    if relapse_history:
        case["treatments"], case["assessment"] = draw(relapse_history_dicts(as_of, disease))
        if draw(st.booleans()):  # every target present, so the targeted options come into play
            case["philadelphia"] = "positive"
            case["markers"] = dict.fromkeys(MARKERS, "positive")
    elif two_year_edge:
        ended = two_years_before(as_of)
        started = draw(st.dates(ended - dt.timedelta(days=200), ended))
        earlier = draw(st.lists(treatment_dicts(as_of, before=started), max_size=3))
        drug = draw(st.sampled_from(sorted(PURINE_ANALOGUE_NAMES)))
        last = {
            "drugs": [draw(st.sampled_from(PURINE_ANALOGUE_NAMES[drug]).flatmap(_letter_case))],
            "type": "chemotherapy",
            "started": _iso(started),
            "ended": _iso(ended),
            "response": draw(st.sampled_from(RESPONSES)),
        }
        case["treatments"] = draw(st.permutations([*earlier, last]))
    else:
        _maybe(draw, case, "treatments", st.lists(treatment_dicts(as_of), max_size=4), often=True)

    if not relapse_history:
        _maybe(draw, case, "assessment", assessment_dicts(as_of), often=True)
    _maybe(draw, case, "relapses", st.integers(0, 5))
    _maybe(
        draw, case, "relapse_sites",
        st.lists(st.sampled_from(RELAPSE_SITES), max_size=3, unique=True),
    )
    _maybe(draw, case, "previous_transplant", st.booleans())
    _maybe(draw, case, "donor", st.sampled_from(DONORS))
    # bone pain often: with leukaemia in the bones it brings radiotherapy to relieve it
    symptom = st.one_of(st.sampled_from(("bone-pain", "Bone pain")), st.sampled_from(SYMPTOMS))
    _maybe(draw, case, "symptoms", st.lists(symptom, max_size=3, unique=True))
    _maybe(
        draw, case, "wishes",
        st.fixed_dictionaries(
            {}, optional={"active_treatment": st.booleans(), "clinical_trials": st.booleans()}
        ),
    )
    _maybe(draw, case, "region", st.sampled_from(REGIONS))
    case["as_of"] = _iso(as_of)
    _diagnosis_first(case)
    return case


#: drug names that make the holds matter: TKIs, antibodies, CAR T-cell products, regimens
HELD_DRUG_NAMES = (
    "Glivec", "imatinib", "Sprycel", "dasatinib", "Iclusig", "ponatinib", "Blincyto",
    "Besponsa", "Kymriah", "Tecartus", "Aucatzyl", "FLAG-IDA", "FLAG", "nelarabine",
    "methotrexate", "cladribine", "pentostatin", "rituximab", "interferon",
)


@st.composite
def relapse_history_dicts(
    draw: st.DrawFn, as_of: dt.date, disease: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A first treatment that brought a remission, then perhaps one that failed, and an
    assessment that finds the leukaemia: no response, or found back while it ran."""
    found = draw(st.dates(as_of - dt.timedelta(days=400), as_of))
    first_end = found - dt.timedelta(days=draw(st.integers(200, 2000)))
    first = {
        "drugs": draw(st.lists(drug_names(), max_size=3)),
        "type": "chemotherapy",
        "started": _iso(first_end - dt.timedelta(days=draw(st.integers(0, 600)))),
        "ended": _iso(first_end),
        "response": "complete-remission",
    }
    treatments = [first]
    if draw(st.booleans()):
        start = draw(st.dates(first_end + dt.timedelta(days=1), found - dt.timedelta(days=1)))
        later: dict[str, Any] = {
            "drugs": draw(st.lists(st.sampled_from(HELD_DRUG_NAMES), min_size=1, max_size=2)),
            "type": draw(st.sampled_from(TREATMENT_TYPES)),
            "started": _iso(start),
            "response": draw(st.sampled_from(RESPONSES)),
        }
        running = draw(st.sampled_from(("ended", "ended-on-finding", "running")))
        if running == "ended":
            later["ended"] = _iso(draw(st.dates(start, found - dt.timedelta(days=1))))
        elif running == "ended-on-finding":
            later["ended"] = _iso(found)
        treatments.append(later)
    assessment: dict[str, Any] = {"date": _iso(found), "blood_counts_normal": False}
    if disease != "HCL":
        assessment |= {"marrow_blasts_percent": draw(st.integers(5, 100)), "extramedullary": []}
    return treatments, assessment


def _diagnosis_first(case: dict[str, Any]) -> None:
    """A diagnosis comes before every treatment and assessment: move it back if drawn later."""
    if "diagnosed" not in case:
        return
    dated = [
        day
        for treatment in case.get("treatments", [])
        for day in (treatment.get("started"), treatment.get("ended"))
        if day
    ]
    if (case.get("assessment") or {}).get("date"):
        dated.append(case["assessment"]["date"])
    case["diagnosed"] = min([case["diagnosed"], *dated])  # ISO dates sort as text


def cases() -> st.SearchStrategy[Case]:
    """Valid cases, parsed."""
    return case_dicts().map(parse_case)


#: MRD levels at the edges the current guidance tests (0.1%), and others
MRD_PERCENT_EDGES = (0, 0.01, 0.0999, 0.1, 0.10001, 1, 100)


@st.composite
def guided_case_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """``case_dicts`` with the facts only the current-guidance layer reads: the T315I
    mutation, the team's view of transplant eligibility and the MRD level."""
    case = draw(case_dicts())
    _maybe(draw, case, "t315i", st.sampled_from(PRESENCE), often=True)
    _maybe(draw, case, "transplant_eligible", st.booleans())
    if draw(st.booleans()):
        assessment = case.setdefault("assessment", {})
        assessment["mrd_percent"] = draw(st.one_of(
            st.sampled_from(MRD_PERCENT_EDGES),
            st.floats(0, 100, allow_nan=False, allow_infinity=False)))
        if draw(st.booleans()):
            assessment["mrd"] = "positive"
    return case


@st.composite
def hcl_two_year_rule_dicts(draw: st.DrawFn) -> tuple[dict[str, Any], str, int]:
    """Relapsed HCL after one purine analogue that ended about 2 calendar years ago.

    Returns the case, the drug id given last (``cladribine`` or ``pentostatin``), and how
    many days *before* the exact 2-year anniversary the treatment ended: 0 means exactly
    2 years ago, positive means longer ago, negative means more recently. The person is
    fit, wants treatment and is not in remission, so the 2-year rule alone decides.
    """
    as_of = _no_leap_day(draw(as_of_dates()))
    drug = draw(st.sampled_from(sorted(PURINE_ANALOGUE_NAMES)))
    offset = draw(st.one_of(st.just(0), st.sampled_from((-1, 1)), st.integers(-400, 400)))
    ended = two_years_before(as_of) - dt.timedelta(days=offset)
    # 29 February two years on is 28 February ("the same day", clipped to the month's end:
    # test_dates.py), so a treatment ending on it is exactly 2 years before as_of on 28
    # February although it is a day from the anniversary counted back from as_of
    assume((ended.month, ended.day) != (2, 29))
    started = ended - dt.timedelta(days=draw(st.integers(0, 180)))
    name = draw(st.sampled_from(PURINE_ANALOGUE_NAMES[drug]).flatmap(_letter_case))
    case: dict[str, Any] = {
        "age": draw(st.integers(18, 95)),
        "disease": "HCL",
        "fit_for_intensive_treatment": True,
        "treatments": [
            {
                "drugs": [name],
                "type": "chemotherapy",
                "started": _iso(started),
                "ended": _iso(ended),
                "response": "complete-remission",
            }
        ],
        "assessment": {"blood_counts_normal": False},
        "as_of": _iso(as_of),
    }
    _maybe(draw, case, "markers", st.fixed_dictionaries({"CD20": st.sampled_from(PRESENCE)}))
    _maybe(draw, case, "region", st.sampled_from(REGIONS))
    _maybe(draw, case, "relapses", st.integers(1, 3))
    return case, drug, offset
