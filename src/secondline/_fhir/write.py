"""A case as a FHIR R4 Bundle (type collection): ``write_bundle(case) -> dict``.

Everything the case holds goes out, so that reading the Bundle back gives the same case
and the same assessment. Standard codes are written where the mapping has verified ones
(SNOMED CT B-ALL, ICD-10 C91.0/C91.4, LOINC positive/negative, ATC, the mCODE
radiotherapy code, the no-response status reason), always beside the project's own
code; facts no standard carries go in the project's extensions (see
``knowledge/fhir-mapping.yaml``). Nothing is invented: the case holds an age, not a birth
date, so the age goes out as the project's ``age`` extension, not as a made-up
``birthDate``.

Output is deterministic: resource ids are plain (``patient``, ``treatment-2-1``) and each
``fullUrl`` is a name-based UUID of the case's content and the resource's id.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from secondline._case import Case, Treatment
from secondline._fhir.mapping import Code, Concept, Extension, Mapping, load_mapping

_STATUS_OF = {True: "completed", False: "active"}


class _Writer:
    def __init__(self, case: Case, mapping: Mapping) -> None:
        self.case = case
        self.m = mapping
        digest = hashlib.sha256(case.model_dump_json().encode()).hexdigest()
        self.space = uuid.uuid5(uuid.NAMESPACE_URL, f"{mapping.data.namespace}/{digest}")
        self.entries: list[dict[str, Any]] = []

    def url(self, local_id: str) -> str:
        return f"urn:uuid:{uuid.uuid5(self.space, local_id)}"

    def add(self, resource: dict[str, Any]) -> str:
        full_url = self.url(resource["id"])
        self.entries.append({"fullUrl": full_url, "resource": resource})
        return full_url

    def concept(self, concept: Concept, text: str | None = None,
                also: list[Code] | None = None) -> dict[str, Any]:
        project = self.m.project_code(concept)
        codes = [project, *(c for c in (also or []) if c.usable)]
        return {"coding": [self.m.coding(c) for c in codes], "text": text or project.display}


def _ext(extension: Extension, value: Any) -> dict[str, Any]:
    key = "value" + extension.value[:1].upper() + extension.value[1:]
    return {"url": extension.url, key: value}


def write_bundle(case: Case) -> dict[str, Any]:
    """The case as a FHIR R4 collection Bundle (plain JSON data)."""
    mapping = load_mapping()
    w = _Writer(case, mapping)
    ext = mapping.data.extensions
    patient_url = w.add(_patient(w))
    subject = {"reference": patient_url}
    disease = _disease(w, subject)
    disease_url = w.add(disease)
    for i, name in enumerate(case.symptoms, start=1):
        w.add({"resourceType": "Condition", "id": f"symptom-{i}",
               "category": [w.concept(mapping.data.symptom_category)],
               "code": _text(w, name), "subject": subject})
    _markers(w, subject)
    _assessment(w, subject)
    for i, treatment in enumerate(case.treatments, start=1):
        _treatment(w, i, treatment, subject, disease_url)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if case.as_of is not None:
        bundle["meta"] = {"extension": [_ext(ext.as_of, case.as_of.isoformat())]}
    if case.id is not None:
        identifier: dict[str, Any] = {"system": mapping.data.identifiers.case_id}
        if case.id:
            identifier["value"] = case.id
        else:  # FHIR has no empty string: say so with the project's extension
            identifier["extension"] = [_ext(ext.empty_text, True)]
        bundle["identifier"] = identifier
    bundle["entry"] = w.entries
    return bundle


def _patient(w: _Writer) -> dict[str, Any]:
    case, ext = w.case, w.m.data.extensions
    extensions = [_ext(ext.age, {"value": case.age, "unit": "years",
                                 "system": w.m.url["ucum"], "code": "a"})]
    optional: list[tuple[Extension, Any]] = [
        (ext.fit_for_intensive_treatment, case.fit_for_intensive_treatment),
        (ext.previous_transplant, case.previous_transplant),
        (ext.donor, None if case.donor == "unknown" else case.donor),
        (ext.relapses, case.relapses),
        (ext.region, case.region),
        (ext.wishes_active_treatment, None if case.wishes.active_treatment else False),
        (ext.wishes_clinical_trials, None if case.wishes.clinical_trials else False),
    ]
    extensions += [_ext(e, value) for e, value in optional if value is not None]
    if case.relapse_sites is not None:
        sites: list[str] = list(case.relapse_sites) or ["none"]
        extensions += [_ext(ext.relapse_sites, site) for site in sites]
    return {"resourceType": "Patient", "id": "patient", "extension": extensions}


def _disease(w: _Writer, subject: dict[str, Any]) -> dict[str, Any]:
    case = w.case
    lineage = ("ALL",) if case.disease in ("B-ALL", "T-ALL") else ()
    codes = [c for c in w.m.data.disease.codes
             if c.write and c.usable and c.means in (case.disease, *lineage)]
    codes.sort(key=lambda c: c.system != "project")  # the project's own code first
    condition: dict[str, Any] = {
        "resourceType": "Condition", "id": "disease",
        "code": {"coding": [w.m.coding(c) for c in codes], "text": codes[0].display},
        "subject": subject,
    }
    if case.diagnosed is not None:
        condition["onsetDateTime"] = case.diagnosed.isoformat()
    return condition


def _presence(w: _Writer, value: str) -> dict[str, Any]:
    values = w.m.data.values
    concept = values.positive if value == "positive" else values.negative
    return {"coding": [w.m.coding(c) for c in concept.codes[:1]], "text": value}


def _observation(w: _Writer, local_id: str, concept: Concept,
                 subject: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": local_id, "status": "final",
            "code": w.concept(concept), "subject": subject}


def _markers(w: _Writer, subject: dict[str, Any]) -> None:
    obs = w.m.data.observations
    case = w.case
    shown = [("cd19", obs.cd19, case.markers.CD19), ("cd20", obs.cd20, case.markers.CD20),
             ("cd22", obs.cd22, case.markers.CD22),
             ("philadelphia", obs.philadelphia, case.philadelphia)]
    for local_id, concept, value in shown:
        if value != "unknown":
            w.add({**_observation(w, local_id, concept, subject),
                   "valueCodeableConcept": _presence(w, value)})


def _assessment(w: _Writer, subject: dict[str, Any]) -> None:
    a = w.case.assessment
    if a is None:
        return
    obs, m = w.m.data.observations, w.m
    when = {"effectiveDateTime": a.date.isoformat()} if a.date else {}

    def add(local_id: str, concept: Concept, **fields: Any) -> None:
        w.add({**_observation(w, local_id, concept, subject), **when, **fields})

    # MRD is always written, "unknown" as a missing value, so that an assessment holding
    # nothing else (only its date, or nothing) still comes back as an assessment
    mrd: dict[str, Any] = (
        {"valueCodeableConcept": _presence(w, a.mrd)} if a.mrd != "unknown" else
        {"dataAbsentReason": {"coding": [m.coding(m.data.values.unknown.codes[0])]}})
    if a.mrd_method:
        mrd["method"] = w.concept(m.data.mrd_methods[a.mrd_method])
    add("mrd", obs.mrd, **mrd)
    if a.marrow_blasts_percent is not None:
        add("marrow-blasts", obs.marrow_blasts, valueQuantity={
            "value": a.marrow_blasts_percent, "unit": "%", "system": m.url["ucum"],
            "code": "%"})
    if a.blood_counts_normal is not None:
        add("blood-counts-normal", obs.blood_counts_normal, valueBoolean=a.blood_counts_normal)
    if a.extramedullary is not None:
        sites = m.data.extramedullary_sites
        components = [{"code": w.concept(sites[site]),
                       "valueCodeableConcept": _presence(w, "positive")}
                      for site in a.extramedullary]
        fields: dict[str, Any] = {"component": components} if components else {
            "valueCodeableConcept": _presence(w, "negative")}
        add("extramedullary", obs.extramedullary, **fields)


def _treatment(w: _Writer, i: int, treatment: Treatment, subject: dict[str, Any],
               disease_url: str) -> None:
    ext, m = w.m.data.extensions, w.m
    extensions = [_ext(ext.treatment_type, treatment.type),
                  _ext(ext.treatment_response, treatment.response)]
    no_response = treatment.response == "no-response"
    said = [c for c in m.data.status_reasons["no-response"].codes if c.usable]
    reason = {"coding": [m.coding(c) for c in said]} if no_response else None
    period = {k: v.isoformat() for k, v in
              (("start", treatment.started), ("end", treatment.ended)) if v is not None}
    if not treatment.drugs:
        code = m.data.procedures[treatment.type]
        procedure: dict[str, Any] = {
            "resourceType": "Procedure", "id": f"treatment-{i}", "extension": extensions,
            "status": _STATUS_OF[treatment.ended is not None] if period else "unknown",
            "code": w.concept(code, also=code.codes[1:]), "subject": subject,
        }
        if procedure["status"] == "active":
            procedure["status"] = "in-progress"
        if reason:
            procedure["statusReason"] = reason
        if period:
            procedure["performedPeriod"] = period
        w.add(procedure)
        return
    status = "stopped" if no_response and treatment.ended else (
        _STATUS_OF[treatment.ended is not None] if period else "unknown")
    for j, name in enumerate(treatment.drugs, start=1):
        request: dict[str, Any] = {
            "resourceType": "MedicationRequest", "id": f"treatment-{i}-{j}",
            "extension": extensions, "status": status, "intent": "order",
            "medicationCodeableConcept": _medicine(w, name), "subject": subject,
            "groupIdentifier": {"system": m.data.identifiers.treatment,
                                "value": f"treatment-{i}"},
            "reasonReference": [{"reference": disease_url}],
        }
        if reason:
            request["statusReason"] = reason
        if period:
            request["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": period}}}]
        w.add(request)


def _medicine(w: _Writer, name: str) -> dict[str, Any]:
    """The name as written; with its ATC code when it names exactly one drug that has one."""
    knowledge = w.m.knowledge
    ids = knowledge.canonical_drugs(name)
    concept = _text(w, name)
    if len(ids) == 1:
        drug = knowledge.drug_by_id[ids[0]]
        if drug.atc:
            concept["coding"] = [{"system": w.m.url["atc"], "code": drug.atc,
                                  "display": drug.name}]
    return concept


def _text(w: _Writer, text: str) -> dict[str, Any]:
    """A CodeableConcept of text only; the empty text, which FHIR cannot hold, as the
    project's extension."""
    if text:
        return {"text": text}
    return {"extension": [_ext(w.m.data.extensions.empty_text, True)]}
