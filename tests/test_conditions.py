"""The condition language: three-valued logic, load-time checks, and its two compiled forms."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from secondline import load_knowledge
from secondline._conditions import (
    Condition,
    check,
    compile_condition,
    compile_truth,
    condition_in_words,
    walk,
)
from secondline._facts import FACTS, FactValue

CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


def cond(data: dict[str, Any]) -> Condition:
    return CONDITION.validate_python(data)


CD19_POS = {"fact": "markers.CD19", "is": "positive"}
OLD = {"fact": "age", "gt": 25}


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"markers.CD19": "positive", "age": 30}, True),
        ({"markers.CD19": "negative", "age": 30}, False),
        ({"markers.CD19": None, "age": 30}, None),
        ({"markers.CD19": None, "age": 20}, False),  # one false part decides 'all'
    ],
)
def test_all_is_kleene_and(facts: dict[str, FactValue], expected: bool | None) -> None:
    assert compile_condition(cond({"all": [CD19_POS, OLD]}))(facts)[0] is expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"markers.CD19": None, "age": 30}, True),  # one true part decides 'any'
        ({"markers.CD19": None, "age": 20}, None),
        ({"markers.CD19": "negative", "age": 20}, False),
    ],
)
def test_any_is_kleene_or(facts: dict[str, FactValue], expected: bool | None) -> None:
    assert compile_condition(cond({"any": [CD19_POS, OLD]}))(facts)[0] is expected


def test_not_keeps_unknown_unknown() -> None:
    negated = compile_condition(cond({"not": CD19_POS}))
    assert negated({"markers.CD19": "positive"})[0] is False
    assert negated({"markers.CD19": "negative"})[0] is True
    assert negated({})[0] is None


def test_known_operator_is_never_unknown() -> None:
    known = compile_condition(cond({"fact": "region", "known": False}))
    assert known({})[0] is True
    assert known({"region": "UK"})[0] is False


def test_leaves_describe_the_fact_and_nodes_can_relabel() -> None:
    plain = compile_condition(cond(CD19_POS))
    negative = (False, ("CD19 on the leukaemia cells: negative",))
    assert plain({"markers.CD19": "negative"}) == negative
    assert plain({}) == (None, ("CD19 on the leukaemia cells: not known",))
    labelled = compile_condition(cond({**CD19_POS, "reason": "has CD19", "unmet": "no CD19"}))
    assert labelled({"markers.CD19": "positive"}) == (True, ("has CD19",))
    assert labelled({"markers.CD19": "negative"}) == (False, ("no CD19",))


def test_a_leaf_needs_exactly_one_operator() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        cond({"fact": "age"})
    with pytest.raises(ValidationError, match="exactly one"):
        cond({"fact": "age", "gt": 1, "lt": 5})


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"fact": "markers.CD21", "is": "positive"}, "unknown fact 'markers.CD21'"),
        ({"fact": "disease", "gt": 3}, "'gt' needs a number fact"),
        ({"fact": "age", "contains": "x"}, "'contains' needs a set fact"),
        ({"fact": "disease", "is": "AML"}, "'disease' cannot be 'AML'"),
        ({"fact": "state", "in": ["relapsed", "smouldering"]}, "cannot be 'smouldering'"),
        ({"fact": "relapse_sites", "is": "cns"}, "use contains"),
        ({"fact": "relapse_sites", "contains": "liver"}, "cannot contain 'liver'"),
    ],
)
def test_check_names_each_problem(data: dict[str, Any], problem: str) -> None:
    problems = check(cond(data))
    assert any(problem in p for p in problems), problems


def test_check_reports_every_problem_in_a_tree() -> None:
    tree = cond({"all": [{"fact": "nope", "is": 1}, {"any": [{"fact": "disease", "is": "X"}]}]})
    assert len(check(tree)) == 2


def test_words_for_the_catalogue() -> None:
    text = condition_in_words(cond({"all": [CD19_POS, {"fact": "age", "le": 25}]}))
    assert text.splitlines() == [
        "- all of:",
        "  - CD19 on the leukaemia cells is positive",
        "  - Age is at most 25 years",
    ]


def _value(name: str) -> st.SearchStrategy[FactValue]:
    spec = FACTS[name]
    if spec.kind == "bool":
        inner: st.SearchStrategy[Any] = st.booleans()
    elif spec.kind == "number":
        inner = st.one_of(st.integers(0, 130), st.sampled_from([23.9, 24.0, 24.1, 25.0, 0.5]))
    elif spec.kind == "enum":
        inner = st.sampled_from(spec.values or ("x",))
    else:
        pool = list(spec.values or ()) or [
            "bone-pain", "fever", *(d.id for d in load_knowledge().drugs.drugs)
        ]
        inner = st.frozensets(st.sampled_from(pool), max_size=4)
    return st.one_of(st.none(), inner)


FACT_SETS = st.fixed_dictionaries({name: _value(name) for name in FACTS})


def _every_condition() -> list[Condition]:
    knowledge = load_knowledge()
    found: list[Condition] = []
    for compiled in knowledge.options:
        option = compiled.option
        found += [option.suggest_when, *(e.when for e in option.not_when)]
        found += [n.when for n in option.notes if n.when is not None]
        if option.trial_only_when is not None:
            found.append(option.trial_only_when)
    rules = knowledge.rules
    found += [r.when for r in rules.exclusions] + [g.when for g in rules.gaps]
    found += [p.when for p in rules.prognostic_factors if p.when is not None]
    return [node for tree in found for node in walk(tree)]


COMPILED_BOTH_WAYS = [(n, compile_truth(n), compile_condition(n)) for n in _every_condition()]


@settings(max_examples=300, deadline=None)
@given(facts=FACT_SETS)
def test_both_compiled_forms_agree_on_every_knowledge_condition(
    facts: dict[str, FactValue],
) -> None:
    for node, lean, reasoned in COMPILED_BOTH_WAYS:
        assert lean(facts) is reasoned(facts)[0], node
