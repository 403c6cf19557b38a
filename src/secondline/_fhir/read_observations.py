"""Observations: markers, Philadelphia/BCR::ABL1, the disease assessment, disease status.

Each result becomes a *finding* (case field, day, value, resource); ``choose`` then keeps
the latest finding per field and says why each other one was not used. Results
secondline recognises but does not read (performance status, single blood counts,
narrative reports) are listed with the mapping's own words for why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from secondline._fhir.bundle import Entry
from secondline._fhir.mapping import Recognised
from secondline._fhir.values import (
    Context,
    as_dict,
    as_list,
    codings,
    day_of,
    describe,
    effective,
    presence,
    texts,
    value_in_words,
)

MARKERS = {"cd19": "markers.CD19", "cd20": "markers.CD20", "cd22": "markers.CD22"}
#: the assessment's fields read from results; the assessment's date is theirs
ASSESSMENT = ("assessment.marrow_blasts_percent", "assessment.blood_counts_normal",
              "assessment.mrd", "assessment.extramedullary")


@dataclass(frozen=True, slots=True)
class Finding:
    field: str
    day: dt.date | None
    value: Any
    label: str


@dataclass
class Findings:
    found: list[Finding] = field(default_factory=list)
    #: CancerDiseaseStatus results that say remission: (day, response, resource)
    statuses: list[tuple[dt.date, str, str]] = field(default_factory=list)


def read_observations(ctx: Context, entries: list[Entry]) -> Findings:
    findings = Findings()
    for entry in entries:
        if not ctx.about_patient(entry):
            continue
        resource = entry.resource
        if resource.get("status") in ("entered-in-error", "cancelled"):
            ctx.record.note(entry.label, f"status {resource['status']}; not read")
            continue
        when = effective(resource)
        if when.partial:
            ctx.record.note(entry.label, f"dated only to the year or month ({when.written}); "
                            "not read")
            continue
        if ctx.after_as_of(entry.label, when.day, "a result"):
            continue
        _check_part_of(ctx, entry, when.day)
        _one(ctx, entry, when.day, findings)
    return findings


def _one(ctx: Context, entry: Entry, day: dt.date | None, findings: Findings) -> None:
    resource, label = entry.resource, entry.label
    obs = ctx.mapping.data.observations
    code = resource.get("code")
    add = findings.found.append
    for name, case_field in MARKERS.items():
        if ctx.is_recorded(getattr(obs, name), code):
            _presence(ctx, entry, case_field, day, findings)
            return
    if ctx.is_recorded(obs.philadelphia, code):
        _presence(ctx, entry, "philadelphia", day, findings)
        return
    genes = _genes(ctx, resource)
    if genes:
        fusion = {ctx.mapping.key(g) for g in ctx.mapping.data.fusion_genes}
        if fusion <= set(genes):
            _presence(ctx, entry, "philadelphia", day, findings)
        else:
            named = ", ".join(texts([c.get("valueCodeableConcept") for c in
                                     as_list(resource.get("component"))]) or ["?"])
            ctx.record.note(label, f"a genomic finding ({named}) other than BCR::ABL1; not "
                            "read (it says nothing of the Philadelphia chromosome)")
        return
    if ctx.is_recorded(obs.marrow_blasts, code):
        quantity = as_dict(resource.get("valueQuantity"))
        percent = quantity.get("code") == "%" or quantity.get("unit") == "%"
        plain = isinstance(quantity.get("value"), int | float) and "comparator" not in quantity
        if percent and plain:
            add(Finding("assessment.marrow_blasts_percent", day, quantity["value"], label))
        else:
            ctx.record.note(label, f"marrow blasts given as {value_in_words(resource)}; "
                            "secondline reads a plain percentage only")
        return
    if ctx.is_recorded(obs.blood_counts_normal, code):
        if isinstance(resource.get("valueBoolean"), bool):
            add(Finding("assessment.blood_counts_normal", day, resource["valueBoolean"], label))
        else:
            ctx.record.note(label, "blood counts normal given without a yes/no value; not read")
        return
    if ctx.is_recorded(obs.mrd, code):
        _mrd(ctx, entry, day, findings)
        return
    if ctx.is_recorded(obs.extramedullary, code):
        _extramedullary(ctx, entry, day, findings)
        return
    if ctx.is_recorded(obs.disease_status, code):
        _status(ctx, entry, day, findings)
        return
    recognised = _recognised(ctx, resource)
    if recognised is not None:
        ctx.record.note(label, _says(recognised, resource, day))
        return
    ctx.record.note(label, ctx.unverified(code) or
                    f"{describe(code)}: not a result secondline reads")


def _presence(ctx: Context, entry: Entry, case_field: str, day: dt.date | None,
              findings: Findings) -> None:
    value = presence(ctx.mapping, entry.resource)
    if value is None:
        ctx.record.note(entry.label, f"{case_field} given as {value_in_words(entry.resource)}; "
                        "secondline reads positive or negative only (it sets no threshold)")
        return
    findings.found.append(Finding(case_field, day, value, entry.label))


def _genes(ctx: Context, resource: dict[str, Any]) -> list[tuple[str, str]]:
    """The genes a genomic result names (HGNC codes in its components)."""
    hgnc = ctx.mapping.url["hgnc"]
    return [pair for c in as_list(resource.get("component"))
            for pair in codings(as_dict(c).get("valueCodeableConcept")) if pair[0] == hgnc]


def _mrd(ctx: Context, entry: Entry, day: dt.date | None, findings: Findings) -> None:
    value = presence(ctx.mapping, entry.resource)
    if value is None:
        ctx.record.note(entry.label, f"MRD given as {value_in_words(entry.resource)}; "
                        "secondline reads positive, negative or unknown only (it sets no "
                        "threshold)")
        return
    findings.found.append(Finding("assessment.mrd", day, value, entry.label))
    method = entry.resource.get("method")
    if method is None:
        return
    for name, concept in ctx.mapping.data.mrd_methods.items():
        if ctx.is_recorded(concept, method):
            findings.found.append(Finding("assessment.mrd_method", day, name, entry.label))
            return
    ctx.record.note(entry.label, f"MRD method {describe(method)} is neither flow cytometry "
                    "nor PCR; method not read")


def _extramedullary(ctx: Context, entry: Entry, day: dt.date | None,
                    findings: Findings) -> None:
    sites: list[str] = []
    for component in as_list(entry.resource.get("component")):
        component = as_dict(component)
        site = next((name for name, concept in ctx.mapping.data.extramedullary_sites.items()
                     if ctx.is_recorded(concept, component.get("code"))), None)
        found = presence(ctx.mapping, component)
        if site is None:
            ctx.record.note(entry.label, f"site {describe(component.get('code'))} is not one "
                            "the case records; not read")
        elif found == "positive" and site not in sites:
            sites.append(site)
    overall = presence(ctx.mapping, entry.resource)
    if sites or overall == "negative":
        findings.found.append(Finding("assessment.extramedullary", day, sites, entry.label))
    else:
        ctx.record.note(entry.label, "disease outside the marrow without the sites named; "
                        "not read")


def _status(ctx: Context, entry: Entry, day: dt.date | None, findings: Findings) -> None:
    value = entry.resource.get("valueCodeableConcept")
    for response, concept in ctx.mapping.data.disease_status_values.items():
        if ctx.is_recorded(concept, value):
            if day is None:
                ctx.record.note(entry.label, "a remission status without a date cannot be "
                                "tied to a treatment; not read")
            else:
                findings.statuses.append((day, response, entry.label))
            return
    recognised = _recognised(ctx, {"code": value})
    if recognised is not None:
        ctx.record.note(entry.label, _says(recognised, entry.resource, day))
    else:
        ctx.record.note(entry.label, f"disease status {describe(value)} is not a response "
                        "the case records; not read")


def _recognised(ctx: Context, resource: dict[str, Any]) -> Recognised | None:
    for pair in codings(resource.get("code")) + codings(resource.get("valueCodeableConcept")):
        found = ctx.mapping.recognised.get(pair)
        if found is not None:
            return found
    return None


def _says(recognised: Recognised, resource: dict[str, Any], day: dt.date | None) -> str:
    text = " ".join(recognised.says.split())
    return text.replace("{value}", value_in_words(resource)).replace(
        "{date}", str(day) if day else "undated")


def _check_part_of(ctx: Context, entry: Entry, day: dt.date | None) -> None:
    """A result that is part of a procedure: its code should fit the procedure, and it
    should not be dated before it. Either slip is pointed out (the result is still read
    or not read on its own merits)."""
    for ref in as_list(entry.resource.get("partOf")):
        target = ctx.bundle.resolve(as_dict(ref).get("reference"))
        if target is None or target.type != "Procedure":
            continue
        procedure = _recognised(ctx, target.resource)
        result = _recognised(ctx, entry.resource)
        if procedure and result and procedure.kind and result.kind \
                and procedure.kind != result.kind:
            coded = describe(entry.resource.get("code"))
            ctx.record.note(entry.label, f"coded as a {result.name} ({coded}) but part of "
                            f"{target.label}, a {procedure.name}: the code and the procedure "
                            "disagree")
        done = day_of(target.resource.get("performedDateTime")).day or day_of(
            as_dict(target.resource.get("performedPeriod")).get("start")).day
        if day and done and day < done:
            ctx.record.note(entry.label, f"dated {day}, before {target.label} it is part of "
                            f"({done})")


def choose(ctx: Context, findings: list[Finding]) -> dict[str, Any]:
    """The value of each field: markers and Philadelphia from their latest result; the
    assessment from the latest date any of its results has (all its fields from that
    date). Each result not used is listed, with the one that replaced it."""
    chosen: dict[str, Any] = {}
    dated = [f.day for f in findings if f.field.startswith("assessment.") and f.day]
    assessment_day = max(dated, default=None)
    for case_field in sorted({f.field for f in findings}):
        group = [f for f in findings if f.field == case_field]
        if case_field.startswith("assessment."):
            group = _keep(ctx, group, assessment_day, "the latest assessment")
        else:
            latest = max((f.day for f in group if f.day), default=None)
            group = _keep(ctx, group, latest, "a later result")
        values = {repr(f.value) for f in group}
        if len(values) > 1:
            for f in group:
                ctx.record.note(f.label, f"{case_field} {f.value} disagrees with another result "
                                f"of the same date; {case_field} left unknown")
            continue
        if group:
            chosen[case_field] = group[0].value
            ctx.record.took(case_field, *(f.label for f in group))
    if assessment_day is not None and any(k.startswith("assessment.") for k in chosen):
        chosen["assessment.date"] = assessment_day
    return chosen


def _keep(ctx: Context, group: list[Finding], day: dt.date | None, what: str) -> list[Finding]:
    """The findings of ``day`` (or, when nothing is dated, all); the others noted."""
    if day is None:
        return group
    kept = [f for f in group if f.day == day]
    for f in group:
        if f.day != day:
            when = f"of {f.day}" if f.day else "undated"
            ctx.record.note(f.label, f"{f.field} {when} not used: {what} is of {day}")
    return kept
