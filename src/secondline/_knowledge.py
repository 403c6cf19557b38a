"""Loading the knowledge base: read every file, check it as a whole, compile it once.

Every problem found is collected, named by file and rule, and raised together as one
``KnowledgeError``, so an author fixes a whole batch in one pass.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError

from secondline import _yaml
from secondline._case import Disease
from secondline._conditions import (
    Compiled,
    Condition,
    TruthOnly,
    check,
    compile_condition,
    compile_truth,
    facts_used,
    walk,
)
from secondline._conditions import Leaf as _Leaf
from secondline._errors import KnowledgeError
from secondline._facts import FACTS
from secondline._schema import (
    Caution,
    Citation,
    Definitions,
    Drug,
    DrugsFile,
    Exclusion,
    Gap,
    GlobalExclusion,
    LeafletFile,
    Note,
    Option,
    Passage,
    PrognosticFactor,
    RuleCase,
    RulesFile,
    Source,
    SourcesFile,
    State,
)

KNOWLEDGE_DIR = Path(__file__).parent / "knowledge"
#: ``{fact}`` in a note's text is replaced by the fact's value in words
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")
#: the ``{name}`` a leaflet text may use, filled in from definitions.yaml
LEAFLET_FILLS = frozenset({"marrow_blasts_below_percent"})
_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class CompiledOption:
    option: Option
    suggest: Compiled
    trial_only: Compiled | None
    exclusions: tuple[tuple[TruthOnly, Exclusion], ...]
    notes: tuple[tuple[TruthOnly | None, Note], ...]
    #: facts its conditions test: unknown ones are what leaves it undecided
    facts: frozenset[str]
    #: facts worth asking for while it is suggested, each with its condition
    needs: tuple[tuple[str, TruthOnly | None], ...]


@dataclass(frozen=True, eq=False)
class Knowledge:
    """The checked, compiled knowledge base. Build it with ``load_knowledge``."""

    sources: dict[str, Source]
    drugs: DrugsFile
    definitions: Definitions
    rules: RulesFile
    options: tuple[CompiledOption, ...]
    #: lower-case drug, brand or regimen name -> canonical drug ids
    drug_names: dict[str, tuple[str, ...]]
    #: the patient leaflet's words
    leaflet: LeafletFile
    #: shared rules with their compiled conditions; None means the rule always applies
    exclusions: tuple[tuple[TruthOnly | None, GlobalExclusion], ...] = field(default=())
    gaps: tuple[tuple[TruthOnly | None, Gap], ...] = field(default=())
    cautions: tuple[tuple[TruthOnly | None, Caution], ...] = field(default=())
    prognostic: tuple[tuple[TruthOnly | None, PrognosticFactor], ...] = field(default=())
    root: Path = KNOWLEDGE_DIR

    @functools.cached_property
    def drug_by_id(self) -> dict[str, Drug]:
        return {drug.id: drug for drug in self.drugs.drugs}

    def canonical_drugs(self, name: str) -> tuple[str, ...]:
        """Drug ids for a name as a team may write it; empty if unknown."""
        return self.drug_names.get(_drug_key(name), ())


def _drug_key(name: str) -> str:
    """Drug names match whatever their case or surrounding spaces."""
    return name.strip().lower()


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.lines.append(f"{where}: {message}")


def _read(path: Path, model: type[_M], problems: _Problems) -> _M | None:
    where = f"options/{path.name}" if path.parent.name == "options" else path.name
    try:
        data = _yaml.load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.add(where, f"cannot be read: {exc}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(part) for part in error["loc"])
            problems.add(where, f"{loc}: {error['msg']}")
        return None


def _check_citations(
    where: str, cites: Iterable[Citation], sources: dict[str, Source], problems: _Problems
) -> None:
    for cite in cites:
        source = sources.get(cite.source)
        if source is None:
            problems.add(where, f"unknown source '{cite.source}'")
        elif cite.section not in source.sections:
            problems.add(where, f"'{cite.source}' has no section '{cite.section}'")


def _check_truth(
    where: str, cond: Condition, drug_ids: set[str], problems: _Problems
) -> TruthOnly | None:
    """The lean closure of a tree, or None (with its problems noted) if the tree is unsound."""
    return compile_truth(cond) if _sound(where, cond, drug_ids, problems) else None


def _check_condition(
    where: str, cond: Condition, drug_ids: set[str], problems: _Problems
) -> Compiled | None:
    """The reasoned closure of a tree, or None (with its problems noted) if it is unsound."""
    return compile_condition(cond) if _sound(where, cond, drug_ids, problems) else None


def _sound(where: str, cond: Condition, drug_ids: set[str], problems: _Problems) -> bool:
    found = check(cond)
    for node in walk(cond):
        if (
            isinstance(node, _Leaf)
            and node.fact in FACTS
            and FACTS[node.fact].drug_set
            and node.contains is not None
            and node.contains not in drug_ids
        ):
            found.append(f"'{node.fact}' tests an unknown drug '{node.contains}'")
    for message in found:
        problems.add(where, message)
    return not found


def _drug_index(drugs: DrugsFile, problems: _Problems) -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    ids = {drug.id for drug in drugs.drugs}

    def put(name: str, target: tuple[str, ...], where: str) -> None:
        key = _drug_key(name)
        if key in index and index[key] != target:
            problems.add("drugs.yaml", f"{where}: the name '{name}' is already used")
        index[key] = target

    for drug in drugs.drugs:
        for name in [drug.id, drug.name, *drug.brands, *drug.also_called]:
            put(name, (drug.id,), drug.id)
    for regimen in drugs.regimens:
        for unknown in sorted(set(regimen.drugs) - ids):
            problems.add("drugs.yaml", f"{regimen.id}: unknown drug '{unknown}'")
        for name in regimen.names:
            put(name, tuple(regimen.drugs), regimen.id)
    return index


def _check_rule_cases(where: str, cases: list[RuleCase], problems: _Problems) -> None:
    if not any(c.applies for c in cases):
        problems.add(where, "has no example case where it applies")
    if all(c.applies for c in cases):
        problems.add(where, "has no example case where it does not apply")


_Rule = TypeVar("_Rule", GlobalExclusion, Gap, Caution, PrognosticFactor)


def _compile_rules(
    kind: str, rules: list[_Rule], sources: dict[str, Source], drug_ids: set[str],
    problems: _Problems,
) -> tuple[tuple[TruthOnly | None, _Rule], ...]:
    """Check and compile a list of shared rules; a rule with no condition always applies."""
    compiled: list[tuple[TruthOnly | None, _Rule]] = []
    for rule in rules:
        where = f"rules.yaml {kind} [{rule.id}]"
        _check_citations(where, rule.sources, sources, problems)
        _check_rule_cases(where, rule.cases, problems)
        if rule.when is None:
            compiled.append((None, rule))
        elif (when := _check_truth(where, rule.when, drug_ids, problems)) is not None:
            compiled.append((when, rule))
    return tuple(compiled)


def _compile_option(
    option: Option, where: str, sources: dict[str, Source], drug_ids: set[str],
    problems: _Problems,
) -> CompiledOption | None:
    _check_citations(where, option.sources, sources, problems)
    for unknown in sorted(set(option.drugs) - drug_ids):
        problems.add(where, f"unknown drug '{unknown}'")
    needs: list[tuple[str, TruthOnly | None]] = []
    for need in option.needs:
        name = need if isinstance(need, str) else need.fact
        if name not in FACTS:
            problems.add(where, f"needs an unknown fact '{name}'")
        when = None
        if not isinstance(need, str):
            when = _check_truth(f"{where} needs[{name}]", need.when, drug_ids, problems)
        needs.append((name, when))
    suggest = _check_condition(f"{where} suggest_when", option.suggest_when, drug_ids, problems)
    trial = None
    if option.trial_only_when is not None:
        trial = _check_condition(
            f"{where} trial_only_when", option.trial_only_when, drug_ids, problems
        )
    exclusions: list[tuple[TruthOnly, Exclusion]] = []
    for i, exclusion in enumerate(option.not_when):
        _check_citations(f"{where} not_when[{i}]", exclusion.sources, sources, problems)
        compiled = _check_truth(f"{where} not_when[{i}]", exclusion.when, drug_ids, problems)
        if compiled:
            exclusions.append((compiled, exclusion))
    notes: list[tuple[TruthOnly | None, Note]] = []
    for i, note in enumerate(option.notes):
        _check_citations(f"{where} notes[{i}]", note.sources, sources, problems)
        for name in PLACEHOLDER.findall(note.text):
            if name not in FACTS:
                problems.add(f"{where} notes[{i}]", f"the text names an unknown fact '{{{name}}}'")
        when = None
        if note.when is not None:
            when = _check_truth(f"{where} notes[{i}]", note.when, drug_ids, problems)
        notes.append((when, note))
    if not option.cases:
        problems.add(where, "has no example cases")
    else:
        outcomes = {case.expect for case in option.cases}
        if not outcomes & {"suggested", "clinical-trial"}:
            problems.add(where, "has no example case where it is suggested")
        if not outcomes & {"excluded", "not-indicated", "undecided"}:
            problems.add(where, "has no example case where it is not suggested")
    if suggest is None:
        return None
    used = facts_used(option.suggest_when)
    for cond in [option.trial_only_when, *(e.when for e in option.not_when)]:
        if cond is not None:
            used |= facts_used(cond)
    return CompiledOption(
        option, suggest, trial, tuple(exclusions), tuple(notes), frozenset(used), tuple(needs)
    )


#: leaflet passages that must say something for every disease (``states``: every state too)
_LEAFLET_COVER = (
    "disclaimer", "about", "options_intro", "trial_intro", "remission", "mrd",
    "questions_intro", "support",
)


def _leaflet_texts(where: str, texts: Iterable[str], problems: _Problems) -> None:
    for text in texts:
        for name in PLACEHOLDER.findall(text):
            if name not in LEAFLET_FILLS:
                problems.add(where, f"the text names an unknown value '{{{name}}}'")


def _says_something(passages: list[Passage], disease: str, state: str | None) -> bool:
    return any(
        (p.diseases is None or disease in p.diseases)
        and (state is None or p.states is None or state in p.states)
        for p in passages
    )


def _check_leaflet(
    leaflet: LeafletFile, sources: dict[str, Source], option_ids: set[str],
    file_ids: set[str], problems: _Problems,
) -> None:
    """Citations, placeholders, helplines and coverage of leaflet.yaml; every option has text.

    ``option_ids`` are the options that loaded; ``file_ids`` also counts option files that
    failed to load, so their problem is not reported twice.
    """
    for name, field_info in type(leaflet).model_fields.items():
        if field_info.annotation == list[Passage]:
            passages: list[Passage] = getattr(leaflet, name)
            for i, passage in enumerate(passages):
                where = f"leaflet.yaml {name}[{i}]"
                _check_citations(where, passage.sources, sources, problems)
                _leaflet_texts(where, [passage.text], problems)
    for name in _LEAFLET_COVER:
        for disease in get_args(Disease):
            if not _says_something(getattr(leaflet, name), disease, None):
                problems.add(f"leaflet.yaml {name}", f"has no passage for {disease}")
    for disease in get_args(Disease):
        for state in get_args(State):
            if not _says_something(leaflet.states, disease, state):
                problems.add("leaflet.yaml states", f"has no passage for {disease} when {state}")
    for option_id, text in leaflet.options.items():
        where = f"leaflet.yaml options [{option_id}]"
        if option_id not in file_ids | option_ids:
            problems.add(where, "no option has this id")
        _check_citations(where, text.sources, sources, problems)
        _leaflet_texts(where, [text.description, text.what_happens], problems)
    for option_id in sorted(option_ids - set(leaflet.options)):
        problems.add(f"leaflet.yaml options [{option_id}]", "the option has no leaflet text")
    for i, line in enumerate(leaflet.helplines):
        where = f"leaflet.yaml helplines[{i}]"
        source = sources.get(line.source)
        if source is None:
            problems.add(where, f"unknown source '{line.source}'")
        elif source.helpline is None:
            problems.add(where, f"sources.yaml records no helpline for '{line.source}'")
        _check_citations(where, line.sources, sources, problems)
        _leaflet_texts(where, [line.text], problems)


def check_knowledge(root: Path = KNOWLEDGE_DIR) -> tuple[Knowledge | None, list[str]]:
    """Load and check everything; return the knowledge (if usable) and every problem."""
    problems = _Problems()
    sources_file = _read(root / "sources.yaml", SourcesFile, problems)
    drugs = _read(root / "drugs.yaml", DrugsFile, problems)
    definitions = _read(root / "definitions.yaml", Definitions, problems)
    rules = _read(root / "rules.yaml", RulesFile, problems)
    leaflet = _read(root / "leaflet.yaml", LeafletFile, problems)
    sources = {s.id: s for s in sources_file.sources} if sources_file else {}
    if sources_file and len(sources) != len(sources_file.sources):
        problems.add("sources.yaml", "duplicate source id")
    drug_ids = {d.id for d in drugs.drugs} if drugs else set()
    drug_names = _drug_index(drugs, problems) if drugs else {}
    if drugs:
        for drug in drugs.drugs:
            _check_citations(f"drugs.yaml {drug.id}", drug.sources, sources, problems)
        for regimen in drugs.regimens:
            _check_citations(f"drugs.yaml {regimen.id}", regimen.sources, sources, problems)
    if definitions:
        for name in ("relapsed", "refractory", "mrd"):
            _check_citations(f"definitions.yaml {name}", getattr(definitions, name), sources,
                             problems)
        _check_citations("definitions.yaml remission", definitions.remission.sources, sources,
                         problems)

    compiled_options: list[CompiledOption] = []
    seen: dict[str, str] = {}
    option_paths = sorted((root / "options").glob("*.yaml"))
    for path in option_paths:
        option = _read(path, Option, problems)
        if option is None:
            continue
        where = f"options/{path.name} [{option.id}]"
        if option.id in seen:
            problems.add(where, f"duplicate option id, also in {seen[option.id]}")
        seen[option.id] = path.name
        if path.stem != option.id:
            problems.add(where, "the file name must be the option id")
        compiled = _compile_option(option, where, sources, drug_ids, problems)
        if compiled:
            compiled_options.append(compiled)

    shared = rules or RulesFile.model_validate({"format": 1})  # checked even if rules.yaml failed
    exclusions = _compile_rules("exclusions", shared.exclusions, sources, drug_ids, problems)
    gaps = _compile_rules("gaps", shared.gaps, sources, drug_ids, problems)
    cautions = _compile_rules("cautions", shared.cautions, sources, drug_ids, problems)
    prognostic = _compile_rules(
        "prognostic_factors", shared.prognostic_factors, sources, drug_ids, problems
    )
    for factor in shared.prognostic_factors:
        if factor.fact not in FACTS:
            problems.add(f"rules.yaml prognostic_factors [{factor.id}]",
                         f"unknown fact '{factor.fact}'")

    if leaflet:
        file_ids = {path.stem for path in option_paths}
        _check_leaflet(leaflet, sources, set(seen), file_ids, problems)

    if not (sources_file and drugs and definitions and rules and leaflet):
        return None, problems.lines
    compiled_options.sort(key=lambda c: (c.option.rank, c.option.id))
    knowledge = Knowledge(
        sources=sources,
        drugs=drugs,
        definitions=definitions,
        rules=rules,
        options=tuple(compiled_options),
        drug_names=drug_names,
        leaflet=leaflet,
        exclusions=exclusions,
        gaps=gaps,
        cautions=cautions,
        prognostic=prognostic,
        root=root,
    )
    return knowledge, problems.lines


@functools.lru_cache(maxsize=4)
def load_knowledge(root: Path = KNOWLEDGE_DIR) -> Knowledge:
    """The knowledge base, checked and compiled; raises ``KnowledgeError`` listing every problem."""
    knowledge, problems = check_knowledge(root)
    if problems or knowledge is None:
        raise KnowledgeError(problems or ["the knowledge base could not be loaded"])
    return knowledge
