"""The sources behind the knowledge, with their review dates judged at a given day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from secondline._assessment import SourceOut
from secondline._knowledge import Knowledge


def judged_sources(
    knowledge: Knowledge, today: dt.date, ids: Iterable[str] | None = None
) -> list[SourceOut]:
    """The named sources (all of them when ``ids`` is None), each once, in the order
    given; ``review_overdue`` is None where the page prints no review date."""
    chosen = knowledge.sources if ids is None else dict.fromkeys(ids)
    out = []
    for source_id in chosen:
        s = knowledge.sources[source_id]
        out.append(SourceOut(
            id=s.id, title=s.title, publisher=s.publisher, url=s.url,
            last_reviewed=s.last_reviewed, next_review_due=s.next_review_due,
            review_overdue=None if s.next_review_due is None else s.next_review_due < today,
        ))
    return out
