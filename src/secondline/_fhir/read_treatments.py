"""Earlier treatments: MedicationRequest, MedicationAdministration and Procedure.

* A medicine's name comes from ``medicationCodeableConcept`` (or the Medication it
  references): its text when the knowledge knows it, else an ATC code of the knowledge,
  else a verified code of the mapping, else its text or display as written (kept, and
  reported by the engine as an unknown name).
* Dates: MedicationRequest ``dosageInstruction.timing.repeat.boundsPeriod`` (as mCODE's
  examples write them), MedicationAdministration ``effective[x]``, Procedure
  ``performed[x]``. ``dispenseRequest.validityPeriod`` says how long a prescription may
  be dispensed, not when the drug was given, and is not read.
* Requests that share ``groupIdentifier`` are one treatment (a regimen ordered together);
  an administration that names its request belongs to that request's treatment.
* The type: the project's extension, a procedure's code, or what the recognised drugs
  agree on (``medicine_types`` of the mapping), else ``other``.
* The response: the project's extension; else ``no-response`` from a status reason
  that says so; else the best remission status (CancerDiseaseStatus) dated from the
  treatment's start until the next treatment starts; else unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from secondline._fhir.bundle import Entry
from secondline._fhir.values import Context, Day, as_dict, as_list, codings, day_of, extensions

#: statuses of requests and administrations that mean nothing was given
_NOT_GIVEN = {"entered-in-error", "cancelled", "draft", "not-done", "preparation"}
#: request intents that are only proposals or plans
_NOT_ORDERED = {"proposal", "plan", "option"}
_RANK = {"complete-remission": 2, "partial-remission": 1}


@dataclass
class Draft:
    order: int
    labels: list[str]
    drugs: list[str] = field(default_factory=list)
    type: str | None = None
    response: str | None = None
    no_response_reason: bool = False
    started: dt.date | None = None
    ended: dt.date | None = None
    group: tuple[str, str] | None = None
    status: str | None = None
    #: for a procedure: the type its code gives
    procedure_type: str | None = None
    #: the best response a remission status gives, and the status it came from
    inferred: str | None = None
    response_from: list[str] = field(default_factory=list)


def _medicine(ctx: Context, concept: Any) -> str | None:
    cc = as_dict(concept)
    knowledge, mapping = ctx.mapping.knowledge, ctx.mapping
    if extensions(cc, mapping.data.extensions.empty_text) == [True]:
        return ""
    text = str(cc["text"]) if isinstance(cc.get("text"), str) else None
    if text and knowledge.canonical_drugs(text):
        return text
    atc = mapping.url["atc"]
    for system, code in codings(cc):
        if system == atc and code in mapping.atc:
            return mapping.atc[code]
        if (system, code) in mapping.medicine:
            return mapping.medicine[(system, code)]
    if text:
        return text
    for coding in as_list(cc.get("coding")):
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            return str(coding["display"])
    return None


def _dates(ctx: Context, draft: Draft, label: str, start: Day, end: Day) -> bool:
    """Set a draft's dates; False when the treatment lies wholly after as_of."""
    for which, when in (("start", start), ("end", end)):
        if when.partial:
            ctx.record.note(label, f"{which} date given only to the year or month "
                            f"({when.written}); not read")
    if ctx.after_as_of(label, start.day, "a treatment"):
        return False
    draft.started = start.day
    draft.ended = end.day
    if end.day is not None and end.day > ctx.as_of:
        ctx.record.note(label, f"end date {end.day} is after the date the case is judged at; "
                        "read as still being given")
        draft.ended = None
    return True


def _common(ctx: Context, entry: Entry, draft: Draft, reasons: list[Any]) -> None:
    ext = ctx.mapping.data.extensions
    types = extensions(entry.resource, ext.treatment_type)
    responses = extensions(entry.resource, ext.treatment_response)
    draft.type = types[0] if types else None
    draft.response = responses[0] if responses else None
    no_response = ctx.mapping.data.status_reasons["no-response"]
    draft.no_response_reason = any(ctx.is_recorded(no_response, r) for r in reasons)


def _request(ctx: Context, entry: Entry) -> Draft | None:
    resource, label = entry.resource, entry.label
    if resource.get("status") in _NOT_GIVEN:
        ctx.record.note(label, f"status {resource['status']}: not given; not read")
        return None
    if resource.get("intent") in _NOT_ORDERED:
        ctx.record.note(label, f"intent {resource['intent']}: proposed, not given; not read")
        return None
    draft = Draft(entry.index, [label], status=resource.get("status"))
    if not _name(ctx, entry, draft):
        return None
    periods: list[dict[str, Any]] = [
        period for d in as_list(resource.get("dosageInstruction"))
        if (period := as_dict(as_dict(as_dict(as_dict(d).get("timing")).get("repeat"))
                              .get("boundsPeriod")))]
    starts = sorted(d.day for p in periods if (d := day_of(p.get("start"))).day)
    ends = [day_of(p.get("end")) for p in periods]
    start = Day(starts[0], str(starts[0])) if starts else next(
        (day_of(p.get("start")) for p in periods), Day(None, None))
    end = Day(None, None) if any(e.day is None for e in ends) or not ends else max(
        ends, key=lambda e: e.day or dt.date.min)
    if not _dates(ctx, draft, label, start, end):
        return None
    _common(ctx, entry, draft, [resource.get("statusReason")])
    group = as_dict(resource.get("groupIdentifier"))
    if group.get("value"):
        draft.group = (str(group.get("system", "")), str(group["value"]))
    return draft


def _name(ctx: Context, entry: Entry, draft: Draft) -> bool:
    resource = entry.resource
    concept = resource.get("medicationCodeableConcept")
    if concept is None:
        ref = as_dict(resource.get("medicationReference")).get("reference")
        if isinstance(ref, str) and ref.startswith("#"):  # a Medication contained in it
            contained = [as_dict(c) for c in as_list(resource.get("contained"))]
            found = next((c for c in contained if c.get("id") == ref[1:]), None)
            medication = None if found is None else Entry(entry.index, found, ref, None)
        else:
            medication = ctx.bundle.resolve(ref)
            if medication is not None:
                ctx.record.seen.add(medication.label)
        if medication is None or medication.type != "Medication":
            ctx.record.note(entry.label, f"its medicine {ref} is not in the Bundle; not read")
            return False
        concept = medication.resource.get("code")
    name = _medicine(ctx, concept)
    if name is None:
        ctx.record.note(entry.label, "names no medicine; not read")
        return False
    draft.drugs.append(name)
    return True


def _administration(ctx: Context, entry: Entry) -> Draft | None:
    resource, label = entry.resource, entry.label
    if resource.get("status") in _NOT_GIVEN:
        ctx.record.note(label, f"status {resource['status']}: not given; not read")
        return None
    draft = Draft(entry.index, [label], status=resource.get("status"))
    if not _name(ctx, entry, draft):
        return None
    if "effectiveDateTime" in resource:
        start = end = day_of(resource["effectiveDateTime"])
    else:
        period = as_dict(resource.get("effectivePeriod"))
        start, end = day_of(period.get("start")), day_of(period.get("end"))
    if not _dates(ctx, draft, label, start, end):
        return None
    _common(ctx, entry, draft, as_list(resource.get("statusReason")))
    return draft


def _procedure(ctx: Context, entry: Entry) -> Draft | None:
    resource, label = entry.resource, entry.label
    code = resource.get("code")
    kind = next((name for name, concept in ctx.mapping.data.procedures.items()
                 if ctx.is_recorded(concept, code)), None)
    if kind is None:
        recognised = next((ctx.mapping.recognised[p] for p in codings(code)
                           if p in ctx.mapping.recognised), None)
        ctx.record.note(label, " ".join(recognised.says.split()) if recognised else (
            ctx.unverified(code) or "not a treatment secondline reads"))
        return None
    if resource.get("status") in _NOT_GIVEN:
        ctx.record.note(label, f"status {resource['status']}: not done; not read")
        return None
    draft = Draft(entry.index, [label], status=resource.get("status"), procedure_type=kind)
    if "performedDateTime" in resource:
        start = end = day_of(resource["performedDateTime"])
    else:
        period = as_dict(resource.get("performedPeriod"))
        start, end = day_of(period.get("start")), day_of(period.get("end"))
    if not _dates(ctx, draft, label, start, end):
        return None
    _common(ctx, entry, draft, [resource.get("statusReason")])
    return draft


def read_treatments(ctx: Context, entries: list[Entry]) -> list[Draft]:
    drafts: dict[str, Draft] = {}
    administrations: list[tuple[Entry, Draft]] = []
    for entry in entries:
        if not ctx.about_patient(entry):
            continue
        if entry.type == "MedicationRequest":
            draft = _request(ctx, entry)
        elif entry.type == "MedicationAdministration":
            draft = _administration(ctx, entry)
            if draft is not None:
                administrations.append((entry, draft))
                continue
        else:
            draft = _procedure(ctx, entry)
        if draft is not None:
            drafts[entry.label] = draft
    for entry, draft in administrations:
        request = ctx.bundle.resolve(as_dict(entry.resource.get("request")).get("reference"))
        if request is not None and request.label in drafts:
            _merge_administration(drafts[request.label], draft)
        else:
            drafts[entry.label] = draft
    return _groups(ctx, sorted(drafts.values(), key=lambda d: d.order))


def _merge_administration(request: Draft, given: Draft) -> None:
    """An administration of a request: its dates fill in what the request leaves out."""
    request.labels.extend(given.labels)
    if request.started is None or (given.started and given.started < request.started):
        request.started = given.started
    if request.ended is None and request.status in ("completed", "stopped"):
        request.ended = given.ended
    request.no_response_reason |= given.no_response_reason


def _groups(ctx: Context, drafts: list[Draft]) -> list[Draft]:
    """Requests sharing a groupIdentifier as one treatment, in the order first written."""
    out: list[Draft] = []
    by_group: dict[tuple[str, str], Draft] = {}
    for draft in drafts:
        if draft.group is None:
            out.append(draft)
            continue
        first = by_group.get(draft.group)
        if first is None:
            by_group[draft.group] = draft
            out.append(draft)
            continue
        first.drugs.extend(draft.drugs)
        first.labels.extend(draft.labels)
        starts = [d for d in (first.started, draft.started) if d]
        first.started = min(starts, default=None)
        first.ended = None if first.ended is None or draft.ended is None else max(
            first.ended, draft.ended)
        for attribute in ("type", "response"):
            mine, theirs = getattr(first, attribute), getattr(draft, attribute)
            if mine is None:
                setattr(first, attribute, theirs)
            elif theirs is not None and theirs != mine:
                ctx.record.note(draft.labels[0], f"treatment {attribute} {theirs} differs from "
                                f"{first.labels[0]} of the same group ({mine}); {mine} kept")
        first.no_response_reason |= draft.no_response_reason
    return out


def finish(ctx: Context, drafts: list[Draft],
           statuses: list[tuple[dt.date, str, str]]) -> list[dict[str, Any]]:
    """The case's treatments, with type and response settled and their sources noted."""
    _responses_from_statuses(ctx, drafts, statuses)
    treatments = []
    for i, draft in enumerate(drafts):
        treatment: dict[str, Any] = {"drugs": draft.drugs, "type": _type(ctx, draft)}
        if draft.started:
            treatment["started"] = draft.started
        if draft.ended:
            treatment["ended"] = draft.ended
        response = draft.response or (
            "no-response" if draft.no_response_reason else draft.inferred)
        if response:
            treatment["response"] = response
        ctx.record.took(f"treatments[{i}]", *draft.labels)
        if draft.response_from and response == draft.inferred:
            ctx.record.took(f"treatments[{i}].response", *draft.response_from)
        treatments.append(treatment)
    return treatments


def _type(ctx: Context, draft: Draft) -> str:
    if draft.type:
        return draft.type
    if draft.procedure_type:
        return draft.procedure_type
    knowledge = ctx.mapping.knowledge
    kinds = {ctx.mapping.type_of_drug[i] for name in draft.drugs
             for i in knowledge.canonical_drugs(name) if i in ctx.mapping.type_of_drug}
    return kinds.pop() if len(kinds) == 1 else "other"


def _responses_from_statuses(ctx: Context, drafts: list[Draft],
                             statuses: list[tuple[dt.date, str, str]]) -> None:
    """A remission status applies to each treatment begun on or before its date whose
    window (until the next treatment starts) holds that date; the best one counts."""
    starts = sorted({d.started for d in drafts if d.started})
    for day, response, label in statuses:
        used = False
        for draft in drafts:
            if draft.started is None or draft.started > day:
                continue
            later = [s for s in starts if s > draft.started]
            if later and day >= later[0]:
                continue
            used = True
            if draft.response or draft.no_response_reason:
                continue
            if draft.inferred is None or _RANK[response] > _RANK[draft.inferred]:
                draft.inferred, draft.response_from = response, [label]
        if not used:
            ctx.record.note(label, f"{response} on {day} follows no dated treatment; not read "
                            "as a response")
        else:
            ctx.record.seen.add(label)
