"""leaflet.yaml is checked with the rest of the knowledge: a broken copy is reported in full,
each problem named by file and place, and nothing else is blamed."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_files import read_yaml, write_yaml
from secondline import KnowledgeError, check_knowledge, load_knowledge


def test_every_option_has_leaflet_text_and_no_text_is_stray() -> None:
    knowledge = load_knowledge()
    assert set(knowledge.leaflet.options) == {c.option.id for c in knowledge.options}


def test_a_rewritten_copy_has_no_problems(knowledge_copy: Path) -> None:
    # the control for the tests below: re-writing leaflet.yaml breaks nothing
    path = knowledge_copy / "leaflet.yaml"
    write_yaml(path, read_yaml(path))
    assert check_knowledge(knowledge_copy)[1] == []


def test_a_broken_leaflet_reports_every_problem_at_once(knowledge_copy: Path) -> None:
    path = knowledge_copy / "leaflet.yaml"
    data = read_yaml(path)
    del data["options"]["blinatumomab"]
    data["options"]["no-such-option"] = dict(data["options"]["rituximab"])
    data["questions"][0]["sources"] = [{"source": "no-such-source", "section": "Your choices"}]
    data["mrd"][0]["sources"].append({"source": "lc-all-rr", "section": "No such section"})
    data["helplines"][0]["source"] = "cruk-hcl"  # records no helpline
    data["support"][0]["text"] += " Call {helpline_number}."
    data["states"] = [s for s in data["states"] if s.get("states") != ["unknown"]]
    data["about"] = [d for d in data["about"] if d.get("diseases") != ["HCL"]]
    write_yaml(path, data)

    _, problems = check_knowledge(knowledge_copy)
    expected = [
        "leaflet.yaml options [blinatumomab]: the option has no leaflet text",
        "leaflet.yaml options [no-such-option]: no option has this id",
        "leaflet.yaml questions[0]: unknown source 'no-such-source'",
        "leaflet.yaml mrd[0]: 'lc-all-rr' has no section 'No such section'",
        "leaflet.yaml helplines[0]: sources.yaml records no helpline for 'cruk-hcl'",
        "leaflet.yaml support[0]: the text names an unknown value '{helpline_number}'",
        "leaflet.yaml states: has no passage for B-ALL when unknown",
        "leaflet.yaml states: has no passage for HCL when unknown",
        "leaflet.yaml about: has no passage for HCL",
    ]
    shown = "\n".join(problems)
    for line in expected:
        assert line in problems, f"not reported: {line}\n{shown}"
    assert all(line.startswith("leaflet.yaml") for line in problems), shown

    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge_copy)
    assert caught.value.problems == problems


def test_a_new_option_without_leaflet_text_is_reported(knowledge_copy: Path) -> None:
    options = knowledge_copy / "options"
    data = read_yaml(options / "ponatinib.yaml")
    data["id"] = "zz-new-tki"
    write_yaml(options / "zz-new-tki.yaml", data)
    _, problems = check_knowledge(knowledge_copy)
    assert problems == ["leaflet.yaml options [zz-new-tki]: the option has no leaflet text"]


def test_an_option_file_that_fails_to_load_is_not_blamed_twice(knowledge_copy: Path) -> None:
    path = knowledge_copy / "options" / "rituximab.yaml"
    data = read_yaml(path)
    data["category"] = "no-such-category"
    write_yaml(path, data)
    _, problems = check_knowledge(knowledge_copy)
    assert problems
    assert all(line.startswith("options/rituximab.yaml") for line in problems), problems


def test_a_leaflet_that_does_not_validate_is_named(knowledge_copy: Path) -> None:
    path = knowledge_copy / "leaflet.yaml"
    data = read_yaml(path)
    del data["options"]["cladribine"]["what_happens"]
    data["about"][0]["sources"] = []
    write_yaml(path, data)
    knowledge, problems = check_knowledge(knowledge_copy)
    assert knowledge is None
    assert "leaflet.yaml: options.cladribine.what_happens: Field required" in problems
    assert any(line.startswith("leaflet.yaml: about.0.sources:") for line in problems), problems


def test_a_missing_leaflet_file_is_named(knowledge_copy: Path) -> None:
    (knowledge_copy / "leaflet.yaml").unlink()
    knowledge, problems = check_knowledge(knowledge_copy)
    assert knowledge is None
    assert len(problems) == 1
    assert problems[0].startswith("leaflet.yaml: cannot be read")
