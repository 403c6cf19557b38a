"""An assessment as FHIR R4, the CPG-on-FHIR way: ``plan_bundle(result, case, reading)``.

The answer of ``secondline assess --format fhir`` and of ``$apply``: a ``collection``
Bundle holding

* a **RequestGroup** (``intent: proposal``, ``status: draft`` — secondline proposes,
  it never orders), ``instantiatesCanonical`` = the project's PlanDefinition at the
  knowledge version, one action group per plan step (``groupingBehavior:
  logical-group``; ``selectionBehavior: at-most-one`` where the step's options are
  alternatives — the team may also choose none of them, e.g. a trial instead — else
  ``any``). Each option is an action with its reasons, its citations as
  ``documentation`` RelatedArtifacts (``type: citation``, "Publisher › Section", and
  the page's address only where one is confirmed) and a ``resource``: a **contained**
  MedicationRequest (an option of exactly one drug, coded with its ATC code) or
  ServiceRequest (anything else), ``intent: option``, ``status: draft``, the option id
  as an identifier and the reasons in CPG's ``cpg-rationale`` extension. Contained, so
  that the proposal travels as one resource and nothing in it can be stored apart from
  its reasons.
* the options not suggested, in their own groups (one per outcome), as requests with
  ``doNotPerform: true``, their reasons, and their outcome in a project extension;
* the current-guidance layer, when asked for, in its own group, dated and cited, with
  no request of its own: it is never merged into the pages' options;
* as the RequestGroup's notes: the summary, the missing facts (each field also as a
  project extension), where the sources are silent, the warnings, what of a Bundle read
  in was not read and why, and the disclaimer;
* a **DetectedIssue** for each caution and each cited page past its review date;
* for a case file, the case's Patient as ``export-fhir`` writes it (the subject); for a
  Bundle, the subject is a reference to the Bundle's own Patient.

The output is deterministic: the same assessment gives the same Bundle.
"""

from __future__ import annotations

import uuid
from typing import Any

from secondline._assessment import (
    Assessment,
    GuidanceItemOut,
    NotSuggestedOut,
    OptionOut,
    PlanStepOut,
    SourceOut,
)
from secondline._case import Case
from secondline._fhir.mapping import Extension, Mapping, load_mapping
from secondline._fhir.output import Reading
from secondline._knowledge import knowledge_version, load_knowledge
from secondline._schema import Citation

#: how each outcome of a not-suggested option is grouped, in this order
NOT_SUGGESTED_GROUPS = {
    "excluded": "Not suggested: a source rules it out for this case",
    "not-indicated": "Not suggested: its conditions are not met",
    "undecided": "Undecided: a fact it needs is not known, or it is held for the team",
}
GUIDANCE_GROUP = "Current guidance (opt-in layer, newer than the pages; kept apart)"


def _ext(extension: Extension, value: Any) -> dict[str, Any]:
    key = "value" + extension.value[:1].upper() + extension.value[1:]
    return {"url": extension.url, key: value}


class _Writer:
    def __init__(self, result: Assessment, mapping: Mapping) -> None:
        self.result = result
        self.m = mapping
        self.out = mapping.data.output
        self.sources = {s.id: s for s in result.sources}
        knowledge = load_knowledge()
        self.option_drugs = {c.option.id: c.option.drugs for c in knowledge.options}
        self.drugs = knowledge.drug_by_id
        self.space = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.out.plan_definition}/"
                                f"{uuid.uuid5(uuid.NAMESPACE_URL, result.model_dump_json())}")

    def url(self, local_id: str) -> str:
        return f"urn:uuid:{uuid.uuid5(self.space, local_id)}"

    def citation(self, cite: Citation) -> dict[str, Any]:
        source = self.sources.get(cite.source)
        publisher = source.publisher if source else cite.source
        artifact: dict[str, Any] = {"type": "citation", "label": f"{publisher} › {cite.section}",
                                    "display": f"{publisher} › {cite.section}"}
        if source is not None:
            artifact["citation"] = source.title
            if source.url:
                artifact["url"] = source.url
        return artifact


def option_request(
    option_id: str, name: str, subject: dict[str, Any], *, intent: str = "option",
    reasons: list[str] | None = None, local_id: str | None = None,
) -> dict[str, Any]:
    """A proposed request for one option: a MedicationRequest for an option of exactly
    one drug (with its ATC code), else a ServiceRequest coded with the option id. Also
    what a CDS Hooks suggestion creates (there with ``intent: proposal``)."""
    mapping = load_mapping()
    out = mapping.data.output
    knowledge = load_knowledge()
    drugs = next((c.option.drugs for c in knowledge.options if c.option.id == option_id), [])
    request: dict[str, Any] = {"resourceType": "ServiceRequest"}
    if local_id:
        request["id"] = local_id
    if reasons:
        request["extension"] = [{"url": out.rationale.url,
                                 "valueMarkdown": "\n".join(f"- {r}" for r in reasons)}]
    request["identifier"] = [{"system": out.option_identifier, "value": option_id}]
    request.update({"status": "draft", "intent": intent})
    concept = {"coding": [{"system": out.option_codes, "code": option_id, "display": name}],
               "text": name}
    if len(drugs) == 1:
        drug = knowledge.drug_by_id[drugs[0]]
        request["resourceType"] = "MedicationRequest"
        request["medicationCodeableConcept"] = {
            "coding": [{"system": mapping.url["atc"], "code": drug.atc, "display": drug.name}],
            "text": drug.name}
    else:
        request["code"] = concept
    request["subject"] = subject
    return request


def _reasons_text(reasons: list[str]) -> str:
    return " ".join(reasons) if reasons else "No reason recorded."


def _option_action(w: _Writer, option: OptionOut, subject: dict[str, Any],
                   contained: list[dict[str, Any]]) -> dict[str, Any]:
    local = f"option-{option.id}"
    contained.append(option_request(option.id, option.name, subject, reasons=option.reasons,
                                    local_id=local))
    trial = " Only within a clinical trial." if option.availability == "clinical-trial" else ""
    return {
        "title": option.name,
        "description": f"{option.summary}{trial}",
        "textEquivalent": _reasons_text(option.reasons),
        "documentation": [w.citation(c) for c in option.sources],
        "resource": {"reference": f"#{local}"},
    }


def _step_group(w: _Writer, step: PlanStepOut, options: dict[str, OptionOut],
                subject: dict[str, Any], contained: list[dict[str, Any]]) -> dict[str, Any]:
    order = " ".join(step.order_reasons)
    return {
        "id": f"step-{step.step}",
        "title": step.title,
        "description": f"{step.about} {order}".strip(),
        "code": [{"coding": [{"system": w.out.step_codes, "code": step.step,
                              "display": step.title}]}],
        "documentation": [w.citation(c) for c in step.sources],
        "groupingBehavior": "logical-group",
        "selectionBehavior": "at-most-one" if step.choose == "one" else "any",
        "action": [_option_action(w, options[i], subject, contained) for i in step.options],
    }


def _not_suggested_action(w: _Writer, item: NotSuggestedOut, subject: dict[str, Any],
                          contained: list[dict[str, Any]]) -> dict[str, Any]:
    local = f"not-{item.id}"
    request = option_request(item.id, item.name, subject, reasons=item.reasons,
                             local_id=local)
    request["extension"] = [*request.get("extension", []),
                            _ext(w.out.not_suggested_outcome, item.outcome)]
    request["doNotPerform"] = True
    contained.append(request)
    held = f" Held by: {', '.join(item.held_by)}." if item.held_by else ""
    return {
        "title": f"Not suggested: {item.name}",
        "description": f"{_reasons_text(item.reasons)}{held}",
        "documentation": [{**w.citation(c), "type": "justification"} for c in item.sources],
        "resource": {"reference": f"#{local}"},
    }


def _guidance_action(w: _Writer, item: GuidanceItemOut) -> dict[str, Any]:
    about = f" about {item.option_name}" if item.option_name else ""
    where = f"{item.nation}, " if item.nation else ""
    citation: dict[str, Any] = {
        "type": "citation", "label": f"{item.publisher} › {item.section}",
        "display": f"{item.publisher} {item.reference} › {item.section}",
        "citation": f"{item.title} ({where}{item.region}); read {item.checked}, to be read "
                    f"again by {item.review_by}", "url": item.url}
    overdue = " Past secondline's date to read it again." if item.review_overdue else ""
    return {
        "id": f"guidance-{item.id}",
        "title": f"{item.reference} ({item.publisher}): {item.outcome}{about}",
        "description": f"{item.text} Funding: {item.funding}. Read on {item.checked}; "
                       f"to be read again by {item.review_by}.{overdue}",
        "textEquivalent": _reasons_text(item.reasons),
        "code": [{"coding": [{"system": w.out.guidance_codes, "code": item.id,
                              "display": f"{item.publisher} {item.reference}"}]}],
        "documentation": [citation],
    }


def _notes(w: _Writer, reading: Reading | None) -> list[dict[str, Any]]:
    r = w.result
    notes = [{"text": r.summary}]
    notes += [{"text": f"Missing fact {m.field}: {m.why} Affects: {', '.join(m.affects)}."}
              for m in r.missing]
    if r.guidance is not None:
        notes += [{"text": f"Missing fact for the current-guidance layer {m.field}: {m.why}"}
                  for m in r.guidance.missing]
    for gap in r.gaps:
        cites = "; ".join(w.citation(c)["label"] for c in gap.sources)
        notes.append({"text": f"Where the sources are silent (the team decides): {gap.text}"
                      + (f" ({cites})" if cites else "")})
    cautions = {c.text for c in r.cautions}
    notes += [{"text": f"Warning: {line}"} for line in r.warnings if line not in cautions]
    if reading is not None:
        notes += [{"text": f"Not read from the record, {n.resource}: {n.why}"}
                  for n in reading.input.not_read]
    notes.append({"text": r.disclaimer})
    return notes


def _issue(w: _Writer, local_id: str, detail: str, subject: dict[str, Any],
           plan_url: str, severity: str, reference: str | None) -> dict[str, Any]:
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue", "id": local_id, "status": "final",
        "code": {"coding": [{"system": w.out.card_codes, "code": local_id.split("-")[0],
                             "display": "Caution for the team" if severity == "moderate"
                             else "Cited page past its review date"}]},
        "severity": severity, "patient": subject,
        "identifiedDateTime": w.result.as_of.isoformat(),
        "implicated": [{"reference": plan_url}], "detail": detail,
    }
    if reference:
        issue["reference"] = reference
    return issue


def _overdue(source: SourceOut) -> str:
    return (f"{source.publisher}, '{source.title}', was due for review on "
            f"{source.next_review_due}; check that what it says still holds.")


def plan_bundle(result: Assessment, case: Case, reading: Reading | None = None) -> dict[str, Any]:
    """The assessment as a FHIR R4 collection Bundle (plain JSON data), deterministic."""
    mapping = load_mapping()
    w = _Writer(result, mapping)
    entries: list[dict[str, Any]] = []
    subject: dict[str, Any]
    reason_refs: list[dict[str, str]] = []
    if reading is None:
        from secondline._fhir.write import write_bundle

        patient = next(e for e in write_bundle(case)["entry"]
                       if e["resource"]["resourceType"] == "Patient")
        entries.append(patient)
        subject = {"reference": patient["fullUrl"]}
    else:
        read = {r.field: r.resources for r in reading.input.read}
        label = read.get("age", [""])[0]
        # the Bundle's Patient by its id or fullUrl; one that has neither is named only
        subject = ({"reference": label} if "/" in label or label.startswith("urn:")
                   else {"display": "the Patient of the Bundle sent"})
        reason_refs = [{"reference": ref} for ref in read.get("disease", [])]
    plan_url = w.url("request-group")
    options = {o.id: o for o in result.options}
    contained: list[dict[str, Any]] = []
    actions = [_step_group(w, step, options, subject, contained) for step in result.plan]
    for outcome, title in NOT_SUGGESTED_GROUPS.items():
        items = [n for n in result.not_suggested if n.outcome == outcome]
        if items:
            actions.append({"id": f"not-suggested-{outcome}", "title": title,
                            "groupingBehavior": "logical-group",
                            "action": [_not_suggested_action(w, n, subject, contained)
                                       for n in items]})
    if result.guidance is not None and result.guidance.items:
        actions.append({"id": "current-guidance", "title": GUIDANCE_GROUP,
                        "description": "Guidance newer than the pages, applied on request: "
                        "each item dated and cited; it changes none of the options above.",
                        "groupingBehavior": "logical-group",
                        "action": [_guidance_action(w, i) for i in result.guidance.items]})
    group: dict[str, Any] = {
        "resourceType": "RequestGroup", "id": "secondline-plan", "contained": contained,
        "extension": [_ext(w.out.missing_fact, m.field) for m in result.missing],
        "instantiatesCanonical": [f"{w.out.plan_definition}|{knowledge_version()}"],
        "status": "draft", "intent": "proposal", "subject": subject,
        "authoredOn": result.as_of.isoformat(),
    }
    if not group["extension"]:
        del group["extension"]
    if reason_refs:
        group["reasonReference"] = reason_refs
    group["note"] = _notes(w, reading)
    group["action"] = actions
    entries.append({"fullUrl": plan_url, "resource": group})
    for i, caution in enumerate(result.cautions, start=1):
        cites = "; ".join(w.citation(c)["label"] for c in caution.sources)
        entries.append({"fullUrl": w.url(f"caution-{i}"), "resource": _issue(
            w, f"caution-{i}", f"{caution.text} ({cites})" if cites else caution.text,
            subject, plan_url, "moderate", None)})
    for i, source in enumerate((s for s in result.sources if s.review_overdue), start=1):
        entries.append({"fullUrl": w.url(f"overdue-{i}"), "resource": _issue(
            w, f"overdue-{i}", _overdue(source), subject, plan_url, "low", source.url)})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "collection",
                              "meta": {"extension": [_ext(mapping.data.extensions.as_of,
                                                          result.as_of.isoformat())]},
                              "entry": entries}
    return bundle
