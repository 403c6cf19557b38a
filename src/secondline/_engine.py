"""``assess(case)``: one pure function from a valid case to its assessment.

The engine knows no medicine: it derives facts, runs the compiled knowledge over them
and gathers what each rule says, with the sources the rule cites.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal

from secondline._assessment import (
    DISCLAIMER,
    Assessment,
    DrugOut,
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
)
from secondline._case import Case
from secondline._checks import PLACEHOLDER
from secondline._compile import SETTINGS_PREFIX, CompiledOption
from secondline._conditions import TruthOnly
from secondline._derive import Derived, derive
from secondline._facts import FACTS, FactValue, format_value
from secondline._holds import holds_for
from secondline._knowledge import Knowledge, load_knowledge
from secondline._schema import Citation, Gap, GlobalExclusion, Option
from secondline._sources import judged_sources
from secondline._status import Status, assess_status


def _dedupe(cites: Iterable[Citation]) -> list[Citation]:
    """Each (source, section) once, in first-cited order."""
    seen: dict[tuple[str, str], Citation] = {}
    for c in cites:
        seen.setdefault((c.source, c.section), c)
    return list(seen.values())


# (id of a knowledge-owned citation list, disease) -> (that list, its citations for the disease)
_CITED: dict[tuple[int, str], tuple[list[Citation], list[Citation]]] = {}


def _own_sources(cites: list[Citation], disease: str) -> list[Citation]:
    """The citations of a knowledge list that belong to this disease, each once.

    Knowledge lists live as long as the loaded knowledge, so the answer is kept; the
    stored list is compared by identity so a reused id can never return stale answers.
    """
    key = (id(cites), disease)
    hit = _CITED.get(key)
    if hit is None or hit[0] is not cites:
        hit = _CITED[key] = (
            cites, _dedupe(c for c in cites if c.diseases is None or disease in c.diseases)
        )
    return list(hit[1])


def _holds(when: TruthOnly | None, facts: Mapping[str, FactValue]) -> bool:
    """A rule's condition holds; a rule without one always applies."""
    return when is None or when(facts) is True


def _rule_texts(
    rules: Iterable[tuple[TruthOnly | None, Gap]], facts: Mapping[str, FactValue],
    disease: str, knowledge: Knowledge,
) -> list[RuleTextOut]:
    """The gaps (or cautions) that hold for this case, with their own citations."""
    return [
        RuleTextOut(id=rule.id, text=_fill(" ".join(rule.text.split()), facts, knowledge),
                    sources=_own_sources(rule.sources, disease))
        for when, rule in rules
        if _holds(when, facts)
    ]


def _fill(text: str, facts: Mapping[str, FactValue], knowledge: Knowledge) -> str:
    """Put fact values (and secondline's own settings), in words, where a text names them."""

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


class _Missing:
    """Facts that were not known, and the options they would have changed."""

    def __init__(self) -> None:
        self.deciding: dict[str, set[str]] = {}
        self.shaping: dict[str, set[str]] = {}

    def note(self, option_id: str, facts: Iterable[str], deciding: bool) -> None:
        target = self.deciding if deciding else self.shaping
        for name in facts:
            target.setdefault(FACTS[name].field, set()).add(option_id)

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
            result.append(MissingOut(field=name, affects=affects, why=why))
        return result


def _not_suggested(
    option: Option,
    outcome: Literal["excluded", "not-indicated", "undecided"],
    reasons: list[str],
    sources: list[Citation],
    held_by: list[str] | None = None,
) -> NotSuggestedOut:
    return NotSuggestedOut(
        id=option.id, name=option.name, outcome=outcome, reasons=reasons, sources=sources,
        held_by=held_by or [],
    )


def _evaluate_option(
    compiled: CompiledOption,
    derived: Derived,
    knowledge: Knowledge,
    line: Line,
    missing: _Missing,
    shared: list[GlobalExclusion],
) -> OptionOut | NotSuggestedOut | None:
    option, facts = compiled.option, derived.facts
    disease = str(facts["disease"])
    in_scope = disease in option.diseases
    if not in_scope and disease not in option.explain_for:
        return None
    # Shared exclusions first: a person's own decision is the first reason to give.
    for rule in shared if in_scope else ():
        if rule.anti_leukaemia == option.anti_leukaemia:
            return _not_suggested(option, "excluded", [rule.reason],
                                  _own_sources(rule.sources, disease))
    for when, exclusion in compiled.exclusions:
        if when(facts) is True:
            return _not_suggested(option, "excluded", [exclusion.reason],
                                  _own_sources(exclusion.sources, disease))
    if not in_scope:
        reason = f"The sources describe it for {', '.join(option.diseases)} only."
        return _not_suggested(option, "not-indicated", [reason],
                              _own_sources(option.sources, disease))

    truth, why = compiled.suggest(facts)
    availability = option.availability
    if truth is False and compiled.trial_only is not None:
        trial_truth, trial_why = compiled.trial_only(facts)
        if trial_truth is not False:
            truth, why, availability = trial_truth, trial_why, "clinical-trial"
    if truth is False:
        return _not_suggested(option, "not-indicated", list(dict.fromkeys(why)),
                              _own_sources(option.sources, disease))
    if truth is None:
        unknown = [name for name in compiled.facts if facts.get(name) is None]
        missing.note(option.id, unknown, deciding=True)
        return _not_suggested(option, "undecided",
                              [f"Cannot be decided yet. {reason}" for reason in why],
                              _own_sources(option.sources, disease))
    verdict = holds_for(compiled, facts, derived, knowledge,
                        lambda oid, names: missing.note(oid, names, deciding=False))
    if verdict.held:
        held = verdict.held
        cites = [c for h in held for c in h.sources if c.diseases is None or disease in c.diseases]
        return _not_suggested(
            option, "undecided", list(dict.fromkeys(r for h in held for r in h.reasons)),
            _dedupe([*cites, *_own_sources(option.sources, disease)]), [h.rule for h in held],
        )
    wanted = [
        name for name, when in compiled.needs
        if facts.get(name) is None and _holds(when, facts)
    ]
    missing.note(option.id, wanted, deciding=False)
    reasons = list(dict.fromkeys(why))
    cites = _own_sources(option.sources, disease)
    for when_note, note in compiled.notes:
        if _holds(when_note, facts):
            reasons.append(_fill(note.text, facts, knowledge))
            cites.extend(_own_sources(note.sources, disease))
    for text, note_cites in verdict.notes:
        reasons.append(text)
        cites.extend(c for c in note_cites if c.diseases is None or disease in c.diseases)
    drugs = knowledge.drug_by_id
    return OptionOut(
        id=option.id, name=option.name, category=option.category,
        availability=availability,
        line=line,
        summary=option.summary, how_given=option.how_given,
        drugs=[DrugOut(id=d, name=drugs[d].name, atc=drugs[d].atc) for d in option.drugs],
        reasons=reasons, sources=_dedupe(cites),
    )


def _status_out(case: Case, status: Status, knowledge: Knowledge) -> StatusOut:
    d = knowledge.definitions
    cites = _own_sources(d.remission.sources, case.disease)
    if status.state in ("relapsed", "refractory"):
        cites += _own_sources(getattr(d, status.state), case.disease)
    if status.mrd != "unknown":
        cites += _own_sources(d.mrd, case.disease)
    r = status.remission
    return StatusOut(
        state=status.state,
        remission=RemissionOut(
            blood_counts_normal=r.blood_counts_normal,
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
        sources=_dedupe(cites),
    )


def _treatments_out(
    case: Case, status: Status, derived: Derived, knowledge: Knowledge
) -> list[TreatmentOut]:
    history = status.history
    episode_of = {id(t): number for number, e in enumerate(history, 1) for t in e.treatments}
    failed = {id(c.treatment): c.failed for c in derived.courses}
    ordered = sorted(case.treatments, key=lambda t: (t.started or t.ended or dt.date.min))
    return [
        TreatmentOut(
            drugs=list(t.drugs),
            drug_ids=list(dict.fromkeys(i for n in t.drugs for i in knowledge.canonical_drugs(n))),
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
    warnings += [
        f"{s.publisher}, '{s.title}', was due for review on "
        f"{s.next_review_due}; check that what it says still holds."
        for s in sources
        if s.review_overdue
    ]
    return warnings


def assess(case: Case, knowledge: Knowledge | None = None) -> Assessment:
    """Assess one valid case against the knowledge base (the packaged one by default)."""
    knowledge = knowledge or load_knowledge()
    status = assess_status(case, knowledge.definitions)
    derived = derive(case, status, knowledge)
    facts = derived.facts
    line: Line = "first-line" if status.state == "untreated" else "later-line"
    missing = _Missing()
    options: list[OptionOut] = []
    not_suggested: list[NotSuggestedOut] = []
    shared = [  # the shared exclusions that hold for this case
        rule for when, rule in knowledge.exclusions
        if (rule.diseases is None or case.disease in rule.diseases) and _holds(when, facts)
    ]
    for compiled in knowledge.options:
        result = _evaluate_option(compiled, derived, knowledge, line, missing, shared)
        if isinstance(result, OptionOut):
            options.append(result)
        elif result is not None:
            not_suggested.append(result)

    prognostic = [
        PrognosticOut(
            id=factor.id, label=factor.label,
            value=format_value(FACTS[factor.fact], facts.get(factor.fact)),
            note=_fill(" ".join(factor.note.split()), facts, knowledge),
            sources=_own_sources(factor.sources, case.disease),
        )
        for when, factor in knowledge.prognostic
        if case.disease in factor.diseases and _holds(when, facts)
    ]
    context = _rule_texts(knowledge.context, facts, case.disease, knowledge)
    gaps = _rule_texts(knowledge.gaps, facts, case.disease, knowledge)
    cautions = _rule_texts(knowledge.cautions, facts, case.disease, knowledge)
    status_out = _status_out(case, status, knowledge)
    cited = [c.source for o in options for c in o.sources]
    cited += [c.source for n in not_suggested for c in n.sources]
    cited += [c.source for c in status_out.sources]
    cited += [c.source for p in prognostic for c in p.sources]
    cited += [c.source for group in (context, gaps, cautions) for g in group for c in g.sources]
    today = case.judged_on()
    sources = judged_sources(knowledge, today, cited)
    return Assessment(
        case_id=case.id, disease=case.disease, as_of=today, line=line,
        status=status_out, treatments=_treatments_out(case, status, derived, knowledge),
        options=options, not_suggested=not_suggested,
        missing=missing.out(), prognostic_factors=prognostic, prognostic_context=context,
        gaps=gaps, cautions=cautions,
        warnings=_warnings(derived, cautions, sources), sources=sources,
        disclaimer=DISCLAIMER,
    )
