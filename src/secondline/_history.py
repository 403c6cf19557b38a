"""The treatment history as episodes: treatments that overlap in time form one episode.

Teams record a combination either as one treatment or as several (chemotherapy and a
TKI side by side), and in any order. Grouping by overlap makes "the most recent
treatment" and "the treatment that brought the remission" mean the same whichever way
the history was written down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from secondline._case import Treatment

_RANK = {"complete-remission": 3, "partial-remission": 2, "no-response": 1}


@dataclass(frozen=True, slots=True)
class Episode:
    treatments: tuple[Treatment, ...]
    start: dt.date
    #: None while any treatment in it has a start but no end
    end: dt.date | None

    @property
    def complete_remission_ends(self) -> list[dt.date]:
        return [
            t.ended for t in self.treatments
            if t.response == "complete-remission" and t.ended is not None
        ]


def episodes(treatments: list[Treatment]) -> list[Episode]:
    """Dated treatments grouped into non-overlapping episodes, oldest first.

    A treatment with neither date cannot be placed in time and is left out here.
    """
    spans = sorted(
        (
            (t.started or t.ended or dt.date.min, t.ended or dt.date.max, t)
            for t in treatments
            if t.started or t.ended
        ),
        key=lambda span: (span[0], span[1]),
    )
    grouped: list[tuple[dt.date, dt.date, list[Treatment]]] = []
    for start, end, treatment in spans:
        if grouped and start <= grouped[-1][1]:
            first, last, members = grouped[-1]
            grouped[-1] = (first, max(last, end), [*members, treatment])
        else:
            grouped.append((start, end, [treatment]))
    return [
        Episode(tuple(members), start, None if end == dt.date.max else end)
        for start, end, members in grouped
    ]


def best_response(treatments: list[Treatment] | tuple[Treatment, ...]) -> str | None:
    known = [t.response for t in treatments if t.response in _RANK]
    return max(known, key=_RANK.__getitem__) if known else None


def remission_start(history: list[Episode], relapse: dt.date) -> dt.date | None:
    """When the remission before ``relapse`` began: the first end of a treatment that
    brought a complete remission, in the latest episode that holds one."""
    for episode in reversed(history):
        ends = [day for day in episode.complete_remission_ends if day <= relapse]
        if ends:
            return min(ends)
    return None


def after_first_remission(history: list[Episode]) -> Episode | None:
    """The episode that follows the first one that brought a complete remission."""
    for i, episode in enumerate(history):
        if episode.complete_remission_ends:
            return history[i + 1] if i + 1 < len(history) else None
    return None
