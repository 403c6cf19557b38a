"""Reading a case from YAML or JSON text, with one plain line per problem, naming the field."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO, get_args

import yaml
from pydantic import BaseModel, ValidationError

from secondline import _yaml
from secondline._case import Case
from secondline._errors import CaseError


def load_json(text: str, name: str, error: type[CaseError] = CaseError) -> Any:
    """JSON text as data, as strictly as a case file is read: a key given twice, a number
    JSON does not allow (``NaN``), one too long to read or nesting too deep each raise
    ``error`` naming ``name``."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise error([f"{key}: given twice"])
            out[key] = value
        return out

    def no_constant(constant: str) -> Any:
        raise error([f"{name}: {constant} is not a number JSON allows"])

    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        raise error([f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}"]) \
            from None
    except RecursionError:
        raise error([f"{name}: nested too deeply"]) from None
    except ValueError:  # a number beyond Python's digit limit
        raise error([f"{name}: holds a number too long to read"]) from None


def field_path(loc: Sequence[int | str]) -> str:
    """A validation location as the case writes it: ``treatments[1].ended``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


#: the same limit as the web API's bodies: no real case comes near it
MAX_CASE_BYTES = 1024 * 1024

#: our own cross-field checks, said in plain words
_PLAIN = {
    "before started": "the end date is before the start date",
    "after as_of": "is after the date the case is judged at (as_of)",
    "before diagnosed": "is before the date of diagnosis",
}


def _join(where: str, part: str) -> str:
    """'treatments' + '[1].ended: ...' or 'assessment' + 'date: ...' or '' + 'x: ...'."""
    if not where:
        return part
    if part.startswith("["):
        return where + part
    if ":" in part.split(" ", 1)[0]:
        return f"{where}.{part}"
    return f"{where}: {part}"


def _plain_value_error(text: str) -> str:
    field, sep, problem = text.rpartition(": ")
    plain = _PLAIN.get(problem, problem)
    return f"{field}{sep}{plain}" if sep else _PLAIN.get(text, text)


def _fields_at(loc: Sequence[int | str]) -> list[str]:
    """The field names the case allows where ``loc`` points (for "did you mean")."""
    model: Any = Case
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        inner = [a for a in get_args(field.annotation) if isinstance(a, type)] or [
            field.annotation]
        inner = [get_args(a)[0] if get_args(a) else a for a in inner]
        models = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        if not models:
            return []
        model = models[0]
    return list(model.model_fields)


def _suggestion(loc: Sequence[int | str]) -> str:
    name = str(loc[-1]) if loc else ""
    close = difflib.get_close_matches(name, _fields_at(loc), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _messages(error: Any) -> list[str]:
    where = field_path(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return [f"{where}: unknown field{_suggestion(error['loc'])}"]
    if kind == "missing":
        return [f"{where}: required"]
    if kind == "value_error":
        # our own cross-field checks say "field: problem"; one error may hold several
        message = str(error["msg"]).removeprefix("Value error, ")
        return [_join(where, _plain_value_error(part)) for part in message.split("; ")]
    got = error.get("input")
    shown = f" (got {got!r})" if isinstance(got, str | int | float) and len(repr(got)) < 60 else ""
    return [f"{where or 'case'}: {_words_for(error)}{shown}"]


#: pydantic's error kinds in plain words; ``{name}`` is filled from the error's context
_WORDS = {
    "less_than_equal": "must be {le} or less",
    "greater_than_equal": "must be {ge} or more",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be a mapping of fields",
    "dict_type": "must be a mapping of fields",
    "literal_error": "must be one of {expected}",
    "too_long": "at most {max_length} entries",
    "string_too_long": "at most {max_length} characters",
    "date_from_datetime_parsing": "is not a real date",
    "date_parsing": "is not a real date",
    "date_type": "must be a date written YYYY-MM-DD",
}


def _words_for(error: Any) -> str:
    """Plain words for pydantic's error kinds; its own message where none is set."""
    template = _WORDS.get(error["type"])
    if template is not None:
        context = {
            k: str(int(v) if isinstance(v, float) and v.is_integer() else v).replace("'", "")
            for k, v in (error.get("ctx") or {}).items()
        }
        try:
            return template.format(**context)
        except KeyError:
            pass
    message = str(error["msg"])
    return message[0].lower() + message[1:]


def parse_case(data: Any, as_of: dt.date | None = None) -> Case:
    """Validate a mapping as a case. ``as_of`` overrides the case's own; today if neither."""
    if data is None:
        raise CaseError(["case: empty; a case needs at least its age and disease"])
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
    if not text.strip():
        raise CaseError([f"{name}: empty; a case needs at least its age and disease"])
    if _nesting(text) > MAX_NESTING:
        raise CaseError([f"{name}: nested more than {MAX_NESTING} levels deep"])
    try:
        return _yaml.load_case(text)
    except _yaml.AliasError as exc:
        raise CaseError([f"{name}: YAML anchors and aliases (&name, *name) are not accepted "
                         f"in a case (line {exc.line}); write each value out"]) from None
    except _yaml.DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise CaseError([f"{exc.key}: given twice (line {line} of {name})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise CaseError([f"{name}: not valid YAML or JSON{where}"]) from None
    except (ValueError, TypeError, RecursionError) as exc:
        # a value YAML cannot build: a 5,000-digit number, a list as a key
        raise CaseError([f"{name}: not valid YAML or JSON ({exc.__class__.__name__})"]) from None


def with_lines(problems: list[str], text: str, name: str) -> list[str]:
    """Each problem with the line its field is written on, where the text shows it (a
    text on one line, such as compact JSON, has nothing to point to)."""
    if "\n" not in text.strip():
        return problems
    out = []
    for problem in problems:
        field, sep, _ = problem.partition(": ")
        line = _yaml.line_of(text, field) if sep and field not in ("case", name) else None
        out.append(f"{problem} (line {line} of {name})" if line else problem)
    return out


def parse_text(text: str, name: str, as_of: dt.date | None = None) -> Case:
    """A case from YAML or JSON text; every problem names its field and, where it can,
    the line it is on."""
    data = load_text(text, name)
    try:
        return parse_case(data, as_of)
    except CaseError as exc:
        raise CaseError(with_lines(exc.problems, text, name)) from None


def _read_bounded(stream: BinaryIO | TextIO, name: str) -> str:
    raw = stream.read(MAX_CASE_BYTES + 1)
    if isinstance(raw, str):  # a text stream (standard input replaced, in tests or embedding)
        raw = raw.encode("utf-8")
    if len(raw) > MAX_CASE_BYTES:
        raise CaseError([f"{name}: larger than 1 MiB; a case is far "
                         "smaller (the same limit as the web API)"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseError([f"{name}: not UTF-8 text"]) from None


def read_text(source: str) -> tuple[str, str]:
    """The text of a file path, or of standard input when ``source`` is ``-``, with the
    name problems give it. At most 1 MiB is read, whatever is sent: a larger input is
    refused by name."""
    if source == "-":
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        return _read_bounded(stream, "standard input"), "standard input"
    path = Path(source)
    try:
        with path.open("rb") as stream:
            return _read_bounded(stream, source), source
    except FileNotFoundError:
        raise CaseError([f"{source}: no such file"]) from None
    except OSError as exc:
        raise CaseError([f"{source}: cannot be read ({exc.__class__.__name__})"]) from None


def read_case(source: str, as_of: dt.date | None = None) -> Case:
    """Read a case from a file path, or from standard input when ``source`` is ``-``.

    At most 1 MiB is read, whatever is sent: a larger input is refused by name.
    """
    text, name = read_text(source)
    return parse_text(text, name, as_of)


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

