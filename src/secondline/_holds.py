"""Holds: why an option that would otherwise be suggested is left for the team to decide.

Four kinds, each naming its rule, its reasons and its sources:

- it would give again a treatment that **failed** (no response, or the leukaemia came back
  while it was being given), recognised by the option's ``same_treatment``;
- it would give again a treatment **given before**, which the sources do not describe
  repeating, unless a cited rule allows it (``same_treatment.allowed_when``: the hairy
  cell leukaemia page's 2-year rule); a failure is never lifted that way;
- the team has judged the person **not fit for intensive treatment**, and the pages
  describe the option as intensive (``intensive``);
- the option's own ``undecided_when`` entries (no TKI given before, say).

The words live in the knowledge (rules.yaml and the option files); this module decides
which apply and fills in the episodes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from secondline._compile import CompiledOption
from secondline._conditions import TruthOnly
from secondline._derive import Derived, Given, Group
from secondline._facts import FactValue
from secondline._history import Course
from secondline._knowledge import Knowledge
from secondline._schema import Citation

#: note facts as missing for an option: (option id, fact names)
NoteMissing = Callable[[str, Iterable[str]], None]


@dataclass(frozen=True, slots=True)
class Held:
    rule: str
    reasons: tuple[str, ...]
    sources: tuple[Citation, ...]


@dataclass
class Verdict:
    """The holds on an option, and what to add to its reasons if none holds."""

    held: list[Held] = field(default_factory=list)
    notes: list[tuple[str, tuple[Citation, ...]]] = field(default_factory=list)


def _words(text: str) -> str:
    return " ".join(text.split())


#: the same for a text of the knowledge: the same few texts, tidied once
_said = functools.lru_cache(maxsize=1024)(_words)


def _relevant(compiled: CompiledOption, given: Given) -> bool:
    return bool(given.drugs & compiled.same_drugs or given.kinds & compiled.same_kinds)


def _match(compiled: CompiledOption, group: Group) -> bool | None:
    """True: the episode gave this option; None: part of it (a regimen); False: none."""
    if group.kinds & compiled.same_kinds:
        return True
    wanted = compiled.same_drugs
    if not group.drugs & wanted:
        return False
    same = compiled.option.same_treatment
    return True if (same and same.match == "any") or wanted <= group.drugs else None


def _episode(courses: list[Course], how: str) -> str:
    first = courses[0]
    names = ", ".join(dict.fromkeys(n for c in courses for n in c.treatment.drugs))
    started = min((c.treatment.started for c in courses if c.treatment.started), default=None)
    ends = [c.treatment.ended for c in courses]
    ended = None if None in ends else max(e for e in ends if e is not None)
    if started and ended:
        when = f", {started.isoformat()} to {ended.isoformat()}"
    elif started:
        when = f", from {started.isoformat()}, no end date"
    elif ended:
        when = f", ended {ended.isoformat()}"
    else:
        when = ", undated"
    label = f"episode {first.episode}" if first.episode else "an undated treatment"
    return f"{label} ({names or first.treatment.type}{when}): {how}"


def _failed_words(courses: list[Course], knowledge: Knowledge) -> str:
    words = knowledge.holds.rules.failed_treatment
    hows = [words.no_response] if any(c.failed == "no-response" for c in courses) else []
    came_back = [c for c in courses if c.failed == "came-back"]
    if came_back:
        relapse = came_back[0].relapse
        hows.append(words.came_back.replace("{relapse}", relapse.isoformat() if relapse else "?"))
        if any(c.treatment.ended is None for c in came_back):
            hows.append(words.came_back_no_end)
    return _episode(courses, "; ".join(hows))


def _given_words(courses: list[Course], knowledge: Knowledge) -> str:
    template = knowledge.holds.rules.given_before.response
    responses = dict.fromkeys(c.treatment.response for c in courses)
    said = " or ".join(r.replace("-", " ") if r != "unknown" else "not recorded"
                       for r in responses)
    return _episode(courses, template.replace("{response}", said))


@dataclass
class _Earlier:
    """The episodes that gave this option before: failed, or not; and partial failures."""

    failed: list[list[Course]] = field(default_factory=list)
    given: list[list[Course]] = field(default_factory=list)
    part_failed: list[list[Course]] = field(default_factory=list)


def _earlier(compiled: CompiledOption, derived: Derived) -> _Earlier:
    found = _Earlier()
    for group in derived.groups:
        matched = _match(compiled, group)
        if matched is False:
            continue
        relevant = [g.course for g in group.members if _relevant(compiled, g)]
        failed = [c for c in relevant if c.failed]
        if matched is True:
            (found.failed if failed else found.given).append(failed or relevant)
        elif failed:
            found.part_failed.append(failed)
    return found


def _with_notes(
    text: str, compiled: CompiledOption, facts: Mapping[str, FactValue]
) -> tuple[tuple[str, ...], tuple[Citation, ...]]:
    notes = [n for w, n in compiled.failed_notes if w is None or w(facts) is True]
    return (_words(text), *(_said(n.text) for n in notes)), tuple(
        c for n in notes for c in n.sources
    )


def _history_holds(
    compiled: CompiledOption, facts: Mapping[str, FactValue], derived: Derived,
    knowledge: Knowledge, note_missing: NoteMissing, verdict: Verdict,
) -> None:
    """The failed-treatment and given-before holds, or the notes said instead."""
    option, rules = compiled.option, knowledge.holds.rules
    same = option.same_treatment
    if same is None:
        return
    if derived.unrecorded & compiled.same_drugs or derived.unrecorded & compiled.same_kinds:
        note_missing(option.id, ["last_response"])  # a response not recorded may be a failure
    if not (derived.given_kinds & compiled.same_kinds or derived.given_drugs & compiled.same_drugs):
        return  # nothing given before was this option
    earlier = _earlier(compiled, derived)
    if earlier.failed:
        episodes = "; ".join(_failed_words(g, knowledge) for g in earlier.failed)
        reasons, cites = _with_notes(rules.failed_treatment.text.replace("{episodes}", episodes),
                                     compiled, facts)
        verdict.held.append(Held(rules.failed_treatment.id, reasons,
                                 (*rules.failed_treatment.sources, *cites)))
    if earlier.part_failed:
        episodes = "; ".join(_failed_words(g, knowledge) for g in earlier.part_failed)
        verdict.notes.append((_words(rules.failed_treatment.partly).replace(
            "{episodes}", episodes), tuple(rules.failed_treatment.partly_sources)))
    if not earlier.given:
        return
    episodes = "; ".join(_given_words(g, knowledge) for g in earlier.given)
    allowed = _allowed(compiled, facts, note_missing)
    if same.given_before == "note" or allowed:
        verdict.notes.append((_words(rules.given_before.note).replace("{episodes}", episodes),
                              tuple(rules.given_before.sources)))
        if allowed and same.allowed_when is not None:
            verdict.notes.append((_words(same.allowed_when.reason),
                                  tuple(same.allowed_when.sources)))
    elif not earlier.failed:  # a failure already holds it, and says more
        reasons, cites = _with_notes(rules.given_before.text.replace("{episodes}", episodes),
                                     compiled, facts)
        verdict.held.append(Held(rules.given_before.id, reasons,
                                 (*rules.given_before.sources, *cites)))


def _allowed(
    compiled: CompiledOption, facts: Mapping[str, FactValue], note_missing: NoteMissing
) -> bool:
    """Whether the option's cited allowance to give it again holds (unknown: it does not)."""
    allowance = compiled.option.same_treatment.allowed_when if (
        compiled.option.same_treatment) else None
    if allowance is None or compiled.allowed is None:
        return False
    truth = compiled.allowed(facts)
    if truth is None:
        note_missing(compiled.option.id, compiled.allowed_facts)
    return truth is True


def _check(when: TruthOnly | None, facts: Mapping[str, FactValue]) -> bool | None:
    return None if when is None else when(facts)


def holds_for(
    compiled: CompiledOption, facts: Mapping[str, FactValue], derived: Derived,
    knowledge: Knowledge, note_missing: NoteMissing,
) -> Verdict:
    """Every hold on an option that would otherwise be suggested, and the notes to add if
    none holds. A hold whose facts are not known does not hold, but its facts are noted
    as missing: knowing them could change the answer."""
    option = compiled.option
    verdict = Verdict()
    for (when, hold), used in zip(compiled.holds, compiled.hold_facts, strict=True):
        truth = when(facts)
        if truth is True:
            verdict.held.append(Held(hold.id, (_said(hold.reason),), tuple(hold.sources)))
        elif truth is None:
            note_missing(option.id, used)
    if option.intensive is not None:
        not_fit = knowledge.holds.rules.not_fit_for_intensive
        truth = _check(knowledge.holds.not_fit, facts)
        if truth is True:
            text = f"{not_fit.reason} {option.intensive.reason} {not_fit.closing}"
            verdict.held.append(Held(not_fit.id, (_said(text),),
                                     (*not_fit.sources, *option.intensive.sources)))
        elif truth is None:
            note_missing(option.id, knowledge.holds.not_fit_facts)
    _history_holds(compiled, facts, derived, knowledge, note_missing, verdict)
    return verdict
