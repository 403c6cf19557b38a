"""``assess(case)``: one pure function from a valid case to its assessment.

The engine knows no medicine: it derives facts, runs the compiled knowledge over them
and gathers what each rule says, with the sources the rule cites.

It is on the hot path of every interface, so what depends on the knowledge alone (the
options a disease lists, the rules that can hold for it, citations per disease, texts
with their spacing tidied) is worked out once per knowledge base (``prepared``), and the
output models are built without validating again what is valid by construction
(``built``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal

from secondline._assessment import (
    DISCLAIMER,
    Assessment,
    Line,
    MissingOut,
    NotSuggestedOut,
    OptionOut,
    PrognosticOut,
    RemissionOut,
    RuleTextOut,
    SourceOut,
    StatusOut,
    TreatmentOut,
    built,
)
from secondline._case import Case
from secondline._checks import PLACEHOLDER
from secondline._compile import SETTINGS_PREFIX
from secondline._conditions import TruthOnly
from secondline._derive import Derived, derive
from secondline._facts import FACTS, FactValue, format_value
from secondline._guidance import apply_guidance
from secondline._holds import holds_for
from secondline._knowledge import Knowledge, load_knowledge
from secondline._plan import plan_out, summary_for
from secondline._prepare import ForDisease, Listed, RuleFor, dedupe, prepared
from secondline._schema import Citation, Gap, Option
from secondline._sources import judged_sources, review_warning
from secondline._status import Status, assess_status


def _holds(when: TruthOnly | None, facts: Mapping[str, FactValue]) -> bool:
    """A rule's condition holds; a rule without one always applies."""
    return when is None or when(facts) is True


def _rule_texts(
    rules: Iterable[RuleFor[Gap]], facts: Mapping[str, FactValue], knowledge: Knowledge
) -> list[RuleTextOut]:
    """The gaps (or cautions) that hold for this case, with their own citations."""
    return [
        built(RuleTextOut, id=rule.id, text=_fill(text, facts, knowledge), sources=list(cites))
        for when, rule, text, cites in rules
        if _holds(when, facts)
    ]


def _fill(text: str, facts: Mapping[str, FactValue], knowledge: Knowledge) -> str:
    """Put fact values (and secondline's own settings), in words, where a text names them."""
    if "{" not in text:  # most texts name nothing
        return text

    def value(name: str) -> str:
        if name.startswith(SETTINGS_PREFIX):
            return knowledge.setting(name.removeprefix(SETTINGS_PREFIX))
        return format_value(FACTS[name], facts.get(name))

    return PLACEHOLDER.sub(lambda m: value(m[1]), text)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


#: each case field, with the labels of the facts it makes known
_LABELS_BY_FIELD = {
    field: " / ".join(sorted({s.label for s in FACTS.values() if s.field == field}))
    for field in {s.field for s in FACTS.values()}
}
_FIELD_OF = {name: spec.field for name, spec in FACTS.items()}


class _Missing:
    """Facts that were not known, and the options they would have changed."""

    def __init__(self) -> None:
        self.deciding: dict[str, set[str]] = {}
        self.shaping: dict[str, set[str]] = {}

    def note(self, option_id: str, facts: Iterable[str], deciding: bool) -> None:
        target = self.deciding if deciding else self.shaping
        for name in facts:
            target.setdefault(_FIELD_OF[name], set()).add(option_id)

    def note_shaping(self, option_id: str, facts: Iterable[str]) -> None:
        self.note(option_id, facts, deciding=False)

    def out(self) -> list[MissingOut]:
        fields = sorted(set(self.deciding) | set(self.shaping))
        result = []
        for name in fields:
            deciding = self.deciding.get(name, set())
            affects = sorted(deciding | self.shaping.get(name, set()))
            what = _LABELS_BY_FIELD[name]
            why = (
                f"Not known: {what}. It decides whether these options can be suggested."
                if deciding
                else f"Not known: {what}. It changes the reasons or details given for these "
                "options."
            )
            result.append(built(MissingOut, field=name, affects=affects, why=why))
        return result


def _not_suggested(
    option: Option,
    outcome: Literal["excluded", "not-indicated", "undecided"],
    reasons: list[str],
    sources: list[Citation],
    held_by: list[str] | None = None,
) -> NotSuggestedOut:
    return built(
        NotSuggestedOut, id=option.id, name=option.name, outcome=outcome, reasons=reasons,
        sources=sources, held_by=held_by or [],
    )


def _evaluate_option(
    plan: Listed,
    derived: Derived,
    disease: str,
    knowledge: Knowledge,
    line: Line,
    missing: _Missing,
    shared: tuple[str, tuple[Citation, ...]] | None,
) -> OptionOut | NotSuggestedOut:
    compiled, facts = plan.compiled, derived.facts
    option = compiled.option
    # Shared exclusions first: a person's own decision is the first reason to give.
    if shared is not None and plan.in_scope:
        return _not_suggested(option, "excluded", [shared[0]], list(shared[1]))
    for when, exclusion, excluded_by in plan.exclusions:
        if when(facts) is True:
            return _not_suggested(option, "excluded", [exclusion.reason], list(excluded_by))
    if not plan.in_scope:
        reason = f"The sources describe it for {', '.join(option.diseases)} only."
        return _not_suggested(option, "not-indicated", [reason], list(plan.sources))

    truth, why = compiled.suggest(facts)
    availability = option.availability
    if truth is False and compiled.trial_only is not None:
        trial_truth, trial_why = compiled.trial_only(facts)
        if trial_truth is not False:
            truth, why, availability = trial_truth, trial_why, "clinical-trial"
    if truth is False:
        return _not_suggested(option, "not-indicated", list(dict.fromkeys(why)),
                              list(plan.sources))
    if truth is None:
        unknown = [name for name in compiled.facts if facts.get(name) is None]
        missing.note(option.id, unknown, deciding=True)
        return _not_suggested(option, "undecided",
                              [f"Cannot be decided yet. {reason}" for reason in why],
                              list(plan.sources))
    notes: list[tuple[str, tuple[Citation, ...]]] = []
    if plan.may_hold:
        verdict = holds_for(compiled, facts, derived, knowledge, missing.note_shaping)
        if verdict.held:
            held = verdict.held
            held_cites = [c for h in held for c in h.sources
                          if c.diseases is None or disease in c.diseases]
            return _not_suggested(
                option, "undecided", list(dict.fromkeys(r for h in held for r in h.reasons)),
                dedupe([*held_cites, *plan.sources]), [h.rule for h in held],
            )
        notes = verdict.notes
    wanted = [
        name for name, when in compiled.needs
        if facts.get(name) is None and _holds(when, facts)
    ]
    if wanted:
        missing.note(option.id, wanted, deciding=False)
    reasons = list(dict.fromkeys(why))
    cites = list(plan.sources)
    for when_note, note, note_cites in plan.notes:
        if _holds(when_note, facts):
            reasons.append(_fill(note.text, facts, knowledge))
            cites.extend(note_cites)
    for text, said_with in notes:
        reasons.append(text)
        cites.extend(c for c in said_with if c.diseases is None or disease in c.diseases)
    return built(
        OptionOut, id=option.id, name=option.name, category=option.category,
        availability=availability, line=line, summary=option.summary,
        how_given=option.how_given, drugs=list(plan.drugs), reasons=reasons,
        # its own citations are each there once; any added need checking again
        sources=cites if len(cites) == len(plan.sources) else dedupe(cites),
        step=option.step.id,
    )


def _status_out(case: Case, status: Status, rules: ForDisease) -> StatusOut:
    cites = list(rules.definitions["remission"])
    if status.state in ("relapsed", "refractory"):
        cites += rules.definitions[status.state]
    if status.mrd != "unknown":
        cites += rules.definitions["mrd"]
    r = status.remission
    return built(
        StatusOut,
        state=status.state,
        remission=built(
            RemissionOut, blood_counts_normal=r.blood_counts_normal,
            marrow_blasts_below_5_percent=r.marrow_blasts_below_threshold,
            no_extramedullary_disease=r.no_extramedullary_disease,
            in_remission=r.in_remission,
        ),
        mrd=status.mrd,
        mrd_method=status.mrd_method,
        months_since_last_treatment=_round(status.months_since_last_treatment),
        remission_length_months=_round(status.remission_length_months),
        months_from_last_treatment_to_relapse=_round(
            status.months_from_last_treatment_to_relapse
        ),
        assessment_date=status.assessment_date,
        assessment_age_days=status.assessment_age_days,
        relapses=case.relapses,
        relapse_sites=list(case.relapse_sites or []),
        reasons=list(status.reasons),
        sources=dedupe(cites),
    )


def _treatments_out(case: Case, status: Status, derived: Derived) -> list[TreatmentOut]:
    history = status.history
    episode_of = {id(t): number for number, e in enumerate(history, 1) for t in e.treatments}
    failed = {id(c.treatment): c.failed for c in derived.courses}
    ordered = sorted(case.treatments, key=lambda t: (t.started or t.ended or dt.date.min))
    return [
        built(
            TreatmentOut, drugs=list(t.drugs), drug_ids=list(derived.drug_ids[id(t)]),
            type=t.type, started=t.started, ended=t.ended, response=t.response,
            episode=episode_of.get(id(t)), failed=failed.get(id(t)),
        )
        for t in ordered
    ]


def _warnings(
    derived: Derived, cautions: list[RuleTextOut], sources: list[SourceOut]
) -> list[str]:
    """Caution texts, names not recognised, and sources past their review date."""
    warnings = [caution.text for caution in cautions]
    warnings += [
        f"The drug name '{name}' is not in the knowledge base; it is kept as written and "
        "plays no part in the options."
        for name in derived.unknown_drugs
    ]
    warnings += [
        f"The symptom '{name}' is not in the knowledge base; it is kept as written and "
        "plays no part in the options or cautions."
        for name in derived.unknown_symptoms
    ]
    warnings += [review_warning(s) for s in sources if s.review_overdue]
    return warnings


def assess(
    case: Case, knowledge: Knowledge | None = None, *,
    guidance: Literal["current"] | None = None,
) -> Assessment:
    """Assess one valid case against the knowledge base (the packaged one by default).

    ``guidance="current"`` adds the dated layer of guidance newer than the pages, under
    ``guidance``, beside an answer that is otherwise exactly the one without it.
    """
    knowledge = knowledge or load_knowledge()
    disease = case.disease
    rules = prepared(knowledge, disease)
    status = assess_status(case, knowledge.definitions)
    derived = derive(case, status, knowledge)
    facts = derived.facts
    line: Line = "first-line" if status.state == "untreated" else "later-line"
    missing = _Missing()
    options: list[OptionOut] = []
    not_suggested: list[NotSuggestedOut] = []
    # the first shared exclusion that holds, for anti-leukaemia options and for the others
    shared: dict[bool, tuple[str, tuple[Citation, ...]]] = {}
    for when, rule, reason, cites in rules.exclusions:
        if rule.anti_leukaemia not in shared and _holds(when, facts):
            shared[rule.anti_leukaemia] = (reason, cites)
    for plan in rules.listed:
        result = _evaluate_option(plan, derived, disease, knowledge, line, missing,
                                  shared.get(plan.compiled.option.anti_leukaemia))
        if isinstance(result, OptionOut):
            options.append(result)
        else:
            not_suggested.append(result)

    prognostic = [
        built(
            PrognosticOut, id=factor.id, label=factor.label,
            value=format_value(FACTS[factor.fact], facts.get(factor.fact)),
            note=_fill(note, facts, knowledge), sources=list(cites),
        )
        for when, factor, note, cites in rules.prognostic
        if _holds(when, facts)
    ]
    context = _rule_texts(rules.context, facts, knowledge)
    gaps = _rule_texts(rules.gaps, facts, knowledge)
    cautions = _rule_texts(rules.cautions, facts, knowledge)
    status_out = _status_out(case, status, rules)
    steps = plan_out(knowledge.plan, disease, options, facts, knowledge.step_cites)
    missing_out = missing.out()
    summary = summary_for(knowledge.plan, case, status_out, steps, options, len(missing_out))
    cited = [c.source for o in options for c in o.sources]
    cited += [c.source for step in steps for c in step.sources]
    cited += [c.source for n in not_suggested for c in n.sources]
    cited += [c.source for c in status_out.sources]
    cited += [c.source for p in prognostic for c in p.sources]
    cited += [c.source for group in (context, gaps, cautions) for g in group for c in g.sources]
    today = case.judged_on()
    sources = judged_sources(knowledge, today, cited)
    return built(
        Assessment, case_id=case.id, disease=disease, as_of=today, line=line,
        summary=summary, status=status_out, plan=steps,
        treatments=_treatments_out(case, status, derived),
        options=options, not_suggested=not_suggested,
        missing=missing_out, prognostic_factors=prognostic, prognostic_context=context,
        gaps=gaps, cautions=cautions,
        warnings=_warnings(derived, cautions, sources), sources=sources,
        disclaimer=DISCLAIMER,
        guidance=None if guidance is None else apply_guidance(
            knowledge.guidance, facts, options, knowledge.option_names, today),
    )
