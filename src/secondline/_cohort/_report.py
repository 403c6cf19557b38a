"""``report.html``: the cohort's numbers for people, in one self-contained page.

The plots are drawn by matplotlib (its Agg backend, as SVG with text kept as text),
written beside the page as ``.svg`` files and inlined in it, each with a title and a
description for screen readers, and each followed by the table of its numbers. The page
loads nothing from elsewhere and runs no script.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1a1a1a;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #bbb;
padding:.25rem .5rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}figcaption{font-weight:600}svg{max-width:100%;height:auto}
.note{color:#444}
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>secondline cohort report</title>
<style>{{ style }}</style>
</head>
<body>
<main>
<h1>Cohort report</h1>
<p>{{ s.assessed }} cases assessed from <code>{{ s.input }}</code>
({{ s.rows_read }} rows read, {{ s.rejected }} rejected{% if s.fhir_resources_rejected %},
and {{ s.fhir_resources_rejected }} FHIR resources that belong to no case{% endif %}: see
<code>rejected.ndjson</code>),
judged on {{ s.judged_on }} ({{ s.as_of }}), by the {{ s.engine }} engine of secondline
{{ s.secondline }}.{% if s.per_case_engine_fallback %} {{ s.per_case_engine_fallback }} cases
were assessed by the per-case engine, which the vectorised engine could not run.{% endif %}</p>
<p class="note">secondline lists options the cited sources describe, for a person and their
team to discuss; these counts describe what it suggested, not what was given.</p>

<h2>Cases by disease and state</h2>
{{ plots.states }}
<table><caption>Cases by disease and state</caption>
<thead><tr><th scope="col">Disease</th><th scope="col">State</th>
<th scope="col">Cases</th></tr></thead>
<tbody>{% for r in s.by_disease_and_state %}<tr><td>{{ r.disease }}</td><td>{{ r.state }}</td>
<td class="n">{{ r.cases }}</td></tr>{% endfor %}</tbody></table>

<h2>Options</h2>
{{ plots.options }}
<table><caption>Cases for which each option was suggested, or not</caption>
<thead><tr><th scope="col">Option</th><th scope="col">Standard</th>
<th scope="col">Clinical trial only</th><th scope="col">Excluded</th>
<th scope="col">Not indicated</th><th scope="col">Undecided</th></tr></thead>
<tbody>{% for r in s.options %}<tr><td>{{ r.option }}</td><td class="n">{{ r.standard }}</td>
<td class="n">{{ r["clinical-trial"] }}</td><td class="n">{{ r.excluded }}</td>
<td class="n">{{ r["not-indicated"] }}</td><td class="n">{{ r.undecided }}</td></tr>
{% endfor %}</tbody></table>

<h2>Missing facts</h2>
<p>Ranked by how many options knowing them could change, summed over the cases.</p>
{{ plots.missing }}
<table><caption>Missing facts</caption>
<thead><tr><th scope="col">Case field</th><th scope="col">Cases</th>
<th scope="col">Options changed</th><th scope="col">Options</th></tr></thead>
<tbody>{% for r in s.missing %}<tr><td><code>{{ r.field }}</code></td>
<td class="n">{{ r.cases }}</td><td class="n">{{ r.options_changed }}</td>
<td>{{ r.options | join(", ") }}</td></tr>{% endfor %}</tbody></table>

{% if s.guidance_items is not none %}
<h2>Current guidance</h2>
<p>The dated layer of guidance newer than the pages (<code>--guidance current</code>): the
items that apply, and what each says beside the pages' answer, which it never changes.</p>
{{ plots.guidance }}
<table><caption>Current guidance: cases by item and outcome</caption>
<thead><tr><th scope="col">Item</th><th scope="col">Option</th><th scope="col">Outcome</th>
<th scope="col">Cases</th></tr></thead>
<tbody>{% for r in s.guidance_items %}<tr><td>{{ r.id }}</td><td>{{ r.option or "" }}</td>
<td>{{ r.outcome }}</td><td class="n">{{ r.cases }}</td></tr>
{% else %}<tr><td colspan="4">No item applies to any case</td></tr>{% endfor %}</tbody></table>
{% endif %}

<h2>Cautions</h2>
<table><caption>Cautions for the team</caption>
<thead><tr><th scope="col">Caution</th><th scope="col">Cases</th></tr></thead>
<tbody>{% for r in s.cautions %}<tr><td>{{ r.caution }}</td><td class="n">{{ r.cases }}</td>
</tr>{% else %}<tr><td colspan="2">None</td></tr>{% endfor %}</tbody></table>

<h2>Concordance with MDT decisions</h2>
{% if c %}
<p>{{ c.decisions }} decisions recorded, {{ c.matched }} matched to a case; in
{{ c.concordant }}
({{ (c.rate * 100) | round(1) }}%) every option chosen was among those suggested.
{% if c.recorded_differs %}In {{ c.recorded_differs }} the MDT's own record of whether the
choice was among the suggestions differs from this.{% endif %}</p>
{{ plots.concordance }}
<table><caption>Concordance by disease</caption>
<thead><tr><th scope="col">Disease</th><th scope="col">Decisions</th>
<th scope="col">Among the suggestions</th><th scope="col">Rate</th></tr></thead>
<tbody>{% for r in c.by_disease %}<tr><td>{{ r.disease }}</td>
<td class="n">{{ r.decisions }}</td>
<td class="n">{{ r.concordant }}</td><td class="n">{{ r.rate }}</td></tr>
{% endfor %}</tbody></table>
<table><caption>Concordance by override reason</caption>
<thead><tr><th scope="col">Override reason</th><th scope="col">Decisions</th>
<th scope="col">Among the suggestions</th><th scope="col">Rate</th></tr></thead>
<tbody>{% for r in c.by_override_reason %}<tr><td>{{ r.override_reason or "none recorded" }}</td>
<td class="n">{{ r.decisions }}</td><td class="n">{{ r.concordant }}</td>
<td class="n">{{ r.rate }}</td></tr>{% endfor %}</tbody></table>
{% else %}
<p>No decisions were given (<code>--db URL</code> reads those recorded in the case store;
<code>--decisions FILE</code> reads a table of them).</p>
{% endif %}
</main>
</body>
</html>
"""


def _svg(figure: Any, title: str, description: str) -> str:
    """A figure as inline SVG with a title and description for screen readers."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    text = text.replace("<svg ", f'<svg role="img" aria-labelledby="{slug}-t {slug}-d" ', 1)
    head = text.index(">", text.index("<svg")) + 1
    return (text[:head] + f'<title id="{slug}-t">{_escape(title)}</title>'
            f'<desc id="{slug}-d">{_escape(description)}</desc>' + text[head:])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _bars(labels: list[str], series: dict[str, list[float]], title: str, xlabel: str) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["svg.hashsalt"] = "secondline"
    height = max(2.0, 0.32 * len(labels) + 1.2)
    figure = Figure(figsize=(7.5, height))
    axes = figure.add_subplot()
    left = [0.0] * len(labels)
    colours = ["#1f5f8b", "#e08a1e", "#7a9a3a", "#8b3a62", "#555555", "#3a8b84"]
    for colour, (name, values) in zip(colours, series.items(), strict=False):
        axes.barh(labels, values, left=left, label=name, color=colour)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    if len(series) > 1:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    figure.tight_layout()
    return figure


def _plots(summary: dict[str, Any]) -> dict[str, tuple[str, str, Any]]:
    rows = summary["by_disease_and_state"]
    diseases = sorted({r["disease"] for r in rows})
    states = sorted({r["state"] for r in rows})
    count = {(r["disease"], r["state"]): r["cases"] for r in rows}
    plots = {"states": (
        "Cases by disease and state",
        "Horizontal bars, one per disease, divided by the state of the disease.",
        _bars(diseases, {s: [count.get((d, s), 0) for d in diseases] for s in states},
              "Cases by disease and state", "cases"))}
    options = summary["options"]
    plots["options"] = (
        "Options suggested",
        "Horizontal bars, one per option: the cases for which it was suggested as standard "
        "care and only within a clinical trial.",
        _bars([o["option"] for o in options],
              {"standard": [o["standard"] for o in options],
               "clinical trial only": [o["clinical-trial"] for o in options]},
              "Options suggested", "cases"))
    missing = summary["missing"]
    plots["missing"] = (
        "Missing facts by options they would change",
        "Horizontal bars, one per case field, longest first: how many options knowing it "
        "could change, summed over the cases.",
        _bars([m["field"] for m in missing], {"options": [m["options_changed"] for m in missing]},
              "Missing facts by options they would change", "options changed"))
    items = summary.get("guidance_items")
    if items:
        ids = sorted({i["id"] for i in items})
        outcomes = sorted({i["outcome"] for i in items})
        count = {(i["id"], i["outcome"]): i["cases"] for i in items}
        plots["guidance"] = (
            "Current guidance by item and outcome",
            "Horizontal bars, one per item of the current guidance, divided by what it "
            "says for the cases it applies to.",
            _bars(ids, {o: [count.get((i, o), 0) for i in ids] for o in outcomes},
                  "Current guidance by item and outcome", "cases"))
    c = summary.get("concordance")
    if c:
        plots["concordance"] = (
            "Decisions among the suggested options, by disease",
            "Horizontal bars, one per disease: the recorded decisions whose chosen options "
            "were all among those suggested, and the others.",
            _bars([str(r["disease"]) for r in c["by_disease"]],
                  {"among the suggestions": [r["concordant"] for r in c["by_disease"]],
                   "other": [r["decisions"] - r["concordant"] for r in c["by_disease"]]},
                  "Decisions among the suggested options, by disease", "decisions"))
    return plots


def write_report(out: Path, summary: dict[str, Any]) -> None:
    """``report.html`` and each plot as its own ``.svg`` file in ``out``."""
    inline: dict[str, str] = {}
    for name, (title, description, figure) in _plots(summary).items():
        svg = _svg(figure, title, description)
        (out / f"{name}.svg").write_text(svg, encoding="utf-8")
        inline[name] = (f'<figure><figcaption>{_escape(title)}</figcaption>{svg}</figure>')
    environment = Environment(autoescape=True)
    page = environment.from_string(_PAGE)
    from markupsafe import Markup

    html = page.render(s=summary, c=summary.get("concordance"), style=Markup(_STYLE),
                       plots={k: Markup(v) for k, v in inline.items()})
    (out / "report.html").write_text(html, encoding="utf-8")
