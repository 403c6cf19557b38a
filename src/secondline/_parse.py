"""Reading a case from YAML or JSON text, with one plain line per problem, naming the field."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from secondline import _yaml
from secondline._case import Case
from secondline._errors import CaseError


def field_path(loc: Sequence[int | str]) -> str:
    """A validation location as the case writes it: ``treatments[1].ended``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _join(where: str, part: str) -> str:
    """'treatments' + '[1].ended: ...' or 'assessment' + 'date: ...' or '' + 'x: ...'."""
    if not where:
        return part
    if part.startswith("["):
        return where + part
    if ":" in part.split(" ", 1)[0]:
        return f"{where}.{part}"
    return f"{where}: {part}"


def _messages(error: Any) -> list[str]:
    where = field_path(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return [f"{where}: unknown field"]
    if kind == "missing":
        return [f"{where}: required"]
    message = str(error["msg"])
    if kind == "value_error":
        # our own cross-field checks say "field: problem"; one error may hold several
        message = message.removeprefix("Value error, ")
        return [_join(where, part) for part in message.split("; ")]
    got = error.get("input")
    shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
    return [f"{where or 'case'}: {message[0].lower()}{message[1:]}{shown}"]


def parse_case(data: Any, as_of: dt.date | None = None) -> Case:
    """Validate a mapping as a case. ``as_of`` overrides the case's own; today if neither."""
    if not isinstance(data, dict):
        raise CaseError(["case: must be a mapping of fields (a YAML or JSON object)"])
    data = dict(data)
    if as_of is not None:
        data["as_of"] = as_of
    elif data.get("as_of") is None:
        data["as_of"] = dt.date.today()
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        problems = [line for error in exc.errors() for line in _messages(error)]
        raise CaseError(problems) from None


#: deeper brackets than any case needs; libyaml recurses on them and can crash the process
MAX_NESTING = 64


def _nesting(text: str) -> int:
    """The deepest run of flow brackets (``[`` and ``{``), counted without recursion.

    Brackets inside quoted strings count too; a case never needs anywhere near the limit.
    """
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return 0
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest


def load_text(text: str, name: str = "case") -> Any:
    """Parse YAML or JSON (JSON is YAML) text, reporting where it breaks."""
    if _nesting(text) > MAX_NESTING:
        raise CaseError([f"{name}: nested more than {MAX_NESTING} levels deep"])
    try:
        return _yaml.load(text)
    except _yaml.DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise CaseError([f"{exc.key}: given twice (line {line} of {name})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CaseError([f"{name}: not valid YAML or JSON{where}"]) from None
    except (ValueError, TypeError, RecursionError) as exc:
        # a value YAML cannot build: 2020-02-30, a 5,000-digit number, a list as a key
        raise CaseError([f"{name}: not valid YAML or JSON ({exc.__class__.__name__})"]) from None


def read_case(source: str, as_of: dt.date | None = None) -> Case:
    """Read a case from a file path, or from standard input when ``source`` is ``-``."""
    if source == "-":
        text, name = sys.stdin.read(), "standard input"
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CaseError([f"{source}: no such file"]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CaseError([f"{source}: cannot be read ({exc.__class__.__name__})"]) from None
        name = source
    return parse_case(load_text(text, name), as_of)


def case_json_schema() -> dict[str, Any]:
    """The case format as JSON Schema."""
    schema = Case.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "secondline case"
    return schema


def assessment_json_schema() -> dict[str, Any]:
    """The assessment (the output of ``assess --json``) as JSON Schema."""
    from secondline._assessment import Assessment

    schema = Assessment.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "secondline assessment"
    return schema

