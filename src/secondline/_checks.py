"""The pieces every knowledge check shares: the list of problems, reading a file into its
model, and checking citations against the registry of sources."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from secondline import _yaml
from secondline._schema import Citation, Source

#: ``{name}`` in a text is filled in when it is shown (a fact's value, or a setting)
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")
_M = TypeVar("_M", bound=BaseModel)


class Problems:
    """Every problem found, one line each, named by file and rule."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.lines.append(f"{where}: {message}")


def read(path: Path, model: type[_M], problems: Problems) -> _M | None:
    """A knowledge file validated as ``model``, or None with its problems noted."""
    where = f"options/{path.name}" if path.parent.name == "options" else path.name
    try:
        data = _yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.add(where, f"cannot be read: {exc}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"])
            problems.add(where, f"{loc}: {error['msg']}")
        return None


def check_citations(
    where: str, cites: Iterable[Citation], sources: dict[str, Source], problems: Problems
) -> None:
    for cite in cites:
        source = sources.get(cite.source)
        if source is None:
            problems.add(where, f"unknown source '{cite.source}'")
        elif cite.section not in source.sections:
            problems.add(where, f"'{cite.source}' has no section '{cite.section}'")
