"""Where the disease stands, worked out from the facts of the case, never from a label.

Remission needs all three of the sources' criteria; relapsed means a complete remission
was reached before and the disease is back; refractory means none was ever reached.
When the facts do not decide, the state is ``unknown`` and the reasons say why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from secondline._case import Case
from secondline._dates import months_between
from secondline._history import Episode, episodes, remission_start
from secondline._schema import Definitions


@dataclass(frozen=True, slots=True)
class Remission:
    blood_counts_normal: bool | None
    marrow_blasts_below_threshold: bool | None
    no_extramedullary_disease: bool | None
    in_remission: bool | None


@dataclass(frozen=True, slots=True)
class Status:
    state: str
    remission: Remission
    mrd: str
    mrd_method: str | None
    months_since_last_treatment: float | None
    remission_length_months: float | None
    relapse_date: dt.date | None
    reasons: tuple[str, ...]
    #: the treatment history grouped into episodes, oldest first
    history: tuple[Episode, ...] = ()
    #: the date of the latest assessment, and its age in days on the judging date
    assessment_date: dt.date | None = None
    assessment_age_days: int | None = None
    #: the latest assessment is older than the end of the most recent treatment
    assessment_predates_latest_treatment: bool | None = None
    #: from the end of the last treatment to the assessment that found the relapse
    months_from_last_treatment_to_relapse: float | None = None


def _kleene_all(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    if any(v is None for v in values):
        return None
    return True


def remission_criteria(case: Case, definitions: Definitions) -> Remission:
    threshold = definitions.remission.marrow_blasts_below_percent
    a = case.assessment
    if a is None:
        return Remission(None, None, None, None)
    blasts = None if a.marrow_blasts_percent is None else a.marrow_blasts_percent < threshold
    elsewhere = None if a.extramedullary is None else not a.extramedullary
    criteria = [a.blood_counts_normal, blasts, elsewhere]
    return Remission(a.blood_counts_normal, blasts, elsewhere, _kleene_all(criteria))


def _criteria_reasons(case: Case, remission: Remission, threshold: float) -> list[str]:
    a = case.assessment
    if a is None:
        return ["No disease assessment is recorded, so remission cannot be judged."]
    when = f" on {a.date.isoformat()}" if a.date else ""
    reasons = []
    counts = {True: "normal", False: "not normal", None: "not recorded"}[a.blood_counts_normal]
    reasons.append(f"Blood counts{when}: {counts}.")
    if a.marrow_blasts_percent is None:
        reasons.append("Marrow blasts: not recorded.")
    else:
        side = "below" if remission.marrow_blasts_below_threshold else "not below"
        reasons.append(
            f"Marrow blasts {a.marrow_blasts_percent:g}%: {side} the {threshold:g}% "
            "remission criterion."
        )
    if a.extramedullary is None:
        reasons.append("Leukaemia outside the marrow: not recorded.")
    elif a.extramedullary:
        reasons.append(f"Leukaemia found outside the marrow: {', '.join(a.extramedullary)}.")
    else:
        reasons.append("No leukaemia found outside the marrow.")
    return reasons


def _months_since_last(
    case: Case, history: list[Episode], today: dt.date
) -> tuple[float | None, str | None]:
    if not case.treatments:
        return None, None
    if not history:
        return None, "No earlier treatment has a date, so the time since the last is not known."
    last = history[-1]
    if last.end is None:
        return None, (
            "The most recent treatment has no end date (it may still be going on), so the "
            "time since it ended is not known."
        )
    months = months_between(last.end, today)
    return months, (
        f"The most recent treatment ended {last.end.isoformat()}, {months:.1f} months ago."
    )


def assess_status(case: Case, definitions: Definitions) -> Status:
    today = case.judged_on()
    threshold = definitions.remission.marrow_blasts_below_percent
    remission = remission_criteria(case, definitions)
    reasons = _criteria_reasons(case, remission, threshold)
    responses = [t.response for t in case.treatments]
    treated = bool(case.treatments) or bool(case.relapses) or bool(case.previous_transplant)
    ever_complete = "complete-remission" in responses or bool(case.relapses)
    history = episodes(case.treatments)
    months_since, since_reason = _months_since_last(case, history, today)

    if not treated:
        state = "untreated"
        reasons.append("No earlier treatment is recorded.")
    elif remission.in_remission is True:
        state = "remission"
        reasons.append("All three remission criteria are met.")
    elif remission.in_remission is False:
        if ever_complete:
            state = "relapsed"
            reasons.append(
                "A complete remission was reached before and the leukaemia is back."
                if "complete-remission" in responses
                else "Relapses are recorded, so a complete remission was reached before; "
                "the leukaemia is back."
            )
        elif not case.treatments or "unknown" in responses:
            state = "unknown"
            reasons.append(
                "The leukaemia is present, but the responses to earlier treatment are not "
                "all recorded, so it cannot be told whether a complete remission was ever "
                "reached."
            )
        else:
            state = "refractory"
            reasons.append("The leukaemia is present and no complete remission was ever reached.")
    else:
        state = "unknown"
        reasons.append("The latest assessment does not show all three remission criteria.")

    if since_reason:
        reasons.append(since_reason)
    a = case.assessment
    relapse_date = (a.date if a and a.date else today) if state == "relapsed" else None
    began = remission_start(history, relapse_date) if relapse_date else None
    remission_length = months_between(began, relapse_date) if began and relapse_date else None
    last_end = history[-1].end if history else None
    to_relapse = months_between(last_end, relapse_date) if last_end and relapse_date else None
    dated = a.date if a else None
    age_days = (today - dated).days if dated else None
    # the latest treatment ended (or, still going on, started) after the assessment
    latest = (history[-1].end or history[-1].start) if history else None
    predates = None if dated is None or latest is None else dated < latest
    if dated is not None:
        reasons.append(
            f"The latest assessment is from {dated.isoformat()}, {age_days} "
            f"day{'' if age_days == 1 else 's'} before {today.isoformat()}."
        )
    if to_relapse is not None and to_relapse >= 0:
        reasons.append(
            f"The relapse was found {to_relapse:.1f} months after the most recent treatment "
            "ended."
        )
    elif to_relapse is not None:
        reasons.append("The relapse was found before the most recent treatment ended.")
    mrd = a.mrd if a else "unknown"
    if mrd != "unknown":
        method = f" by {a.mrd_method}" if a and a.mrd_method else ""
        reasons.append(f"MRD {mrd}{method}.")
    return Status(
        state=state,
        remission=remission,
        mrd=mrd,
        mrd_method=a.mrd_method if a else None,
        months_since_last_treatment=months_since,
        remission_length_months=remission_length,
        relapse_date=relapse_date,
        reasons=tuple(reasons),
        history=tuple(history),
        assessment_date=dated,
        assessment_age_days=age_days,
        assessment_predates_latest_treatment=predates,
        months_from_last_treatment_to_relapse=to_relapse,
    )
