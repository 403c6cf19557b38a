"""The plan and the summary: every suggested option in exactly one step, in the order the
knowledge gives, and one sentence a chair can read aloud."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings

from knowledge_files import read_yaml, write_yaml
from secondline import Assessment, Case, assess, load_knowledge, parse_case, read_case
from secondline._knowledge import check_knowledge
from strategies import cases
from test_examples import ALL_EXAMPLES, result_for


def _check_plan(result: Assessment) -> None:
    """The plan's invariants, for any assessment."""
    planned = [oid for step in result.plan for oid in step.options]
    suggested = [o.id for o in result.options]
    assert Counter(planned) == Counter(suggested), "each suggested option in exactly one step"
    step_of = {oid: step.step for step in result.plan for oid in step.options}
    assert all(step_of[o.id] == o.step for o in result.options)
    assert all(step.options for step in result.plan), "no empty step is shown"
    ids = [step.step for step in result.plan]
    assert len(ids) == len(set(ids))
    order = [step.id for step in load_knowledge().plan.file.steps]
    assert ids == sorted(ids, key=order.index), "steps come in the knowledge's order"
    for step in result.plan:
        assert step.sources, f"step {step.step} cites its sources"
        if step.order == "preference":
            assert len(step.order_reasons) >= 2, "each preference, then the rest unranked"
        elif len(step.options) > 1:
            assert step.order_reasons == [load_knowledge().plan.file.no_ranking]
    assert 0 < len(result.summary) <= 300
    assert result.summary[0].isupper()
    assert result.summary.endswith((".", "…"))
    cited = {c.source for step in result.plan for c in step.sources}
    assert cited <= {s.id for s in result.sources}


@pytest.mark.parametrize("path", ALL_EXAMPLES, ids=lambda p: p.stem)
def test_every_example_has_a_whole_plan_and_a_short_summary(path: Path) -> None:
    result = assess(read_case(str(path)))
    _check_plan(result)
    assert result.summary.endswith("."), "no example's summary needs cutting"
    assert result.disease in result.summary


@settings(max_examples=300, deadline=None)
@given(cases())
def test_any_case_has_a_whole_plan_and_a_short_summary(case: Case) -> None:
    _check_plan(assess(case))


def test_relapsed_b_all_lists_immunotherapy_first_and_says_why() -> None:
    result = result_for("b-all-cns-relapse")
    remission = next(step for step in result.plan if step.step == "remission")
    assert remission.options[:3] == ["blinatumomab", "inotuzumab-ozogamicin",
                                     "tisagenlecleucel"]
    assert remission.options[3] == "flag-ida", "FLAG-IDA first among the chemotherapy"
    assert remission.order == "preference"
    assert any("immunotherapy is mainly used" in r for r in remission.order_reasons)
    assert {("ccs-all-rr", "Chemotherapy"),
            ("lc-all-rr", "Treatment for relapsed and refractory ALL")} <= {
        (c.source, c.section) for c in remission.sources}


def test_a_preference_moves_options_only_past_those_it_names() -> None:
    # refractory B-ALL: the Canadian page's preference is for relapsed B-ALL, so it does
    # not apply; Leukaemia Care's puts FLAG-IDA before the other chemotherapy, not before
    # the immunotherapy
    case = parse_case({
        "age": 30, "disease": "B-ALL", "as_of": "2026-11-23",
        "markers": {"CD19": "positive", "CD22": "positive"},
        "treatments": [{"drugs": ["prednisolone", "vincristine"], "type": "chemotherapy",
                        "started": "2026-06-01", "ended": "2026-09-01",
                        "response": "no-response"}],
        "assessment": {"date": "2026-11-10", "marrow_blasts_percent": 40,
                       "blood_counts_normal": False, "extramedullary": []},
    })
    result = assess(case)
    assert result.status.state == "refractory"
    remission = next(step for step in result.plan if step.step == "remission")
    order = remission.options
    assert order.index("blinatumomab") < order.index("flag-ida") < order.index(
        "reinduction-chemotherapy")
    assert remission.order == "preference"
    assert not any("immunotherapy is mainly used" in r for r in remission.order_reasons)
    assert remission.order_reasons[-1] == load_knowledge().plan.file.no_ranking_otherwise


def test_relapsed_t_all_lists_chemotherapy_and_no_immunotherapy() -> None:
    result = result_for("t-all-relapsed")
    remission = next(step for step in result.plan if step.step == "remission")
    assert remission.options[0] == "flag-ida"
    assert set(remission.options) <= {"flag-ida", "reinduction-chemotherapy",
                                      "nelarabine-regimen"}
    assert any("FLAG-IDA" in r for r in remission.order_reasons)


def test_hcl_treatment_is_a_choice_of_one() -> None:
    result = result_for("hcl-exactly-two-years")
    first = result.plan[0]
    assert (first.step, first.choose) == ("hcl-treatment", "one")
    assert first.options == ["cladribine", "pentostatin"]
    assert first.order == "not-a-ranking"
    assert "cladribine or pentostatin" in result.summary


def test_a_declined_case_says_so_first_and_keeps_only_care() -> None:
    result = result_for("b-all-declines-treatment")
    assert [step.step for step in result.plan] == ["symptoms", "supportive"]
    assert "declined treatment of the leukaemia" in result.summary
    assert result.summary.index("declined") < result.summary.index("options")


def test_the_summary_names_state_markers_and_main_choices() -> None:
    result = result_for("b-all-relapsed-cd19")
    text = result.summary
    for said in ("B-ALL", "age 34", "relapsed 14 months after treatment ended",
                 "CD19 positive", "Ph negative", "blinatumomab", "stem cell transplant",
                 "4 missing facts"):
        assert said in text, said
    assert "(Blincyto)" not in text, "brand names in brackets are left out of the sentence"


def test_an_option_without_a_step_fails_to_load(knowledge_copy: Path) -> None:
    path = knowledge_copy / "options" / "blinatumomab.yaml"
    data = read_yaml(path)
    del data["step"]
    write_yaml(path, data)
    _, problems = check_knowledge(knowledge_copy)
    assert any(line.startswith("options/blinatumomab.yaml") and "step" in line
               for line in problems), problems


def test_a_step_or_preference_that_does_not_fit_is_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "options" / "cladribine.yaml"
    data = read_yaml(path)
    data["step"]["id"] = "remission"  # an ALL step, for an HCL option
    write_yaml(path, data)
    path = knowledge_copy / "options" / "rituximab.yaml"
    data = read_yaml(path)
    data["step"]["id"] = "no-such-step"
    write_yaml(path, data)
    plan = read_yaml(knowledge_copy / "plan.yaml")
    plan["steps"][0]["preferences"][0]["first"].append("cladribin")
    plan["steps"][1]["summary"] = "then {transplants}"
    write_yaml(knowledge_copy / "plan.yaml", plan)
    _, problems = check_knowledge(knowledge_copy)
    shown = "\n".join(problems)
    assert "options/cladribine.yaml [cladribine] step: the step 'remission' is not for HCL" \
        in shown
    assert "options/rituximab.yaml [rituximab] step: no step 'no-such-step'" in shown
    assert "'cladribin' is not an option of this step" in shown
    assert "plan.yaml [transplant] summary" in shown


def test_the_order_of_steps_and_their_words_come_from_the_knowledge(
    knowledge_copy: Path,
) -> None:
    case = read_case(str(ALL_EXAMPLES[0]))
    before = assess(case)
    plan = read_yaml(knowledge_copy / "plan.yaml")
    plan["steps"].reverse()
    for step in plan["steps"]:
        step["preferences"] = []
    plan["summary"]["options"] = "choices: {steps}"
    write_yaml(knowledge_copy / "plan.yaml", plan)
    after = assess(case, load_knowledge(knowledge_copy))
    assert [s.step for s in after.plan] == [s.step for s in reversed(before.plan)]
    remission = next(step for step in after.plan if step.step == "remission")
    assert remission.order == "not-a-ranking"
    assert remission.options == [o.id for o in after.options if o.step == "remission"]
    assert "choices: " in after.summary
    assert "options: " not in after.summary
