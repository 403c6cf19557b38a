"""The published knowledge catalogue must match the knowledge files that run."""

from __future__ import annotations

from pathlib import Path

from secondline import load_knowledge
from secondline._catalogue import catalogue

CATALOGUE = Path(__file__).parent.parent / "docs" / "knowledge.md"


def test_catalogue_matches_the_knowledge_files() -> None:
    generated = catalogue()
    published = CATALOGUE.read_text(encoding="utf-8")
    assert published == generated, (
        "docs/knowledge.md is out of date: run `secondline catalogue > docs/knowledge.md`"
    )


def test_catalogue_lists_every_option_with_its_sources() -> None:
    text = catalogue()
    knowledge = load_knowledge()
    for compiled in knowledge.options:
        option = compiled.option
        assert f"— `{option.id}`" in text
        for cite in option.sources:
            assert cite.section in text
    for source in knowledge.sources.values():
        assert source.url in text


def test_catalogue_puts_conditions_in_words() -> None:
    text = catalogue()
    assert "Time since the last treatment ended is more than 24 months" in text
    assert "CD19 on the leukaemia cells is positive" in text
