"""Checks of leaflet.yaml: citations, placeholders, helplines, and that every disease,
state and option has words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from secondline._case import Disease
from secondline._checks import PLACEHOLDER, Problems, check_citations
from secondline._leaflet_schema import LeafletFile, Passage, State
from secondline._schema import Source

#: the ``{name}`` a leaflet text may use, filled in from definitions.yaml
LEAFLET_FILLS = frozenset({"marrow_blasts_below_percent"})

#: leaflet passages that must say something for every disease (``states``: every state too)
_LEAFLET_COVER = (
    "disclaimer", "about", "options_intro", "trial_intro", "remission", "mrd",
    "questions_intro", "support",
)


def _leaflet_texts(where: str, texts: Iterable[str], problems: Problems) -> None:
    for text in texts:
        for name in PLACEHOLDER.findall(text):
            if name not in LEAFLET_FILLS:
                problems.add(where, f"the text names an unknown value '{{{name}}}'")


def _says_something(passages: list[Passage], disease: str, state: str | None) -> bool:
    return any(
        (p.diseases is None or disease in p.diseases)
        and (state is None or p.states is None or state in p.states)
        for p in passages
    )


def check_leaflet(
    leaflet: LeafletFile, sources: dict[str, Source], option_ids: set[str],
    file_ids: set[str], problems: Problems,
) -> None:
    """Citations, placeholders, helplines and coverage of leaflet.yaml; every option has text.

    ``option_ids`` are the options that loaded; ``file_ids`` also counts option files that
    failed to load, so their problem is not reported twice.
    """
    for name, field_info in type(leaflet).model_fields.items():
        if field_info.annotation == list[Passage]:
            passages: list[Passage] = getattr(leaflet, name)
            for i, passage in enumerate(passages):
                where = f"leaflet.yaml {name}[{i}]"
                check_citations(where, passage.sources, sources, problems)
                _leaflet_texts(where, [passage.text], problems)
    for name in _LEAFLET_COVER:
        for disease in get_args(Disease):
            if not _says_something(getattr(leaflet, name), disease, None):
                problems.add(f"leaflet.yaml {name}", f"has no passage for {disease}")
    for disease in get_args(Disease):
        for state in get_args(State):
            if not _says_something(leaflet.states, disease, state):
                problems.add("leaflet.yaml states", f"has no passage for {disease} when {state}")
    for option_id, text in leaflet.options.items():
        where = f"leaflet.yaml options [{option_id}]"
        if option_id not in file_ids | option_ids:
            problems.add(where, "no option has this id")
        check_citations(where, text.sources, sources, problems)
        _leaflet_texts(where, [text.description, text.what_happens], problems)
    for option_id in sorted(option_ids - set(leaflet.options)):
        problems.add(f"leaflet.yaml options [{option_id}]", "the option has no leaflet text")
    for i, line in enumerate(leaflet.helplines):
        where = f"leaflet.yaml helplines[{i}]"
        source = sources.get(line.source)
        if source is None:
            problems.add(where, f"unknown source '{line.source}'")
        elif source.helpline is None:
            problems.add(where, f"sources.yaml records no helpline for '{line.source}'")
        check_citations(where, line.sources, sources, problems)
        _leaflet_texts(where, [line.text], problems)
