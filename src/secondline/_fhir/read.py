"""A case from a FHIR R4 Bundle: ``read_bundle(data) -> Reading``.

The reader maps facts and never works out a clinical answer: the state, the options and
their reasons are the engine's, exactly as for a case written by hand. Every fact read
names the resources it came from; every resource not read is listed with why.

* Patient: the age in whole years on ``as_of`` from ``birthDate`` (or the project's age
  extension when there is no birth date), and the project's case extensions.
* The disease: the Condition whose code (SNOMED CT, ICD-10, ICD-10-CM or the project's)
  or whole text names B-ALL, T-ALL or hairy cell leukaemia; ``onset[x]`` is the date of
  diagnosis. An ICD-10-CM fifth digit (in remission, in relapse) is listed, not used.
* Fitness: only the team's judgement (the project's extension). ECOG, Karnofsky and
  Lansky scores are listed as recorded; the sources give no threshold to turn them
  into fitness, and secondline invents none.
* ``as_of``: the caller's (``--as-of``), else the project's extension on Bundle.meta, else
  today. Anything dated after it is not read, and says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from secondline._case import Case
from secondline._errors import CaseError
from secondline._fhir.bundle import Bundle, BundleError, Entry, check_bundle
from secondline._fhir.mapping import load_mapping, text_key
from secondline._fhir.output import InputOut, NotReadOut, Reading, ReadOut
from secondline._fhir.read_observations import choose, read_observations
from secondline._fhir.read_treatments import finish, read_treatments
from secondline._fhir.values import (
    Context,
    Record,
    as_dict,
    codings,
    day_of,
    describe,
    extensions,
    texts,
)
from secondline._knowledge import symptom_key
from secondline._parse import parse_case

#: how the problem starts when no Condition names a disease secondline assesses (a CDS
#: service called for someone else's record answers with no cards)
NO_DISEASE = "disease: no Condition names B-ALL, T-ALL or hairy cell leukaemia"
#: clinical statuses of a Condition that is over
_PAST = {"inactive", "resolved", "remission"}


def read_bundle(data: Any, as_of: dt.date | None = None) -> Reading:
    """The case a Bundle describes; BundleError (a CaseError) naming every problem."""
    bundle = check_bundle(data)
    mapping = load_mapping()
    record = Record()
    patient = _the_patient(bundle)
    ext = mapping.data.extensions
    judged = as_of
    if judged is None:
        given = extensions(as_dict(bundle.data.get("meta")), ext.as_of)
        judged = day_of(given[0]).day if given else None
        if judged is not None:
            record.took("as_of", "Bundle.meta")
        elif given:
            record.note("Bundle.meta", f"as_of {given[0]} is not a whole date; judged today")
    ctx = Context(bundle, mapping, record, patient, judged or dt.date.today())
    for where, why in bundle.notes:
        record.note(where, why)
    case: dict[str, Any] = {"as_of": ctx.as_of}
    _case_id(ctx, case)
    _patient(ctx, case)
    _conditions(ctx, case)
    findings = read_observations(ctx, list(bundle.of_type("Observation")))
    for key, value in choose(ctx, findings.found).items():
        _put(case, key, value)
    drafts = read_treatments(ctx, list(bundle.of_type(
        "MedicationRequest", "MedicationAdministration", "Procedure")))
    treatments = finish(ctx, drafts, findings.statuses)
    if treatments:
        case["treatments"] = treatments
    _diagnosis_first(ctx, case)
    _reports(ctx)
    _unresolved(ctx)
    for entry in bundle.entries:
        if entry.label not in record.seen:
            record.note(entry.label, f"a {entry.type}; the case has no field for it")
    return Reading(_parse(ctx, case), _input(bundle, record))


def _the_patient(bundle: Bundle) -> Entry:
    patients = list(bundle.of_type("Patient"))
    if len(patients) == 1:
        return patients[0]
    if not patients:
        raise BundleError(["age: the Bundle holds no Patient; a case needs the person's age"])
    raise BundleError([f"entry: the Bundle holds {len(patients)} Patients "
                       f"({', '.join(p.label for p in patients)}); a case is one person"])


def _put(case: dict[str, Any], key: str, value: Any) -> None:
    target = case
    *parents, last = key.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _case_id(ctx: Context, case: dict[str, Any]) -> None:
    identifier = as_dict(ctx.bundle.data.get("identifier"))
    if extensions(identifier, ctx.mapping.data.extensions.empty_text) == [True]:
        case["id"] = ""
    elif isinstance(identifier.get("value"), str):
        case["id"] = identifier["value"]
    else:
        return
    ctx.record.took("id", "Bundle.identifier")


def _patient(ctx: Context, case: dict[str, Any]) -> None:
    resource, label = ctx.patient.resource, ctx.patient.label
    ext = ctx.mapping.data.extensions
    record = ctx.record
    ages = [as_dict(a).get("value") for a in extensions(resource, ext.age)]
    born = day_of(resource.get("birthDate"))
    if born.written:
        age = _age(ctx, born.written)
        if age is not None:
            case["age"] = age
            record.took("age", label)
            if ages and ages[0] != age:
                record.note(label, f"the age extension says {ages[0]} but the birth date "
                            f"gives {age}; the birth date is used")
    elif ages:
        case["age"] = ages[0]
        record.took("age", label)
    else:
        record.problems.append(f"age: {label} has no birthDate; a case needs the age")
    if resource.get("deceasedBoolean") is True or "deceasedDateTime" in resource:
        record.note(label, "recorded as deceased")
    simple = {
        "fit_for_intensive_treatment": ext.fit_for_intensive_treatment,
        "previous_transplant": ext.previous_transplant, "donor": ext.donor,
        "relapses": ext.relapses, "region": ext.region,
        "wishes.active_treatment": ext.wishes_active_treatment,
        "wishes.clinical_trials": ext.wishes_clinical_trials,
    }
    for key, extension in simple.items():
        values = extensions(resource, extension)
        if values:
            _put(case, key, values[0])
            record.took(key, label)
    sites = extensions(resource, ext.relapse_sites)
    if sites:
        case["relapse_sites"] = [] if sites == ["none"] else sites
        record.took("relapse_sites", label)
    record.seen.add(label)


def _age(ctx: Context, written: str) -> int | None:
    """Whole years on as_of; a birth date of year (or month) only must leave one answer."""
    label, as_of = ctx.patient.label, ctx.as_of
    parts = [int(p) for p in written[:10].split("-")]
    year, month, day = ([*parts, 0, 0])[:3]
    months = [month] if month else list(range(1, 13))
    earliest = dt.date(year, months[0], day or 1)
    if earliest > as_of:
        ctx.record.problems.append(f"age: {label} was born ({written}) after the date the "
                                   f"case is judged at ({as_of})")
        return None
    latest = dt.date(year, months[-1], day) if day else _month_end(year, months[-1])
    ages = {_years(b, as_of) for b in (earliest, latest) if b <= as_of}
    if len(ages) > 1:
        ctx.record.problems.append(
            f"age: {label} birthDate {written} gives the age on {as_of} only as "
            f"{min(ages)} or {max(ages)}; secondline needs the age in whole years")
        return None
    return ages.pop()


def _month_end(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _conditions(ctx: Context, case: dict[str, Any]) -> None:
    mapping, record = ctx.mapping, ctx.record
    disease_codes = {mapping.key(c): c for c in mapping.data.disease.codes if c.usable}
    found: list[tuple[str, Entry]] = []
    onsets: list[tuple[dt.date, str]] = []
    symptoms: list[str] = []
    unverified: list[str] = []
    for entry in ctx.bundle.of_type("Condition"):
        if not ctx.about_patient(entry):
            continue
        resource, label = entry.resource, entry.label
        status = codings(resource.get("verificationStatus"))
        if any(code in ("entered-in-error", "refuted") for _, code in status):
            record.note(label, "entered in error or refuted; not read")
            continue
        code = resource.get("code")
        means: set[str] = {disease_codes[p].means for p in codings(code) if p in disease_codes}
        means |= {mapping.disease_texts[k] for t in texts(code)
                  if (k := text_key(t)) in mapping.disease_texts}
        for pair in codings(code):
            state = disease_codes[pair].state if pair in disease_codes else None
            if state:
                record.note(label, f"ICD-10-CM {pair[1]} says '{state}'; not used: the state "
                            "is worked out from the case's own facts, as for any case")
        if means:
            found.append((_lineage(ctx, label, means), entry))
            onset = day_of(resource.get("onsetDateTime") or
                           as_dict(resource.get("onsetPeriod")).get("start"))
            if onset.day and not ctx.after_as_of(label, onset.day, "a diagnosis"):
                onsets.append((onset.day, label))
            continue
        name = _symptom(ctx, resource)
        if name is None:
            doubt = ctx.unverified(code)
            if doubt:
                unverified.append(f"{label} is {doubt.removesuffix('; not read')}")
            record.note(label, doubt or f"{describe(code)}: a condition the case has no "
                        "field for")
        elif any(c in _PAST for _, c in codings(resource.get("clinicalStatus"))):
            record.note(label, f"symptom {name!r} is recorded as over; not read")
        else:
            symptoms.append(name)
            record.took("symptoms", label)
    _settle_disease(ctx, case, found, unverified)
    if onsets and "disease" in case:
        day, label = min(onsets)
        case["diagnosed"] = day
        record.took("diagnosed", label)
    if symptoms:
        case["symptoms"] = symptoms


def _lineage(ctx: Context, label: str, means: set[str]) -> str:
    specific = means - {"ALL"}
    if len(specific) > 1:
        ctx.record.problems.append(f"disease: {label} names more than one disease "
                                   f"({', '.join(sorted(specific))})")
        return "conflict"
    if specific and "ALL" in means and specific != {"B-ALL"} and specific != {"T-ALL"}:
        ctx.record.problems.append(f"disease: {label} names both acute lymphoblastic "
                                   f"leukaemia and {specific.pop()}")
        return "conflict"
    return specific.pop() if specific else "ALL"


def _settle_disease(ctx: Context, case: dict[str, Any], found: list[tuple[str, Entry]],
                    unverified: list[str]) -> None:
    named = {means for means, _ in found if means != "conflict"}
    labels = [entry.label for _, entry in found]
    specific = named - {"ALL"}
    if len(specific) == 1 and not any(m == "conflict" for m, _ in found):
        case["disease"] = specific.pop()
        ctx.record.took("disease", *labels)
    elif len(specific) > 1:
        said = "; ".join(f"{e.label} says {m}" for m, e in found)
        ctx.record.problems.append(f"disease: the Conditions disagree ({said}); secondline "
                                   "assesses one disease")
    elif named == {"ALL"}:
        ctx.record.problems.append(
            f"disease: {', '.join(labels)} names acute lymphoblastic leukaemia without its "
            "lineage; secondline needs B-ALL or T-ALL (a SNOMED CT B-ALL code, or the text "
            "'B-cell' or 'T-cell acute lymphoblastic leukaemia')")
    elif not found:
        doubts = "".join(f"; {doubt}" for doubt in unverified)
        ctx.record.problems.append(
            f"{NO_DISEASE} by a code or text secondline reads (see "
            f"knowledge/fhir-mapping.yaml){doubts}")


def _symptom(ctx: Context, resource: dict[str, Any]) -> str | None:
    """A symptom's name: any Condition the project marks as a symptom, or one whose whole
    text is a symptom the knowledge knows."""
    code = resource.get("code")
    shown = texts(code)
    if ctx.is_recorded(ctx.mapping.data.symptom_category, resource.get("category")):
        if extensions(code, ctx.mapping.data.extensions.empty_text) == [True]:
            return ""
        return shown[0] if shown else None
    names = ctx.mapping.knowledge.symptom_names
    return next((t for t in shown if symptom_key(t) in names), None)


def _diagnosis_first(ctx: Context, case: dict[str, Any]) -> None:
    """A diagnosis date later than a treatment or the assessment is not read (a case
    refuses dates before its diagnosis); the clash is listed."""
    diagnosed = case.get("diagnosed")
    if diagnosed is None:
        return
    dated = [(d, f"treatments[{i}]") for i, t in enumerate(case.get("treatments", []))
             for d in (t.get("started"), t.get("ended")) if d]
    if as_dict(case.get("assessment")).get("date"):
        dated.append((case["assessment"]["date"], "assessment"))
    earlier = [(d, where) for d, where in dated if d < diagnosed]
    if earlier:
        day, where = min(earlier)
        source = ctx.record.read.pop("diagnosed")
        del case["diagnosed"]
        ctx.record.note(source[0], f"diagnosis dated {diagnosed}, after {where} ({day}); "
                        "the date of diagnosis is not read")


def _reports(ctx: Context) -> None:
    """A report groups results, which are read one by one; a known one says what it is."""
    for entry in ctx.bundle.of_type("DiagnosticReport"):
        known = next((ctx.mapping.recognised[p] for p in codings(entry.resource.get("code"))
                      if p in ctx.mapping.recognised), None)
        ctx.record.note(entry.label, " ".join(known.says.split()) if known else
                        "a report; the results it groups are read one by one")


def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def _unresolved(ctx: Context) -> None:
    """References to resources the Bundle does not hold: listed once per target."""
    missing: dict[str, list[str]] = {}
    for entry in ctx.bundle.entries:
        for ref in _references(entry.resource):
            if not ref.startswith("#") and ctx.bundle.resolve(ref) is None:
                missing.setdefault(ref, [])
                if entry.label not in missing[ref]:
                    missing[ref].append(entry.label)
    for ref, by in missing.items():
        more = f" and {len(by) - 1} more" if len(by) > 1 else ""
        ctx.record.note(ref, f"referred to by {by[0]}{more} but not in the Bundle (defined "
                        "elsewhere); not needed for the case")


def _parse(ctx: Context, case: dict[str, Any]) -> Case:
    """The case, checked as any case is; each problem names the resource it came from."""
    problems = list(ctx.record.problems)
    try:
        parsed = parse_case(case)
    except CaseError as exc:
        named = {p.split(":", 1)[0] for p in problems}
        problems += [_sourced(ctx, line) for line in exc.problems
                     if line.split(":", 1)[0] not in named]
        raise BundleError(problems) from None
    if problems:
        raise BundleError(problems)
    return parsed


def _sourced(ctx: Context, line: str) -> str:
    field, sep, _message = line.partition(": ")
    keys = sorted((k for k in ctx.record.read if field == k or field.startswith(
        (k + ".", k + "["))), key=len)
    if not sep or not keys:
        return line
    return f"{line} (from {', '.join(ctx.record.read[keys[-1]])})"


def _input(bundle: Bundle, record: Record) -> InputOut:
    return InputOut(
        format="FHIR R4 Bundle", bundle_type=bundle.type, entries=len(bundle.entries),
        read=[ReadOut(field=k, resources=v) for k, v in record.read.items()],
        not_read=[NotReadOut(resource=label, why=why) for label, why in record.notes],
    )


def read_bundle_text(text: str, as_of: dt.date | None = None, name: str = "bundle") -> Reading:
    from secondline._fhir.bundle import load_json

    return read_bundle(load_json(text, name), as_of)


