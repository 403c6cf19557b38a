"""The knowledge catalogue (docs/knowledge.md), generated from the knowledge files.

A test regenerates it and compares, so the published catalogue never drifts from the
rules that actually run.
"""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from secondline._conditions import Condition, condition_in_words
from secondline._guidance import NotEncodedFile
from secondline._knowledge import CompiledOption, Knowledge, load_knowledge
from secondline._leaflet_schema import Passage
from secondline._schema import Citation

#: leaflet.yaml's passage lists, in the leaflet's order, with a heading for each
_LEAFLET_GROUPS = {
    "disclaimer": "Please read this first", "about": "The disease",
    "states": "Where the disease stands", "declined": "When treatment is declined",
    "options_intro": "Before the options", "no_options": "When no option is listed",
    "trial_intro": "Before the options only within a trial", "remission": "Remission",
    "mrd": "MRD", "questions_intro": "Before the questions", "questions": "Questions to ask",
    "support": "Support",
}


def _link(text: str, url: str | None) -> str:
    """A Markdown link, or the bare text where no public address is confirmed."""
    return f"[{text}]({url})" if url else text


def _cites(cites: Iterable[Citation], knowledge: Knowledge) -> str:
    parts = []
    for c in cites:
        only = f" (for {', '.join(c.diseases)})" if c.diseases else ""
        parts.append(f"{_link(c.source, knowledge.sources[c.source].url)} › {c.section}{only}")
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
    lines.append(f"- **Step of the plan:** `{o.step.id}` ({_cites(o.step.sources, knowledge)})")
    lines.append(f"- **Anti-leukaemia treatment:** {'yes' if o.anti_leukaemia else 'no'}")
    if o.drugs:
        named = ", ".join(f"{drugs[d].name} ({drugs[d].atc})" for d in o.drugs)
        lines.append(f"- **Drugs:** {named}")
    if o.targets:
        lines.append(f"- **Targets:** {', '.join(o.targets)}")
    if o.intensive is not None:
        lines.append(f"- **Intensive:** {o.intensive.reason} "
                     f"({_cites(o.intensive.sources, knowledge)})")
    if o.same_treatment is not None:
        same = o.same_treatment
        what = [f"{'every one' if same.match == 'all' else 'any'} of {', '.join(same.drugs)}"
                ] if same.drugs else []
        what += [f"a treatment of kind {kind}" for kind in same.kinds]
        lines.append(f"- **An earlier treatment counts as this option when it holds:** "
                     f"{'; or '.join(what)}")
        lines.append("- **Given before without failing:** " + (
            "said among its reasons" if same.given_before == "note" else "held for the team"
        ))
        if same.allowed_when is not None:
            allowed = same.allowed_when
            lines.append(f"- **May be given again when** (`{allowed.id}`): {allowed.reason} "
                         f"({_cites(allowed.sources, knowledge)})")
            lines.append(condition_in_words(allowed.when, depth=1))
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
    if o.undecided_when:
        lines += ["**Left undecided, although its conditions are met, when:**", ""]
        for hold in o.undecided_when:
            lines.append(condition_in_words(hold.when))
            lines.append(f"  - *Reason* (`{hold.id}`): {hold.reason}")
            lines.append(f"  - *Sources:* {_cites(hold.sources, knowledge)}")
        lines.append("")
    failed_notes = o.same_treatment.notes if o.same_treatment else []
    if failed_notes:
        lines += ["**Said when an earlier treatment holds it back:**", ""]
        for note in failed_notes:
            lines.append(f"- {note.text} ({_cites(note.sources, knowledge)})")
            if note.when is not None:
                lines.append(condition_in_words(note.when, depth=1))
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
            f"| `{s.id}` | {s.publisher} | {_link(s.title, s.url)} | "
            f"{s.last_reviewed or 'not given'} | {s.next_review_due or 'not given'} |"
        )
    lines += ["", "Each address was confirmed from a stored copy of the publisher's own public "
              "page:", ""]
    for s in knowledge.sources.values():
        evidence = " ".join((s.url_evidence or "no public address confirmed").split())
        printed = f" The copy used printed `{s.printed_url}`." if s.printed_url else ""
        lines.append(f"- `{s.id}` (checked {s.url_checked or 'never'}): {evidence}{printed}")
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
    ]
    lines += _plan_section(knowledge)
    lines += ["## Options", ""]
    for compiled in knowledge.options:
        lines += _option_section(compiled, knowledge)
    lines += ["## Exclusions shared by many options", ""]
    for rule in knowledge.rules.exclusions:
        kind = "anti-leukaemia" if rule.anti_leukaemia else "other"
        lines.append(f"- `{rule.id}` (applies to every {kind} option): {rule.reason} "
                     f"({_cites(rule.sources, knowledge)})")
        lines.append(condition_in_words(rule.when, depth=1))
    lines += ["", *_holds_section(knowledge)]
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
    lines += ["", "## Prognostic context (figures for groups, never a prediction)", ""]
    for text in knowledge.rules.prognostic_context:
        lines.append(f"- `{text.id}`: {text.text} ({_cites(text.sources, knowledge)})")
        lines.append(condition_in_words(text.when, depth=1))
    lines += ["", *_guidance_section(knowledge)]
    lines += ["", *_leaflet_section(knowledge)]
    lines += _vocabulary_section(knowledge)
    return "\n".join(lines) + "\n"


def _guidance_section(knowledge: Knowledge) -> list[str]:
    """The opt-in layer of current guidance, item by item, and what was left out."""
    lines = ["## Current guidance (an opt-in layer, apart from the pages)", "",
             "Applied only when asked for (`--guidance current`, `?guidance=current`, the "
             "switch on the MDT page); each item was read on the publisher's own page on "
             "the date given and is to be read again by its review date.", ""]
    for c in knowledge.guidance.items:
        g = c.item
        where = ", ".join(p for p in (g.nation, g.region) if p)
        about = g.option or (g.new_option.id if g.new_option else "")
        lines.append(f"### {g.publisher} {g.reference}: {g.title} — `{g.id}`")
        lines.append("")
        lines.append(f"- **Effect:** {g.effect}" + (f" (`{about}`)" if about else ""))
        lines.append(f"- **Where:** {where}; **funding:** {' '.join(g.funding.split())}")
        lines.append(f"- **Page:** [{g.section}]({g.url}); read {g.dates.checked}, to be "
                     f"read again by {g.dates.review_by}"
                     + (f"; published {g.dates.published}" if g.dates.published else "")
                     + (f"; last updated {g.dates.last_updated}" if g.dates.last_updated
                        else ""))
        lines.append(f"- **Checked:** {' '.join(g.verified.split())}")
        lines.append("- **Applies when:**")
        lines.append(condition_in_words(g.applies_when, depth=1))
        if g.covered_when is not None:
            lines.append("- **Covered when:**")
            lines.append(condition_in_words(g.covered_when, depth=1))
        lines.append("")
    lines += ["### Found but not encoded, and why", ""]
    path = knowledge.root / "guidance-not-encoded.yaml"
    found = NotEncodedFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    lines += [f"- **{n.what}** (`{n.id}`): {' '.join(n.why.split())}" for n in found.items]
    return lines


def _plan_section(knowledge: Knowledge) -> list[str]:
    """The plan's steps in order, the options in each, and the pages' preferences."""
    plan = knowledge.plan.file
    lines = ["## The plan", "",
             "The suggested options are shown as these steps, in this order; a step is shown "
             "only when it holds a suggested option. Within a step the options keep the "
             f"order below unless a preference applies. Otherwise: *{plan.no_ranking}*", ""]
    for number, step in enumerate(plan.steps, 1):
        members = [c.option.id for c in knowledge.options if c.option.step.id == step.id]
        choose = " Choose one." if step.choose == "one" else ""
        lines.append(f"{number}. **{step.title}** (`{step.id}`, {', '.join(step.diseases)}): "
                     f"{step.about}{choose} ({_cites(step.sources, knowledge)})")
        lines.append(f"   - Options: {', '.join(f'`{m}`' for m in members) or 'none'}")
        for pref in step.preferences:
            lines.append(f"   - Preference `{pref.id}`: first {', '.join(pref.first)}. "
                         f"{' '.join(pref.reason.split())} ({_cites(pref.sources, knowledge)})")
            lines.append(condition_in_words(pref.when, depth=2))
    return [*lines, ""]


def _holds_section(knowledge: Knowledge) -> list[str]:
    holds = knowledge.rules.holds
    failed, not_fit = holds.failed_treatment, holds.not_fit_for_intensive
    lines = [
        "## Holds shared by many options", "",
        "An option whose conditions are met is still not suggested, but left undecided with "
        "its reason, when one of these holds.", "",
        f"- `{failed.id}`: a treatment failed when its response was no response "
        f"(\"{failed.no_response}\") or when the leukaemia was found back while it was being "
        f"given (\"{failed.came_back}\"). An option that would give it again (see each "
        f"option's *earlier treatment counts as this option*) is held: {failed.text} "
        f"({_cites(failed.sources, knowledge)})",
        f"  - Where only part of a regimen failed, its reasons say: {failed.partly} "
        f"({_cites(failed.partly_sources, knowledge)})",
        f"- `{holds.given_before.id}`: an option that would give again a treatment given "
        f"before, which did not fail, is held unless it cites a source that allows it: "
        f"{holds.given_before.text} ({_cites(holds.given_before.sources, knowledge)})",
        f"- `{not_fit.id}`: for every option marked intensive above: {not_fit.reason} "
        f"*(the option's own reason)* {not_fit.closing} ({_cites(not_fit.sources, knowledge)})",
        condition_in_words(not_fit.when, depth=1),
    ]
    return lines


def _vocabulary_section(knowledge: Knowledge) -> list[str]:
    lines = ["## Drugs", "",
             "Drugs marked *recognition only* are named by none of the pages; they are here so "
             "that treatment histories are understood, and no option suggests them.", "",
             "| id | name | brands and other names | class | ATC | where |",
             "|---|---|---|---|---|---|"]
    for drug in knowledge.drugs.drugs:
        names = ", ".join([*drug.brands, *drug.also_called]) or "—"
        ref = drug.atc_reference
        where = (_cites(drug.sources, knowledge) if drug.named_by_sources else
                 f"recognition only; ATC checked {ref.checked} at {ref.url}" if ref else "")
        lines.append(f"| `{drug.id}` | {drug.name} | {names} | {drug.drug_class} | {drug.atc} "
                     f"| {where} |")
    lines += ["", "| regimen | names | drugs |", "|---|---|---|"]
    for regimen in knowledge.drugs.regimens:
        names, members = ", ".join(regimen.names), ", ".join(regimen.drugs)
        lines.append(f"| `{regimen.id}` | {names} | {members} |")
    lines += ["", "## Symptoms", "",
              "Names are matched whatever their letter case, with spaces for hyphens. A sign of "
              "relapse drives the caution on symptoms recorded in remission.", "",
              "| id | other names | sign of relapse | where |", "|---|---|---|---|"]
    for symptom in knowledge.symptoms.symptoms:
        names = ", ".join([symptom.name, *symptom.also_called])
        where = (_cites(symptom.sources, knowledge) if symptom.named_by_sources
                 else "recognition only")
        sign = "yes" if symptom.sign_of_relapse else "no"
        lines.append(f"| `{symptom.id}` | {names} | {sign} | {where} |")
    lines += ["", "## secondline's own settings (not from the sources)", ""]
    for name, setting in knowledge.settings:
        if name != "format":
            lines.append(f"- `{name}`: {knowledge.setting(name)}. {' '.join(setting.why.split())}")
    return [*lines, ""]
