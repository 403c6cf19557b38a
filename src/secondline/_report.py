"""The readable terminal report of an assessment (rich)."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from secondline._assessment import Assessment, GuidanceOut, OptionOut, SourceOut
from secondline._case import Case
from secondline._knowledge import Knowledge, load_knowledge
from secondline._plan import case_markers, headlines
from secondline._schema import Citation

_MARK = {True: "[green]✔ yes[/]", False: "[red]✘ no[/]", None: "[yellow]? not known[/]"}


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


def _badge(option: OptionOut) -> str:
    return " [magenta](clinical trial only)[/]" if option.availability != "standard" else ""


def _plan(a: Assessment) -> Group:
    """The plan, compact: each step, and in it each option's name with one line of reason."""
    by_id, headline = {o.id: o for o in a.options}, headlines(a)
    line = "first treatment" if a.line == "first-line" else "second line or later"
    parts: list[RenderableType] = [Text.from_markup(f"[bold]The plan: options to discuss "
                                                    f"({line})[/]")]
    for step in a.plan:
        choose = " [dim](one of these)[/]" if step.choose == "one" else ""
        parts.append(Text.from_markup(f"[bold]{escape(step.title)}[/]{choose}"))
        rows = [f"[bold cyan]{escape(by_id[oid].name)}[/]{_badge(by_id[oid])} — "
                f"{escape(headline[oid])}" for oid in step.options]
        parts.append(_items(rows, bullet="[cyan]•[/]"))
        if len(step.options) > 1:
            parts.append(_items([f"[dim]{escape(r)}[/]" for r in step.order_reasons],
                                bullet=""))
    if not a.plan:
        parts.append(Text("No options to discuss are described by the sources for this case."))
    return Group(*parts)


def _options(a: Assessment) -> list[Panel]:
    """Every suggested option in full, step by step."""
    by_id = {o.id: o for o in a.options}
    panels = []
    for step in a.plan:
        parts: list[RenderableType] = []
        for option in (by_id[oid] for oid in step.options):
            parts.append(Text.from_markup(
                f"[bold cyan]{escape(option.name)}[/]{_badge(option)}  [dim]{option.id}[/]"))
            about = [escape(option.summary)]
            if option.how_given:
                about.append(f"[italic]How it is given:[/] {escape(option.how_given)}")
            parts.append(_items(about, bullet=""))
            parts.append(_items([escape(reason) for reason in option.reasons],
                                bullet="[green]•[/]"))
            parts.append(_items([f"[dim]Sources: {escape(_cite(option.sources))}[/]"],
                                bullet=""))
        panels.append(Panel(Group(*parts), title=escape(step.title), title_align="left"))
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


def _key_points(a: Assessment) -> list[str]:
    """What the team should see before the details: missing facts that decide options,
    and cautions."""
    points = [f"[yellow]Missing:[/] {escape(m.why)} [dim](affects {', '.join(m.affects)})[/]"
              for m in a.missing if "decides" in m.why]
    points += [f"[bold yellow]Caution:[/] {escape(c.text)}" for c in a.cautions]
    return points


_OUTCOME = {"supports": "[green]supports[/]", "narrows": "[red]narrows[/]",
            "undecided": "[yellow]undecided[/]", "widens": "[cyan]widens[/]",
            "withdrawn": "[red]withdrawn[/]", "noted": "[dim]noted[/]"}


def _guidance(g: GuidanceOut) -> Panel:
    """The current-guidance layer, apart from the pages' answer and dated item by item."""
    parts: list[RenderableType] = []
    for item in g.items:
        where = ", ".join(p for p in (item.nation, item.region) if p)
        due = f"[red]{item.review_by} (overdue)[/]" if item.review_overdue else str(
            item.review_by)
        about = f" — {escape(item.option_name)}" if item.option_name else ""
        parts.append(Text.from_markup(
            f"{_OUTCOME[item.outcome]} [bold]{escape(item.publisher)} "
            f"{escape(item.reference)}[/]{about} [dim]({escape(where)}; checked "
            f"{item.checked}; check again by {due})[/]"))
        lines = [escape(item.text), *(f"[dim]{escape(r)}[/]" for r in item.reasons),
                 f"[dim]Funding: {escape(item.funding)}[/]", f"[dim]{escape(item.url)}[/]"]
        parts.append(_items(lines, bullet=""))
    if not g.items:
        parts.append(Text("No item of the current-guidance layer applies to this case."))
    if g.missing:
        parts.append(_items([f"[bold]{m.field}[/] → {', '.join(m.affects)}: {escape(m.why)}"
                             for m in g.missing], bullet="[yellow]?[/]", indent=0))
    parts += [Text.from_markup(f"[bold yellow]Warning:[/] {escape(w)}") for w in g.warnings]
    return Panel(Group(*parts), title="Current guidance: a separate layer, newer than the "
                 "pages (asked for)", title_align="left", border_style="cyan")


def render(a: Assessment, console: Console, case: Case | None = None) -> None:
    """Summary, plan, status, then the details: readable at 80 columns."""
    knowledge = load_knowledge()
    who = f"Case {a.case_id}" if a.case_id else "Case"
    console.rule(f"[bold]secondline[/] · {escape(who)} · {a.disease} · as of {a.as_of}")
    if case is not None:
        line = [case.disease, f"age {case.age}", case_markers(knowledge.plan, case)]
        console.print(escape(" · ".join(part for part in line if part)))
    console.print(Panel(Text(a.summary, style="bold"), title="Summary", title_align="left"))
    console.print(_plan(a))
    console.print(_status(a))
    if points := _key_points(a):
        console.print(_items(points, bullet="!", indent=0))
    if a.guidance is not None:
        console.print(_guidance(a.guidance))
    console.rule("[bold]Details[/]")
    for panel in _options(a):
        console.print(panel)
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
    if a.treatments:
        console.print(_history(a, knowledge))
    if a.warnings:
        console.print(_items([escape(w) for w in a.warnings],
                             bullet="[bold yellow]Warning:[/]", indent=0))
    console.print(_sources(a.sources))
    console.print(Panel(escape(a.disclaimer), style="dim"))
