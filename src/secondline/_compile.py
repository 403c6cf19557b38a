"""Checking and compiling the rules of the knowledge base: options and shared rules.

Each rule is checked against the fact registry and the sources, and its condition trees
are compiled once to closures. Problems are noted, named by file and rule, never raised
one at a time.

Then, once per knowledge base and not for every case, what the engine asks of it for each
disease (``prepared``): the options the disease lists, the rules that can hold for it,
and everyone's citations for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from secondline._checks import PLACEHOLDER, Problems, check_citations
from secondline._conditions import (
    Compiled,
    Condition,
    Leaf,
    TruthOnly,
    check,
    compile_condition,
    compile_truth,
    facts_used,
    walk,
)
from secondline._facts import FACTS
from secondline._schema import (
    Caution,
    Exclusion,
    Gap,
    GlobalExclusion,
    Hold,
    Note,
    Option,
    PrognosticFactor,
    RuleCase,
    SharedHolds,
    Source,
)

if TYPE_CHECKING:
    pass

#: the words each knowledge vocabulary knows: drug ids, symptom ids
Vocabularies = Mapping[str, set[str]]
#: the names a gap or caution text may fill in besides facts: ``{settings.<name>}``
SETTINGS_PREFIX = "settings."


@dataclass(frozen=True)
class CompiledOption:
    option: Option
    suggest: Compiled
    trial_only: Compiled | None
    exclusions: tuple[tuple[TruthOnly, Exclusion], ...]
    #: the option's own reasons to leave it undecided although it would be suggested
    holds: tuple[tuple[TruthOnly, Hold], ...]
    notes: tuple[tuple[TruthOnly | None, Note], ...]
    #: notes said with the reasons when an earlier treatment holds the option back
    failed_notes: tuple[tuple[TruthOnly | None, Note], ...]
    #: a cited rule that allows giving it again after it was given before
    allowed: TruthOnly | None
    #: facts its conditions test: unknown ones are what leaves it undecided
    facts: frozenset[str]
    #: facts worth asking for while it is suggested, each with its condition
    needs: tuple[tuple[str, TruthOnly | None], ...]
    #: worked out once here rather than for every case: the drug ids and the treatment
    #: kinds ``same_treatment`` names, and the facts that each of ``holds`` and the
    #: allowance test (noted as missing when they are not known)
    same_drugs: frozenset[str] = frozenset()
    same_kinds: frozenset[str] = frozenset()
    hold_facts: tuple[frozenset[str], ...] = ()
    allowed_facts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CompiledHolds:
    """The shared holds of rules.yaml, with the not-fit condition compiled."""

    rules: SharedHolds
    not_fit: TruthOnly | None
    #: the facts the not-fit condition tests
    not_fit_facts: frozenset[str] = frozenset()


def _sound(where: str, cond: Condition, vocab: Vocabularies, problems: Problems) -> bool:
    found = check(cond)
    for node in walk(cond):
        if not isinstance(node, Leaf) or node.fact not in FACTS or node.contains is None:
            continue
        words = FACTS[node.fact].vocabulary
        if words is not None and node.contains not in vocab.get(words, set()):
            found.append(f"'{node.fact}' tests an unknown {words[:-1]} '{node.contains}'")
    for message in found:
        problems.add(where, message)
    return not found


def check_truth(
    where: str, cond: Condition, vocab: Vocabularies, problems: Problems
) -> TruthOnly | None:
    """The lean closure of a tree, or None (with its problems noted) if the tree is unsound."""
    return compile_truth(cond) if _sound(where, cond, vocab, problems) else None


def check_condition(
    where: str, cond: Condition, vocab: Vocabularies, problems: Problems
) -> Compiled | None:
    """The reasoned closure of a tree, or None (with its problems noted) if it is unsound."""
    return compile_condition(cond) if _sound(where, cond, vocab, problems) else None


def check_placeholders(
    where: str, texts: Iterable[str], allowed: Iterable[str], problems: Problems
) -> None:
    """Every ``{name}`` in the texts is a fact, or one of ``allowed``."""
    known = set(allowed)
    for text in texts:
        for name in PLACEHOLDER.findall(text):
            if name not in FACTS and name not in known:
                problems.add(where, f"the text names an unknown value '{{{name}}}'")


def check_rule_cases(where: str, cases: list[RuleCase], problems: Problems) -> None:
    if not any(c.applies for c in cases):
        problems.add(where, "has no example case where it applies")
    if all(c.applies for c in cases):
        problems.add(where, "has no example case where it does not apply")


_Rule = TypeVar("_Rule", GlobalExclusion, Gap, Caution, PrognosticFactor)


def compile_rules(
    kind: str, rules: list[_Rule], sources: dict[str, Source], vocab: Vocabularies,
    problems: Problems, settings: Iterable[str] = (),
) -> tuple[tuple[TruthOnly | None, _Rule], ...]:
    """Check and compile a list of shared rules; a rule with no condition always applies."""
    compiled: list[tuple[TruthOnly | None, _Rule]] = []
    fills = [SETTINGS_PREFIX + name for name in settings]
    for rule in rules:
        where = f"rules.yaml {kind} [{rule.id}]"
        check_citations(where, rule.sources, sources, problems)
        check_rule_cases(where, rule.cases, problems)
        if isinstance(rule, Gap):
            check_placeholders(where, [rule.text], fills, problems)
        elif isinstance(rule, PrognosticFactor):
            check_placeholders(where, [rule.note], fills, problems)
        if rule.when is None:
            compiled.append((None, rule))
        elif (when := check_truth(where, rule.when, vocab, problems)) is not None:
            compiled.append((when, rule))
    return tuple(compiled)


def compile_holds(
    holds: SharedHolds, sources: dict[str, Source], vocab: Vocabularies, problems: Problems
) -> CompiledHolds:
    failed, not_fit = holds.failed_treatment, holds.not_fit_for_intensive
    given = holds.given_before
    where = f"rules.yaml holds [{given.id}]"
    check_citations(where, given.sources, sources, problems)
    check_rule_cases(where, given.cases, problems)
    check_placeholders(where, [given.text, given.note], ["episodes"], problems)
    check_placeholders(where, [given.response], ["response"], problems)
    where = f"rules.yaml holds [{failed.id}]"
    check_citations(where, failed.sources, sources, problems)
    check_citations(where, failed.partly_sources, sources, problems)
    check_rule_cases(where, failed.cases, problems)
    check_placeholders(where, [failed.text, failed.partly], ["episodes"], problems)
    check_placeholders(where, [failed.no_response, failed.came_back_no_end], [], problems)
    check_placeholders(where, [failed.came_back], ["relapse"], problems)
    where = f"rules.yaml holds [{not_fit.id}]"
    check_citations(where, not_fit.sources, sources, problems)
    check_rule_cases(where, not_fit.cases, problems)
    return CompiledHolds(holds, check_truth(where, not_fit.when, vocab, problems),
                         frozenset(facts_used(not_fit.when)))


def _notes(
    where: str, notes: list[Note], sources: dict[str, Source], vocab: Vocabularies,
    problems: Problems,
) -> tuple[tuple[TruthOnly | None, Note], ...]:
    compiled: list[tuple[TruthOnly | None, Note]] = []
    for i, note in enumerate(notes):
        check_citations(f"{where}[{i}]", note.sources, sources, problems)
        check_placeholders(f"{where}[{i}]", [note.text], [], problems)
        when = None
        if note.when is not None:
            when = check_truth(f"{where}[{i}]", note.when, vocab, problems)
        compiled.append((when, note))
    return tuple(compiled)


def _check_same_treatment(
    option: Option, where: str, vocab: Vocabularies, problems: Problems
) -> None:
    same = option.same_treatment
    if same is None:
        if option.anti_leukaemia and option.drugs:
            problems.add(where, "names drugs but not how an earlier treatment counts as it "
                                "(same_treatment), so a failed one could be suggested again")
        return
    for unknown in sorted(set(same.drugs) - vocab.get("drugs", set())):
        problems.add(f"{where} same_treatment", f"unknown drug '{unknown}'")
    if not same.drugs and not same.kinds:
        problems.add(f"{where} same_treatment", "names neither drugs nor kinds")


def _check_cases(option: Option, where: str, problems: Problems) -> None:
    if not option.cases:
        problems.add(where, "has no example cases")
        return
    outcomes = {case.expect for case in option.cases}
    if not outcomes & {"suggested", "clinical-trial"}:
        problems.add(where, "has no example case where it is suggested")
    if not outcomes & {"excluded", "not-indicated", "undecided"}:
        problems.add(where, "has no example case where it is not suggested")


def compile_option(
    option: Option, where: str, sources: dict[str, Source], vocab: Vocabularies,
    problems: Problems,
) -> CompiledOption | None:
    check_citations(where, option.sources, sources, problems)
    for unknown in sorted(set(option.drugs) - vocab.get("drugs", set())):
        problems.add(where, f"unknown drug '{unknown}'")
    needs: list[tuple[str, TruthOnly | None]] = []
    for need in option.needs:
        name = need if isinstance(need, str) else need.fact
        if name not in FACTS:
            problems.add(where, f"needs an unknown fact '{name}'")
        when = None
        if not isinstance(need, str):
            when = check_truth(f"{where} needs[{name}]", need.when, vocab, problems)
        needs.append((name, when))
    suggest = check_condition(f"{where} suggest_when", option.suggest_when, vocab, problems)
    trial = None
    if option.trial_only_when is not None:
        trial = check_condition(
            f"{where} trial_only_when", option.trial_only_when, vocab, problems
        )
    exclusions: list[tuple[TruthOnly, Exclusion]] = []
    for i, exclusion in enumerate(option.not_when):
        check_citations(f"{where} not_when[{i}]", exclusion.sources, sources, problems)
        compiled = check_truth(f"{where} not_when[{i}]", exclusion.when, vocab, problems)
        if compiled:
            exclusions.append((compiled, exclusion))
    holds: list[tuple[TruthOnly, Hold]] = []
    for hold in option.undecided_when:
        hold_where = f"{where} undecided_when[{hold.id}]"
        check_citations(hold_where, hold.sources, sources, problems)
        if compiled := check_truth(hold_where, hold.when, vocab, problems):
            holds.append((compiled, hold))
    if len({hold.id for hold in option.undecided_when}) != len(option.undecided_when):
        problems.add(where, "two undecided_when entries share an id")
    if option.intensive is not None:
        check_citations(f"{where} intensive", option.intensive.sources, sources, problems)
    _check_same_treatment(option, where, vocab, problems)
    allowed = None
    allowance = option.same_treatment.allowed_when if option.same_treatment else None
    if allowance is not None:
        allowed_where = f"{where} same_treatment.allowed_when[{allowance.id}]"
        check_citations(allowed_where, allowance.sources, sources, problems)
        allowed = check_truth(allowed_where, allowance.when, vocab, problems)
    failed_notes = _notes(
        f"{where} same_treatment.notes",
        option.same_treatment.notes if option.same_treatment else [], sources, vocab, problems,
    )
    notes = _notes(f"{where} notes", option.notes, sources, vocab, problems)
    _check_cases(option, where, problems)
    if suggest is None:
        return None
    used = facts_used(option.suggest_when)
    for cond in [option.trial_only_when, *(e.when for e in option.not_when)]:
        if cond is not None:
            used |= facts_used(cond)
    same = option.same_treatment
    return CompiledOption(
        option, suggest, trial, tuple(exclusions), tuple(holds), notes, failed_notes,
        allowed, frozenset(used), tuple(needs),
        same_drugs=frozenset(same.drugs if same else ()),
        same_kinds=frozenset(same.kinds if same else ()),
        hold_facts=tuple(frozenset(facts_used(hold.when)) for _, hold in holds),
        allowed_facts=frozenset(facts_used(allowance.when) if allowance else ()),
    )
