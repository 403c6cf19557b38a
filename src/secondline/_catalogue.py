"""The knowledge catalogue (docs/knowledge.md), generated from the knowledge files.

A test regenerates it and compares, so the published catalogue never drifts from the
rules that actually run.
"""

from __future__ import annotations

from collections.abc import Iterable

from secondline._conditions import Condition, condition_in_words
from secondline._knowledge import CompiledOption, Knowledge, load_knowledge
from secondline._schema import Citation, Passage

#: leaflet.yaml's passage lists, in the leaflet's order, with a heading for each
_LEAFLET_GROUPS = {
    "disclaimer": "Please read this first", "about": "The disease",
    "states": "Where the disease stands", "declined": "When treatment is declined",
    "options_intro": "Before the options", "no_options": "When no option is listed",
    "trial_intro": "Before the options only within a trial", "remission": "Remission",
    "mrd": "MRD", "questions_intro": "Before the questions", "questions": "Questions to ask",
    "support": "Support",
}


def _cites(cites: Iterable[Citation], knowledge: Knowledge) -> str:
    parts = []
    for c in cites:
        only = f" (for {', '.join(c.diseases)})" if c.diseases else ""
        parts.append(f"[{c.source}]({knowledge.sources[c.source].url}) › {c.section}{only}")
    return "; ".join(parts)


def _condition(cond: Condition) -> list[str]:
    return [condition_in_words(cond), ""]


def _option_section(compiled_option: CompiledOption, knowledge: Knowledge) -> list[str]:
    o = compiled_option.option
    drugs = {d.id: d for d in knowledge.drugs.drugs}
    lines = [f"### {o.name} — `{o.id}`", ""]
    lines.append(f"- **Category:** {o.category}")
    lines.append(f"- **Applies to:** {', '.join(o.diseases)}")
    if o.explain_for:
        lines.append(f"- **Explained as not suggested for:** {', '.join(o.explain_for)}")
    lines.append(f"- **Availability:** {o.availability}")
    lines.append(f"- **Anti-leukaemia treatment:** {'yes' if o.anti_leukaemia else 'no'}")
    if o.drugs:
        named = ", ".join(f"{drugs[d].name} ({drugs[d].atc})" for d in o.drugs)
        lines.append(f"- **Drugs:** {named}")
    if o.targets:
        lines.append(f"- **Targets:** {', '.join(o.targets)}")
    if o.needs:
        needs = [
            n if isinstance(n, str)
            else f"{n.fact} (when {condition_in_words(n.when).removeprefix('- ')})"
            for n in o.needs
        ]
        lines.append(f"- **Reported as missing when unknown:** {', '.join(needs)}")
    lines += ["", o.summary, ""]
    if o.how_given:
        lines += [f"*How it is given:* {o.how_given}", ""]
    words = knowledge.leaflet.options[o.id]
    lines += [f"*In the patient leaflet:* {words.description} *What happens:* "
              f"{words.what_happens} ({_cites(words.sources, knowledge)})", ""]
    lines += ["**Suggested when:**", "", *_condition(o.suggest_when)]
    if o.trial_only_when is not None:
        lines += ["**Only within a clinical trial when:**", "", *_condition(o.trial_only_when)]
    if o.not_when:
        lines += ["**Not suggested when:**", ""]
        for exclusion in o.not_when:
            lines.append(condition_in_words(exclusion.when))
            lines.append(f"  - *Reason:* {exclusion.reason}")
            lines.append(f"  - *Sources:* {_cites(exclusion.sources, knowledge)}")
        lines.append("")
    if o.notes:
        lines += ["**Notes added to the reasons:**", ""]
        for note in o.notes:
            when = "always" if note.when is None else "when the condition below holds"
            lines.append(f"- {note.text} ({when}; {_cites(note.sources, knowledge)})")
            if note.when is not None:
                lines.append(condition_in_words(note.when, depth=1))
        lines.append("")
    lines += [f"**Sources:** {_cites(o.sources, knowledge)}", ""]
    lines += [f"**Example cases:** {len(o.cases)} (run by the test suite)", ""]
    return lines


def _passage(passage: Passage, knowledge: Knowledge) -> str:
    only = [
        f"{name}: {', '.join(values)}"
        for name in ("diseases", "states", "regions", "mrd")
        if (values := getattr(passage, name))
    ]
    if passage.audience != "any":
        only.append(f"audience: {passage.audience}")
    shown = f" *({'; '.join(only)})*" if only else ""
    threshold = f"{knowledge.definitions.remission.marrow_blasts_below_percent:g}"
    text = " ".join(passage.text.replace("{marrow_blasts_below_percent}", threshold).split())
    return f"- {text}{shown} ({_cites(passage.sources, knowledge)})"


def _leaflet_section(knowledge: Knowledge) -> list[str]:
    leaflet = knowledge.leaflet
    lines = [
        "## Patient leaflet", "",
        "The words of `secondline leaflet`, besides each option's own (above). A passage is",
        "shown when the case matches what follows it in italics; otherwise always.", "",
    ]
    for name, heading in _LEAFLET_GROUPS.items():
        lines += [f"### {heading}", ""]
        lines += [_passage(p, knowledge) for p in getattr(leaflet, name)]
        lines.append("")
    lines += ["### Helplines", ""]
    for line in leaflet.helplines:
        number = knowledge.sources[line.source].helpline
        lines.append(f"- {line.text} **{number}** ({_cites(line.sources, knowledge)})")
    return [*lines, ""]


def catalogue(knowledge: Knowledge | None = None) -> str:
    """The whole catalogue as Markdown."""
    knowledge = knowledge or load_knowledge()
    lines = [
        "# The secondline knowledge catalogue",
        "",
        "Generated from `src/secondline/knowledge/` by `secondline catalogue`; do not edit by",
        "hand. A test fails when this file and the knowledge files disagree.",
        "",
        "## Sources",
        "",
        "| id | publisher | title | last reviewed | next review due |",
        "|---|---|---|---|---|",
    ]
    for s in knowledge.sources.values():
        lines.append(
            f"| `{s.id}` | {s.publisher} | [{s.title}]({s.url}) | "
            f"{s.last_reviewed or 'not given'} | {s.next_review_due or 'not given'} |"
        )
    d = knowledge.definitions
    lines += [
        "",
        "## Definitions",
        "",
        f"- **Remission:** blood counts normal, marrow blasts below "
        f"{d.remission.marrow_blasts_below_percent:g}%, and no leukaemia found elsewhere; "
        f"all three. ({_cites(d.remission.sources, knowledge)})",
        "- **Relapsed:** a complete remission was reached before and the leukaemia is back. "
        f"({_cites(d.relapsed, knowledge)})",
        "- **Refractory:** the leukaemia is present and no complete remission was ever "
        f"reached. ({_cites(d.refractory, knowledge)})",
        f"- **MRD:** ({_cites(d.mrd, knowledge)})",
        "",
        "## Options",
        "",
    ]
    for compiled in knowledge.options:
        lines += _option_section(compiled, knowledge)
    lines += ["## Exclusions shared by many options", ""]
    for rule in knowledge.rules.exclusions:
        kind = "anti-leukaemia" if rule.anti_leukaemia else "other"
        lines.append(f"- `{rule.id}` (applies to every {kind} option): {rule.reason} "
                     f"({_cites(rule.sources, knowledge)})")
        lines.append(condition_in_words(rule.when, depth=1))
    lines += ["", "## Where the sources are silent", ""]
    for gap in knowledge.rules.gaps:
        lines.append(f"- `{gap.id}`: {gap.text} ({_cites(gap.sources, knowledge)})")
        lines.append(condition_in_words(gap.when, depth=1))
    lines += ["", "## Cautions (said as warnings)", ""]
    for caution in knowledge.rules.cautions:
        lines.append(f"- `{caution.id}`: {caution.text} ({_cites(caution.sources, knowledge)})")
        lines.append(condition_in_words(caution.when, depth=1))
    lines += ["", "## Prognostic factors", ""]
    for factor in knowledge.rules.prognostic_factors:
        lines.append(f"- `{factor.id}` — {factor.label} (fact `{factor.fact}`, "
                     f"{', '.join(factor.diseases)}): {factor.note} "
                     f"({_cites(factor.sources, knowledge)})")
    lines += ["", *_leaflet_section(knowledge)]
    lines += ["## Drugs", "", "| id | name | brands and other names | class | ATC |",
              "|---|---|---|---|---|"]
    for drug in knowledge.drugs.drugs:
        names = ", ".join([*drug.brands, *drug.also_called]) or "—"
        lines.append(f"| `{drug.id}` | {drug.name} | {names} | {drug.drug_class} | {drug.atc} |")
    lines += ["", "| regimen | names | drugs |", "|---|---|---|"]
    for regimen in knowledge.drugs.regimens:
        names, members = ", ".join(regimen.names), ", ".join(regimen.drugs)
        lines.append(f"| `{regimen.id}` | {names} | {members} |")
    return "\n".join(lines) + "\n"
