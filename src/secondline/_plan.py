"""The plan: the suggested options as steps in the order the pages describe, and the
one-sentence summary a chair can read aloud.

The steps, their order, which option belongs to which step and the preferences within a
step all come from the knowledge (plan.yaml and each option's ``step``); this module only
sorts what the engine suggested into them, and puts the summary's words together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from secondline._assessment import Assessment, OptionOut, PlanStepOut, StatusOut, built
from secondline._case import Case, Disease
from secondline._checks import Problems, check_citations
from secondline._compile import Vocabularies, check_truth
from secondline._conditions import Condition, TruthOnly
from secondline._facts import FactValue
from secondline._schema import Citation, Option, Source


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Preference(_Strict):
    """Options a page prefers within a step: when ``when`` holds, ``first`` are listed
    before ``before`` (before every other option of the step when ``before`` is empty)."""

    id: str
    when: Condition
    first: list[str] = Field(min_length=1)
    before: list[str] = Field(default_factory=list)
    reason: str
    sources: list[Citation] = Field(min_length=1)


class Step(_Strict):
    id: str
    title: str
    diseases: list[Disease] = Field(min_length=1)
    #: one: the options are alternatives, of which one is chosen
    choose: Literal["one"] | None = None
    #: how the step is said in the summary sentence ({options}: its options' names)
    summary: str | None = None
    about: str
    sources: list[Citation] = Field(min_length=1)
    preferences: list[Preference] = Field(default_factory=list)


class StateWords(_Strict):
    relapsed: str
    refractory: str
    remission: str
    untreated: str
    unknown: str


class SummaryWords(_Strict):
    #: {age}, {disease}, {state}
    head: str
    states: StateWords
    since: str
    declined: str
    options: str
    none: str
    more: str
    missing: str
    positive: str
    negative: str
    philadelphia: str


class PlanFile(_Strict):
    format: Literal[1]
    steps: list[Step] = Field(min_length=1)
    no_ranking: str
    #: said after the preferences that ordered a step: the rest keep the knowledge's order
    no_ranking_otherwise: str
    summary: SummaryWords


@dataclass(frozen=True)
class CompiledPlan:
    file: PlanFile
    #: (step id, preference id) -> its compiled condition
    when: Mapping[tuple[str, str], TruthOnly]


def compile_plan(
    plan: PlanFile, options: Sequence[Option], sources: dict[str, Source],
    vocab: Vocabularies, problems: Problems, unread: frozenset[str] = frozenset(),
) -> CompiledPlan:
    """Check plan.yaml against the options, and compile its preferences' conditions.
    ``unread``: ids of option files that could not be loaded (their problems are reported
    where they are; a preference naming one is not blamed for it)."""
    steps = {step.id: step for step in plan.steps}
    if len(steps) != len(plan.steps):
        problems.add("plan.yaml", "two steps share an id")
    when: dict[tuple[str, str], TruthOnly] = {}
    in_step: dict[str, set[str]] = {step.id: set() for step in plan.steps}
    for option in options:
        step = steps.get(option.step.id)
        where = f"options/{option.id}.yaml [{option.id}] step"
        check_citations(where, option.step.sources, sources, problems)
        if step is None:
            problems.add(where, f"no step '{option.step.id}' in plan.yaml")
            continue
        if not set(option.diseases) <= set(step.diseases):
            problems.add(where, f"the step '{step.id}' is not for {', '.join(option.diseases)}")
        in_step[step.id].add(option.id)
    for step in plan.steps:
        where = f"plan.yaml [{step.id}]"
        check_citations(where, step.sources, sources, problems)
        for preference in step.preferences:
            pref_where = f"{where} preferences[{preference.id}]"
            check_citations(pref_where, preference.sources, sources, problems)
            named = {*preference.first, *preference.before}
            for unknown in sorted(named - in_step[step.id] - unread):
                problems.add(pref_where, f"'{unknown}' is not an option of this step")
            if set(preference.first) & set(preference.before):
                problems.add(pref_where, "an option cannot be listed before itself")
            if compiled := check_truth(pref_where, preference.when, vocab, problems):
                when[(step.id, preference.id)] = compiled
        if step.summary is not None:
            _check_words(where + " summary", step.summary, problems, options="x")
    words = plan.summary
    for name, keys in (("head", ("age", "disease", "state")), ("since", ("months",)),
                       ("options", ("steps",)), ("more", ("count",)),
                       ("missing", ("count", "facts")), ("positive", ("names",)),
                       ("negative", ("names",))):
        _check_words(f"plan.yaml summary.{name}", getattr(words, name), problems,
                     **dict.fromkeys(keys, "x"))
    return CompiledPlan(plan, when)


def _check_words(where: str, text: str, problems: Problems, **names: str) -> None:
    """A text's {placeholders} are among ``names``, and it can be filled in."""
    try:
        text.format(**names)
    except (KeyError, IndexError, ValueError) as error:
        problems.add(where, f"'{text}' names what cannot be filled in ({error})")


@dataclass(frozen=True)
class PlannedStep:
    step: Step
    options: list[str]
    #: the preferences that ordered it (none: the knowledge's order, no ranking)
    preferences: list[Preference]


def plan_steps(
    plan: CompiledPlan, suggested: Sequence[tuple[str, str]],
    facts: Mapping[str, FactValue],
) -> list[PlannedStep]:
    """The suggested options, as ``(option id, step id)`` in the knowledge's order, sorted
    into the plan's steps: each once, steps in the plan's order, preferred options first."""
    out = []
    for step in plan.file.steps:
        ids = [oid for oid, step_id in suggested if step_id == step.id]
        if not ids:
            continue
        used = []
        for p in step.preferences:
            c = plan.when.get((step.id, p.id))
            if c is not None and c(facts) is True and _prefer(ids, p):
                used.append(p)
        out.append(PlannedStep(step, ids, used))
    return out


def _prefer(ids: list[str], preference: Preference) -> bool:
    """Move ``preference.first`` ahead of ``preference.before`` (of all the others when
    that is empty) in ``ids``, in place; options already ahead stay where they are.
    True when the preference bears on these options (both sides are present)."""
    movers = [oid for oid in preference.first if oid in ids]
    targets = [oid for oid in (preference.before or ids) if oid in ids and oid not in movers]
    if not movers or not targets:
        return False
    first_target = min(ids.index(t) for t in targets)
    late = [m for m in movers if ids.index(m) > first_target]
    if late:
        anchor = ids[first_target]
        rest = [oid for oid in ids if oid not in late]
        at = rest.index(anchor)
        ids[:] = rest[:at] + late + rest[at:]
    return True


def plan_out(
    plan: CompiledPlan, disease: str, options: Sequence[OptionOut],
    facts: Mapping[str, FactValue], cites_of: Mapping[str, Sequence[Citation]],
) -> list[PlanStepOut]:
    """The plan as the assessment gives it; ``cites_of`` holds each option's step citations."""
    out = []
    for planned in plan_steps(plan, [(o.id, o.step) for o in options], facts):
        step = planned.step
        cites = [*step.sources, *(c for oid in planned.options for c in cites_of[oid]),
                 *(c for p in planned.preferences for c in p.sources)]
        several = len(planned.options) > 1
        out.append(built(
            PlanStepOut, step=step.id, title=step.title, about=step.about, choose=step.choose,
            options=planned.options,
            order="preference" if planned.preferences else "not-a-ranking",
            order_reasons=([*(" ".join(p.reason.split()) for p in planned.preferences),
                            plan.file.no_ranking_otherwise] if planned.preferences
                           else [plan.file.no_ranking] if several else []),
            sources=list(dict.fromkeys(c for c in cites
                                       if c.diseases is None or disease in c.diseases)),
        ))
    return out


def summary_for(
    plan: CompiledPlan, case: Case, status: StatusOut, steps: Sequence[PlanStepOut],
    options: Sequence[OptionOut], missing: int,
) -> str:
    """The one-sentence summary of an assessment."""
    words = plan.file.summary
    said = {step.id: step.summary for step in plan.file.steps}
    name = {o.id: option_name_in_text(o.name) for o in options}
    state: str = getattr(words.states, status.state)
    months = status.months_from_last_treatment_to_relapse
    if status.state == "relapsed" and months is not None and months >= 1:
        state += " " + words.since.format(months=f"{months:.0f}")
    head = words.head.format(age=case.age, disease=case.disease, state=state)
    if markers := case_markers(plan, case):
        head += ", " + markers
    chosen = [(said_as, [name[o] for o in step.options])
              for step in steps if (said_as := said[step.step]) is not None]
    if not chosen:  # no step the summary names: say them all, by title
        chosen = [(step.title.lower() + ": {options}", [name[o] for o in step.options])
                  for step in steps]
    return summary_sentence(words, head=head, declined=not case.wishes.active_treatment,
                            steps=chosen, missing=missing)


def headlines(result: Assessment) -> dict[str, str]:
    """One line of reason per suggested option, for the plan's compact rows: the first
    reason it does not share with the other options of its step (the shared one, such as
    'the ALL has come back', says nothing about the choice), cut to its first sentence.
    The full reasons are always given in the details."""
    by_id = {o.id: o for o in result.options}
    lines = {}
    for step in result.plan:
        for oid in step.options:
            others = {r for other in step.options if other != oid for r in by_id[other].reasons}
            reasons = by_id[oid].reasons
            reason = next((r for r in reasons if r not in others), reasons[0])
            first, dot, rest = reason.partition(". ")
            lines[oid] = first + "." if dot and rest else reason
    return lines


def case_markers(plan: CompiledPlan, case: Case) -> str:
    """The case's known markers and Philadelphia status in words ('CD19 and CD22 positive,
    Ph negative'); empty when none is known."""
    words = plan.file.summary
    return markers_said(words, [
        *((m, getattr(case.markers, m)) for m in ("CD19", "CD20", "CD22")),
        (words.philadelphia, case.philadelphia),
    ])


def summary_sentence(
    words: SummaryWords, *, head: str, declined: bool,
    steps: Sequence[tuple[str, list[str]]], missing: int, limit: int = 300,
) -> str:
    """One sentence: ``head`` (the disease, its state and key facts), then each step's
    words (``{options}``: its options' names), at most ``limit`` characters. When it is
    too long, fewer names are shown per step and the others counted ("and 2 more")."""
    if declined:
        head += "; " + words.declined
    tail = ""
    if missing:
        tail = "; " + words.missing.format(count=missing,
                                           facts="fact" if missing == 1 else "facts")
    if not steps:
        return _capitalised(f"{head}; {words.none}{tail}.")
    sentence = ""
    for shown in range(max(len(names) for _, names in steps), 0, -1):
        parts = []
        for said, names in steps:
            if len(names) > shown:  # "a, b and 2 more"
                listed = ", ".join(names[:shown]) + " " + words.more.format(
                    count=len(names) - shown)
            else:
                listed = _listed(names)
            parts.append(said.format(options=listed) if "{options}" in said else said)
        sentence = _capitalised(f"{head}; {words.options.format(steps='; '.join(parts))}{tail}.")
        if len(sentence) <= limit:
            return sentence
    return sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


def markers_said(words: SummaryWords, known: Sequence[tuple[str, str]]) -> str:
    """The markers (and Philadelphia status) known, grouped: 'CD19 and CD22 positive, Ph
    negative'. ``known`` holds (name, value) in order; unknown values are left out."""
    groups = []
    for value, template in (("positive", words.positive), ("negative", words.negative)):
        names = [name for name, v in known if v == value]
        if names:
            groups.append(template.format(names=_listed(names, "and")))
    return ", ".join(groups)


def option_name_in_text(name: str) -> str:
    """An option's name inside a sentence, without what its name adds in brackets:
    'Blinatumomab (Blincyto)' -> 'blinatumomab', while a name that starts with capitals
    ('FLAG-IDA (or FLAG)', 'CAR-T') keeps them."""
    name = name.split(" (", 1)[0]
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _listed(names: Sequence[str], last: str = "or") -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {last} " + names[-1]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
