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
from secondline._knowledge import load_knowledge
from secondline._schema import Category, Citation
from secondline._web.form import NONE_FOUND, input_id
from secondline._web.paths import TEMPLATES_DIR
from secondline._web.timeline import timeline_svg

templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                    trim_blocks=True, lstrip_blocks=True)
)
templates.env.globals["input_id"] = input_id

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

OUTCOMES = {
    "excluded": "ruled out",
    "not-indicated": "conditions not met",
    "undecided": "cannot decide yet",
}
CRITERIA = {
    "blood_counts_normal": "Blood counts back to normal",
    "marrow_blasts_below_5_percent": "Blasts in the bone marrow below 5 %",
    "no_extramedullary_disease": "No leukaemia found outside the bone marrow",
}
#: what a missing field is called in a prompt; markers read "CD22 not tested"
FIELD_LABELS = {
    "philadelphia": "Philadelphia chromosome status",
    "fit_for_intensive_treatment": "Fitness for intensive treatment",
    "diagnosed": "Date of diagnosis",
    "donor": "Stem cell donor",
    "region": "Where care is given",
    "relapse_sites": "Where the disease has come back",
    "previous_transplant": "Whether there has been a transplant",
    "relapses": "Number of relapses",
    "assessment": "The latest assessment",
    "assessment.mrd": "MRD",
    "assessment.date": "Date of the latest assessment",
    "assessment.marrow_blasts_percent": "Blasts in the bone marrow",
    "assessment.blood_counts_normal": "Whether blood counts are normal",
    "assessment.extramedullary": "Disease outside the marrow",
    "treatments": "Earlier treatments",
}


def _label(field: str) -> str:
    if field.startswith("markers."):
        return f"{field.removeprefix('markers.')} not tested"
    return f"{FIELD_LABELS.get(field, field)} not recorded"


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


def _link(citation: Citation, urls: dict[str, tuple[str, str]]) -> dict[str, str]:
    """A citation as a link that opens the source page at its section (a text
    fragment, which browsers that support it scroll to)."""
    url, publisher = urls.get(citation.source, ("", citation.source))
    fragment = f"#:~:text={quote(citation.section, safe='')}" if url else ""
    return {"href": url + fragment, "publisher": publisher, "section": citation.section}


def results_context(case: Any, assessment: Assessment) -> dict[str, Any]:
    knowledge = load_knowledge()
    urls = {s.id: (s.url, s.publisher) for s in knowledge.sources.values()}
    names = {c.option.id: c.option.name for c in knowledge.options}
    grouped: dict[str, list[Any]] = {}
    for option in assessment.options:
        grouped.setdefault(option.category, []).append(option)
    return {
        "a": assessment,
        "timeline": timeline_svg(case, assessment),
        "groups": [(CATEGORIES[c], grouped[c]) for c in CATEGORIES if c in grouped],
        "criteria": [(label, getattr(assessment.status.remission, key))
                     for key, label in CRITERIA.items()],
        "outcomes": OUTCOMES,
        "missing": [
            {"label": _label(m.field), "affects": [names.get(i, i) for i in m.affects],
             "why": m.why, "target": input_id(m.field)}
            for m in assessment.missing
        ],
        "link": lambda c: _link(c, urls),
        "overdue": [s for s in assessment.sources if s.review_overdue],
    }
