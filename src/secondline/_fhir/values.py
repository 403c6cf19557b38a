"""Small readers of FHIR JSON values shared by the Bundle readers, and the record of what
was read from where and what was not.

The Bundle has already been validated as FHIR R4 (``bundle.check_bundle``), so these
read plain JSON with known shapes; they never guess at meaning.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from secondline._fhir.bundle import Bundle, Entry
from secondline._fhir.mapping import Concept, Extension, Mapping

_FULL_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2}))?")
Presence = Literal["positive", "negative", "unknown"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def codings(concept: Any) -> list[tuple[str, str]]:
    """The (system, code) pairs of a CodeableConcept (or of a list of them)."""
    concepts = concept if isinstance(concept, list) else [concept]
    return [
        (str(c["system"]), str(c["code"]))
        for cc in concepts for c in as_list(as_dict(cc).get("coding"))
        if isinstance(c, dict) and c.get("system") and c.get("code")
    ]


def texts(concept: Any) -> list[str]:
    """A CodeableConcept's text and its codings' displays (or those of a list of them)."""
    concepts = concept if isinstance(concept, list) else [concept]
    found: list[str] = []
    for cc in concepts:
        cc = as_dict(cc)
        if isinstance(cc.get("text"), str):
            found.append(cc["text"])
        found.extend(str(c["display"]) for c in as_list(cc.get("coding"))
                     if isinstance(c, dict) and isinstance(c.get("display"), str))
    return found


def describe(concept: Any) -> str:
    """A CodeableConcept in words for a message: its text, else its first coding."""
    cc = as_dict(concept)
    if isinstance(cc.get("text"), str):
        return repr(cc["text"])
    for c in as_list(cc.get("coding")):
        if isinstance(c, dict) and c.get("code"):
            shown = f" '{c['display']}'" if c.get("display") else ""
            return f"{c.get('system', '')} {c['code']}{shown}".strip()
    return "(no code)"


@dataclass(frozen=True, slots=True)
class Day:
    """A FHIR date read as a calendar day; ``partial`` when it gives only year or month."""

    day: dt.date | None
    written: str | None
    partial: bool = False


def day_of(value: Any) -> Day:
    """The calendar day of a FHIR date or dateTime, as written (its local date)."""
    if not isinstance(value, str):
        return Day(None, None)
    match = _FULL_DAY.match(value)
    if match:
        try:
            return Day(dt.date(*(int(g) for g in match.groups())), value)
        except ValueError:
            return Day(None, value, partial=True)
    return Day(None, value, partial=bool(_PARTIAL.fullmatch(value)))


def effective(resource: dict[str, Any]) -> Day:
    """When an Observation applies: effectiveDateTime, or the start of effectivePeriod."""
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in resource:
            return day_of(resource[key])
    period = as_dict(resource.get("effectivePeriod"))
    return day_of(period.get("start"))


def extensions(element: Any, ext: Extension) -> list[Any]:
    """The values of the project extension ``ext`` on an element, in order."""
    key = "value" + ext.value[:1].upper() + ext.value[1:]
    return [e.get(key) for e in as_list(as_dict(element).get("extension"))
            if isinstance(e, dict) and e.get("url") == ext.url and key in e]


def presence(mapping: Mapping, resource: dict[str, Any]) -> Presence | None:
    """positive, negative or unknown from a result's value; None if its value is of a
    kind secondline does not read as presence (a number, free text, ...)."""
    values = mapping.data.values
    if "dataAbsentReason" in resource:
        return "unknown"
    if "valueBoolean" in resource:
        return "positive" if resource["valueBoolean"] else "negative"
    concept = resource.get("valueCodeableConcept")
    words = [resource["valueString"]] if isinstance(resource.get("valueString"), str) else []
    pairs = codings(concept)
    shown = texts(concept) if concept else words
    for name, wanted in (("positive", values.positive), ("negative", values.negative),
                         ("unknown", values.unknown)):
        if mapping.matches(wanted, pairs, shown):
            return name  # type: ignore[return-value]
    return None


def value_in_words(resource: dict[str, Any]) -> str:
    """A result's value as it reads, for a message."""
    if "valueQuantity" in resource:
        q = as_dict(resource["valueQuantity"])
        return f"{q.get('value')} {q.get('unit') or q.get('code') or ''}".strip()
    if "valueString" in resource:
        return repr(resource["valueString"])
    for key in ("valueInteger", "valueBoolean", "valueDateTime"):
        if key in resource:
            return str(resource[key])
    if "valueCodeableConcept" in resource:
        return describe(resource["valueCodeableConcept"])
    return "(no value)"


@dataclass
class Record:
    """What was read from which resource, what was not read and why, and the problems
    that stop the case from being read at all."""

    read: dict[str, list[str]] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: every resource that gave the case something, or was accounted for by a note
    seen: set[str] = field(default_factory=set)

    def took(self, case_field: str, *labels: str) -> None:
        sources = self.read.setdefault(case_field, [])
        for label in labels:
            if label not in sources:
                sources.append(label)
            self.seen.add(label)

    def note(self, label: str, why: str) -> None:
        if (label, why) not in self.notes:
            self.notes.append((label, why))
        self.seen.add(label)


@dataclass
class Context:
    """Everything a reader needs: the Bundle, the mapping, the person, the date."""

    bundle: Bundle
    mapping: Mapping
    record: Record
    patient: Entry
    as_of: dt.date

    def about_patient(self, entry: Entry) -> bool:
        """Whether a resource is about the Bundle's Patient (a resource naming no
        subject is taken to be: a case Bundle is about one person). One about someone
        else is noted and left out."""
        resource = entry.resource
        ref = as_dict(resource.get("subject") or resource.get("patient")).get("reference")
        if not isinstance(ref, str):
            return True
        target = self.bundle.resolve(ref)
        patient_id = self.patient.resource.get("id")
        if target is self.patient or (patient_id and ref.endswith(f"Patient/{patient_id}")):
            return True
        self.record.note(entry.label, f"its subject {ref} is not the Patient of the Bundle "
                         f"({self.patient.label}); not read")
        return False

    def is_recorded(self, concept: Concept, resource_concept: Any) -> bool:
        return self.mapping.matches(concept, codings(resource_concept), texts(resource_concept))

    def unverified(self, concept: Any) -> str | None:
        """A message when a concept carries a code the mapping lists but has not verified."""
        for pair in codings(concept):
            code = self.mapping.unverified.get(pair)
            if code is not None:
                why = code.verified.removeprefix("unverified: ")
                return (f"coded {pair[0]} {pair[1]} ('{code.display}'), which secondline's "
                        f"mapping has not verified ({' '.join(why.split())}); not read")
        return None

    def after_as_of(self, label: str, day: dt.date | None, what: str) -> bool:
        if day is not None and day > self.as_of:
            self.record.note(label, f"{what} dated {day}, after the date the case is judged "
                             f"at ({self.as_of}); not read")
            return True
        return False


def joined(items: Iterable[str]) -> str:
    return ", ".join(items)
