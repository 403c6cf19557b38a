"""Collects the example cases kept inside the knowledge files as pytest items.

Each ``cases:`` entry of ``src/secondline/knowledge/options/<id>.yaml`` becomes one test
that assesses the case and checks the option's outcome; each ``cases:`` entry of a rule
in ``rules.yaml`` becomes one that checks whether the rule applies (a hold applies when
it leaves some option undecided).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secondline import _yaml, assess, load_knowledge, parse_case
from secondline._assessment import Assessment
from secondline._schema import ExampleCase, RuleCase

# the knowledge_copy fixture and the YAML helpers shared by the knowledge tests
pytest_plugins = ["knowledge_files"]

_CACHE_DIR = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """The compiled knowledge cache goes to a private directory made for this run (the
    command-line tests' processes inherit it), never to the user's ~/.cache; so does the
    default case store (not created: a test that needs one makes its own or upgrades
    this one), never the user's data directory."""
    config.stash[_CACHE_DIR] = os.environ["SECONDLINE_CACHE_DIR"] = tempfile.mkdtemp(
        prefix="secondline-test-cache-"
    )
    os.environ["SECONDLINE_DB"] = os.path.join(config.stash[_CACHE_DIR], "store.sqlite3")
    os.environ.pop("SECONDLINE_SECRET_KEY", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CACHE_DIR in config.stash:
        shutil.rmtree(config.stash[_CACHE_DIR], ignore_errors=True)


KNOWLEDGE_DIR = Path(__file__).parent / "src" / "secondline" / "knowledge"
OPTIONS_DIR = KNOWLEDGE_DIR / "options"
RULES_FILE = KNOWLEDGE_DIR / "rules.yaml"


def outcome_of(option_id: str, case_data: dict[str, Any]) -> tuple[str, list[str]]:
    """What the assessment says of one option: its outcome and reasons."""
    result = assess(parse_case(case_data))
    for option in result.options:
        if option.id == option_id:
            kind = "suggested" if option.availability == "standard" else "clinical-trial"
            return kind, option.reasons
    for entry in result.not_suggested:
        if entry.id == option_id:
            return entry.outcome, entry.reasons
    return "not-indicated", ["(not listed: outside the diseases it applies to)"]


class OptionCaseItem(pytest.Item):
    def __init__(self, *, example: ExampleCase, option_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.example = example
        self.option_id = option_id

    def runtest(self) -> None:
        outcome, reasons = outcome_of(self.option_id, self.example.case)
        if outcome != self.example.expect:
            raise AssertionError(
                f"expected {self.example.expect}, got {outcome}: {reasons}"
            )
        wanted = self.example.reason_includes
        if wanted and not any(wanted in reason for reason in reasons):
            raise AssertionError(f"no reason includes {wanted!r}: {reasons}")

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.option_id}: {self.example.name}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return f"{self.option_id} — {self.example.name}: {excinfo.value}"


class OptionFile(pytest.File):
    def collect(self) -> Iterator[OptionCaseItem]:
        load_knowledge()  # a broken knowledge base fails loudly, once, with every problem
        data = _yaml.load(self.path.read_text(encoding="utf-8"))
        for raw in data.get("cases", []):
            example = ExampleCase.model_validate(raw)
            yield OptionCaseItem.from_parent(
                self, name=example.name, example=example, option_id=data["id"]
            )


def rule_applies(kind: str, rule: dict[str, Any], result: Assessment) -> bool:
    """Whether a shared rule of ``rules.yaml`` shows in an assessment."""
    if kind == "exclusions":
        return any(
            n.outcome == "excluded" and n.reasons == [" ".join(rule["reason"].split())]
            for n in result.not_suggested
        )
    if kind == "holds":
        return any(rule["id"] in entry.held_by for entry in result.not_suggested)
    if kind == "gaps":
        return rule["id"] in {gap.id for gap in result.gaps}
    if kind == "prognostic_context":
        return rule["id"] in {text.id for text in result.prognostic_context}
    if kind == "cautions":
        return rule["id"] in {caution.id for caution in result.cautions}
    return rule["id"] in {factor.id for factor in result.prognostic_factors}


class RuleCaseItem(pytest.Item):
    def __init__(self, *, example: RuleCase, kind: str, rule: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.example, self.kind, self.rule = example, kind, rule

    def runtest(self) -> None:
        result = assess(parse_case(self.example.case))
        applied = rule_applies(self.kind, self.rule, result)
        if applied != self.example.applies:
            wanted = "apply" if self.example.applies else "not apply"
            raise AssertionError(f"expected the rule to {wanted}")

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.kind} {self.rule['id']}: {self.example.name}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return f"{self.kind} {self.rule['id']} — {self.example.name}: {excinfo.value}"


#: every kind of shared rule in rules.yaml (holds are named, the others listed)
KINDS = ("exclusions", "holds", "gaps", "cautions", "prognostic_factors", "prognostic_context")


class RulesFile(pytest.File):
    def collect(self) -> Iterator[RuleCaseItem]:
        load_knowledge()
        data = _yaml.load(self.path.read_text(encoding="utf-8"))
        for kind in KINDS:
            rules = data.get(kind, [])
            for rule in rules.values() if isinstance(rules, dict) else rules:
                for raw in rule.get("cases", []):
                    example = RuleCase.model_validate(raw)
                    yield RuleCaseItem.from_parent(
                        self, name=f"{kind}::{rule['id']}::{example.name}",
                        example=example, kind=kind, rule=rule,
                    )


def pytest_collect_file(
    parent: pytest.Collector, file_path: Path
) -> OptionFile | RulesFile | None:
    if file_path.suffix == ".yaml" and file_path.parent == OPTIONS_DIR:
        return OptionFile.from_parent(parent, path=file_path)
    if file_path == RULES_FILE:
        return RulesFile.from_parent(parent, path=file_path)
    return None
