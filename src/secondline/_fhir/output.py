"""What an assessment of a FHIR Bundle adds: where each fact came from, and what was
not read and why.

The assessment itself is the engine's, unchanged; a Bundle's assessment adds one field,
``input`` (the contract allows additive fields), and each thing not read is also among
the ``warnings``, so that the text report and any reader of ``warnings`` see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from secondline._assessment import Assessment, _Out, built
from secondline._case import Case

#: how each thing not read starts among the assessment's warnings
WARNING_PREFIX = "FHIR input, "


class ReadOut(_Out):
    #: the case field, as the case writes it (``markers.CD19``, ``treatments[0]``)
    field: str
    #: the resources it was read from (``Observation/abc``, ``Bundle.meta``)
    resources: list[str]


class NotReadOut(_Out):
    #: the resource (``Observation/abc``), or the part of the Bundle, concerned
    resource: str
    why: str


class InputOut(_Out):
    format: Literal["FHIR R4 Bundle"]
    bundle_type: str
    #: entries in the Bundle
    entries: int
    read: list[ReadOut]
    not_read: list[NotReadOut]


class FhirAssessment(Assessment):
    """The assessment of a case read from a FHIR Bundle, with where its facts came from."""

    input: InputOut


@dataclass(frozen=True)
class Reading:
    """A case read from a Bundle, with the record of the reading."""

    case: Case
    input: InputOut

    @property
    def warnings(self) -> list[str]:
        return [f"{WARNING_PREFIX}{n.resource}: {n.why}" for n in self.input.not_read]


def with_input(result: Assessment, reading: Reading) -> FhirAssessment:
    """The engine's assessment, its warnings followed by what the Bundle did not give."""
    fields = dict(result.__dict__)
    fields["warnings"] = [*result.warnings, *reading.warnings]
    fields["input"] = reading.input
    return built(FhirAssessment, **fields)
