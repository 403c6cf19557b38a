"""The vectorised engine: every option's outcome, the missing facts and the cautions for
a whole frame of valid cases, with the answers ``assess`` gives one case at a time.

It follows ``_engine._evaluate_option`` and ``_holds.holds_for`` step for step, each step
an expression over every row: the shared and the option's own exclusions, the disease
the option is for, its conditions (with the clinical-trial reading when they are not
met), then its holds: its own ``undecided_when``, the not-fit hold for intensive options,
and the history holds (a treatment that failed, or one given before), judged per episode
as ``_holds._earlier`` does. The facts noted as missing along the way are noted here
under the same conditions, as one boolean per option and fact.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

import polars as pl

from secondline._case import Disease
from secondline._cohort._derive import derive
from secondline._cohort._expr import MASK, SetBits, any_of, compile_expr, fields_of, set_bits
from secondline._cohort._frame import ROW
from secondline._cohort._guidance import GUIDANCE_COLUMNS, guidance_columns
from secondline._compile import CompiledOption
from secondline._conditions import Condition, facts_used
from secondline._knowledge import Knowledge, load_knowledge

Guidance = Literal["current"] | None

#: the outcome of an option not suggested, or its availability when suggested
OUTCOMES = ("standard", "clinical-trial", "excluded", "not-indicated", "undecided")


def _code(outcome: str) -> pl.Expr:
    """An outcome as the small number its column holds (its place in ``OUTCOMES``):
    numbers are compared faster than text, and the output spells out ids, not these."""
    return pl.lit(OUTCOMES.index(outcome), dtype=pl.UInt8)


@dataclass(frozen=True)
class _Option:
    compiled: CompiledOption
    #: the history holds' masks: the drugs and the kinds that count as this option
    drugs: int
    kinds: int


def _mask(value: int) -> pl.Expr:
    return pl.lit(value, dtype=MASK)


def _history_flags(t: pl.DataFrame, options: list[_Option]) -> pl.DataFrame:
    """Per case and option: an episode that gave it failed (``failed``), or one gave it
    and did not fail (``given``), as ``_holds._earlier`` groups them.

    A group's treatments are summed up as masks (all its drugs and kinds, and those of
    its failed treatments: a failed treatment gave the option exactly when the failed
    masks meet the option's), and the options' flags are bits of two masks per case."""
    held = [o for o in options if o.compiled.option.same_treatment is not None]
    if not held:
        return t.select(ROW).unique()
    assert len(held) <= 64
    drugs, kinds, zero = pl.col("drug_mask"), pl.col("kind_mask"), _mask(0)
    per_group = t.group_by("group_key", maintain_order=True).agg(
        pl.col(ROW).first(),
        drugs.bitwise_or().alias("g_drugs"),
        kinds.bitwise_or().alias("g_kinds"),
        pl.when(pl.col("failed")).then(drugs).otherwise(zero).bitwise_or().alias("f_drugs"),
        pl.when(pl.col("failed")).then(kinds).otherwise(zero).bitwise_or().alias("f_kinds"),
    )
    failed_bits, given_bits = [], []
    for i, o in enumerate(held):
        same = o.compiled.option.same_treatment
        assert same is not None
        wanted = pl.col("g_drugs") & _mask(o.drugs)
        every = pl.lit(True) if same.match == "any" else wanted == _mask(o.drugs)
        match = ((pl.col("g_kinds") & _mask(o.kinds)) != 0) | ((wanted != 0) & every)
        failed_here = (((pl.col("f_drugs") & _mask(o.drugs)) != 0)
                       | ((pl.col("f_kinds") & _mask(o.kinds)) != 0))
        failed_bits.append(pl.when(match & failed_here).then(_mask(1 << i)).otherwise(zero))
        given_bits.append(pl.when(match & ~failed_here).then(_mask(1 << i)).otherwise(zero))
    per_case = per_group.select(
        pl.col(ROW).set_sorted(), pl.sum_horizontal(failed_bits).alias("failed"),
        pl.sum_horizontal(given_bits).alias("given"),
    ).group_by(ROW).agg(pl.col("failed").bitwise_or(), pl.col("given").bitwise_or())
    return per_case.select(ROW, *(
        ((pl.col(flag) & _mask(1 << i)) != 0).alias(f"{o.compiled.option.id}|{flag}")
        for i, o in enumerate(held) for flag in ("failed", "given")))


class Steps:
    """Expressions in stages: each stage refers only to columns made before it, so no
    part is worked out twice (one nested expression would repeat its shared parts)."""

    def __init__(self, bits: SetBits, prefix: str = "truth") -> None:
        self.bits = bits
        self.prefix = prefix
        self.truths: dict[str, pl.Expr] = {}
        self.stages: list[list[pl.Expr]] = [[], [], [], [], [], []]
        self._trees: dict[int, str] = {}
        self._diseases: dict[frozenset[str], pl.Expr] = {}

    def truth(self, cond: Condition | None) -> pl.Expr:
        """The column of a tree's truth (a rule without one always holds)."""
        if cond is None:
            return pl.lit(True)
        name = self._trees.get(id(cond))
        if name is None:
            name = self._trees[id(cond)] = f"{self.prefix}|{len(self._trees)}"
            self.stages[0].append(compile_expr(cond, self.bits).alias(name))
        return pl.col(name)

    def disease_in(self, diseases: Iterable[str]) -> pl.Expr:
        """The column of whether the case's disease is one of ``diseases`` (each set
        tested once, however many options share it)."""
        wanted = frozenset(diseases)
        found = self._diseases.get(wanted)
        if found is None:
            found = self._diseases[wanted] = self.add(
                1, f"disease|{len(self._diseases)}", pl.col("disease").is_in(sorted(wanted)))
        return found

    def add(self, stage: int, name: str, expr: pl.Expr) -> pl.Expr:
        self.stages[stage].append(expr.alias(name))
        return pl.col(name)


@dataclass(frozen=True)
class CohortEngine:
    """The knowledge compiled for tables, once per knowledge base."""

    knowledge: Knowledge
    bits: SetBits
    options: tuple[_Option, ...]

    def assess(self, frame: pl.DataFrame, as_of: dt.date | None = None,
               today: dt.date | None = None, guidance: Guidance = None) -> pl.DataFrame:
        """One output row per valid case of ``frame``: its row number, reference,
        disease and state, the suggested option ids by availability, the options not
        suggested with their outcome, the missing fields with the options they affect,
        and the caution ids; with ``guidance="current"``, the items of the current
        guidance that apply and what each says (``GUIDANCE_COLUMNS``)."""
        facts, t = derive(frame, self.knowledge, self.bits, as_of, today or dt.date.today())
        flags = _history_flags(t, list(self.options))
        facts = facts.join(flags, on=ROW, how="left", maintain_order="left")
        steps, columns = self._plan
        staged = facts.lazy()  # one query, its shared parts worked out once
        for stage in steps.stages:
            staged = staged.with_columns(stage)
        facts = staged.collect()
        head = facts.select(ROW, "case_id", "disease", pl.col("state_shown").alias("state"))
        out = head.join(self.lists(facts, columns), on=ROW, how="left", maintain_order="left")
        if guidance is None:
            return out
        layer = Steps(self.bits, prefix="guidance-truth")
        outcomes, made = guidance_columns(
            self.knowledge.guidance, layer.truth, {o.compiled.option.id for o in self.options},
            [_code(outcome) for outcome in ("standard", "clinical-trial")])
        for stage in (layer.stages[0], outcomes, made):
            facts = facts.with_columns(stage)
        return pl.concat([out, facts.select(*GUIDANCE_COLUMNS)], how="horizontal")

    @functools.cached_property
    def _plan(self) -> tuple[Steps, list[str]]:
        steps = Steps(self.bits)
        shared = {flag: self._shared(steps, flag) for flag in (True, False)}
        noted: dict[str, dict[str, list[pl.Expr]]] = {}
        for o in self.options:
            self._option(steps, o, shared[o.compiled.option.anti_leukaemia],
                         noted.setdefault(o.compiled.option.id, {}))
        output = self._output(steps, noted)
        return steps, output

    # -- options ---------------------------------------------------------------------

    def _shared(self, steps: Steps, anti_leukaemia: bool) -> pl.Expr:
        """A shared exclusion holds for the options with this ``anti_leukaemia``."""
        found = []
        for _, rule in self.knowledge.exclusions:
            if rule.anti_leukaemia is not anti_leukaemia:
                continue
            cond = steps.truth(rule.when).fill_null(False)
            if rule.diseases is not None:
                cond = cond & pl.col("disease").is_in(list(rule.diseases))
            found.append(cond)
        return steps.add(1, f"shared|{anti_leukaemia}", any_of(found))

    def _option(self, steps: Steps, o: _Option, shared: pl.Expr,
                noted: dict[str, list[pl.Expr]]) -> None:
        """The option's outcome column, and when each fact is noted as missing for it."""
        option = o.compiled.option
        oid = option.id
        listed = steps.disease_in([*option.diseases, *option.explain_for])
        in_scope = steps.disease_in(option.diseases)
        excluded = steps.add(2, f"{oid}|excluded", (shared & in_scope) | any_of(
            steps.truth(e.when).fill_null(False) for e in option.not_when))
        suggest = steps.truth(option.suggest_when)
        trial = pl.lit(False)
        truth = suggest
        if option.trial_only_when is not None:
            trial_truth = steps.truth(option.trial_only_when)
            trial = steps.add(1, f"{oid}|trial", suggest.eq(False).fill_null(False)
                              & trial_truth.ne(False).fill_null(True))
            truth = steps.add(2, f"{oid}|truth",
                              pl.when(trial).then(trial_truth).otherwise(suggest))
        reached = listed & ~excluded & in_scope  # its conditions are asked
        undecided = steps.add(3, f"{oid}|undecided", reached & truth.is_null())
        passed = steps.add(3, f"{oid}|passed", reached & truth.eq(True).fill_null(False))

        def note(names: Iterable[str], when: pl.Expr) -> None:
            for name in names:
                noted.setdefault(name, []).append(when)

        for name in sorted(o.compiled.facts):
            note([name], undecided & pl.col(name).is_null())
        held = pl.lit(False)
        if o.compiled.holds or option.intensive or option.same_treatment:
            held_by, shaping = self._holds(steps, o)
            held = steps.add(1, f"{oid}|held", held_by)
            for name, when in shaping:
                note([name], passed & when)
        for name, when_need in self._needs(steps, o):
            note([name], passed & ~held & pl.col(name).is_null() & when_need)
        availability = pl.when(trial).then(_code("clinical-trial")).otherwise(
            _code(option.availability))
        steps.add(4, f"{oid}|outcome",
                  pl.when(~listed).then(None)
                  .when(excluded).then(_code("excluded"))
                  .when(~in_scope).then(_code("not-indicated"))
                  .when(truth.eq(False)).then(_code("not-indicated"))
                  .when(truth.is_null()).then(_code("undecided"))
                  .when(held).then(_code("undecided"))
                  .otherwise(availability))

    def _needs(self, steps: Steps, o: _Option) -> list[tuple[str, pl.Expr]]:
        return [(need, pl.lit(True)) if isinstance(need, str)
                else (need.fact, steps.truth(need.when).fill_null(False))
                for need in o.compiled.option.needs]

    def _holds(self, steps: Steps, o: _Option) -> tuple[pl.Expr, list[tuple[str, pl.Expr]]]:
        """Whether a hold applies, and the facts the holds note as missing (and when):
        every fact a hold tests, when it cannot be told (``_holds.holds_for``)."""
        option = o.compiled.option
        held: list[pl.Expr] = []
        shaping: list[tuple[str, pl.Expr]] = []
        for hold in option.undecided_when:
            truth = steps.truth(hold.when)
            held.append(truth.fill_null(False))
            shaping += [(name, truth.is_null()) for name in sorted(facts_used(hold.when))]
        rules = self.knowledge.holds
        if option.intensive is not None:
            truth = steps.truth(rules.rules.not_fit_for_intensive.when)
            held.append(truth.fill_null(False))
            shaping += [(name, truth.is_null()) for name in sorted(rules.not_fit_facts)]
        same = option.same_treatment
        if same is not None:
            unrecorded = (((pl.col("unrecorded_drugs") & _mask(o.drugs)) != 0)
                          | ((pl.col("unrecorded_kinds") & _mask(o.kinds)) != 0))
            shaping.append(("last_response", unrecorded))
            failed = pl.col(f"{option.id}|failed").fill_null(False)
            given = pl.col(f"{option.id}|given").fill_null(False)
            held.append(failed)
            allowed = pl.lit(False)
            if same.allowed_when is not None:
                truth = steps.truth(same.allowed_when.when)
                allowed = truth.fill_null(False)
                shaping += [(name, given & truth.is_null())
                            for name in sorted(facts_used(same.allowed_when.when))]
            if same.given_before == "hold":
                held.append(given & ~allowed & ~failed)
        return any_of(held), shaping

    # -- output ----------------------------------------------------------------------

    def _output(self, steps: Steps, noted: dict[str, dict[str, list[pl.Expr]]]
                ) -> list[str]:
        """The output's lists as bit masks (one bit an option, in knowledge order): the
        options by outcome, the options each missing field affects (a field is missing
        for an option when any of its facts was noted for it), and the cautions."""
        bit = {o.compiled.option.id: 1 << i for i, o in enumerate(self.options)}
        outcome = {oid: pl.col(f"{oid}|outcome") for oid in bit}

        def mask(parts: Iterable[tuple[pl.Expr, int]]) -> pl.Expr:
            return pl.sum_horizontal(pl.when(when).then(pl.lit(b, dtype=MASK))
                                     .otherwise(pl.lit(0, dtype=MASK)) for when, b in parts)

        names = []
        for name, value in _BY_OUTCOME.items():
            steps.add(5, name, mask((outcome[oid] == _code(value), b) for oid, b in bit.items()))
            names.append(name)
        fields: dict[str, list[tuple[pl.Expr, int]]] = {}
        for oid, facts in noted.items():
            for field, facts_of_field in fields_of(facts).items():
                when = any_of(w for name in sorted(facts_of_field) for w in facts[name])
                fields.setdefault(field, []).append((when, bit[oid]))
        for field in sorted(fields):
            steps.add(5, f"missing|{field}", mask(fields[field]))
            names.append(f"missing|{field}")
        cautions = [(steps.truth(rule.when).fill_null(False), 1 << i)
                    for i, (_, rule) in enumerate(self.knowledge.cautions)]
        steps.add(5, "cautions", mask(cautions))
        return [*names, "cautions"]

    def lists(self, facts: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
        """The masks as lists of ids: each distinct mask is spelt out once."""
        if facts.is_empty():
            return pl.DataFrame(schema={ROW: pl.Int64, **LISTS})
        ids = [o.compiled.option.id for o in self.options]
        caution_ids = [rule.id for _, rule in self.knowledge.cautions]

        def spelt(column: str, names: list[str], order: bool = False) -> pl.Expr:
            found = facts[column].unique().to_list()
            lists = [[n for i, n in enumerate(names) if m >> i & 1] for m in found]
            return pl.col(column).replace_strict(
                found, [sorted(x) if order else x for x in lists],
                return_dtype=pl.List(pl.String))

        out = facts.select(ROW, *(spelt(c, ids).alias(c) for c in _BY_OUTCOME),
                           spelt("cautions", caution_ids).alias("cautions"))
        missing = [c for c in columns if c.startswith("missing|")]
        long = facts.select(ROW, *missing).unpivot(index=ROW).filter(pl.col("value") != 0)
        found = long["value"].unique().to_list()
        long = long.select(ROW, pl.col("variable").str.strip_prefix("missing|").alias("field"),
                           pl.col("value").replace_strict(found, [
                               sorted(n for i, n in enumerate(ids) if m >> i & 1)
                               for m in found], return_dtype=pl.List(pl.String))
                           .alias("affects"))
        gathered = long.group_by(ROW, maintain_order=True).agg(
            pl.struct("field", "affects").alias("missing"))
        out = out.join(gathered, on=ROW, how="left", maintain_order="left")
        return out.with_columns(pl.col("missing").fill_null([])).select(
            ROW, *_BY_OUTCOME, "missing", "cautions").cast(LISTS)


#: the option lists of the output, and the outcome each holds
_BY_OUTCOME = {"options_standard": "standard", "options_clinical_trial": "clinical-trial",
               "excluded": "excluded", "not_indicated": "not-indicated",
               "undecided": "undecided"}

_IDS: pl.DataType = pl.List(pl.String)
#: the lists of an output row
LISTS = pl.Schema([
    *((name, _IDS) for name in _BY_OUTCOME),
    ("missing", pl.List(pl.Struct({"field": pl.String, "affects": _IDS}))),
    ("cautions", _IDS),
])
#: an output row
OUTPUT_SCHEMA = pl.Schema([(ROW, pl.Int64()), ("case_id", pl.String()),
                           ("disease", pl.String()), ("state", pl.String()), *LISTS.items()])


@functools.cache
def _engine_for(knowledge: Knowledge) -> CohortEngine:
    bits = set_bits(knowledge)
    listed = {o.option.id for d in get_args(Disease) for o in knowledge.options
              if d in o.option.diseases or d in o.option.explain_for}
    options = tuple(
        _Option(c, bits.mask("drugs_received", c.same_drugs),
                bits.mask("kinds_received", c.same_kinds))
        for c in knowledge.options if c.option.id in listed
    )
    return CohortEngine(knowledge, bits, options)


def cohort_engine(knowledge: Knowledge | None = None) -> CohortEngine:
    """The engine for a knowledge base (the packaged one by default), compiled once."""
    return _engine_for(knowledge or load_knowledge())
