"""Holds: why an option that would otherwise be suggested is left for the team to decide.

Three kinds, each naming its rule, its reasons and its sources:

- a treatment that already failed (no response, or the leukaemia came back while it was
  being given) would be given again: recognised by the option's ``same_treatment``;
- the team has judged the person not fit for intensive treatment, and the pages
  describe the option as intensive (``intensive``);
- the option's own ``undecided_when`` entries (a TKI already given, say).

The words live in the knowledge (rules.yaml and the option files); this module only
decides which apply and fills in the episodes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby

from secondline._compile import CompiledOption
from secondline._conditions import facts_used
from secondline._derive import Derived, treatment_kinds
from secondline._facts import FactValue
from secondline._history import Failure
from secondline._knowledge import Knowledge
from secondline._schema import Citation, SameTreatment

#: note facts as missing for an option: (option id, fact names)
NoteMissing = Callable[[str, Iterable[str]], None]


@dataclass(frozen=True, slots=True)
class Held:
    rule: str
    reasons: tuple[str, ...]
    sources: tuple[Citation, ...]


def _episode_words(group: list[Failure], knowledge: Knowledge) -> str:
    words = knowledge.holds.rules.failed_treatment
    first = group[0]
    names = ", ".join(dict.fromkeys(n for f in group for n in f.treatment.drugs))
    what = names or first.treatment.type
    started = min((f.treatment.started for f in group if f.treatment.started), default=None)
    ends = [f.treatment.ended for f in group]
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
    hows = []
    if any(f.how == "no-response" for f in group):
        hows.append(words.no_response)
    came_back = [f for f in group if f.how == "came-back"]
    if came_back:
        relapse = came_back[0].relapse
        hows.append(words.came_back.replace("{relapse}", relapse.isoformat() if relapse else "?"))
        if any(f.treatment.ended is None for f in came_back):
            hows.append(words.came_back_no_end)
    return f"{label} ({what}{when}): {'; '.join(hows)}"


def _episode_groups(failures: list[Failure]) -> list[list[Failure]]:
    """Failures of one dated episode together; each undated one on its own."""
    dated = [f for f in failures if f.episode]
    groups = [list(g) for _, g in groupby(dated, key=lambda f: f.episode)]
    return groups + [[f] for f in failures if not f.episode]


def _matches(same: SameTreatment, group: list[Failure], knowledge: Knowledge) -> bool | None:
    """True: the group is this option; None: some but not all of its drugs; False: no."""
    kinds = frozenset(k for f in group for k in treatment_kinds(knowledge, f))
    if kinds & set(same.kinds):
        return True
    drugs = {i for f in group for n in f.treatment.drugs for i in knowledge.canonical_drugs(n)}
    wanted = set(same.drugs)
    if not drugs & wanted:
        return False
    return True if same.match == "any" or wanted <= drugs else None


def failed_before(
    compiled: CompiledOption, derived: Derived, knowledge: Knowledge
) -> tuple[list[list[Failure]], list[list[Failure]]]:
    """The failed episodes that are this option, and those that hold part of it."""
    same = compiled.option.same_treatment
    if same is None:
        return [], []
    whole: list[list[Failure]] = []
    part: list[list[Failure]] = []
    for group in _episode_groups(derived.failures):
        found = _matches(same, group, knowledge)
        if found is True:
            whole.append(group)
        elif found is None:
            part.append(group)
    return whole, part


def episodes_text(groups: list[list[Failure]], knowledge: Knowledge) -> str:
    return "; ".join(_episode_words(group, knowledge) for group in groups)


def _holds_note(when: object, facts: Mapping[str, FactValue]) -> bool:
    return when is None or (callable(when) and when(facts) is True)


def holds_for(
    compiled: CompiledOption, facts: Mapping[str, FactValue], derived: Derived,
    knowledge: Knowledge, note_missing: NoteMissing,
) -> list[Held]:
    """Every hold that applies to an option that would otherwise be suggested.

    A hold whose facts are not known does not hold, but its facts are noted as missing:
    knowing them could change the answer.
    """
    option = compiled.option
    held: list[Held] = []
    for when, hold in compiled.holds:
        truth = when(facts)
        if truth is True:
            held.append(Held(hold.id, (hold.reason,), tuple(hold.sources)))
        elif truth is None:
            note_missing(option.id, facts_used(hold.when))
    if option.intensive is not None:
        not_fit = knowledge.holds.rules.not_fit_for_intensive
        truth = knowledge.holds.not_fit(facts) if knowledge.holds.not_fit else None
        if truth is True:
            text = f"{not_fit.reason} {option.intensive.reason} {not_fit.closing}"
            held.append(Held(not_fit.id, (" ".join(text.split()),),
                             (*not_fit.sources, *option.intensive.sources)))
        elif truth is None:
            note_missing(option.id, facts_used(not_fit.when))
    same = option.same_treatment
    if same is not None and derived.unrecorded & {*same.drugs, *same.kinds}:
        note_missing(option.id, ["last_response"])  # a response not recorded may be a failure
    whole, _ = failed_before(compiled, derived, knowledge)
    if whole:
        rule = knowledge.holds.rules.failed_treatment
        text = " ".join(rule.text.split()).replace("{episodes}", episodes_text(whole, knowledge))
        notes = [(n.text, n.sources) for w, n in compiled.failed_notes if _holds_note(w, facts)]
        held.append(Held(
            rule.id, (text, *(" ".join(t.split()) for t, _ in notes)),
            (*rule.sources, *(c for _, cites in notes for c in cites)),
        ))
    return held
