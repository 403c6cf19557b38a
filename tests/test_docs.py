"""The README's promises: every command documented, the two set-up commands real."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from secondline._cli import _parser

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    parser = _parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def test_every_command_is_in_the_readme() -> None:
    commands = _commands()
    assert {"assess", "schema", "sources"} <= set(commands)  # the contract's commands
    for command in commands:
        assert f"secondline {command}" in README, command


def test_the_readme_gives_two_setup_commands_that_the_makefile_has() -> None:
    setup = README.split("## Set-up", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    targets = re.findall(r"^make (\w+)", setup, flags=re.MULTILINE)
    assert targets == ["run", "test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in targets:
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, flags=re.MULTILINE)


def test_the_readme_names_every_example_count_truthfully() -> None:
    examples = sorted((ROOT / "examples").glob("*.yaml"))
    words = {8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen",
             14: "fourteen", 15: "fifteen", 16: "sixteen"}
    assert f"{words[len(examples)]} realistic cases" in README
    listed = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    for example in examples:
        assert f"`{example.name}`" in listed, example.name


def test_every_picture_the_readme_shows_is_in_the_repository() -> None:
    import re

    readme = (ROOT / "README.md").read_text()
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert pictures, "the README shows the MDT page"
    for picture in pictures:
        assert (ROOT / picture).is_file(), picture
