"""The treatment history as episodes: treatments that overlap in time form one episode.

Teams record a combination either as one treatment or as several (chemotherapy and a
TKI side by side), and in any order. Grouping by overlap makes "the most recent
treatment" and "the treatment that brought the remission" mean the same whichever way
the history was written down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

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
    # one pass over the sorted spans, each member appended once: n log n in all, however
    # many treatments overlap
    starts: list[dt.date] = []
    ends: list[dt.date] = []
    groups: list[list[Treatment]] = []
    for start, end, treatment in spans:
        if groups and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
            groups[-1].append(treatment)
        else:
            starts.append(start)
            ends.append(end)
            groups.append([treatment])
    return [
        Episode(tuple(members), start, None if end == dt.date.max else end)
        for start, end, members in zip(starts, ends, groups, strict=True)
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


def after_latest_relapse(history: list[Episode], state: str) -> int | None:
    """The index of the first episode given after the latest relapse, if one is recorded.

    A relapse follows an episode that brought a complete remission. When the leukaemia
    has come back now, the latest relapse follows the last such episode. When it is in
    remission again, the latest relapse came before the treatment that brought this
    remission: an episode that brought a remission and was followed by one that did not
    marks a relapse for certain, so the latest of those is used; without one, the
    relapse is taken to follow the episode before the one that brought this remission.
    A course recorded apart from the treatment that brought a remission (consolidation,
    say) can shift the second reading by one episode, so the prognostic factor says which
    episode it used.
    """
    brought = [i for i, e in enumerate(history) if e.complete_remission_ends]
    if state == "remission":
        marked = [i for i in brought if i + 1 < len(history)
                  and not history[i + 1].complete_remission_ends]
        brought = marked or brought[:-1]
    if not brought:
        return None
    following = brought[-1] + 1
    return following if following < len(history) else None


How = Literal["no-response", "came-back"]


@dataclass(frozen=True, slots=True)
class Course:
    """One earlier treatment, placed in the history: its episode, and whether it failed."""

    #: the episode it belongs to (1 = the first); 0 for a treatment with neither date
    episode: int
    treatment: Treatment
    #: no-response: it gave no response; came-back: the leukaemia had gone into remission
    #: on it and was found back while it was still being given; None: it did not fail
    failed: How | None = None
    #: the day the leukaemia was found back, for ``came-back``
    relapse: dt.date | None = None


def _given_on(treatment: Treatment, day: dt.date) -> bool:
    """Whether the treatment was (or may still have been) under way on ``day``.

    It must have started before ``day`` (a treatment that starts on the day the relapse
    is found is treatment for it) and not ended before it. No end date means it may
    still be going on; no start date means it is known only to have ended, so it counts
    when it ended on or after ``day``.
    """
    started, ended = treatment.started, treatment.ended
    if started is None and ended is None:
        return False
    return (started is None or started < day) and (ended is None or ended >= day)


def courses(
    history: list[Episode], undated: list[Treatment], relapse: dt.date | None
) -> list[Course]:
    """Every earlier treatment, oldest first, each with whether it failed.

    A treatment failed when its recorded response is no response, or when it had brought
    a complete remission and the relapse found on ``relapse`` was found while it was
    still being given (a treatment still running when an assessment shows leukaemia it
    never cleared is not yet known to have failed: its response says). Treatments with
    neither date come last, with episode 0; only their recorded response can count.
    """
    found: list[Course] = []
    for number, episode in enumerate(history, 1):
        for t in episode.treatments:
            if t.response == "no-response":
                found.append(Course(number, t, "no-response"))
            elif (relapse is not None and t.response == "complete-remission"
                  and _given_on(t, relapse)):
                found.append(Course(number, t, "came-back", relapse))
            else:
                found.append(Course(number, t))
    for t in undated:
        found.append(Course(0, t, "no-response" if t.response == "no-response" else None))
    return found
