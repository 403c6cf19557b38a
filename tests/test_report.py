"""The terminal report and the treatment history it shows."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from secondline import _report as report_module
from secondline import assess, load_knowledge, parse_case, read_case
from secondline._report import render

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _render(path: str) -> str:
    console = Console(width=160, record=True, color_system=None)
    case = read_case(path)
    render(assess(case), console, case)
    return console.export_text()


def test_the_report_has_every_section_a_team_reads() -> None:
    text = _render("examples/b-all-relapsed-cd19.yaml")
    for heading in (
        "Summary",
        "The plan: options to discuss (second line or later)",
        "Disease status: RELAPSED",
        "Details",
        "Treatment history, as understood",
        "Not suggested, and why",
        "Missing information that would change the options",
        "Prognostic factors",
        "Where the sources are silent",
        "Warning:",
        "Sources",
        "never replaces the judgement",
    ):
        assert heading in text, heading
    assert "markers.CD22" in text
    assert "Blinatumomab (Blincyto)" in text


def test_the_report_reads_summary_plan_status_then_details() -> None:
    text = _render("examples/b-all-relapsed-cd19.yaml")
    result = assess(read_case("examples/b-all-relapsed-cd19.yaml"))
    order = ["B-ALL · age 34 · CD19 positive, CD20 and Ph negative", "Summary",
             "The plan: options to discuss", "To reach remission",
             "Then, a stem cell transplant", "Disease status: RELAPSED", "Details",
             "Not suggested, and why", "Sources"]
    places = [text.index(order[0])]
    for words in order[1:]:  # each after the one before (str.index raises if missing)
        places.append(text.index(words, places[-1]))
    # nothing of the details comes before them
    assert text.index("Not suggested, and why") > places[order.index("Details")]
    # the summary sentence, as the assessment gives it, wrapped but whole
    assert " ".join(text[places[1]:places[2]].replace("│", " ").split()).count(
        " ".join(result.summary.split()[:6])) == 1
    # each step's options in the plan's order, preferred first
    plan = text[places[2]:places[5]]
    names = {o.id: o.name for o in result.options}
    spots = [plan.index(names[oid]) for step in result.plan for oid in step.options]
    assert spots == sorted(spots)


def test_the_history_shows_how_each_drug_name_was_understood() -> None:
    case = parse_case({
        "age": 52, "disease": "B-ALL", "as_of": "2026-11-23",
        "treatments": [
            {"drugs": ["Glivec", "zorbalimab"], "started": "2024-04-15", "ended": "2026-11-02",
             "response": "complete-remission"},
            {"drugs": ["FLAG-IDA"], "started": "2024-04-15", "ended": "2025-01-31",
             "response": "complete-remission"},
            {"drugs": ["dasatinib"], "started": "2026-11-05", "response": "unknown"},
            {"drugs": ["methotrexate"]},
        ],
    })
    result = assess(case)
    history = result.treatments
    assert [t.drugs for t in history] == [
        ["methotrexate"], ["Glivec", "zorbalimab"], ["FLAG-IDA"], ["dasatinib"]
    ]
    assert history[1].drug_ids == ["imatinib"]
    assert history[2].drug_ids == ["fludarabine", "cytarabine", "filgrastim", "idarubicin"]
    # overlapping treatments share an episode; an undated one has none
    assert [t.episode for t in history] == [None, 1, 1, 2]
    console = Console(width=160, record=True, color_system=None)
    render(result, console)
    text = console.export_text()
    assert "Glivec → imatinib" in text
    assert "zorbalimab (not recognised)" in text
    assert "undated" in text


def test_a_caution_carries_its_own_citation_into_the_output() -> None:
    result = assess(parse_case({
        "age": 40, "disease": "B-ALL", "symptoms": ["bone-pain"],
        "assessment": {"extramedullary": []}, "as_of": "2026-11-23",
    }))
    (caution,) = [c for c in result.cautions if c.id == "bone-pain-without-bone-disease"]
    assert {c.source for c in caution.sources} == {"ccs-all-rr", "lc-all-rr"}
    assert caution.text in result.warnings
    assert {"ccs-all-rr", "lc-all-rr"} <= {s.id for s in result.sources}


#: words of three letters or more, as a reader sees them
_WORD = re.compile(r"[A-Za-z]{3,}")


def _vocabulary(result: Any) -> set[str]:
    """Every word the report could print whole: from the assessment and the report's own
    labels (a fragment of a split word, such as 'chemothera', is in neither)."""
    source = Path(report_module.__file__).read_text(encoding="utf-8")
    knowledge = load_knowledge()
    names = [n for d in knowledge.drugs.drugs for n in (d.name, *d.brands, *d.also_called)]
    return set(_WORD.findall(result.model_dump_json() + source + " ".join(names)))


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_report_reads_whole_words_at_80_columns(example: Path) -> None:
    result = assess(read_case(str(example)))
    console = Console(width=80, record=True, file=io.StringIO())
    render(result, console)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    known = _vocabulary(result) | {result.status.state.upper()}
    # an address is printed whole on its own line; a terminal wraps it where it must
    text = [line for line in lines if "://" not in line and " " in line.strip(" │")]
    split = {word for line in text for word in _WORD.findall(line) if word not in known}
    assert not split, f"words split across lines: {sorted(split)}"


def test_wrapped_bullets_keep_their_indent() -> None:
    console = Console(width=40, record=True, file=io.StringIO())
    console.print(report_module._items(["one two three four five six seven eight nine ten "
                                        "eleven twelve thirteen fourteen"]))
    lines = console.export_text().splitlines()
    assert len(lines) > 1
    assert lines[0].startswith("  • one")
    assert all(line.startswith("    ") and not line.startswith("     ") for line in lines[1:])
