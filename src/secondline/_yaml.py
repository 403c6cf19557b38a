"""One YAML loader for cases and knowledge: safe, fast where libyaml exists, and strict
about keys given twice (plain YAML keeps the last and silently drops the first)."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DuplicateKeyError(ConstructorError):
    """A mapping names the same key twice."""

    def __init__(self, key: Any, node: Node) -> None:
        super().__init__(None, None, f"'{key}' is given twice", node.start_mark)
        self.key = key


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


def load(text: str) -> Any:
    return yaml.load(text, Loader=StrictLoader)
