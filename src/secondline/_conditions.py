"""Condition trees: the small declarative language the knowledge files are written in.

A condition is one of::

    {all: [cond, ...]}          every part holds
    {any: [cond, ...]}          at least one part holds
    {not: cond}                 the part does not hold
    {fact: NAME, OP: VALUE}     OP is one of is, in, lt, le, gt, ge, eq, contains, known

Any node may carry ``reason`` (said when it holds) and ``unmet`` (said when it does
not); leaves without them describe the fact's value in plain words.

Logic is three-valued (Kleene): a leaf whose fact is unknown is ``None``, so an
option that hinges on an untested marker is *undecided*, never silently false.
Trees are checked against the fact registry when the knowledge loads, then
compiled once to closures; evaluating one is then a few function calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, model_validator

from secondline._facts import FACTS, FactValue, describe

Truth: TypeAlias = bool | None
#: A compiled condition: facts -> (truth, the plain-English reasons behind it).
Compiled: TypeAlias = Callable[[Mapping[str, FactValue]], tuple[Truth, tuple[str, ...]]]
#: The same without the reasons, for rules whose words are their own.
TruthOnly: TypeAlias = Callable[[Mapping[str, FactValue]], Truth]

_OPS = ("is", "in", "lt", "le", "gt", "ge", "eq", "contains", "known")
_NUMERIC_OPS = {"lt", "le", "gt", "ge", "eq"}


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    reason: str | None = None
    unmet: str | None = None


class Leaf(_Node):
    """A test of one fact."""

    fact: str
    is_: Any = Field(default=None, alias="is")
    in_: list[Any] | None = Field(default=None, alias="in")
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None
    eq: float | None = None
    contains: str | None = None
    known: bool | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Leaf:
        given = [op for op in _OPS if self.operand(op) is not None]
        if len(given) != 1:
            raise ValueError(f"a test of '{self.fact}' needs exactly one of {', '.join(_OPS)}")
        return self

    def operand(self, op: str) -> Any:
        return getattr(self, {"is": "is_", "in": "in_"}.get(op, op))

    @property
    def op(self) -> str:
        return next(op for op in _OPS if self.operand(op) is not None)


class All(_Node):
    all: list[Condition]


class AnyOf(_Node):
    any: list[Condition]


class Not(_Node):
    not_: Condition = Field(alias="not")


Condition: TypeAlias = All | AnyOf | Not | Leaf

for _model in (All, AnyOf, Not):
    _model.model_rebuild()


def walk(cond: Condition) -> Iterator[Condition]:
    """Every node of a tree, depth first."""
    yield cond
    children: list[Condition] = (
        cond.all if isinstance(cond, All)
        else cond.any if isinstance(cond, AnyOf)
        else [cond.not_] if isinstance(cond, Not)
        else []
    )
    for child in children:
        yield from walk(child)


def facts_used(cond: Condition) -> set[str]:
    return {node.fact for node in walk(cond) if isinstance(node, Leaf)}


def check(cond: Condition) -> list[str]:
    """Problems with a tree: unknown facts, operators that do not fit, bad values."""
    problems: list[str] = []
    for node in walk(cond):
        if not isinstance(node, Leaf):
            continue
        spec = FACTS.get(node.fact)
        if spec is None:
            problems.append(f"unknown fact '{node.fact}'")
            continue
        op, operand = node.op, node.operand(node.op)
        if op in _NUMERIC_OPS and spec.kind != "number":
            problems.append(f"'{op}' needs a number fact; '{node.fact}' is {spec.kind}")
        elif op == "contains" and spec.kind != "set":
            problems.append(f"'contains' needs a set fact; '{node.fact}' is {spec.kind}")
        elif op in ("is", "in"):
            if spec.kind == "set":
                problems.append(f"'{op}' does not fit the set fact '{node.fact}': use contains")
            values = operand if op == "in" else [operand]
            for value in values:
                if not spec.accepts(value):
                    problems.append(f"'{node.fact}' cannot be {value!r}")
        elif op == "contains" and not spec.accepts(operand):
            problems.append(f"'{node.fact}' cannot contain {operand!r}")
    return problems


def compile_condition(cond: Condition) -> Compiled:
    """Turn a checked tree into a closure over a fact mapping."""
    if isinstance(cond, Leaf):
        inner = _compile_leaf(cond)
    elif isinstance(cond, All):
        inner = _compile_junction([compile_condition(c) for c in cond.all], decisive=False)
    elif isinstance(cond, AnyOf):
        inner = _compile_junction([compile_condition(c) for c in cond.any], decisive=True)
    else:
        inner = _compile_not(compile_condition(cond.not_))
    if cond.reason is None and cond.unmet is None:
        return inner
    return _relabel(inner, cond.reason, cond.unmet)


def compile_truth(cond: Condition) -> TruthOnly:
    """A lean closure for where only the truth matters (exclusions, notes, gaps)."""
    if isinstance(cond, Leaf):
        name, op = cond.fact, cond.op
        if op == "known":
            wanted = bool(cond.known)
            return lambda facts: (facts.get(name) is not None) == wanted
        test = _test(op, cond.operand(op))

        def leaf(facts: Mapping[str, FactValue]) -> Truth:
            value = facts.get(name)
            return None if value is None else test(value)

        return leaf
    if isinstance(cond, Not):
        part = compile_truth(cond.not_)

        def negate(facts: Mapping[str, FactValue]) -> Truth:
            truth = part(facts)
            return None if truth is None else not truth

        return negate
    parts = [compile_truth(c) for c in (cond.all if isinstance(cond, All) else cond.any)]
    decisive = not isinstance(cond, All)  # any: True decides; all: False decides

    def combine(facts: Mapping[str, FactValue]) -> Truth:
        unknown = False
        for part in parts:
            truth = part(facts)
            if truth is None:
                unknown = True
            elif truth is decisive:
                return decisive
        return None if unknown else not decisive

    return combine


def truth_given(cond: Condition, known: Mapping[str, FactValue]) -> Truth:
    """What a tree says when only the facts in ``known`` are known, whatever the others
    turn out to be: None where they could still decide it.

    Three-valued logic is monotone: learning an unknown fact can turn None into True or
    False, never change True or False. So a rule that is False here can never hold for a
    case with these facts (the engine skips rules that cannot hold for a disease). A
    ``known`` test of a fact outside ``known`` counts as unknown, because it depends on
    whether the case gives that fact.
    """
    if isinstance(cond, Leaf):
        return compile_truth(cond)(known) if cond.fact in known else None
    if isinstance(cond, Not):
        truth = truth_given(cond.not_, known)
        return None if truth is None else not truth
    parts = [truth_given(c, known) for c in (cond.all if isinstance(cond, All) else cond.any)]
    decisive = not isinstance(cond, All)
    if decisive in parts:
        return decisive
    return None if None in parts else not decisive


def _relabel(inner: Compiled, reason: str | None, unmet: str | None) -> Compiled:
    def run(facts: Mapping[str, FactValue]) -> tuple[Truth, tuple[str, ...]]:
        truth, why = inner(facts)
        if truth is True and reason is not None:
            return truth, (reason,)
        if truth is False and unmet is not None:
            return truth, (unmet,)
        return truth, why

    return run


def _test(op: str, operand: Any) -> Callable[[Any], bool]:
    tests: dict[str, Callable[[Any], bool]] = {
        "is": lambda v: bool(v == operand),
        "in": lambda v: v in operand,
        "lt": lambda v: bool(v < operand),
        "le": lambda v: bool(v <= operand),
        "gt": lambda v: bool(v > operand),
        "ge": lambda v: bool(v >= operand),
        "eq": lambda v: bool(v == operand),
        "contains": lambda v: operand in v,
    }
    return tests[op]


def _compile_leaf(leaf: Leaf) -> Compiled:
    name, op = leaf.fact, leaf.op
    spec = FACTS[name]
    if op == "known":
        wanted = bool(leaf.known)

        def run_known(facts: Mapping[str, FactValue]) -> tuple[Truth, tuple[str, ...]]:
            value = facts.get(name)
            return (value is not None) == wanted, (describe(spec, value),)

        return run_known
    test = _test(op, leaf.operand(op))
    unknown = (describe(spec, None),)
    # Words for discrete values are worked out once; numbers vary, so are said each time.
    said: dict[FactValue, tuple[str, ...]] = {}

    def run(facts: Mapping[str, FactValue]) -> tuple[Truth, tuple[str, ...]]:
        value = facts.get(name)
        if value is None:
            return None, unknown
        if isinstance(value, float):
            return test(value), (describe(spec, value),)
        words = said.get(value)
        if words is None:
            words = said[value] = (describe(spec, value),)
        return test(value), words

    return run


def _compile_junction(parts: list[Compiled], decisive: bool) -> Compiled:
    """``all`` (decisive=False: one false part decides) or ``any`` (decisive=True).

    The first deciding part gives the reason (so list the plainest test first: a case in
    remission is told so, not every other way it misses); otherwise the unknown parts
    say what is missing, or every part says why the answer holds.
    """

    def run(facts: Mapping[str, FactValue]) -> tuple[Truth, tuple[str, ...]]:
        others: list[str] = []
        unknown: list[str] = []
        for part in parts:
            truth, why = part(facts)
            if truth is decisive:
                return decisive, why
            (unknown if truth is None else others).extend(why)
        if unknown:
            return None, tuple(unknown)
        return not decisive, tuple(others)

    return run


def _compile_not(part: Compiled) -> Compiled:
    def run(facts: Mapping[str, FactValue]) -> tuple[Truth, tuple[str, ...]]:
        truth, why = part(facts)
        return (None if truth is None else not truth), why

    return run


def condition_in_words(cond: Condition, depth: int = 0) -> str:
    """A readable rendering for the knowledge catalogue."""
    pad = "  " * depth
    label = f" — {cond.reason}" if cond.reason else ""
    if isinstance(cond, Leaf):
        op = cond.op
        words = {
            "is": "is", "in": "is one of", "lt": "is less than", "le": "is at most",
            "gt": "is more than", "ge": "is at least", "eq": "is exactly",
            "contains": "includes", "known": "is known" if cond.known else "is not known",
        }[op]
        operand = "" if op == "known" else " " + _operand_text(cond.operand(op))
        if op in _NUMERIC_OPS and FACTS[cond.fact].unit:
            operand += f" {FACTS[cond.fact].unit}"
        return f"{pad}- {FACTS[cond.fact].label} {words}{operand}{label}"
    if isinstance(cond, Not):
        return f"{pad}- not:{label}\n" + condition_in_words(cond.not_, depth + 1)
    head, parts = ("all of", cond.all) if isinstance(cond, All) else ("any of", cond.any)
    lines = [f"{pad}- {head}:{label}"]
    lines += [condition_in_words(part, depth + 1) for part in parts]
    return "\n".join(lines)


def _operand_text(operand: Any) -> str:
    if isinstance(operand, list):
        return ", ".join(_operand_text(o) for o in operand)
    if isinstance(operand, bool):
        return "yes" if operand else "no"
    if isinstance(operand, float) and operand.is_integer():
        return str(int(operand))
    return str(operand)

