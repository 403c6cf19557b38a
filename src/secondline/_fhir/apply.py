"""``$apply``: a Parameters resource (or a bare Bundle) in, the plan as a Bundle out.

    POST /fhir/PlanDefinition/secondline/$apply
    {"resourceType": "Parameters", "parameter": [
        {"name": "data", "resource": {"resourceType": "Bundle", ...}},
        {"name": "guidance", "valueCode": "current"}]}

``data`` is the record (a Bundle as ``secondline assess`` reads it), the parameter of
that name in CPG-on-FHIR's ``$apply`` (HL7/cqf-recommendations, STU2,
``input/fsh/operations/operationdefinition-cpg-plandefinition-apply.fsh``: "Data to be
made available to the PlanDefinition evaluation", a Bundle). ``guidance`` (valueCode
``current``; secondline's own) switches the current-guidance layer on, as the query
parameter ``?guidance=current`` does.

The other input parameters of CPG's ``$apply`` that describe who asks and where
(``subject``, ``encounter``, ``practitioner``, ``organization``, ``userType``,
``userLanguage``, ``userTaskContext``, ``setting``, ``settingContext``,
``mergeNestedCarePlans``, ``useServerData``) are accepted and change nothing: the record
in ``data`` is the whole input, and secondline keeps no data of its own to use. Those
that would fetch data or knowledge from elsewhere (``prefetchData``, ``dataEndpoint``,
``planDefinition``, ``url``, ``version``, ``parameters`` and the rest) are refused by
name. The answer is
``request_group.plan_bundle``: transient, never stored. Every problem is an
OperationOutcome issue whose ``expression`` is the FHIRPath of the field and whose
``diagnostics`` is the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from secondline._errors import CaseError
from secondline._fhir.bundle import BundleError

#: the parameters secondline's $apply takes
PARAMETERS = ("data", "guidance")
#: CPG $apply's parameters about the caller and setting: accepted, and they change nothing
IGNORED = ("subject", "encounter", "practitioner", "organization", "userType",
           "userLanguage", "userTaskContext", "setting", "settingContext",
           "mergeNestedCarePlans", "useServerData")
#: problem lines whose field is a path into the Bundle (others name a case field)
_BUNDLE_FIELDS = ("entry", "type", "link", "meta", "identifier", "resourceType", "bundle")


@dataclass(frozen=True)
class ApplyInput:
    bundle: Any
    guidance: Literal["current"] | None
    #: the FHIRPath of the Bundle within the body, for problem expressions
    at: str


def apply_input(data: Any, guidance: Literal["current"] | None = None) -> ApplyInput:
    """The Bundle and the guidance setting a body holds; BundleError naming problems."""
    if not isinstance(data, dict):
        raise BundleError(["body: must be a JSON object (a Parameters resource or a Bundle)"])
    kind = data.get("resourceType")
    if kind == "Bundle":
        return ApplyInput(data, guidance, "Bundle")
    if kind != "Parameters":
        raise BundleError([f"resourceType: $apply takes a Parameters resource or a Bundle; "
                           f"got {str(kind)[:40]!r}"])
    params = data.get("parameter", [])
    if not isinstance(params, list):
        raise BundleError(["Parameters.parameter: must be a list"])
    problems: list[str] = []
    bundle: Any = None
    at = "Parameters"
    for i, param in enumerate(params[:20]):
        where = f"Parameters.parameter[{i}]"
        if not isinstance(param, dict):
            problems.append(f"{where}: must be an object")
            continue
        name = param.get("name")
        if name == "data":
            if bundle is not None:
                problems.append(f"{where}: data is given twice; $apply assesses one record")
            elif not isinstance(param.get("resource"), dict):
                problems.append(f"{where}.resource: data must hold a Bundle as its resource")
            else:
                bundle, at = param["resource"], f"{where}.resource"
        elif name == "guidance":
            if param.get("valueCode") != "current":
                problems.append(f"{where}.valueCode: guidance takes the code 'current'")
            else:
                guidance = "current"
        elif name not in IGNORED:
            problems.append(f"{where}.name: {str(name)[:40]!r} is not a parameter of "
                            f"secondline's $apply ({', '.join(PARAMETERS)}, and "
                            "the caller's context, which changes nothing)")
    if len(params) > 20:
        problems.append("Parameters.parameter: more than 20 parameters")
    if bundle is None and not problems:
        problems.append("Parameters.parameter: no data parameter holding the Bundle")
    if problems:
        raise BundleError(problems)
    return ApplyInput(bundle, guidance, at)


def expression(field: str, at: str) -> str:
    """A problem's field as a FHIRPath expression within the body (``at``: where the
    Bundle lies in it; empty for a problem of the body itself)."""
    if not at or field.startswith(("Parameters", "Bundle")):
        return field
    if field.split(".", 1)[0].split("[", 1)[0] in _BUNDLE_FIELDS:
        return f"{at}.{field}" if field != "bundle" else at
    return field  # a case field (age, disease): the fact the record lacks


def operation_outcome(problems: list[str], at: str = "Bundle",
                      code: str = "invalid") -> dict[str, Any]:
    """One issue per problem line (``field: message``)."""
    issues = []
    for line in problems:
        field, sep, message = line.partition(": ")
        issue: dict[str, Any] = {"severity": "error", "code": code,
                                 "diagnostics": message if sep else line}
        if sep:
            issue["expression"] = [expression(field, at)]
        issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def apply(data: Any, guidance: Literal["current"] | None = None) -> dict[str, Any]:
    """The plan Bundle for a Parameters body or a bare Bundle; ApplyError if invalid."""
    from secondline._engine import assess
    from secondline._fhir.read import read_bundle
    from secondline._fhir.request_group import plan_bundle

    try:
        given = apply_input(data, guidance)
    except CaseError as exc:  # about the body itself: its fields are named from its root
        raise ApplyError(operation_outcome(exc.problems, "")) from None
    try:
        reading = read_bundle(given.bundle)
    except CaseError as exc:
        raise ApplyError(operation_outcome(exc.problems, given.at)) from None
    result = assess(reading.case, guidance=given.guidance)
    return plan_bundle(result, reading.case, reading)


class ApplyError(Exception):
    """The body cannot be applied; ``outcome`` is the OperationOutcome to answer."""

    def __init__(self, outcome: dict[str, Any]) -> None:
        super().__init__("invalid $apply input")
        self.outcome = outcome
