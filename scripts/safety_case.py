"""The clinical safety case summary (docs/safety/README.md), written from the hazard log.

    python scripts/safety_case.py > docs/safety/README.md     (make safety-case)

A test writes it again and compares, so the summary never drifts from the log.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "docs" / "safety" / "hazard-log.yaml"


def load_log(path: Path = LOG) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _words(text: str) -> str:
    return " ".join(str(text).split())


def summary(log: dict[str, Any]) -> str:
    matrix = log["matrix"]
    severities = list(matrix["severity"])
    hazards = log["hazards"]
    lines = [
        "# Clinical safety case: summary",
        "",
        f"Written from [hazard-log.yaml](hazard-log.yaml) by `make safety-case`; do not edit "
        f"by hand. The log follows {log['standard']}; it was last updated on "
        f"{log['updated']}.",
        "",
        "## Intended use",
        "",
        _words(log["intended_use"]),
        "",
        "## How risk is rated",
        "",
        f"Each hazard is rated on the {matrix['name']}: a severity and a likelihood give a "
        "rating from 1 to 5, before and after its mitigations.",
        "",
        "| likelihood \\ severity | " + " | ".join(severities) + " |",
        "|---|" + "---|" * len(severities),
    ]
    for likelihood, cells in matrix["cells"].items():
        lines.append(f"| {likelihood} | " + " | ".join(str(c) for c in cells) + " |")
    lines += ["", *(f"- **{n}**: {_words(t)}" for n, t in matrix["ratings"].items()), ""]
    lines += [
        "## Hazards",
        "",
        "| id | hazard | severity | before | after | mitigated by |",
        "|---|---|---|---|---|---|",
    ]
    for h in hazards:
        tests = sum(len(m["tests"]) for m in h["mitigations"])
        lines.append(
            f"| {h['id']} | {_words(h['title'])} | {h['severity']} | "
            f"{h['initial_risk']} ({h['likelihood_before']}) | "
            f"{h['residual_risk']} ({h['likelihood_after']}) | {tests} tests |"
        )
    highest = max(h["residual_risk"] for h in hazards)
    open_ = [h["id"] for h in hazards if h["residual_risk"] >= 3]
    lines += [
        "",
        "## Residual risk",
        "",
        f"The highest residual rating is {highest}. "
        + (f"Hazards still rated 3 (undesirable, accepted only with further controls): "
           f"{', '.join(open_)}; each says what keeps it there." if open_ else
           "No hazard is rated above 2."),
        "",
    ]
    for h in hazards:
        lines += [f"### {h['id']}: {_words(h['title'])}", "",
                  f"- **Cause:** {_words(h['cause'])}",
                  f"- **Effect:** {_words(h['effect'])}",
                  f"- **Possible harm:** {_words(h['harm'])}",
                  f"- **Severity:** {h['severity']}; likelihood {h['likelihood_before']} "
                  f"before, {h['likelihood_after']} after; risk {h['initial_risk']} → "
                  f"{h['residual_risk']}."]
        for m in h["mitigations"]:
            lines.append(f"- **Mitigation:** {_words(m['text'])}")
            lines += [f"  - `{test}`" for test in m["tests"]]
        if h.get("note"):
            lines.append(f"- **Note:** {_words(h['note'])}")
        lines.append("")
    lines += ["## Changes", ""]
    lines += [f"- {c['date']}: {_words(c['change'])}" for c in log["changes"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(summary(load_log()))
