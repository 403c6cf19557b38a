"""What the MDT page's templates are given: choices, labels and the results' shape.

Labels here are the form's own wording; every medical statement on the page comes
from the assessment, which comes from the knowledge files.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, get_args
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader
from starlette.templating import Jinja2Templates

from secondline import __version__
from secondline._assessment import Assessment
from secondline._case import (
    Disease,
    Donor,
    ExtramedullarySite,
    RelapseSite,
    Response,
    TreatmentType,
)
from secondline._facts import FACTS
from secondline._fhir.output import WARNING_PREFIX as FHIR_PREFIX
from secondline._knowledge import load_knowledge
from secondline._plan import case_markers, headlines
from secondline._schema import Category, Citation
from secondline._sources import review_warning
from secondline._web.form import NONE_FOUND, input_id, label_for
from secondline._web.paths import TEMPLATES_DIR
from secondline._web.timeline import timeline_items, timeline_svg

templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                    trim_blocks=True, lstrip_blocks=True)
)
templates.env.globals["input_id"] = input_id
templates.env.globals["label_for"] = label_for

#: option categories in words: how an assessment stored before the plan existed is grouped
CATEGORIES: dict[str, str] = {
    "chemotherapy": "Chemotherapy",
    "immunotherapy": "Immunotherapy",
    "car-t": "CAR T-cell therapy",
    "targeted": "Targeted drugs",
    "stem-cell-transplant": "Stem cell transplant",
    "radiotherapy": "Radiotherapy",
    "cns-directed": "Treatment for the brain and spinal cord (CNS)",
    "supportive": "Supportive care",
    "clinical-trial": "Clinical trials",
    "symptom-control": "Symptom control",
}
assert set(CATEGORIES) == set(get_args(Category))

#: what a current-guidance item does to the pages' answer, in a badge's words
GUIDANCE_WORDS = {
    "supports": "supports", "narrows": "narrower", "undecided": "cannot tell yet",
    "widens": "adds an option", "withdrawn": "withdrawn", "noted": "note",
}


def _guidance_for(assessment: Assessment) -> dict[str, list[Any]]:
    """The current-guidance items that speak about each suggested option."""
    found: dict[str, list[Any]] = {}
    for item in assessment.guidance.items if assessment.guidance else []:
        if item.option is not None:
            found.setdefault(item.option, []).append(item)
    return found


OUTCOMES = {
    "excluded": "ruled out",
    "not-indicated": "conditions not met",
    "undecided": "cannot decide yet",
}
#: the remission criteria's labels; the blast threshold comes from definitions.yaml
CRITERIA = {
    "blood_counts_normal": "Blood counts back to normal",
    "marrow_blasts_below_5_percent": "Blasts in the bone marrow below {threshold:g} %",
    "no_extramedullary_disease": "No leukaemia found outside the bone marrow",
}
#: what each case field makes known, in the engine's own words
FIELD_LABELS: dict[str, list[str]] = {}
for _fact in FACTS.values():
    FIELD_LABELS.setdefault(_fact.field, []).append(_fact.label)


def _label(field: str) -> str:
    """A missing field as a prompt: "CD22 not tested", "Stem cell donor not recorded"."""
    if field.startswith("markers."):
        return f"{field.removeprefix('markers.')} not tested"
    labels = sorted(set(FIELD_LABELS.get(field, [field])))
    return f"{' / '.join(labels)} not recorded"


def _target(field: str, rows: int) -> str:
    """The input a missing field's prompt leads to."""
    if field.startswith("treatments[]."):
        name = field.removeprefix("treatments[].")
        return input_id(f"treatments[0].{name}") if rows else "add-treatment"
    if field == "assessment":
        return input_id("assessment.date")
    return input_id(field)


def _words(value: str) -> str:
    return value.replace("-", " ")


@lru_cache(maxsize=1)
def page_context() -> dict[str, Any]:
    knowledge = load_knowledge()
    drug_names = sorted({d.name for d in knowledge.drugs.drugs}
                        | {b for d in knowledge.drugs.drugs for b in d.brands})
    return {
        "version": __version__,
        "diseases": get_args(Disease),
        "treatment_types": [(v, _words(v)) for v in get_args(TreatmentType)],
        "responses": [(v, _words(v)) for v in get_args(Response)],
        "relapse_sites": [(v, _words(v)) for v in get_args(RelapseSite)],
        "extramedullary_sites": [(v, _words(v)) for v in get_args(ExtramedullarySite)],
        "none_found": NONE_FOUND,
        "donors": [(v, _words(v)) for v in get_args(Donor)],
        "drug_names": drug_names,
        "today": dt.date.today().isoformat(),
    }


def _link(citation: Citation, urls: dict[str, tuple[str, str]],
          numbers: dict[str, int]) -> dict[str, Any]:
    """A citation as a link that opens the source page at its section (a text
    fragment, which browsers that support it scroll to); no link without a confirmed
    public address. ``number`` is the source's place in the numbered list of sources."""
    url, publisher = urls.get(citation.source, ("", citation.source))
    fragment = f"#:~:text={quote(citation.section, safe='')}" if url else ""
    return {"href": url + fragment, "publisher": publisher, "section": citation.section,
            "number": numbers.get(citation.source)}


def results_context(case: Any, assessment: Assessment) -> dict[str, Any]:
    knowledge = load_knowledge()
    threshold = knowledge.definitions.remission.marrow_blasts_below_percent
    urls = {s.id: (s.url or "", s.publisher) for s in knowledge.sources.values()}
    names = {c.option.id: c.option.name for c in knowledge.options}
    numbers = {source.id: i for i, source in enumerate(assessment.sources, 1)}
    reviews = {review_warning(s) for s in assessment.sources if s.review_overdue}
    cautions = {c.text for c in assessment.cautions}
    markers = case_markers(knowledge.plan, case)
    return {
        "a": assessment,
        "case_line": " · ".join(part for part in (
            case.disease, f"age {case.age}", markers) if part),
        "options": {o.id: o for o in assessment.options},
        "headlines": headlines(assessment),
        "numbers": numbers,
        # the warnings that are neither cautions nor reviews (those are shown in their
        # place), nor what a FHIR record did not give (listed apart, folded)
        "notes": [w for w in assessment.warnings if w not in reviews and w not in cautions
                  and not w.startswith(FHIR_PREFIX)],
        "fhir_not_read": [w.removeprefix(FHIR_PREFIX) for w in assessment.warnings
                          if w.startswith(FHIR_PREFIX)],
        "reviews": [review_warning(s) for s in assessment.sources if s.review_overdue],
        "guidance_for": _guidance_for(assessment),
        "guidance_words": GUIDANCE_WORDS,
        "timeline": timeline_svg(case, assessment),
        "timeline_items": timeline_items(case, assessment),
        "criteria": [(label.format(threshold=threshold),
                      getattr(assessment.status.remission, key))
                     for key, label in CRITERIA.items()],
        "outcomes": OUTCOMES,
        "missing": [
            {"label": _label(m.field), "affects": [names.get(i, i) for i in m.affects],
             "why": m.why, "target": _target(m.field, len(case.treatments))}
            for m in assessment.missing
        ],
        "link": lambda c: _link(c, urls, numbers),
        "overdue": [s for s in assessment.sources if s.review_overdue],
    }
