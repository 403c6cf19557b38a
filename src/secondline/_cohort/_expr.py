"""The second compiler: the same condition trees as ``_conditions.py``, to Polars expressions.

Each fact is a column named after it (``markers.CD19``). A value not known is null, and
Polars' ``&``, ``|`` and ``~`` are Kleene's, as the closures are: ``all`` is false as soon
as one part is false, ``any`` true as soon as one part is true, and unknown otherwise
when a part is unknown. A leaf on an unknown fact is null, except ``known``, which is
never unknown.

Set facts (drugs given, sites, symptoms) are bit masks over their vocabulary, one bit a
member, so that a union is an ``or`` and ``contains`` is one ``and``; ``SetBits`` says
which bit each member has. No medicine lives here: only the operators of the language.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

import polars as pl

from secondline._case import TreatmentType
from secondline._conditions import All, AnyOf, Condition, Leaf, Not
from secondline._facts import FACTS
from secondline._knowledge import Knowledge

MASK = pl.UInt64
_TARGETS = ("CD19", "CD20", "CD22", "BCR-ABL1")


@dataclass(frozen=True)
class SetBits:
    """The bit of each member of each set fact's vocabulary (at most 64 a fact)."""

    members: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def bit(self, fact: str, member: str) -> int:
        return 1 << self.members[fact].index(member)

    def mask(self, fact: str, members: Iterable[str]) -> int:
        return functools.reduce(operator.or_, (self.bit(fact, m) for m in members), 0)

    def names(self, fact: str, mask: int) -> list[str]:
        return [m for i, m in enumerate(self.members[fact]) if mask >> i & 1]


def set_bits(knowledge: Knowledge) -> SetBits:
    drugs = tuple(d.id for d in knowledge.drugs.drugs)
    symptoms = tuple(s.id for s in knowledge.symptoms.symptoms)
    kinds = get_args(TreatmentType)
    members: dict[str, tuple[str, ...]] = {}
    for name, spec in FACTS.items():
        if spec.kind != "set":
            continue
        if spec.vocabulary == "drugs":
            members[name] = drugs
        elif spec.vocabulary == "symptoms":
            members[name] = symptoms
        elif name.startswith("targets"):
            members[name] = _TARGETS
        elif name.startswith(("kinds", "failed_kinds")):
            members[name] = kinds
        else:
            members[name] = spec.values or ()
    for name, vocab in members.items():
        if len(vocab) > 64:  # a knowledge check, not a case problem
            raise ValueError(f"the set fact '{name}' has more than 64 members")
    return SetBits(members)


def fact(name: str) -> pl.Expr:
    return pl.col(name)


def _in(column: pl.Expr, values: list[Any]) -> pl.Expr:
    return pl.when(column.is_null()).then(None).otherwise(column.is_in(values))


def _leaf(leaf: Leaf, bits: SetBits) -> pl.Expr:
    column, op = fact(leaf.fact), leaf.op
    operand = leaf.operand(op)
    if op == "known":
        return column.is_not_null() if leaf.known else column.is_null()
    if op == "contains":
        return (column & pl.lit(bits.bit(leaf.fact, operand), dtype=MASK)) != 0
    if op == "in":
        return _in(column, list(operand))
    tests = {"is": operator.eq, "eq": operator.eq, "lt": operator.lt, "le": operator.le,
             "gt": operator.gt, "ge": operator.ge}
    result: pl.Expr = tests[op](column, pl.lit(operand))
    return result


def compile_expr(cond: Condition, bits: SetBits) -> pl.Expr:
    """A checked tree as a boolean expression: true, false, or null for unknown."""
    if isinstance(cond, Leaf):
        return _leaf(cond, bits)
    if isinstance(cond, Not):
        return ~compile_expr(cond.not_, bits)
    if isinstance(cond, All):
        return functools.reduce(operator.and_, (compile_expr(c, bits) for c in cond.all))
    assert isinstance(cond, AnyOf)
    return functools.reduce(operator.or_, (compile_expr(c, bits) for c in cond.any))


def holds(cond: pl.Expr | None) -> pl.Expr:
    """A rule's condition holds (true, not unknown); a rule without one always does."""
    return pl.lit(True) if cond is None else cond.fill_null(False)


def any_of(parts: Iterable[pl.Expr]) -> pl.Expr:
    found = list(parts)
    return functools.reduce(operator.or_, found) if found else pl.lit(False)


def fields_of(names: Iterable[str]) -> Mapping[str, set[str]]:
    """Facts by the case field a person would fill in to make them known."""
    by_field: dict[str, set[str]] = {}
    for name in names:
        by_field.setdefault(FACTS[name].field, set()).add(name)
    return by_field
