"""The treatment timeline as an SVG picture: diagnosis, each treatment with its
response, the remissions between them, relapse and the latest assessment.

Drawn from the assessment (which already holds the history as secondline understood
it), so the picture and the tables can never disagree. Colour is never the only
signal: every bar and span carries its words.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape as _escape

from secondline._assessment import Assessment, TreatmentOut
from secondline._case import Case
from secondline._dates import months_between

WIDTH, LEFT, RIGHT = 960, 16, 24
LANE, TOP, AXIS = 36, 58, 34
LABELS, BAND = 14, 38  # the y of the top labels, and of the remission band
RESPONSE = {
    "complete-remission": ("complete remission", "#1a7f37"),
    "partial-remission": ("partial remission", "#9a6700"),
    "no-response": ("no response", "#b42318"),
    "unknown": ("response not recorded", "#57606a"),
}


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str) -> str:
    """Text for the SVG: markup escaped, and characters XML cannot hold dropped."""
    return _escape(_NOT_XML.sub("", text))


@dataclass(frozen=True)
class Span:
    start: dt.date
    end: dt.date
    months: float
    to_relapse: bool


def remission_spans(assessment: Assessment, latest: dt.date | None) -> list[Span]:
    """From the end of each episode that brought a complete remission to the start of
    the next episode, or else to the latest assessment (or the as-of date)."""
    by_episode: dict[int, list[TreatmentOut]] = {}
    for t in assessment.treatments:
        if t.episode is not None:
            by_episode.setdefault(t.episode, []).append(t)
    numbers = sorted(by_episode)
    spans = []
    for i, number in enumerate(numbers):
        members = by_episode[number]
        ends = [t.ended for t in members if t.ended]
        if not ends or len(ends) < len(members):
            continue
        if not any(t.response == "complete-remission" for t in members):
            continue
        start = max(ends)
        following = [t.started or t.ended for t in by_episode[numbers[i + 1]]] if (
            i + 1 < len(numbers)) else []
        later = [d for d in following if d]
        if later:
            end, relapse = min(later), False
        else:
            end = latest or assessment.as_of
            relapse = latest is not None and assessment.status.state == "relapsed"
        if end > start:
            spans.append(Span(start, end, months_between(start, end), relapse))
    return spans


class _Scale:
    def __init__(self, first: dt.date, last: dt.date) -> None:
        if last <= first:
            first, last = first - dt.timedelta(days=30), last + dt.timedelta(days=30)
        self.first, self.days = first, (last - first).days

    def x(self, day: dt.date) -> float:
        return round(LEFT + (day - self.first).days / self.days * (WIDTH - LEFT - RIGHT), 1)


def _label(x: float, y: float, text: str, cls: str = "tl-label") -> str:
    anchor = "end" if x > WIDTH * 0.62 else "start"
    return (f'<text x="{x}" y="{y}" text-anchor="{anchor}" class="{cls}">'
            f"{escape(text)}</text>")


def _treatment_name(t: TreatmentOut) -> str:
    what = ", ".join(t.drugs) if t.drugs else t.type.replace("-", " ")
    return f"{t.episode or '-'}. {what}"


def timeline_items(case: Case, assessment: Assessment) -> list[str]:
    """The same history as the picture, in words, one event per line, oldest first: what
    narrow screens show instead of the picture, and the picture's text description."""
    dated: list[tuple[dt.date, int, str]] = []
    if case.diagnosed:
        dated.append((case.diagnosed, 0, f"{case.diagnosed}: diagnosed."))
    for t in assessment.treatments:
        if not (t.started or t.ended):
            continue
        response = RESPONSE[t.response][0]
        dated.append((t.started or t.ended or assessment.as_of, 1,
                      f"{t.started or 'start not recorded'} to {t.ended or 'no end recorded'}: "
                      f"treatment {_treatment_name(t)}, {response}."))
    latest = case.assessment.date if case.assessment else None
    for span in remission_spans(assessment, latest):
        end = ", ending in relapse" if span.to_relapse else ""
        dated.append((span.start, 2, f"{span.start} to {span.end}: in remission, "
                                     f"{span.months:.1f} months{end}."))
    if latest:
        dated.append((latest, 3, f"{latest}: latest assessment, "
                                 f"{assessment.status.state}."))
    items = [text for _, _, text in sorted(dated, key=lambda d: (d[0], d[1]))]
    undated = len(assessment.treatments) - sum(1 for t in assessment.treatments
                                               if t.started or t.ended)
    if undated:
        items.append(f"{undated} treatment(s) without dates are not drawn.")
    return items


def timeline_svg(case: Case, assessment: Assessment) -> str:
    """The picture, as an inline SVG element with a title and a text description."""
    dated = [t for t in assessment.treatments if t.started or t.ended]
    latest = case.assessment.date if case.assessment else None
    days = [d for d in (case.diagnosed, latest, assessment.as_of) if d]
    days += [d for t in dated for d in (t.started, t.ended) if d]
    scale = _Scale(min(days), assessment.as_of)
    spans = remission_spans(assessment, latest)
    height = TOP + LANE * len(dated) + AXIS
    parts: list[str] = []
    words: list[str] = []

    if case.diagnosed:
        x = scale.x(case.diagnosed)
        parts.append(f'<line x1="{x}" y1="{LABELS + 4}" x2="{x}" y2="{height - AXIS}" '
                     'class="tl-diagnosis"/>')
        parts.append(f'<text x="{x + 3}" y="{LABELS}" class="tl-label">'
                     f"Diagnosed {case.diagnosed}</text>")
        words.append(f"Diagnosed on {case.diagnosed}.")

    band = BAND
    for span in spans:
        x1, x2 = scale.x(span.start), scale.x(span.end)
        parts.append(f'<rect x="{x1}" y="{band}" width="{max(x2 - x1, 2)}" height="12" '
                     'rx="3" class="tl-remission"/>')
        text = f"remission {span.months:.1f} months" + (", then relapse" if span.to_relapse
                                                          else "")
        middle = min(max((x1 + x2) / 2, LEFT + 90), WIDTH - RIGHT - 90)
        parts.append(f'<text x="{middle:.1f}" y="{band - 5}" text-anchor="middle" '
                     f'class="tl-label tl-remission-label">{escape(text)}</text>')
        words.append(f"In remission from {span.start} to {span.end}, {span.months:.1f} months"
                     + (", ending in relapse." if span.to_relapse else "."))

    for lane, t in enumerate(sorted(dated, key=lambda t: t.started or t.ended or dt.date.min)):
        y = TOP + LANE * lane - 8
        start = t.started or t.ended or assessment.as_of
        end = t.ended or assessment.as_of
        x1, x2 = scale.x(start), scale.x(end)
        response, colour = RESPONSE[t.response]
        ongoing = "" if t.ended else " (no end date: drawn to today)"
        parts.append(f'<rect x="{x1}" y="{y + 14}" width="{max(x2 - x1, 3)}" height="12" '
                     f'rx="2" fill="{colour}"><title>{escape(_treatment_name(t))}: '
                     f"{response}</title></rect>")
        parts.append(_label(x1, y + 10, f"{_treatment_name(t)}: {response}{ongoing}"))
        words.append(f"Treatment {_treatment_name(t)} from {t.started or 'an unknown date'} "
                     f"to {t.ended or 'no recorded end'}: {response}.")

    if latest:
        x = scale.x(latest)
        state = assessment.status.state
        mark = "tl-relapse" if state in ("relapsed", "refractory") else "tl-assessment"
        parts.append(f'<path d="M{x} {LABELS + 4} l7 12 h-14 z" class="{mark}"/>')
        parts.append(f'<line x1="{x}" y1="{LABELS + 16}" x2="{x}" y2="{height - AXIS}" '
                     f'class="{mark}-line"/>')
        parts.append(f'<text x="{x - 10}" y="{LABELS}" text-anchor="end" class="tl-label">'
                     f"{escape(f'Latest assessment {latest}: {state}')}</text>")
        words.append(f"Latest assessment on {latest}: {state}.")

    undated = len(assessment.treatments) - len(dated)
    if undated:
        words.append(f"{undated} treatment(s) without dates are not drawn.")
    parts.append(_axis(scale, height))
    title = f"Timeline of {case.id or 'this case'} up to {assessment.as_of}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="timeline" role="img" aria-labelledby="tl-title tl-desc">'
        f'<title id="tl-title">{escape(title)}</title>'
        f'<desc id="tl-desc">{escape(" ".join(words) or "No dated events.")}</desc>'
        + "".join(parts) + "</svg>"
    )


def _axis(scale: _Scale, height: int) -> str:
    y = height - AXIS + 8
    last = scale.first + dt.timedelta(days=scale.days)
    parts = [f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" class="tl-axis"/>']
    years = range(scale.first.year + 1, last.year + 1)
    step = max(1, len(years) // 12 + 1)
    for year in years[::step]:
        x = scale.x(dt.date(year, 1, 1))
        parts.append(f'<line x1="{x}" y1="{y - 4}" x2="{x}" y2="{y + 4}" class="tl-axis"/>')
        parts.append(f'<text x="{x}" y="{y + 18}" text-anchor="middle" class="tl-tick">'
                     f"{year}</text>")
    return "".join(parts)
