"""knowledge/fhir-mapping.yaml: validated as a whole, every problem reported at once;
every code says where it was checked; an unverified code is never matched."""

from __future__ import annotations

import shutil
from pathlib import Path

from knowledge_files import read_yaml, write_yaml
from secondline._cli import main
from secondline._fhir.mapping import MAPPING_FILE, Mapping, check_mapping, load_mapping
from secondline._knowledge import KNOWLEDGE_DIR


def test_the_packaged_mapping_is_sound() -> None:
    mapping, problems = check_mapping()
    assert problems == []
    assert isinstance(mapping, Mapping)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    shutil.copy(KNOWLEDGE_DIR / MAPPING_FILE, tmp_path / MAPPING_FILE)
    data = read_yaml(tmp_path / MAPPING_FILE)
    data["disease"]["codes"][3]["verified"] = "I think so"
    data["disease"]["codes"][4]["system"] = "snowmed"
    data["values"]["positive"]["codes"].append(dict(data["values"]["positive"]["codes"][0]))
    data["medicine_types"]["targeted"].append("unobtanium")
    data["medicine_codes"][0]["name"] = "cyclofosfamide"
    data["observations"]["mrd"]["codes"][0]["verified"] = "HL7/fhir-mCODE-ig somewhere"
    del data["extensions"]["donor"]
    write_yaml(tmp_path / MAPPING_FILE, data)
    mapping, problems = check_mapping(tmp_path)
    assert mapping is None
    # pydantic's problems first (the shape), every one of them in one go
    assert [p.split(": ")[1] for p in problems] == [
        "extensions.donor", "disease.codes.3.verified", "observations.mrd.codes.0.verified"]
    del data["extensions"]
    data["extensions"] = read_yaml(KNOWLEDGE_DIR / MAPPING_FILE)["extensions"]
    data["disease"]["codes"][3]["verified"] = "project: fixed"
    data["observations"]["mrd"]["codes"][0]["verified"] = "project: fixed"
    write_yaml(tmp_path / MAPPING_FILE, data)
    mapping, problems = check_mapping(tmp_path)
    assert mapping is None
    assert problems == [
        "fhir-mapping.yaml: snowmed#118613001: unknown system 'snowmed'",
        "fhir-mapping.yaml: loinc#LA6576-8: listed twice ('Positive' and 'Positive')",
        "fhir-mapping.yaml: medicine_types: 'unobtanium' is not a drug id of drugs.yaml",
        "fhir-mapping.yaml: medicine_codes 3002: the name 'cyclofosfamide' is not known to "
        "drugs.yaml",
    ]


def test_every_hl7_citation_names_a_commit_path_and_line() -> None:
    text = (KNOWLEDGE_DIR / MAPPING_FILE).read_text(encoding="utf-8")
    mapping = load_mapping()
    codes = [*mapping.data.disease.codes, *mapping.data.medicine_codes,
             *mapping.data.fusion_genes]
    cited = [c.verified for c in codes if c.verified.startswith("HL7/")]
    assert cited, "the disease codes cite mCODE"
    assert all("@543477b5 input/fsh/" in v for v in cited)
    assert text.count('verified: "unverified: ') == len(mapping.unverified)


def test_an_unverified_code_is_never_matched() -> None:
    mapping = load_mapping()
    assert {code for _, code in mapping.unverified} == {
        "118613001", "277567002", "11150-0", "88040-1", "234336002"}
    obs = mapping.data.observations
    for concept in (obs.marrow_blasts, obs.disease_status,
                    mapping.data.procedures["stem-cell-transplant"]):
        for code in concept.codes:
            assert mapping.matches(concept, [mapping.key(code)]) is code.usable


def test_secondline_check_checks_the_mapping_too(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check"]) == 0
    assert "FHIR mapping ok: " in capsys.readouterr().out
