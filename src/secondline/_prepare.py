"""What the engine asks of the knowledge for each disease, worked out once per knowledge
base rather than for every case: the options the disease lists (each with its drugs and
its citations for that disease), the shared rules that can hold for it, and the
definitions' citations.

A rule whose condition cannot hold for a disease (``truth_given`` with only the disease
known says False) is left out here; three-valued logic means this never changes an
answer, only skips work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple, TypeVar, get_args
from weakref import WeakKeyDictionary

from secondline._assessment import DrugOut
from secondline._case import Disease
from secondline._compile import CompiledOption
from secondline._conditions import Condition, TruthOnly, truth_given
from secondline._schema import (
    Caution,
    Citation,
    Exclusion,
    Gap,
    GlobalExclusion,
    Note,
    PrognosticFactor,
)

if TYPE_CHECKING:
    from secondline._knowledge import Knowledge

_Rule = TypeVar("_Rule", GlobalExclusion, Gap, Caution, PrognosticFactor)


def dedupe(cites: Iterable[Citation]) -> list[Citation]:
    """Each (source, section) once, in first-cited order."""
    seen: dict[tuple[str, str], Citation] = {}
    for c in cites:
        seen.setdefault((c.source, c.section), c)
    return list(seen.values())


def cited_for(cites: Iterable[Citation], disease: str) -> tuple[Citation, ...]:
    """The citations that belong to this disease, each once."""
    return tuple(dedupe(c for c in cites if c.diseases is None or disease in c.diseases))


def _words(text: str) -> str:
    """A knowledge text with its line breaks and runs of spaces made single spaces."""
    return " ".join(text.split())


class Listed(NamedTuple):
    """One option as a disease lists it, with its citations for that disease."""

    compiled: CompiledOption
    #: the disease is one the option is for; otherwise it is only explained
    in_scope: bool
    drugs: list[DrugOut]
    sources: tuple[Citation, ...]
    #: its exclusions and notes that can hold for the disease
    exclusions: tuple[tuple[TruthOnly, Exclusion, tuple[Citation, ...]], ...]
    notes: tuple[tuple[TruthOnly | None, Note, tuple[Citation, ...]], ...]
    #: it has holds of its own, is intensive or names a same treatment
    may_hold: bool


#: a shared rule that can hold for a disease: its condition (None: always), the rule, what
#: it says (the text with its spacing tidied) and its citations for the disease
RuleFor = tuple[TruthOnly | None, _Rule, str, tuple[Citation, ...]]


class ForDisease(NamedTuple):
    """What one disease asks of the knowledge, worked out once per knowledge base: the
    options it lists, in knowledge order, the shared rules that can hold for it (see
    ``truth_given``), and the citations of the definitions."""

    listed: list[Listed]
    exclusions: list[RuleFor[GlobalExclusion]]
    prognostic: list[RuleFor[PrognosticFactor]]
    context: list[RuleFor[Gap]]
    gaps: list[RuleFor[Gap]]
    cautions: list[RuleFor[Caution]]
    #: remission, relapsed, refractory, mrd -> citations
    definitions: dict[str, tuple[Citation, ...]]


def _can_hold(cond: Condition | None, disease: str) -> bool:
    return cond is None or truth_given(cond, {"disease": disease}) is not False


def _for_disease(knowledge: Knowledge, disease: str) -> ForDisease:
    drugs = knowledge.drug_by_id
    plans = []
    for compiled in knowledge.options:
        option = compiled.option
        if disease not in option.diseases and disease not in option.explain_for:
            continue
        plans.append(Listed(
            compiled, disease in option.diseases,
            [DrugOut(id=d, name=drugs[d].name, atc=drugs[d].atc) for d in option.drugs],
            cited_for(option.sources, disease),
            tuple((when, e, cited_for(e.sources, disease)) for when, e in compiled.exclusions
                  if _can_hold(e.when, disease)),
            tuple((when, n, cited_for(n.sources, disease)) for when, n in compiled.notes
                  if _can_hold(n.when, disease)),
            bool(compiled.holds or option.intensive or option.same_treatment),
        ))

    def rules(found: Iterable[tuple[TruthOnly | None, _Rule]], say: Callable[[_Rule], str]
              ) -> list[RuleFor[_Rule]]:
        return [(when, rule, say(rule), cited_for(rule.sources, disease))
                for when, rule in found if _can_hold(rule.when, disease)]

    d = knowledge.definitions
    return ForDisease(
        plans,
        rules((e for e in knowledge.exclusions
               if e[1].diseases is None or disease in e[1].diseases), lambda e: e.reason),
        rules((p for p in knowledge.prognostic if disease in p[1].diseases),
              lambda p: _words(p.note)),
        rules(knowledge.context, lambda g: _words(g.text)),
        rules(knowledge.gaps, lambda g: _words(g.text)),
        rules(knowledge.cautions, lambda c: _words(c.text)),
        {"remission": cited_for(d.remission.sources, disease),
         **{name: cited_for(getattr(d, name), disease)
            for name in ("relapsed", "refractory", "mrd")}},
    )


#: per knowledge base, what each disease asks of it
_PREPARED: WeakKeyDictionary[Knowledge, dict[str, ForDisease]] = WeakKeyDictionary()


def prepared(knowledge: Knowledge, disease: str) -> ForDisease:
    """What the disease asks of the knowledge, worked out on first use and kept with it."""
    found = _PREPARED.get(knowledge)
    if found is None:
        found = _PREPARED[knowledge] = {
            name: _for_disease(knowledge, name) for name in get_args(Disease)
        }
    return found[disease]
