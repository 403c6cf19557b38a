"""The derived facts of ``_status.py``, ``_history.py`` and ``_derive.py``, for a whole frame.

One row per case becomes one row of facts, with the same values the per-case engine
works out. The treatment history is the one irregular part: the treatments are taken
out into a table of their own (one row per treatment), grouped into episodes there by
a running maximum of end dates (treatments that overlap in time form one episode, as in
``_history.episodes``), and summed back up per episode and per case. Dates are days;
a treatment's drug ids, kinds and targets are bit masks (see ``_expr.SetBits``), found
once per distinct name as written by the same lookup ``assess`` uses.
"""

from __future__ import annotations

import datetime as dt
from typing import get_args

import polars as pl

from secondline._case import MAX_TREATMENTS, TreatmentType
from secondline._cohort._dates import with_months
from secondline._cohort._expr import MASK, SetBits
from secondline._cohort._frame import ROW
from secondline._cohort._validate import parsed_date
from secondline._derive import resolve_symptoms
from secondline._knowledge import Knowledge

_RANK = {"complete-remission": 3, "partial-remission": 2, "no-response": 1}
_RESPONSE_OF_RANK = {rank: response for response, rank in _RANK.items()}
#: the earliest and latest days, as ``dt.date.min`` and ``dt.date.max`` in ``episodes``
_BEFORE, _AFTER = -(10**8), 10**8
_KINDS = get_args(TreatmentType)
#: the groups a case may have: an episode (1 up), or an undated treatment (-1 down)
_GROUPS = 2 * MAX_TREATMENTS + 1


def _name_masks(
    names: pl.Series, knowledge: Knowledge, bits: SetBits
) -> pl.DataFrame:
    """For each distinct drug name as written: its drug ids, kinds and targets as masks,
    and whether the knowledge knows it."""
    rows = []
    drugs = knowledge.drug_by_id
    for name in names.unique().drop_nulls().to_list():
        ids = knowledge.canonical_drugs(name)
        kinds = [k for i in ids if (k := drugs[i].kind)]
        targets = [t for i in ids for t in drugs[i].targets]
        rows.append((name, bits.mask("drugs_received", ids),
                     bits.mask("kinds_received", kinds),
                     bits.mask("targets_received", targets), bool(ids)))
    return pl.DataFrame(rows, schema={"name": pl.String, "drug_mask": MASK, "drug_kinds": MASK,
                                      "targets": MASK, "known": pl.Boolean}, orient="row")


def _treatments(frame: pl.DataFrame, knowledge: Knowledge, bits: SetBits) -> pl.DataFrame:
    """One row per treatment: its case, place in the case, days, response and masks."""
    t = frame.select(ROW, "treatments").with_columns(
        pl.int_ranges(pl.col("treatments").list.len()).alias("t")
    ).explode("treatments", "t").filter(pl.col("treatments").is_not_null())
    t = t.select(
        ROW, "t", pl.col("treatments").struct.unnest()
    ).with_columns(
        parsed_date(pl.col("started")).cast(pl.Int32).alias("started"),
        parsed_date(pl.col("ended")).cast(pl.Int32).alias("ended"),
        pl.col("response").fill_null("unknown"),
        pl.col("type").fill_null("other"),
    )
    lookup = _name_masks(t["drugs"].explode().drop_nulls(), knowledge, bits)
    names = lookup["name"].to_list()
    known = lookup.filter(pl.col("known"))["name"].to_list()
    drugs = pl.col("drugs")

    def masked(column: str) -> pl.Expr:
        """The treatment's drug names as the union of their masks (a list of names is
        looked up in place: no join, no grouping back)."""
        return drugs.list.eval(pl.element().replace_strict(
            names, lookup[column].to_list(), default=0, return_dtype=MASK).bitwise_or()
        ).list.first().fill_null(0)

    kind_bits = pl.col("type").replace_strict(
        list(_KINDS), [bits.bit("kinds_received", k) for k in _KINDS], return_dtype=MASK)
    return t.lazy().with_columns(
        masked("drug_mask").alias("drug_mask"),
        masked("targets").alias("targets"),
        (kind_bits | masked("drug_kinds")).alias("kind_mask"),
        kind_bits.alias("type_mask"),
        drugs.list.eval(~pl.element().is_in(known)).list.any().fill_null(False)
        .alias("unknown"),
    ).drop("drugs").collect()


def _list_mask(column: pl.Expr, mapping: dict[str, int]) -> pl.Expr:
    """A list of names as the mask of their bits (names not in ``mapping`` add none);
    null where the list is."""
    bits = column.list.eval(pl.element().replace_strict(
        list(mapping), list(mapping.values()), default=0, return_dtype=MASK).bitwise_or())
    return pl.when(column.is_null()).then(None).otherwise(bits.list.first().fill_null(0))


def _known(column: pl.Expr) -> pl.Expr:
    """A value of the case where ``unknown`` (or not given) is not known."""
    return pl.when(column == "unknown").then(None).otherwise(column)


def _response(rank: pl.Expr) -> pl.Expr:
    return rank.replace_strict(list(_RESPONSE_OF_RANK), list(_RESPONSE_OF_RANK.values()),
                               default=None, return_dtype=pl.String)


def _cases(frame: pl.DataFrame, knowledge: Knowledge, as_of: dt.date | None,
           today: dt.date) -> pl.DataFrame:
    """What needs no history: the remission criteria, the state, the dates."""
    a = pl.col("assessment")
    responses = pl.col("treatments").list.eval(
        pl.element().struct.field("response").fill_null("unknown"))
    judged = pl.lit(as_of) if as_of else parsed_date(pl.col("as_of")).fill_null(pl.lit(today))
    threshold = knowledge.definitions.remission.marrow_blasts_below_percent
    c = frame.select(
        ROW,
        judged.alias("judged"),
        parsed_date(pl.col("diagnosed")).alias("diagnosed_day"),
        parsed_date(a.struct.field("date")).alias("assessed"),
        pl.col("treatments").list.len().fill_null(0).alias("n_treatments"),
        responses.list.contains("complete-remission").fill_null(False).alias("has_cr"),
        responses.list.contains("unknown").fill_null(False).alias("has_unknown"),
        a.struct.field("blood_counts_normal").alias("counts"),
        (a.struct.field("marrow_blasts_percent") < threshold).alias("blasts"),
        (a.struct.field("extramedullary").list.len() == 0).alias("elsewhere"),
        (pl.col("relapses") > 0).fill_null(False).alias("relapsed_before"),
        pl.col("previous_transplant").fill_null(False).alias("transplanted"),
    )
    in_remission = pl.col("counts") & pl.col("blasts") & pl.col("elsewhere")
    treated = ((pl.col("n_treatments") > 0) | pl.col("relapsed_before")
               | pl.col("transplanted"))
    ever_complete = pl.col("has_cr") | pl.col("relapsed_before")
    state = (
        pl.when(~treated).then(pl.lit("untreated"))
        .when(in_remission.eq(True)).then(pl.lit("remission"))
        .when(in_remission.eq(False)).then(
            pl.when(ever_complete).then(pl.lit("relapsed"))
            .when((pl.col("n_treatments") == 0) | pl.col("has_unknown")).then(pl.lit("unknown"))
            .otherwise(pl.lit("refractory")))
        .otherwise(pl.lit("unknown"))
    )
    return c.with_columns(state.alias("status")).with_columns(
        pl.when(pl.col("status") == "relapsed")
        .then(pl.coalesce("assessed", "judged")).alias("relapse_date"))


def _episodes(t: pl.DataFrame, c: pl.DataFrame) -> pl.DataFrame:
    """Each treatment with its episode (0: neither date), its group for the holds, and
    whether it failed (``_history.courses``)."""
    t = t.join(c.select(ROW, pl.col("relapse_date").cast(pl.Int32).alias("rd")), on=ROW)
    dated = t.filter(pl.col("started").is_not_null() | pl.col("ended").is_not_null())
    dated = dated.with_columns(
        pl.coalesce("started", "ended").alias("start_key"),
        pl.col("ended").fill_null(_AFTER).alias("end_key"),
    ).sort(ROW, "start_key", "end_key")
    # sorted by case, a running maximum of (case, end) is the latest end so far within
    # the case; a treatment starting after it opens a new episode
    span = 1 << 32
    key = pl.col(ROW).cast(pl.Int64) * span + pl.col("end_key").cast(pl.Int64) - _BEFORE
    first = pl.col(ROW) != pl.col(ROW).shift(1)
    dated = dated.with_columns(key.cum_max().shift(1).alias("reach"), first.fill_null(True)
                               .alias("first"))
    new = pl.col("first") | (pl.col("start_key").cast(pl.Int64) - _BEFORE
                             > pl.col("reach") - pl.col(ROW).cast(pl.Int64) * span)
    dated = dated.with_columns(new.cast(pl.Int32).cum_sum().alias("opened"))
    dated = dated.with_columns((pl.col("opened") - pl.when(pl.col("first")).then(
        pl.col("opened")).forward_fill() + 1).alias("episode")).drop(
        "reach", "first", "opened")
    rd = pl.col("rd")
    came_back = (rd.is_not_null() & (pl.col("response") == "complete-remission")
                 & (pl.col("started").is_null() | (pl.col("started") < rd))
                 & (pl.col("ended").is_null() | (pl.col("ended") >= rd)))
    dated = dated.with_columns(
        ((pl.col("response") == "no-response") | came_back).alias("failed"))
    undated = t.filter(pl.col("started").is_null() & pl.col("ended").is_null()).with_columns(
        pl.lit(0, dtype=pl.Int32).alias("episode"),
        (pl.col("response") == "no-response").alias("failed"),
        pl.lit(None, dtype=pl.Int32).alias("start_key"),
        pl.lit(None, dtype=pl.Int32).alias("end_key"),
    )
    both = pl.concat([dated, undated.select(dated.columns)])
    group = pl.when(pl.col("episode") > 0).then(pl.col("episode")).otherwise(-1 - pl.col("t"))
    both = both.with_columns(group.alias("group"), pl.col("response").replace_strict(
        list(_RANK), list(_RANK.values()), default=None, return_dtype=pl.Int8).alias("rank"))
    # sorted by case and group, and told so: grouping by a sorted key takes the runs of
    # equal values as they are, with no hashing
    return both.sort(ROW, "group").with_columns(
        pl.col(ROW).set_sorted(),
        (pl.col(ROW) * _GROUPS + pl.col("group") + MAX_TREATMENTS).set_sorted()
        .alias("group_key"))


def _or_where(when: pl.Expr, column: str) -> pl.Expr:
    """The union of a mask column over a group's rows where ``when`` holds (0 if none)."""
    return pl.when(when).then(pl.col(column)).otherwise(pl.lit(0, dtype=MASK)).bitwise_or()


def _history(t: pl.DataFrame, c: pl.DataFrame) -> pl.DataFrame:
    """Per case, what the episodes say: the last one, the remission before the relapse,
    the episode after the latest relapse (``_history``), and the failures."""
    dated = t.filter(pl.col("episode") > 0)
    cr_end = (pl.col("response") == "complete-remission") & pl.col("ended").is_not_null()
    e = dated.group_by("group_key", maintain_order=True).agg(
        pl.col(ROW).first(),
        pl.col("episode").first(),
        pl.col("start_key").min().alias("start"),
        pl.col("end_key").max().alias("end"),
        cr_end.any().alias("brought"),
        pl.when(cr_end & (pl.col("ended") <= pl.col("rd"))).then(pl.col("ended")).min()
        .alias("began"),
        pl.col("rank").max().alias("best"),
        pl.col("drug_mask").bitwise_or().alias("drugs"),
    ).drop("group_key").with_columns(pl.col(ROW).set_sorted())  # in order of episode
    following = pl.when(pl.col(ROW).shift(-1) == pl.col(ROW)).then(pl.col("brought").shift(-1))
    # the episodes are in order within each case, and the cases in order: what came last
    # before a row within its case is carried forward over the rows, and kept only when
    # it was carried from a row of the same case
    brought_key = pl.when(pl.col("brought")).then(pl.col(ROW) * _GROUPS + pl.col("episode"))
    carried = brought_key.shift(1).forward_fill()
    e = e.with_columns(
        (pl.col("brought") & following.is_not_null() & ~following).alias("marked"),
        pl.when(pl.col("brought") & (carried // _GROUPS == pl.col(ROW)))
        .then((carried % _GROUPS).cast(pl.Int32)).alias("brought_earlier"),
        pl.col("began").forward_fill().alias("began_carried"),
        pl.when(pl.col("began").is_not_null()).then(pl.col(ROW)).forward_fill()
        .alias("began_case"),
    )
    per_case = e.group_by(ROW).agg(
        pl.col("episode").max().alias("n_episodes"),
        pl.col("end").last().alias("last_end"),
        pl.col("start").last().alias("last_start"),
        pl.col("drugs").last().alias("last_drugs"),
        pl.col("best").last().alias("last_best"),
        pl.when(pl.col("began_case") == pl.col(ROW)).then(pl.col("began_carried")).last()
        .alias("began"),
        pl.when(pl.col("brought")).then(pl.col("episode")).max().alias("brought_last"),
        # the brought episode before the last one: the latest before any brought one
        pl.col("brought_earlier").max().alias("brought_before"),
        pl.when(pl.col("marked")).then(pl.col("episode")).max().alias("marked_last"),
    ).with_columns(pl.when(pl.col("last_end") == _AFTER).then(None)
                   .otherwise(pl.col("last_end")).alias("last_end"))
    failed = pl.col("failed")
    unrecorded = pl.col("response") == "unknown"
    over_all = t.group_by(ROW).agg(
        pl.col("drug_mask").bitwise_or().alias("received"),
        pl.col("targets").bitwise_or().alias("targets"),
        pl.col("kind_mask").bitwise_or().alias("kinds"),
        pl.col("unknown").any().alias("unrecognised"),
        pl.col("rank").max().alias("best_all"),
        _or_where(failed, "drug_mask").alias("failed_drugs"),
        _or_where(failed, "kind_mask").alias("failed_kinds"),
        _or_where(unrecorded, "drug_mask").alias("unrecorded_drugs"),
        # a response not recorded is told by the treatment's type, not its drugs' kinds
        _or_where(unrecorded, "type_mask").alias("unrecorded_kinds"),
    )
    h = c.select(ROW, "status").join(per_case, on=ROW, how="left", maintain_order="left").join(
        over_all, on=ROW, how="left", maintain_order="left")
    anchor = (pl.when(pl.col("status") == "remission")
              .then(pl.coalesce("marked_last", "brought_before"))
              .otherwise(pl.col("brought_last")))
    h = h.with_columns(
        pl.when(anchor + 1 <= pl.col("n_episodes")).then(anchor + 1).alias("reinduction_episode"))
    after = e.select(ROW, pl.col("episode").alias("reinduction_episode"),
                     pl.col("best").alias("reinduction_best"))
    return h.join(after, on=[ROW, "reinduction_episode"], how="left",
                  maintain_order="left").drop("status")


def _symptom_masks(names: pl.Series, knowledge: Knowledge, bits: SetBits) -> dict[str, int]:
    found: dict[str, int] = {}
    for name in names.unique().drop_nulls().to_list():
        ids, _ = resolve_symptoms(knowledge, [name])
        found[name] = bits.mask("symptoms", ids)
    return found


def _mask_or_empty(column: str) -> pl.Expr:
    return pl.col(column).fill_null(0)


def derive(
    frame: pl.DataFrame, knowledge: Knowledge, bits: SetBits, as_of: dt.date | None,
    today: dt.date,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The facts of every case (a column per fact, named as in ``_facts.FACTS``), with
    what the holds need besides; and the treatments with their episodes and failures."""
    c = _cases(frame, knowledge, as_of, today)
    t = _episodes(_treatments(frame, knowledge, bits), c)
    h = _history(t, c)
    both = pl.concat([frame, c.drop(ROW), h.drop(ROW)], how="horizontal").with_columns(
        pl.col("last_end").cast(pl.Date).alias("last_end_day"),
        pl.col("began").cast(pl.Date).alias("began_day"),
    )
    both = with_months(both, [
        ("last_end_day", "judged", "since_last"),
        ("began_day", "relapse_date", "remission_length_months"),
        ("last_end_day", "relapse_date", "months_from_last_treatment_to_relapse"),
        ("diagnosed_day", "relapse_date", "months_from_diagnosis_to_relapse"),
        ("diagnosed_day", "judged", "diagnosis_years"),
    ])
    a = pl.col("assessment")
    symptoms = _symptom_masks(frame["symptoms"].explode(), knowledge, bits)
    extramedullary = _list_mask(a.struct.field("extramedullary"), {
        m: bits.bit("extramedullary", m) for m in bits.members["extramedullary"]})
    sites = _list_mask(pl.col("relapse_sites"), {
        m: bits.bit("relapse_sites", m) for m in bits.members["relapse_sites"]})
    cns_bit = pl.lit(bits.bit("extramedullary", "cns"), dtype=MASK)
    site_cns = pl.lit(bits.bit("relapse_sites", "cns"), dtype=MASK)
    signs = pl.lit(bits.mask("symptoms", knowledge.relapse_signs), dtype=MASK)
    day = pl.col("judged")
    has_history = pl.col("n_episodes").is_not_null()
    limit = knowledge.settings.assessment_max_age_days.value
    wishes = pl.col("wishes")
    facts = both.lazy().select(
        ROW,
        pl.col("id").str.strip_chars().alias("case_id"),
        "disease",
        pl.col("age").cast(pl.Int64).alias("age"),
        _known(pl.col("philadelphia")).alias("philadelphia"),
        *(_known(pl.col("markers").struct.field(m)).alias(f"markers.{m}")
          for m in ("CD19", "CD20", "CD22")),
        "fit_for_intensive_treatment",
        pl.col("status").alias("state_shown"),
        _known(pl.col("status")).alias("state"),
        pl.col("relapses").cast(pl.Int64).alias("relapses"),
        sites.alias("relapse_sites"),
        pl.when(a.is_null()).then(None).otherwise(extramedullary).alias("extramedullary"),
        "previous_transplant",
        "transplant_eligible",
        _known(pl.col("t315i")).alias("t315i"),
        a.struct.field("mrd_percent").alias("mrd_percent"),
        _known(pl.col("donor")).alias("donor"),
        _list_mask(pl.col("symptoms"), symptoms).fill_null(0).alias("symptoms"),
        (wishes.struct.field("active_treatment").fill_null(True)).alias("wishes.active_treatment"),
        (wishes.struct.field("clinical_trials").fill_null(True)).alias("wishes.clinical_trials"),
        "region",
        pl.when((pl.col("n_treatments") > 0) & has_history)
        .then(pl.col("since_last")).alias("months_since_last_treatment"),
        "remission_length_months",
        "months_from_last_treatment_to_relapse",
        _mask_or_empty("received").alias("drugs_received"),
        pl.when(has_history).then(_mask_or_empty("last_drugs"))
        .when(pl.col("n_treatments") > 0).then(None)
        .otherwise(pl.lit(0, dtype=MASK)).alias("last_treatment_drugs"),
        _mask_or_empty("targets").alias("targets_received"),
        _mask_or_empty("kinds").alias("kinds_received"),
        pl.col("unrecognised").fill_null(False).alias("unrecognised_drugs_given"),
        _mask_or_empty("failed_drugs").alias("failed_drugs"),
        _mask_or_empty("failed_kinds").alias("failed_kinds"),
        _response(pl.col("best_all")).alias("best_response"),
        _response(pl.col("last_best")).alias("last_response"),
        _known(a.struct.field("mrd")).alias("mrd"),
        "months_from_diagnosis_to_relapse",
        pl.when(pl.col("diagnosed_day").is_not_null()).then(pl.max_horizontal(
            pl.col("age").cast(pl.Int64) - pl.col("diagnosis_years"), pl.lit(0)))
        .alias("age_at_diagnosis"),
        _response(pl.col("reinduction_best")).alias("reinduction_response"),
        pl.col("reinduction_episode").cast(pl.Int64),
        (day - pl.col("assessed")).dt.total_days().alias("assessment_age_days"),
        ((day - pl.col("assessed")).dt.total_days() > limit).alias("assessment_past_age_limit"),
        (pl.col("assessed").cast(pl.Int32)
         < pl.coalesce(pl.col("last_end"), pl.col("last_start")))
        .alias("assessment_predates_latest_treatment"),
        _mask_or_empty("unrecorded_drugs").alias("unrecorded_drugs"),
        _mask_or_empty("unrecorded_kinds").alias("unrecorded_kinds"),
    ).with_columns(
        (pl.col("symptoms") & signs != 0).alias("relapse_symptoms_recorded"),
        pl.when(((pl.col("relapse_sites") & site_cns) != 0).fill_null(False)
                | ((pl.col("extramedullary") & cns_bit) != 0).fill_null(False)).then(True)
        .when(pl.col("extramedullary").is_not_null()).then(False)
        .alias("cns_involved"),
    ).collect()
    return facts, t
