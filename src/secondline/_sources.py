"""The sources behind the knowledge, with their review dates judged at a given day."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from weakref import WeakKeyDictionary

from secondline._assessment import SourceOut
from secondline._knowledge import Knowledge

#: each source as shown, for each answer to "is its review overdue?", per knowledge base.
#: A SourceOut holds only text, dates and a flag, so one instance can be shared by every
#: assessment; building it again for each costs more than the rest of this module.
_SHOWN: WeakKeyDictionary[Knowledge, dict[tuple[str, bool | None], SourceOut]] = (
    WeakKeyDictionary()
)


def _shown(knowledge: Knowledge, source_id: str, overdue: bool | None) -> SourceOut:
    shown = _SHOWN.get(knowledge)
    if shown is None:
        shown = _SHOWN.setdefault(knowledge, {})
    out = shown.get((source_id, overdue))
    if out is None:
        s = knowledge.sources[source_id]
        out = shown[source_id, overdue] = SourceOut(
            id=s.id, title=s.title, publisher=s.publisher, url=s.url,
            last_reviewed=s.last_reviewed, next_review_due=s.next_review_due,
            review_overdue=overdue,
        )
    return out


@functools.lru_cache(maxsize=256)
def _review_warning(publisher: str, title: str, due: dt.date | None) -> str:
    return (f"{publisher}, '{title}', was due for review on {due}; check that what it says "
            "still holds.")


def review_warning(source: SourceOut) -> str:
    """The warning for a source past its review date (the same few texts, kept once)."""
    return _review_warning(source.publisher, source.title, source.next_review_due)


def judged_sources(
    knowledge: Knowledge, today: dt.date, ids: Iterable[str] | None = None
) -> list[SourceOut]:
    """The named sources (all of them when ``ids`` is None), each once, in the order
    given; ``review_overdue`` is None where the page prints no review date."""
    chosen = knowledge.sources if ids is None else dict.fromkeys(ids)
    out = []
    for source_id in chosen:
        due = knowledge.sources[source_id].next_review_due
        out.append(_shown(knowledge, source_id, None if due is None else due < today))
    return out
