"""What the patient leaflet says for one case, picked from leaflet.yaml by the assessment.

The options come only from ``assessment.options``; every other word comes from the
knowledge (leaflet.yaml, sources.yaml), so this module holds no medicine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from secondline._assessment import Assessment, OptionOut
from secondline._case import Case
from secondline._knowledge import Knowledge, load_knowledge
from secondline._leaflet_schema import Passage
from secondline._schema import Citation
from secondline._sources import judged_sources

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)


def day_in_words(day: dt.date) -> str:
    """``23 November 2026``, whatever the locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Part:
    """A sub-section (h3): an option, or a word explained."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    option_id: str | None = None
    badge: str | None = None
    what_happens: str | None = None


@dataclass(frozen=True)
class HelplineRow:
    text: str
    #: the number and opening hours, as sources.yaml records them
    contact: str


@dataclass(frozen=True)
class SourceRow:
    publisher: str
    title: str
    #: None where no public address is confirmed: no link is shown
    url: str | None
    last_reviewed: str
    next_review_due: str
    status: str
    overdue: bool | None


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    items: tuple[str, ...] = ()
    helplines: tuple[HelplineRow, ...] = ()
    sources: tuple[SourceRow, ...] = ()


@dataclass(frozen=True)
class Leaflet:
    title: str
    disease: str
    reference_label: str
    case_id: str | None
    based_on_label: str
    as_of: dt.date
    #: "Your latest test results are from:" and the date in words
    results_label: str
    results_date: str
    what_happens_label: str
    last_reviewed_label: str
    next_review_due_label: str
    sections: tuple[Section, ...]


class _Picker:
    """Chooses the passages that fit the case and remembers the sources they cite."""

    def __init__(self, case: Case, assessment: Assessment, knowledge: Knowledge) -> None:
        self.disease = assessment.disease
        self.state = assessment.status.state
        self.mrd = assessment.status.mrd
        self.region = case.region
        self.audience = "treatment" if case.wishes.active_treatment else "declined"
        threshold = knowledge.definitions.remission.marrow_blasts_below_percent
        self.fills = {"marrow_blasts_below_percent": f"{threshold:g}"}
        self.cited: list[str] = [s.id for s in assessment.sources]

    def cite(self, cites: Iterable[Citation]) -> None:
        for c in cites:
            if c.diseases is None or self.disease in c.diseases:
                self.cited.append(c.source)

    def fill(self, text: str) -> str:
        for name, value in self.fills.items():
            text = text.replace(f"{{{name}}}", value)
        return " ".join(text.split())

    def fits(self, p: Passage) -> bool:
        return (
            (p.diseases is None or self.disease in p.diseases)
            and (p.states is None or self.state in p.states)
            and (p.regions is None or self.region is None or self.region in p.regions)
            and (p.mrd is None or self.mrd in p.mrd)
            and p.audience in ("any", self.audience)
        )

    def say(self, passages: Iterable[Passage]) -> tuple[str, ...]:
        shown = [p for p in passages if self.fits(p)]
        for p in shown:
            self.cite(p.sources)
        return tuple(self.fill(p.text) for p in shown)


def _options(
    options: list[OptionOut], pick: _Picker, knowledge: Knowledge, badge: str | None
) -> tuple[Part, ...]:
    parts = []
    for option in options:
        words = knowledge.leaflet.options[option.id]
        pick.cite(words.sources)
        parts.append(Part(
            heading=option.name, paragraphs=(pick.fill(words.description),),
            option_id=option.id, badge=badge, what_happens=pick.fill(words.what_happens),
        ))
    return tuple(parts)


def _sources(pick: _Picker, knowledge: Knowledge, as_of: dt.date) -> tuple[SourceRow, ...]:
    labels = knowledge.leaflet.labels
    status = {None: labels.no_review_date, True: labels.overdue, False: labels.in_date}

    def when(day: dt.date | None) -> str:
        return labels.not_given if day is None else day_in_words(day)

    return tuple(
        SourceRow(
            publisher=s.publisher, title=s.title, url=s.url,
            last_reviewed=when(s.last_reviewed), next_review_due=when(s.next_review_due),
            status=status[s.review_overdue], overdue=s.review_overdue,
        )
        for s in judged_sources(knowledge, as_of, pick.cited)
    )


def _helplines(case: Case, pick: _Picker, knowledge: Knowledge) -> tuple[HelplineRow, ...]:
    rows: dict[str, HelplineRow] = {}
    for line in knowledge.leaflet.helplines:
        source = knowledge.sources[line.source]
        if source.helpline is None or (case.region and source.region != case.region):
            continue
        pick.cite(line.sources)
        rows.setdefault(source.helpline, HelplineRow(pick.fill(line.text), source.helpline))
    return tuple(rows.values())


def in_plan_order(assessment: Assessment) -> list[OptionOut]:
    """The suggested options in the plan's order (step by step, preferred first)."""
    by_id = {o.id: o for o in assessment.options}
    planned = [by_id[oid] for step in assessment.plan for oid in step.options if oid in by_id]
    return planned + [o for o in assessment.options if o not in planned]


def build_leaflet(
    case: Case, assessment: Assessment, knowledge: Knowledge | None = None
) -> Leaflet:
    """The leaflet for a case and its assessment, section by section."""
    knowledge = knowledge or load_knowledge()
    words, labels = knowledge.leaflet, knowledge.leaflet.labels
    pick = _Picker(case, assessment, knowledge)
    ordered = in_plan_order(assessment)
    standard = [o for o in ordered if o.availability == "standard"]
    trial = [o for o in ordered if o.availability == "clinical-trial"]
    declined = not case.wishes.active_treatment

    sections = []
    if declined:  # their choice, and the care that remains, before anything else
        intro = words.options_intro if standard else words.no_options
        sections.append(Section(
            "your-choice", labels.your_choice,
            (*pick.say(words.declined), *pick.say(intro)),
            parts=_options(standard, pick, knowledge, None),
        ))
    sections += [
        Section("read-first", labels.read_first, pick.say(words.disclaimer)),
        Section("your-leukaemia", labels.your_leukaemia, pick.say(
            [*words.about, *words.states]
        )),
    ]
    if not declined and (standard or not trial):
        intro = words.options_intro if standard else words.no_options
        sections.append(Section(
            "options", labels.options, pick.say(intro),
            parts=_options(standard, pick, knowledge, None),
        ))
    if trial:
        sections.append(Section(
            "trial-options", labels.trial_options, pick.say(words.trial_intro),
            parts=_options(trial, pick, knowledge, labels.trial_badge),
        ))
    if assessment.guidance is not None:
        newer = assessment.guidance.items
        sections.append(Section(
            "newer-guidance", labels.newer,
            (" ".join(labels.newer_intro.split()),) + (() if newer else (labels.newer_none,)),
            items=tuple(f"{i.plain} ({i.publisher} {i.reference}, checked "
                        f"{day_in_words(i.checked)}.)" for i in newer),
        ))
    sections += [
        Section("words", labels.words, parts=(
            Part(labels.remission, pick.say(words.remission)),
            Part(labels.mrd, pick.say(words.mrd)),
        )),
        Section("questions", labels.questions, pick.say(words.questions_intro),
                items=pick.say(words.questions)),
        Section("support", labels.support, pick.say(words.support),
                helplines=_helplines(case, pick, knowledge)),
    ]
    sections.append(Section(
        "sources", labels.sources, (pick.fill(labels.sources_intro),),
        sources=_sources(pick, knowledge, assessment.as_of),
    ))
    return Leaflet(
        title=labels.title, disease=words.disease_names[assessment.disease],
        reference_label=labels.reference, case_id=case.id,
        based_on_label=labels.based_on, as_of=assessment.as_of,
        results_label=labels.latest_results,
        results_date=(day_in_words(assessment.status.assessment_date)
                      if assessment.status.assessment_date else labels.no_results_date),
        what_happens_label=labels.what_happens, last_reviewed_label=labels.last_reviewed,
        next_review_due_label=labels.next_review_due, sections=tuple(sections),
    )
