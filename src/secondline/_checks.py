"""The pieces every knowledge check shares: the list of problems, reading the files and
each into its model, and checking citations against the registry of sources."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
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


#: the files of a knowledge base besides ``options/*.yaml``, in the order they are checked
KNOWLEDGE_FILES = (
    "sources.yaml", "drugs.yaml", "symptoms.yaml", "settings.yaml", "definitions.yaml",
    "rules.yaml", "leaflet.yaml", "plan.yaml",
)


@dataclass(frozen=True)
class Files:
    """Every file of a knowledge base, read once.

    The knowledge cache is keyed by a hash of these bytes and the knowledge is parsed from
    the same bytes, so a file changed between the two can never be cached under the key
    of its earlier content.
    """

    root: Path
    #: name from the root (``options/x.yaml``) -> its bytes; None if it could not be read
    data: dict[str, bytes | None]

    @classmethod
    def read(cls, root: Path) -> Files:
        names = [*KNOWLEDGE_FILES,
                 *(f"options/{p.name}" for p in sorted((root / "options").glob("*.yaml"))),
                 *(f"guidance/{p.name}" for p in sorted((root / "guidance").glob("*.yaml")))]
        data: dict[str, bytes | None] = {}
        for name in names:
            try:
                data[name] = (root / name).read_bytes()
            except OSError:
                data[name] = None  # read again by ``read``, which reports why it cannot be
        return cls(root, data)

    @property
    def options(self) -> list[str]:
        return [name for name in self.data if name.startswith("options/")]

    @property
    def guidance(self) -> list[str]:
        return [name for name in self.data if name.startswith("guidance/")]


def read(
    path: Path, model: type[_M], problems: Problems, data: bytes | None = None
) -> _M | None:
    """A knowledge file (from ``data``, its bytes, when already read) validated as
    ``model``, or None with its problems noted."""
    folder = path.parent.name
    where = f"{folder}/{path.name}" if folder in ("options", "guidance") else path.name
    try:
        if data is None:
            text = path.read_text(encoding="utf-8")
        else:  # as read_text would: line ends made \n
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        loaded = _yaml.load(text)
    except (OSError, yaml.YAMLError) as exc:
        problems.add(where, f"cannot be read: {exc}")
        return None
    try:
        return model.model_validate(loaded)
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
