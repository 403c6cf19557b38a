"""The readable terminal report of an assessment (rich)."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from secondline._assessment import Assessment, SourceOut
from secondline._knowledge import Knowledge, load_knowledge
from secondline._schema import Citation

_MARK = {True: "[green]✔ yes[/]", False: "[red]✘ no[/]", None: "[yellow]? not known[/]"}
_CATEGORY_TITLES = {
    "chemotherapy": "Chemotherapy",
    "immunotherapy": "Immunotherapy and antibodies",
    "car-t": "CAR T-cell therapy",
    "targeted": "Targeted drugs",
    "stem-cell-transplant": "Stem cell transplant",
    "radiotherapy": "Radiotherapy",
    "cns-directed": "Brain and spinal cord (CNS)",
    "supportive": "Supportive care",
    "clinical-trial": "Clinical trials",
    "symptom-control": "Symptom control",
}


def _cite(cites: list[Citation]) -> str:
    return "; ".join(f"{c.source} › {c.section}" for c in cites)


def _items(lines: list[str], bullet: str = "•", indent: int = 2) -> Table:
    """Bulleted text (rich markup) whose wrapped lines keep their indent."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(width=indent + max(len(Text.from_markup(bullet)), 1), justify="right",
                    no_wrap=True)
    grid.add_column(ratio=1)
    for line in lines:
        grid.add_row(bullet, line)
    return grid


def _longest_word(texts: list[str], cap: int = 30) -> int:
    """The width a folding column needs so that only words longer than ``cap`` fold."""
    return min(max((len(w) for t in texts for w in t.split()), default=1), cap)


def _words(value: str) -> str:
    """A value such as complete-remission as words, so a narrow cell wraps between them."""
    return value.replace("-", " ")


def _status(a: Assessment) -> Panel:
    s, r = a.status, a.status.remission
    table = Table.grid(padding=(0, 2))
    table.add_row("Blood counts normal", _MARK[r.blood_counts_normal])
    table.add_row("Marrow blasts below 5%", _MARK[r.marrow_blasts_below_5_percent])
    table.add_row("No leukaemia outside the marrow", _MARK[r.no_extramedullary_disease])
    table.add_row("[bold]In remission[/]", _MARK[r.in_remission])
    if s.assessment_date is not None:
        days = s.assessment_age_days
        plural = "" if days == 1 else "s"
        assessed = f"latest assessment: {s.assessment_date} ({days} day{plural} old)"
    else:
        assessed = "latest assessment: date not recorded"
    facts = [assessed, f"MRD: {s.mrd}" + (f" ({s.mrd_method})" if s.mrd_method else "")]
    if s.months_since_last_treatment is not None:
        facts.append(f"months since last treatment: {s.months_since_last_treatment}")
    if s.remission_length_months is not None:
        facts.append(
            f"from end of remission treatment to relapse: {s.remission_length_months} months"
        )
    if s.relapses is not None:
        facts.append(f"relapses: {s.relapses}")
    if s.relapse_sites:  # an empty list and "not recorded" both show nothing here
        facts.append(f"sites: {', '.join(s.relapse_sites)}")
    reasons = _items([f"[dim]{escape(reason)}[/]" for reason in s.reasons], indent=0)
    title = f"Disease status: [bold]{s.state.upper()}[/]"
    return Panel(Group(table, Text(" · ".join(facts)), reasons), title=title, title_align="left")


def _options(a: Assessment) -> list[Panel]:
    panels = []
    ordered = sorted(a.options, key=lambda o: list(_CATEGORY_TITLES).index(o.category))
    for category, group in groupby(ordered, key=lambda o: o.category):
        parts: list[RenderableType] = []
        for option in group:
            trial_only = option.availability != "standard"
            badge = " [magenta](clinical trial only)[/]" if trial_only else ""
            parts.append(Text.from_markup(
                f"[bold cyan]{escape(option.name)}[/]{badge}  [dim]{option.id}[/]"))
            about = [escape(option.summary)]
            if option.how_given:
                about.append(f"[italic]How it is given:[/] {escape(option.how_given)}")
            parts.append(_items(about, bullet=""))
            parts.append(_items([escape(reason) for reason in option.reasons],
                                bullet="[green]•[/]"))
            parts.append(_items([f"[dim]Sources: {escape(_cite(option.sources))}[/]"],
                                bullet=""))
        panels.append(Panel(Group(*parts), title=_CATEGORY_TITLES[category],
                            title_align="left"))
    return panels


def _drug_words(names: list[str], knowledge: Knowledge) -> str:
    words = []
    for name in names:
        ids = knowledge.canonical_drugs(name)
        if not ids:
            words.append(f"{escape(name)} [yellow](not recognised)[/]")
        elif ids == (name.strip().lower(),):  # written as the drug's own id: nothing to add
            words.append(escape(name))
        else:
            words.append(f"{escape(name)} [dim]→ {', '.join(ids)}[/]")
    return ", ".join(words) or "none recorded"


def _history(a: Assessment, knowledge: Knowledge) -> Group:
    """The treatment history as understood, one line each (a list wraps between words
    at any width; a table at 80 columns would have to split them)."""
    lines = []
    for t in a.treatments:
        episode = f"Episode {t.episode}" if t.episode else "undated"
        dates = f"{t.started or '?'} to {t.ended or 'no end date'}"
        failed = f" [red](did not work: {_words(t.failed)})[/]" if t.failed else ""
        lines.append(f"[bold]{episode}[/] · {dates} · {_words(t.type)} · "
                     f"{_drug_words(t.drugs, knowledge)} · {_words(t.response)}{failed}")
    return Group(Text.from_markup("[bold]Treatment history, as understood[/]"), _items(lines))


def _not_suggested(a: Assessment) -> Table:
    table = Table(title="Not suggested, and why", title_justify="left", expand=True)
    table.add_column("Option", overflow="fold",
                     min_width=_longest_word([entry.id for entry in a.not_suggested]))
    table.add_column("Outcome")
    table.add_column("Why", ratio=1)
    for entry in a.not_suggested:
        table.add_row(entry.id, _words(entry.outcome), escape(" ".join(entry.reasons)))
    return table


def _sources(sources: list[SourceOut]) -> Group:
    """The sources as a list: titles wrap between words; each address is printed whole on
    its own line (no address can be split sensibly)."""
    items = []
    for s in sources:
        due = str(s.next_review_due or "not given")
        if s.review_overdue:
            due = f"[red]{due} (overdue)[/]"
        items.append(f"[bold]{s.id}[/]: {escape(s.publisher)}, {escape(s.title)}. Last "
                     f"reviewed {s.last_reviewed or 'not given'}; review due {due}."
                     + (f"\n{escape(s.url)}" if s.url else ""))
    return Group(Text.from_markup("[bold]Sources[/]"), _items(items))


def render(a: Assessment, console: Console) -> None:
    knowledge = load_knowledge()
    who = f"Case {a.case_id}" if a.case_id else "Case"
    console.rule(f"[bold]secondline[/] · {escape(who)} · {a.disease} · as of {a.as_of}")
    console.print(_status(a))
    if a.treatments:
        console.print(_history(a, knowledge))
    if a.options:
        line = "first treatment" if a.line == "first-line" else "second line or later"
        console.print(f"[bold]Options to discuss ({line})[/]")
        for panel in _options(a):
            console.print(panel)
    else:
        console.print("[bold]No options to discuss are described by the sources for this case.[/]")
    if a.not_suggested:
        console.print(_not_suggested(a))
    if a.missing:
        console.print("[bold]Missing information that would change the options[/]")
        console.print(_items([f"[bold]{m.field}[/] → {', '.join(m.affects)}: {escape(m.why)}"
                              for m in a.missing], bullet="[yellow]?[/]"))
    if a.prognostic_factors:
        console.print("[bold]Prognostic factors[/]")
        console.print(_items([f"{escape(p.label)}: [bold]{escape(p.value)}[/] "
                              f"[dim]— {escape(p.note)}[/]" for p in a.prognostic_factors]))
    if a.prognostic_context:
        console.print("[bold]For context (figures for groups, not for one person)[/]")
        console.print(_items([f"{escape(c.text)} [dim]({escape(_cite(c.sources))})[/]"
                              for c in a.prognostic_context]))
    if a.gaps:
        console.print("[bold]Where the sources are silent[/]")
        console.print(_items([f"{escape(gap.text)} [dim]({escape(_cite(gap.sources))})[/]"
                              for gap in a.gaps]))
    if a.warnings:
        console.print(_items([escape(w) for w in a.warnings],
                             bullet="[bold yellow]Warning:[/]", indent=0))
    console.print(_sources(a.sources))
    console.print(Panel(escape(a.disclaimer), style="dim"))
