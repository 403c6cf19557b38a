"""An assessment as CDS Hooks cards.

* **The overview** (``info``; ``warning`` when a missing fact leaves an option undecided
  or the state is unknown): the state and the main choice in the summary; in the detail
  the one-sentence summary, the plan step by step, what is not suggested and why, the
  missing facts, where the sources are silent, what of the record was not read and why
  (resource ids, and search results with pages not read), the numbered sources and the
  disclaimer.
* **One card per option** (``info``) of a step whose options stand side by side, its
  ``source.topic`` the option id: its reasons and numbered citations.
* **One card per choice** (``info``): a step whose options are alternatives
  (``choose: one``) is one card, topic the step id, with one suggestion per option
  (``selectionBehavior: at-most-one``; none marked recommended: secondline does not
  rank what the pages do not), each creating a draft request (intent ``proposal``) that
  carries the option id.
* **Check before acting** (``warning``): the cautions and the cited pages past their
  review date, when there are any.
* With the current-guidance layer on, **one card per guidance item**, apart from the
  pages' cards: dated, cited, topic the item id; ``warning`` when it narrows, withdraws
  or leaves undecided an option of the pages, ``info`` otherwise.

secondline never sends ``critical``: it lists options to discuss and prescribes nothing.
Every card and suggestion has a ``uuid`` made from the hook call's ``hookInstance`` and
what it is about (a name-based UUID), so the same call gives the same uuids and feedback
can name them. Each card links to the MDT page; no link carries anything of the patient.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from secondline._assessment import (
    Assessment,
    GuidanceItemOut,
    OptionOut,
    PlanStepOut,
    SourceOut,
)
from secondline._cds_hooks.models import (
    MAX_SUMMARY,
    Action,
    Card,
    Coding,
    Link,
    OverrideReason,
    Source,
    Suggestion,
)
from secondline._fhir.mapping import load_mapping
from secondline._schema import Citation

#: the namespace of the cards' name-based UUIDs
CARD_NAMESPACE = uuid.UUID("9a0c7c55-4b8e-5d52-9b1f-6f0b2c1d3e4a")
_STATE = {"relapsed": "Relapsed {d}", "refractory": "Refractory {d}",
          "remission": "{d} in remission", "untreated": "Untreated {d}",
          "unknown": "{d}, state not known"}
_CAUTIOUS = {"narrows", "withdrawn", "undecided"}
#: lines of "not read from the record" shown on the overview card
MAX_NOT_READ = 30


@dataclass(frozen=True)
class CardContext:
    service_id: str
    hook_instance: str
    patient_id: str
    #: the MDT page, as an absolute URL
    mdt_url: str
    override_reasons: tuple[OverrideReason, ...]

    def uuid(self, *parts: str) -> str:
        key = "|".join((self.service_id, self.hook_instance, *parts))
        return str(uuid.uuid5(CARD_NAMESPACE, key))


def short(text: str, limit: int = MAX_SUMMARY) -> str:
    """``text`` within ``limit`` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def state_phrase(result: Assessment) -> str:
    return _STATE[result.status.state].format(d=result.disease)


class _Cites:
    """Numbered citations for one card's detail."""

    def __init__(self, sources: list[SourceOut]) -> None:
        self.sources = {s.id: s for s in sources}
        self.listed: list[Citation] = []
        self._numbers: dict[tuple[str, str], int] = {}

    def number(self, cite: Citation) -> int:
        key = (cite.source, cite.section)
        if key not in self._numbers:
            self.listed.append(cite)
            self._numbers[key] = len(self.listed)
        return self._numbers[key]

    def label(self, cite: Citation) -> str:
        source = self.sources.get(cite.source)
        return f"{source.publisher if source else cite.source} › {cite.section}"

    def markdown(self) -> str:
        lines = ["**Sources**", ""]
        for i, cite in enumerate(self.listed, start=1):
            source = self.sources.get(cite.source)
            text = self.label(cite)
            shown = f"[{text}]({source.url})" if source and source.url else text
            overdue = (f" — past its review date ({source.next_review_due})"
                       if source and source.review_overdue else "")
            lines.append(f"{i}. {shown}{overdue}")
        return "\n".join(lines)

    def source(self, cites: list[Citation], topic: Coding) -> Source:
        first = next(iter(cites), None)
        if first is None:
            return Source(label="secondline", topic=topic)
        s = self.sources.get(first.source)
        return Source(label=f"secondline: {self.label(first)}",
                      url=s.url if s and s.url else None, topic=topic)


def _option_md(option: OptionOut, cites: _Cites) -> str:
    marks = "".join(f"[{cites.number(c)}]" for c in option.sources)
    where = ("only within a clinical trial" if option.availability == "clinical-trial"
             else "standard")
    lines = [f"**{option.name}** ({where}) {marks}", "", option.summary]
    if option.how_given:
        lines += ["", f"How it is given: {option.how_given}"]
    lines += ["", "Why, for this case:", *(f"- {r}" for r in option.reasons)]
    return "\n".join(lines)


def _footer(result: Assessment, cites: _Cites) -> str:
    return f"{cites.markdown()}\n\n*{result.disclaimer}*"


class _Builder:
    def __init__(self, result: Assessment, ctx: CardContext) -> None:
        self.result = result
        self.ctx = ctx
        self.out = load_mapping().data.output
        self.state = state_phrase(result)
        self.links = [Link(label="secondline's MDT page (enter or load the case there)",
                           url=ctx.mdt_url, type="absolute")]

    def card(self, topic: Coding, summary: str, detail: str, indicator: str,
             source: Source, **more: object) -> Card:
        return Card.model_validate({
            "uuid": self.ctx.uuid(topic.system or "", topic.code), "summary": short(summary),
            "detail": detail, "indicator": indicator, "source": source,
            "links": self.links, **more})

    def overview(self, not_read: list[str]) -> Card:
        r = self.result
        count = len(r.options)
        first = f", first {r.options[0].name}" if r.plan and r.options else ""
        steps = f" in {len(r.plan)} steps" if len(r.plan) > 1 else ""
        said = (f"{count} option{'s' if count != 1 else ''} to discuss{steps}{first}" if count
                else "no option the pages describe; see why")
        missing = f"; {len(r.missing)} missing facts" if r.missing else ""
        cites = _Cites(r.sources)
        lines = [f"**secondline**: {r.summary}", "", "**The plan**, in the order the pages "
                 "describe (an order is a preference only where a page states one):", ""]
        names = {o.id: o.name for o in r.options}
        for i, step in enumerate(r.plan, start=1):
            choose = " (choose one)" if step.choose == "one" else ""
            lines.append(f"{i}. *{step.title}*{choose}: "
                         f"{', '.join(names[o] for o in step.options)}")
        if r.not_suggested:
            lines += ["", "**Not suggested, and why:**"]
            lines += [f"- {n.name} — {n.outcome}: {n.reasons[0] if n.reasons else ''} "
                      f"{''.join(f'[{cites.number(c)}]' for c in n.sources)}".rstrip()
                      for n in r.not_suggested]
        if r.missing:
            lines += ["", "**Missing facts that could change this:**"]
            lines += [f"- `{m.field}`: {m.why} ({', '.join(m.affects)})" for m in r.missing]
        if r.gaps:
            lines += ["", "**Where the sources are silent** (the team decides):"]
            lines += [f"- {g.text} {''.join(f'[{cites.number(c)}]' for c in g.sources)}"
                      .rstrip() for g in r.gaps]
        if not_read:
            lines += ["", f"**Not read from the record** ({len(not_read)}; the case above "
                      "holds none of it):"]
            lines += [f"- {line}" for line in not_read[:MAX_NOT_READ]]
            if len(not_read) > MAX_NOT_READ:
                lines.append(f"- and {len(not_read) - MAX_NOT_READ} more")
        undecided = any(n.outcome == "undecided" for n in r.not_suggested)
        indicator = "warning" if undecided or r.status.state == "unknown" else "info"
        topic = Coding(system=self.out.card_codes, code="assessment",
                       display="secondline's assessment")
        return self.card(topic, f"{self.state}: {said}{missing}",
                         "\n".join(lines) + "\n\n" + _footer(r, cites), indicator,
                         Source(label="secondline", topic=topic))

    def option_card(self, step: PlanStepOut, option: OptionOut) -> Card:
        cites = _Cites(self.result.sources)
        trial = " (within a trial)" if option.availability == "clinical-trial" else ""
        topic = Coding(system=self.out.option_codes, code=option.id, display=option.name)
        return self.card(
            topic, f"To discuss: {option.name}{trial} ({step.title.lower()}) — "
                   f"{self.state}",
            f"*{step.title}* — {step.about}\n\n{_option_md(option, cites)}\n\n"
            f"{_footer(self.result, cites)}", "info", cites.source(option.sources, topic),
            overrideReasons=list(self.ctx.override_reasons))

    def choice_card(self, step: PlanStepOut, options: list[OptionOut]) -> Card:
        from secondline._fhir.request_group import option_request

        cites = _Cites(self.result.sources)
        topic = Coding(system=self.out.step_codes, code=step.step, display=step.title)
        names = " or ".join(o.name for o in options)
        detail = [f"*{step.title}* — choose one. {step.about}", ""]
        detail += [_option_md(o, cites) + "\n" for o in options]
        subject = {"reference": f"Patient/{self.ctx.patient_id}"}
        suggestions = [Suggestion(
            label=f"Propose {o.name} for the team to discuss (a draft)",
            uuid=self.ctx.uuid(topic.system or "", step.step, "suggestion", o.id),
            actions=[Action(type="create", description=(
                f"Create a draft proposal of {o.name} (intent proposal, status draft), for "
                "the treating team to discuss; nothing is ordered"),
                resource=option_request(o.id, o.name, subject, intent="proposal",
                                        reasons=o.reasons))])
            for o in options]
        return self.card(
            topic, f"To discuss, one of: {names} ({step.title.lower()}) — {self.state}",
            "\n".join(detail) + "\n" + _footer(self.result, cites), "info",
            cites.source([c for o in options for c in o.sources] or step.sources, topic),
            suggestions=suggestions, selectionBehavior="at-most-one",
            overrideReasons=list(self.ctx.override_reasons))

    def cautions(self) -> Card | None:
        r = self.result
        overdue = [s for s in r.sources if s.review_overdue]
        if not r.cautions and not overdue:
            return None
        cites = _Cites(r.sources)
        lines = []
        if r.cautions:
            lines += ["**Cautions for the team:**"]
            lines += [f"- {c.text} {''.join(f'[{cites.number(x)}]' for x in c.sources)}"
                      for c in r.cautions]
        if overdue:
            lines += ["", "**Cited pages past their review date** (check that what they say "
                      "still holds):"]
            lines += [f"- {s.publisher}, *{s.title}*: due {s.next_review_due}"
                      + (f" ({s.url})" if s.url else "") for s in overdue]
        said = [f"{len(r.cautions)} caution{'s' if len(r.cautions) != 1 else ''}"] \
            if r.cautions else []
        if overdue:
            said.append(f"{len(overdue)} cited page{'s' if len(overdue) != 1 else ''} past "
                        "review date")
        topic = Coding(system=self.out.card_codes, code="cautions",
                       display="Cautions and sources to check")
        return self.card(topic, f"{self.state}: check before acting — {'; '.join(said)}",
                         "\n".join(lines) + "\n\n" + _footer(r, cites), "warning",
                         Source(label="secondline: cautions and sources to check",
                                topic=topic))

    def guidance_card(self, item: GuidanceItemOut) -> Card:
        about = f" {item.option_name}" if item.option_name else ""
        topic = Coding(system=self.out.guidance_codes, code=item.id,
                       display=f"{item.publisher} {item.reference}")
        where = f"{item.nation}, {item.region}" if item.nation else item.region
        overdue = ("\n\n**Past secondline's date to read it again**; check the page."
                   if item.review_overdue else "")
        detail = (f"**Newer guidance, apart from the pages' answer** (the opt-in current-"
                  f"guidance layer)\n\n**{item.publisher} {item.reference}**: {item.title} "
                  f"({where}). {item.text}\n\nFunding: {item.funding}.\n\n"
                  + "\n".join(f"- {r}" for r in item.reasons)
                  + f"\n\nSource: [{item.publisher} › {item.section}]({item.url}); read on "
                  f"{item.checked}, to be read again by {item.review_by}.{overdue}\n\n"
                  f"*{self.result.disclaimer}*")
        return self.card(
            topic, f"Newer guidance, {item.reference} (read {item.checked}): "
                   f"{item.outcome}{about}", detail,
            "warning" if item.outcome in _CAUTIOUS or item.review_overdue else "info",
            Source(label=f"secondline current guidance: {item.publisher} {item.reference}",
                   url=item.url, topic=topic),
            overrideReasons=list(self.ctx.override_reasons))


def cards_for(result: Assessment, ctx: CardContext,
              not_read: list[str] | None = None) -> list[Card]:
    """The cards for one assessment, overview first; ``not_read``: what of the record
    was not read, and why (listed on the overview)."""
    b = _Builder(result, ctx)
    options = {o.id: o for o in result.options}
    cards = [b.overview(not_read or [])]
    for step in result.plan:
        if step.choose == "one":
            cards.append(b.choice_card(step, [options[i] for i in step.options]))
        else:
            cards += [b.option_card(step, options[i]) for i in step.options]
    caution = b.cautions()
    if caution is not None:
        cards.append(caution)
    if result.guidance is not None:
        cards += [b.guidance_card(item) for item in result.guidance.items]
    return cards


def unreadable_card(problems: list[str], ctx: CardContext) -> Card:
    """The record names a disease secondline assesses but cannot be read as a case."""
    topic = Coding(system=load_mapping().data.output.card_codes, code="unreadable",
                   display="Record not readable as a case")
    listed = "\n".join(f"- {p}" for p in problems[:30])
    return Card(
        uuid=ctx.uuid(topic.system or "", topic.code), indicator="warning",
        summary="secondline could not assess this record: facts it needs are missing or "
                "unclear",
        detail=f"secondline reads the record as a case before it lists any option; here it "
               f"could not:\n\n{listed}\n\nNo options are shown rather than options for a "
               "case that is not this person's.",
        source=Source(label="secondline", topic=topic),
        links=[Link(label="secondline's MDT page (enter the case there)", url=ctx.mdt_url,
                    type="absolute")])
