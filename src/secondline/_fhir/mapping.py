"""The FHIR mapping (``knowledge/fhir-mapping.yaml``): its models, loading and checks.

The file is data — which code means what, where each was checked, the project's own
extensions. This module only validates it (every problem at once, named by its place in
the file) and answers lookups: "which concept does this coding or text mean?".
An unverified code (``verified: "unverified: ..."``) is kept for the record and for a
clear warning, and never matched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from secondline import _yaml
from secondline._errors import KnowledgeError
from secondline._knowledge import KNOWLEDGE_DIR, Knowledge, load_knowledge

MAPPING_FILE = "fhir-mapping.yaml"
#: how a ``verified`` text may start: a public HL7 source, a published page, the
#: project's own code, or an honest "unverified"
_CHECKED = ("HL7/", "https://", "http://", "project: ")
UNVERIFIED = "unverified: "
#: an HL7 source is cited with its commit, path and line
_HL7_CITATION = re.compile(r"HL7/[\w.-]+@[0-9a-f]{7,40} \S+ l\.\d+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class System(_Strict):
    url: str
    verified: str


class Code(_Strict):
    """One code, with where it was checked."""

    system: str
    code: str
    display: str
    verified: str

    @field_validator("verified")
    @classmethod
    def _says_where(cls, value: str) -> str:
        if not value.startswith((*_CHECKED, UNVERIFIED)) or len(value) < 12:
            raise ValueError("must name where the code was checked (an HL7 repository and "
                             "commit, a web page, 'project: ...') or say 'unverified: why'")
        if value.startswith("HL7/") and not _HL7_CITATION.match(value):
            raise ValueError("an HL7 source is cited as 'HL7/<repo>@<commit> <path> l.<line>'")
        return value

    @property
    def usable(self) -> bool:
        return not self.verified.startswith(UNVERIFIED)


class DiseaseCode(Code):
    means: Literal["B-ALL", "T-ALL", "HCL", "ALL"]
    #: what an ICD-10-CM fifth digit says of the state (recorded, never acted upon)
    state: str | None = None
    #: written by ``export-fhir`` for a case of this disease (ALL: for B-ALL and T-ALL)
    write: bool = False


class MedicineCode(Code):
    #: the drug name handed to the case, as a team would write it
    name: str


class Concept(_Strict):
    codes: list[Code]
    #: whole texts meaning the same, compared ignoring letter case and runs of spaces
    texts: list[str] = Field(default_factory=list)


class Recognised(Concept):
    """Codes secondline knows but does not read, and why."""

    name: str
    says: str
    kind: Literal["marrow", "csf"] | None = None


class Extension(_Strict):
    url: str
    context: str
    value: Literal["date", "Age", "boolean", "code", "integer"]
    means: str


class Output(_Strict):
    """The project's URLs for what secondline writes as an answer (RequestGroup, cards)."""

    plan_definition: str
    option_identifier: str
    option_codes: str
    step_codes: str
    guidance_codes: str
    card_codes: str
    not_suggested_outcome: Extension
    missing_fact: Extension
    rationale: System


class Extensions(_Strict):
    as_of: Extension
    age: Extension
    empty_text: Extension
    fit_for_intensive_treatment: Extension
    previous_transplant: Extension
    donor: Extension
    relapses: Extension
    relapse_sites: Extension
    wishes_active_treatment: Extension
    wishes_clinical_trials: Extension
    region: Extension
    treatment_type: Extension
    treatment_response: Extension


class Identifiers(_Strict):
    case_id: str
    treatment: str


class Disease(_Strict):
    codes: list[DiseaseCode]
    texts: dict[Literal["B-ALL", "T-ALL", "HCL", "ALL"], list[str]]


class Observations(_Strict):
    cd19: Concept
    cd20: Concept
    cd22: Concept
    philadelphia: Concept
    marrow_blasts: Concept
    blood_counts_normal: Concept
    mrd: Concept
    extramedullary: Concept
    disease_status: Concept


class Values(_Strict):
    positive: Concept
    negative: Concept
    unknown: Concept


TreatmentTypeName = Literal[
    "chemotherapy", "targeted", "immunotherapy", "car-t", "stem-cell-transplant",
    "radiotherapy", "other",
]


class MappingFile(_Strict):
    format: Literal[1]
    namespace: str
    systems: dict[str, System]
    identifiers: Identifiers
    extensions: Extensions
    disease: Disease
    observations: Observations
    mrd_methods: dict[Literal["flow-cytometry", "pcr"], Concept]
    extramedullary_sites: dict[
        Literal["cns", "testes", "bone", "skin", "lymph-nodes", "other"], Concept]
    values: Values
    fusion_genes: list[Code]
    disease_status_values: dict[Literal["complete-remission", "partial-remission"], Concept]
    status_reasons: dict[Literal["no-response"], Concept]
    procedures: dict[TreatmentTypeName, Concept]
    symptom_category: Concept
    medicine_types: dict[TreatmentTypeName, list[str]]
    medicine_codes: list[MedicineCode]
    recognised: list[Recognised]
    output: Output


def text_key(text: str) -> str:
    """Texts match ignoring letter case and runs of spaces."""
    return " ".join(text.lower().split())


class Mapping:
    """The checked mapping, with its lookups indexed once."""

    def __init__(self, data: MappingFile, knowledge: Knowledge) -> None:
        self.data = data
        self.knowledge = knowledge
        self.url = {name: system.url for name, system in data.systems.items()}
        self.name_of_url = {url: name for name, url in self.url.items()}
        self.project = self.url["project"]
        self.unverified: dict[tuple[str, str], Code] = {}
        self.recognised: dict[tuple[str, str], Recognised] = {}
        for entry in data.recognised:
            for code in entry.codes:
                self.recognised[self.key(code)] = entry
        self.verified_count = 0
        for code in _all_codes(data):
            if not code.usable:
                self.unverified[self.key(code)] = code
            else:
                self.verified_count += 1
        self.medicine: dict[tuple[str, str], str] = {
            self.key(c): c.name for c in data.medicine_codes if c.usable}
        self.atc: dict[str, str] = {
            drug.atc: drug.name for drug in knowledge.drugs.drugs if drug.atc}
        self.type_of_drug = {
            drug: kind for kind, drugs in data.medicine_types.items() for drug in drugs
        }
        self.disease_texts: dict[str, str] = {
            text_key(text): means for means, texts in data.disease.texts.items()
            for text in texts
        }

    def key(self, code: Code) -> tuple[str, str]:
        return self.url[code.system], code.code

    def matches(self, concept: Concept, codings: Iterable[tuple[str, str]],
                texts: Iterable[str] = ()) -> bool:
        """Whether any (system url, code) pair or whole text means ``concept``."""
        wanted = {self.key(c) for c in concept.codes if c.usable}
        if any(pair in wanted for pair in codings):
            return True
        names = {text_key(t) for t in concept.texts}
        return any(text_key(t) in names for t in texts)

    def coding(self, code: Code) -> dict[str, str]:
        """A code as a FHIR Coding."""
        return {"system": self.url[code.system], "code": code.code, "display": code.display}

    def project_code(self, concept: Concept) -> Code:
        return next(c for c in concept.codes if c.system == "project")


def _all_codes(data: MappingFile) -> Iterable[Code]:
    yield from data.disease.codes
    yield from data.fusion_genes
    yield from data.medicine_codes
    concepts: list[Concept] = [
        *(getattr(data.observations, name) for name in Observations.model_fields),
        *data.mrd_methods.values(), *data.extramedullary_sites.values(),
        *(getattr(data.values, name) for name in Values.model_fields),
        *data.disease_status_values.values(), *data.status_reasons.values(),
        *data.procedures.values(), data.symptom_category, *data.recognised,
    ]
    for concept in concepts:
        yield from concept.codes


def _cross_checks(data: MappingFile, knowledge: Knowledge) -> list[str]:
    """What pydantic cannot see: unknown systems, codes listed twice, project codes
    outside the namespace, drug names the knowledge does not know."""
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for code in _all_codes(data):
        if code.system not in data.systems:
            problems.append(f"{code.system}#{code.code}: unknown system '{code.system}'")
            continue
        pair = (code.system, code.code)
        if pair in seen:
            problems.append(f"{code.system}#{code.code}: listed twice ('{seen[pair]}' and "
                            f"'{code.display}')")
        seen[pair] = code.display
    for name, system in data.systems.items():
        if name == "project" and not system.url.startswith(data.namespace + "/"):
            problems.append(f"systems.project: must lie under the namespace {data.namespace}")
    out = data.output
    urls = [*(e.url for e in (getattr(data.extensions, n) for n in Extensions.model_fields)),
            data.identifiers.case_id, data.identifiers.treatment, out.plan_definition,
            out.option_identifier, out.option_codes, out.step_codes, out.guidance_codes,
            out.card_codes, out.not_suggested_outcome.url, out.missing_fact.url]
    for url in urls:
        if not url.startswith(data.namespace + "/"):
            problems.append(f"{url}: the project's own URLs lie under {data.namespace}")
    if len(set(urls)) != len(urls):
        problems.append("extensions: two share a URL")
    if not _HL7_CITATION.match(out.rationale.verified):
        problems.append("output.rationale: cite the HL7 source as 'HL7/<repo>@<commit> "
                        "<path> l.<line>'")
    ids = {drug.id for drug in knowledge.drugs.drugs}
    listed: list[str] = [d for drugs in data.medicine_types.values() for d in drugs]
    for drug in listed:
        if drug not in ids:
            problems.append(f"medicine_types: '{drug}' is not a drug id of drugs.yaml")
    for drug in {d for d in listed if listed.count(d) > 1}:
        problems.append(f"medicine_types: '{drug}' is given more than one type")
    for medicine in data.medicine_codes:
        if not knowledge.canonical_drugs(medicine.name):
            problems.append(f"medicine_codes {medicine.code}: the name '{medicine.name}' is "
                            "not known to drugs.yaml")
    for name, concept in data.procedures.items():
        if not any(c.system == "project" and c.code == name for c in concept.codes):
            problems.append(f"procedures.{name}: needs the project code '{name}'")
    return problems


def check_mapping(
    root: Path = KNOWLEDGE_DIR, knowledge: Knowledge | None = None
) -> tuple[Mapping | None, list[str]]:
    """The mapping and every problem found in it (none when it is sound)."""
    where = MAPPING_FILE
    try:
        loaded: Any = _yaml.load((root / MAPPING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return None, [f"{where}: cannot be read: {exc}"]
    try:
        data = MappingFile.model_validate(loaded)
    except ValidationError as exc:
        return None, [
            f"{where}: {'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        ]
    knowledge = knowledge or load_knowledge()
    problems = [f"{where}: {line}" for line in _cross_checks(data, knowledge)]
    return (None, problems) if problems else (Mapping(data, knowledge), [])


@functools.cache
def load_mapping() -> Mapping:
    """The packaged mapping, checked once per process; KnowledgeError if it is unsound."""
    mapping, problems = check_mapping()
    if mapping is None:
        raise KnowledgeError(problems)
    return mapping
