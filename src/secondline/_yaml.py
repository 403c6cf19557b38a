"""One YAML loader for cases and knowledge: safe, fast where libyaml exists, and strict
about keys given twice (plain YAML keeps the last and silently drops the first).

Cases get two more guards, because they come from outside:

- anchors and aliases (``&a`` / ``*a``) are refused before anything is built: a few
  kilobytes of nested aliases expand into gigabytes (the "billion laughs");
- dates stay text, so that an impossible date (``2024-02-30``) reaches the case model,
  which names the field, instead of failing inside the YAML library.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class DuplicateKeyError(ConstructorError):
    """A mapping names the same key twice."""

    def __init__(self, key: Any, node: Node) -> None:
        super().__init__(None, None, f"'{key}' is given twice", node.start_mark)
        self.key = key


class AliasError(yaml.YAMLError):
    """A case uses YAML anchors and aliases, which can expand without bound."""

    def __init__(self, line: int) -> None:
        super().__init__(f"an alias at line {line}")
        self.line = line


class StrictLoader(_Base):  # type: ignore[misc]
    """Safe loading that refuses duplicate keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<' merges are how example cases share a base
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(key, key_node)
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


class CaseLoader(StrictLoader):
    """Strict loading for cases: dates are left as text for the case model to check."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, Any]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in StrictLoader.yaml_implicit_resolvers.items()
    }


def load(text: str) -> Any:
    """Knowledge files: anchors allowed (example cases share a base with them)."""
    return yaml.load(text, Loader=StrictLoader)


def load_case(text: str) -> Any:
    """A case from outside: no aliases, dates as text."""
    if "*" in text:  # an alias needs a '*'; only then is the text read twice
        for event in yaml.parse(text, Loader=CaseLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise AliasError(mark.line + 1 if mark else 0)
    return yaml.load(text, Loader=CaseLoader)


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def line_of(text: str, path: str) -> int | None:
    """The line (1 = the first) where a field such as ``treatments[1].ended`` is written,
    or None when the text does not hold it. Read only when a problem is reported."""
    try:
        node: Node | None = yaml.compose(text, Loader=CaseLoader)
    except yaml.YAMLError:
        return None
    line = None
    for name, index in _STEP.findall(path):
        if isinstance(node, MappingNode) and name:
            found = next(((k, v) for k, v in node.value
                          if isinstance(k, ScalarNode) and k.value == name), None)
            if found is None:
                return line
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, SequenceNode) and index and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        else:
            return line
    return line
