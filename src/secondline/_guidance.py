"""The current-guidance layer: dated, cited guidance newer than the five pages, kept apart.

One file per item in ``knowledge/guidance/``: who published it, where, when it was read
and when it must be read again, the nation or country it covers, the conditions under
which it applies (the same condition trees as the options) and what it does to the
pages' answer. It is checked with the rest of the knowledge on every load, and applied
only on request (``assess(case, guidance="current")``): the pages' options are never
rewritten, only annotated beside them.

What an item does, and what it says for one case:

- ``narrows`` / ``adds``: an option the pages suggest, and the conditions under which the
  guidance covers it: *supports* when they hold, *narrows* when they do not, *undecided*
  when a fact they need is not known (``adds`` names that fact: a test to do);
- ``widens``: an option the pages do not offer here: *widens* when its conditions hold
  (*supports* when the pages already suggest that option), *undecided* when not known;
- ``withdrawn``: a treatment no longer available; ``noted``: a position worth knowing
  (a funding route, an appraisal that ended without a recommendation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from secondline._assessment import GuidanceItemOut, GuidanceOut, MissingOut, OptionOut, built
from secondline._case import Disease, Region
from secondline._checks import Problems
from secondline._compile import Vocabularies, check_condition, check_truth
from secondline._conditions import Compiled, Condition, TruthOnly, facts_used
from secondline._facts import FACTS, FactValue

Effect = Literal["narrows", "widens", "adds", "withdrawn", "noted"]
Outcome = Literal["supports", "narrows", "undecided", "widens", "withdrawn", "noted"]
Expect = Literal[Outcome, "does-not-apply"]
LAYER = "current"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Dates(_Strict):
    #: as shown on the publisher's page; None where the page read shows none
    published: dt.date | None = None
    last_updated: dt.date | None = None
    #: when the publisher's page was read for this file
    checked: dt.date
    #: secondline's own date by which the page must be read again
    review_by: dt.date


class NewOption(_Strict):
    """An option the pages do not describe, which the guidance recommends (``widens``)."""

    id: str
    name: str
    drugs: list[str] = Field(default_factory=list)
    summary: str


class Says(_Strict):
    """What the item says for a case, by outcome (only those the item can reach)."""

    supports: str | None = None
    narrows: str | None = None
    undecided: str | None = None
    widens: str | None = None
    withdrawn: str | None = None
    noted: str | None = None


class GuidanceCase(_Strict):
    """A worked example kept beside the item and run by pytest."""

    name: str
    case: dict[str, Any]
    expect: Expect


class GuidanceItem(_Strict):
    id: str
    publisher: str
    reference: str
    #: what the guidance is about, in secondline's words (not necessarily the page's title)
    title: str
    #: the publisher's own page, and the part of it the item rests on
    url: str
    section: str
    region: Region
    #: the nation within the region it covers (the UK's nations may differ); None: all
    nation: str | None = None
    funding: str
    dates: Dates
    #: how the item was checked on the publisher's page (what was read, where)
    verified: str
    effect: Effect
    diseases: list[Disease] = Field(min_length=1)
    applies_when: Condition
    #: the option of the pages it speaks about (narrows, adds; widens in a new setting)
    option: str | None = None
    #: an option the pages do not describe (widens)
    new_option: NewOption | None = None
    #: when the guidance covers the case (narrows, adds, widens)
    covered_when: Condition | None = None
    says: Says
    #: for the patient leaflet, in plain English
    plain: str
    cases: list[GuidanceCase] = Field(min_length=2)


class NotEncoded(_Strict):
    id: str
    what: str
    why: str


class NotEncodedFile(_Strict):
    """Guidance found but kept out of the layer, and why (for the catalogue)."""

    format: Literal[1]
    items: list[NotEncoded] = Field(min_length=1)


@dataclass(frozen=True)
class CompiledItem:
    item: GuidanceItem
    applies: TruthOnly
    covered: Compiled | None


@dataclass(frozen=True)
class GuidanceLayer:
    items: tuple[CompiledItem, ...] = ()


def compile_guidance(
    parsed: Sequence[tuple[str, GuidanceItem | None, tuple[str, ...]]], options: set[str],
    vocab: Vocabularies, problems: Problems,
) -> GuidanceLayer:
    """Check every guidance file (its problems reported in its place) and compile it."""
    compiled, seen = [], set()
    for name, item, read_problems in parsed:
        problems.lines.extend(read_problems)
        if item is None:
            continue
        where = f"guidance/{name} [{item.id}]"
        if name.removesuffix(".yaml") != item.id:
            problems.add(where, "the file name must be the item id")
        if item.id in seen:
            problems.add(where, "duplicate guidance id")
        seen.add(item.id)
        _check_shape(where, item, options, vocab, problems)
        applies = check_truth(f"{where} applies_when", item.applies_when, vocab, problems)
        covered = None
        if item.covered_when is not None:
            covered = check_condition(f"{where} covered_when", item.covered_when, vocab,
                                      problems)
        if applies is not None and (covered is not None or item.covered_when is None):
            compiled.append(CompiledItem(item, applies, covered))
    return GuidanceLayer(tuple(compiled))


_REACHES: dict[Effect, set[str]] = {
    "narrows": {"supports", "narrows", "undecided"},
    "adds": {"supports", "narrows", "undecided"},
    "widens": {"widens", "supports", "undecided"},
    "withdrawn": {"withdrawn"},
    "noted": {"noted"},
}


def _check_shape(where: str, item: GuidanceItem, options: set[str], vocab: Vocabularies,
                 problems: Problems) -> None:
    if item.dates.review_by <= item.dates.checked:
        problems.add(where, "review_by must come after the date the page was checked")
    if not item.url.startswith("https://"):
        problems.add(where, "the publisher's page must be an https address")
    if item.option is not None and item.option not in options:
        problems.add(where, f"unknown option '{item.option}'")
    if item.effect in ("narrows", "adds") and (item.option is None or item.covered_when is None):
        problems.add(where, f"'{item.effect}' needs the option it speaks about and covered_when")
    if item.effect == "widens" and (item.option is None) == (item.new_option is None):
        problems.add(where, "'widens' needs either an option of the pages or a new_option")
    if item.new_option is not None:
        for unknown in sorted(set(item.new_option.drugs) - vocab.get("drugs", set())):
            problems.add(where, f"unknown drug '{unknown}'")
        if item.new_option.id in options:
            problems.add(where, f"'{item.new_option.id}' is an option of the pages already")
    reachable = _REACHES[item.effect]
    for outcome in sorted(reachable):
        if outcome == "supports" and item.effect == "widens" and item.option is None:
            continue
        if getattr(item.says, outcome) is None:
            problems.add(where, f"says nothing for the outcome '{outcome}'")
    for outcome in Says.model_fields:
        if outcome not in reachable and getattr(item.says, outcome) is not None:
            problems.add(where, f"'{item.effect}' never reaches the outcome '{outcome}'")
    expected = {case.expect for case in item.cases}
    if "does-not-apply" not in expected or expected == {"does-not-apply"}:
        problems.add(where, "needs example cases where it applies and where it does not")


def _outcome(
    c: CompiledItem, facts: Mapping[str, FactValue], suggested: set[str]
) -> tuple[Outcome, tuple[str, ...]] | None:
    """What the item says for these facts, with its reasons; None when it does not apply."""
    item = c.item
    if c.applies(facts) is not True:
        return None
    if item.effect != "widens" and item.option is not None and item.option not in suggested:
        return None  # it speaks only about an option the pages suggest here
    if item.effect in ("withdrawn", "noted"):
        return item.effect, ()
    truth, why = c.covered(facts) if c.covered is not None else (True, ())
    if item.effect == "widens":
        if truth is False:
            return None
        if truth is None:
            return "undecided", why
        return ("supports" if item.option in suggested else "widens"), why
    return ("supports" if truth else "narrows" if truth is False else "undecided"), why


def apply_guidance(
    layer: GuidanceLayer, facts: Mapping[str, FactValue], options: Sequence[OptionOut],
    names: Mapping[str, str], today: dt.date,
) -> GuidanceOut:
    """The layer's word on one case: every item that applies, what it changes and why."""
    suggested = {o.id for o in options}
    items: list[GuidanceItemOut] = []
    missing: dict[str, set[str]] = {}
    for c in layer.items:
        found = _outcome(c, facts, suggested)
        if found is None:
            continue
        outcome, why = found
        item = c.item
        if outcome == "undecided" and item.covered_when is not None:
            for name in sorted(facts_used(item.covered_when)):
                if facts.get(name) is None:
                    missing.setdefault(FACTS[name].field, set()).add(item.id)
        option = item.new_option.id if item.new_option else item.option
        items.append(built(
            GuidanceItemOut, id=item.id, publisher=item.publisher, reference=item.reference,
            title=item.title, url=item.url, section=item.section, region=item.region,
            nation=item.nation, funding=" ".join(item.funding.split()),
            published=item.dates.published, last_updated=item.dates.last_updated,
            checked=item.dates.checked, review_by=item.dates.review_by,
            review_overdue=today > item.dates.review_by, effect=item.effect, outcome=outcome,
            option=option,
            option_name=(item.new_option.name if item.new_option
                         else names.get(item.option or "")),
            text=" ".join((getattr(item.says, outcome) or "").split()),
            reasons=list(dict.fromkeys(why)), plain=" ".join(item.plain.split()),
        ))
    return built(
        GuidanceOut, layer=LAYER, items=items,
        missing=[built(MissingOut, field=field, affects=sorted(ids),
                       why=f"Not known: {_labels(field)}. It decides what current guidance "
                       "says for this case.")
                 for field, ids in sorted(missing.items())],
        warnings=[f"{i.publisher} {i.reference} was due to be checked again by "
                  f"{i.review_by}; check that it still holds." for i in items
                  if i.review_overdue],
    )


def _labels(field: str) -> str:
    return " / ".join(sorted({s.label for s in FACTS.values() if s.field == field}))
