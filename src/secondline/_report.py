"""The readable terminal report of an assessment (rich)."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console, Group
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
    reasons = Text("\n".join(f"• {reason}" for reason in s.reasons), style="dim")
    title = f"Disease status: [bold]{s.state.upper()}[/]"
    return Panel(Group(table, Text(" · ".join(facts)), reasons), title=title, title_align="left")


def _options(a: Assessment) -> list[Panel]:
    panels = []
    ordered = sorted(a.options, key=lambda o: list(_CATEGORY_TITLES).index(o.category))
    for category, group in groupby(ordered, key=lambda o: o.category):
        lines: list[str] = []
        for option in group:
            trial_only = option.availability != "standard"
            badge = " [magenta](clinical trial only)[/]" if trial_only else ""
            lines.append(f"[bold cyan]{escape(option.name)}[/]{badge}  [dim]{option.id}[/]")
            lines.append(f"  {escape(option.summary)}")
            if option.how_given:
                lines.append(f"  [italic]How it is given:[/] {escape(option.how_given)}")
            lines += [f"  [green]•[/] {escape(reason)}" for reason in option.reasons]
            lines.append(f"  [dim]Sources: {escape(_cite(option.sources))}[/]")
        panels.append(Panel("\n".join(lines), title=_CATEGORY_TITLES[category], title_align="left"))
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


def _history(a: Assessment, knowledge: Knowledge) -> Table:
    table = Table(title="Treatment history, as understood", title_justify="left", expand=True)
    table.add_column("Episode", no_wrap=True)
    table.add_column("Dates", ratio=2)
    table.add_column("Type", ratio=2, overflow="fold")
    table.add_column("Drugs", ratio=4)
    table.add_column("Response", ratio=3, overflow="fold")
    for t in a.treatments:
        dates = f"{t.started or '?'} to {t.ended or 'no end date'}"
        episode = str(t.episode) if t.episode else "undated"
        table.add_row(episode, dates, t.type, _drug_words(t.drugs, knowledge), t.response)
    return table


def _not_suggested(a: Assessment) -> Table:
    table = Table(title="Not suggested, and why", title_justify="left", expand=True)
    table.add_column("Option")
    table.add_column("Outcome")
    table.add_column("Why")
    for entry in a.not_suggested:
        table.add_row(entry.id, entry.outcome, escape(" ".join(entry.reasons)))
    return table


def _sources(sources: list[SourceOut]) -> Table:
    table = Table(title="Sources", title_justify="left", expand=True)
    for column in ("id", "Publisher and title", "Last reviewed", "Review due"):
        table.add_column(column, overflow="fold")
    for s in sources:
        due = str(s.next_review_due or "not given")
        if s.review_overdue:
            due = f"[red]{due} (overdue)[/]"
        table.add_row(s.id, escape(f"{s.publisher}: {s.title}" + (f"\n{s.url}" if s.url else "")),
                      str(s.last_reviewed or "not given"), due)
    return table


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
        for m in a.missing:
            affects = ", ".join(m.affects)
            console.print(f"  [yellow]?[/] [bold]{m.field}[/] → {affects}: {escape(m.why)}")
    if a.prognostic_factors:
        console.print("[bold]Prognostic factors[/]")
        for p in a.prognostic_factors:
            console.print(
                f"  • {escape(p.label)}: [bold]{escape(p.value)}[/] [dim]— {escape(p.note)}[/]"
            )
    if a.gaps:
        console.print("[bold]Where the sources are silent[/]")
        for gap in a.gaps:
            console.print(f"  • {escape(gap.text)} [dim]({escape(_cite(gap.sources))})[/]")
    for warning in a.warnings:
        console.print(f"[bold yellow]Warning:[/] {escape(warning)}")
    console.print(_sources(a.sources))
    console.print(Panel(escape(a.disclaimer), style="dim"))
