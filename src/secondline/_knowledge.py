"""Loading the knowledge base: read every file, check it as a whole, compile it once.

Every problem found is collected, named by file and rule, and raised together as one
``KnowledgeError``, so an author fixes a whole batch in one pass.

``load_knowledge`` takes the validated files from the compiled cache (see ``_checks``)
when it holds exactly these bytes, and still checks and compiles them as a whole (a few
milliseconds); only knowledge without a single problem is ever cached.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from secondline._cache import cache_key, read_cache, write_cache
from secondline._checks import (
    PLACEHOLDER,
    Files,
    Problems,
    read,
)
from secondline._compile import (
    CompiledHolds,
    CompiledOption,
    Vocabularies,
    compile_holds,
    compile_option,
    compile_rules,
)
from secondline._conditions import TruthOnly
from secondline._errors import KnowledgeError
from secondline._facts import FACTS
from secondline._guidance import GuidanceItem, GuidanceLayer, compile_guidance
from secondline._leaflet_check import check_leaflet
from secondline._leaflet_schema import LeafletFile
from secondline._plan import CompiledPlan, PlanFile, compile_plan
from secondline._schema import (
    Caution,
    Citation,
    Definitions,
    Drug,
    DrugsFile,
    Gap,
    GlobalExclusion,
    Option,
    PrognosticFactor,
    RulesFile,
    SettingsFile,
    Source,
    SourcesFile,
    SymptomsFile,
)
from secondline._vocab import (
    check_definitions,
    check_drugs,
    check_sources,
    drug_index,
    drug_key,
    symptom_index,
    symptom_key,
)

__all__ = ["KNOWLEDGE_DIR", "PLACEHOLDER", "CompiledOption", "Knowledge", "check_knowledge",
           "knowledge_version", "load_knowledge", "symptom_key"]

KNOWLEDGE_DIR = Path(__file__).parent / "knowledge"
_RuleList = tuple[tuple[TruthOnly | None, Gap], ...]


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
    symptoms: SymptomsFile
    #: symptom name as written (see ``symptom_key``) -> symptom id
    symptom_names: dict[str, str]
    settings: SettingsFile
    holds: CompiledHolds
    #: the steps of the plan, in order, with their compiled preferences
    plan: CompiledPlan
    #: the current-guidance layer, applied only on request
    guidance: GuidanceLayer
    #: shared rules with their compiled conditions; None means the rule always applies
    exclusions: tuple[tuple[TruthOnly | None, GlobalExclusion], ...] = field(default=())
    gaps: _RuleList = field(default=())
    cautions: tuple[tuple[TruthOnly | None, Caution], ...] = field(default=())
    prognostic: tuple[tuple[TruthOnly | None, PrognosticFactor], ...] = field(default=())
    context: _RuleList = field(default=())
    root: Path = KNOWLEDGE_DIR

    @functools.cached_property
    def drug_by_id(self) -> dict[str, Drug]:
        return {drug.id: drug for drug in self.drugs.drugs}

    @functools.cached_property
    def option_names(self) -> dict[str, str]:
        return {c.option.id: c.option.name for c in self.options}

    @functools.cached_property
    def step_cites(self) -> dict[str, list[Citation]]:
        """Each option's citations for its step of the plan."""
        return {c.option.id: c.option.step.sources for c in self.options}

    @functools.cached_property
    def relapse_signs(self) -> frozenset[str]:
        """The symptoms the sources list as signs that the leukaemia may have come back."""
        return frozenset(s.id for s in self.symptoms.symptoms if s.sign_of_relapse)

    def canonical_drugs(self, name: str) -> tuple[str, ...]:
        """Drug ids for a name as a team may write it; empty if unknown."""
        return self.drug_names.get(drug_key(name), ())

    def setting(self, name: str) -> str:
        """A setting of settings.yaml in words, e.g. '30 days'."""
        value = getattr(self.settings, name)
        return f"{value.value:g} {value.unit}"


class _Parsed(NamedTuple):
    """Every knowledge file validated into its model (None where it failed), as cached."""

    sources: SourcesFile | None
    drugs: DrugsFile | None
    symptoms: SymptomsFile | None
    settings: SettingsFile | None
    definitions: Definitions | None
    rules: RulesFile | None
    leaflet: LeafletFile | None
    plan: PlanFile | None
    #: each option file: its name, its option, and the problems reading it
    options: tuple[tuple[str, Option | None, tuple[str, ...]], ...]
    #: each guidance file, the same way
    guidance: tuple[tuple[str, GuidanceItem | None, tuple[str, ...]], ...]


def _parse(files: Files, problems: Problems) -> _Parsed:
    """Validate every file; an option file's problems are kept with it, to be reported
    in their place among the checks of the options."""
    root, data = files.root, files.data
    files_read = (  # in this order, as their problems are reported
        read(root / "sources.yaml", SourcesFile, problems, data["sources.yaml"]),
        read(root / "drugs.yaml", DrugsFile, problems, data["drugs.yaml"]),
        read(root / "symptoms.yaml", SymptomsFile, problems, data["symptoms.yaml"]),
        read(root / "settings.yaml", SettingsFile, problems, data["settings.yaml"]),
        read(root / "definitions.yaml", Definitions, problems, data["definitions.yaml"]),
        read(root / "rules.yaml", RulesFile, problems, data["rules.yaml"]),
        read(root / "leaflet.yaml", LeafletFile, problems, data["leaflet.yaml"]),
        read(root / "plan.yaml", PlanFile, problems, data["plan.yaml"]),
    )
    def each(names: list[str], model: type[Option] | type[GuidanceItem], folder: str,
             ) -> tuple[tuple[str, Any, tuple[str, ...]], ...]:
        found = []
        for name in names:
            own = Problems()
            value = read(root / name, model, own, data[name])
            found.append((name.removeprefix(folder), value, tuple(own.lines)))
        return tuple(found)

    return _Parsed(*files_read, options=each(files.options, Option, "options/"),
                   guidance=each(files.guidance, GuidanceItem, "guidance/"))


def _options(parsed: _Parsed, sources: dict[str, Source], vocab: Vocabularies,
             problems: Problems) -> tuple[list[CompiledOption], set[str], set[str]]:
    """The compiled options, the ids that loaded, and the ids of every option file."""
    compiled_options: list[CompiledOption] = []
    seen: dict[str, str] = {}
    for name, option, read_problems in parsed.options:
        problems.lines.extend(read_problems)
        if option is None:
            continue
        where = f"options/{name} [{option.id}]"
        if option.id in seen:
            problems.add(where, f"duplicate option id, also in {seen[option.id]}")
        seen[option.id] = name
        if name.removesuffix(".yaml") != option.id:
            problems.add(where, "the file name must be the option id")
        if compiled := compile_option(option, where, sources, vocab, problems):
            compiled_options.append(compiled)
    compiled_options.sort(key=lambda c: (c.option.rank, c.option.id))
    return compiled_options, set(seen), {name.removesuffix(".yaml") for name, *_ in parsed.options}


def _assemble(parsed: _Parsed, root: Path, problems: Problems) -> Knowledge | None:
    """Check the validated files as a whole and compile them: the knowledge, if usable."""
    sources_file, drugs, symptoms, settings, definitions, rules, leaflet, plan_file, *_ = parsed
    sources = check_sources(sources_file, problems) if sources_file else {}
    drug_names = drug_index(drugs, problems) if drugs else {}
    if drugs:
        check_drugs(drugs, sources, problems)
    symptom_names = symptom_index(symptoms, sources, problems) if symptoms else {}
    if definitions:
        check_definitions(definitions, sources, problems)
    vocab: Vocabularies = {
        "drugs": {d.id for d in drugs.drugs} if drugs else set(),
        "symptoms": set(symptom_names.values()),
    }
    options, option_ids, file_ids = _options(parsed, sources, vocab, problems)
    setting_names: Iterable[str] = type(settings).model_fields if settings else ()
    setting_names = [name for name in setting_names if name != "format"]

    def shared(kind: str, items: list[Gap]) -> _RuleList:
        return compile_rules(kind, items, sources, vocab, problems, setting_names)

    holds = compile_holds(rules.holds, sources, vocab, problems) if rules else None
    exclusions = compile_rules("exclusions", rules.exclusions if rules else [], sources,
                               vocab, problems)
    gaps = shared("gaps", rules.gaps if rules else [])
    cautions = compile_rules("cautions", rules.cautions if rules else [], sources, vocab,
                             problems, setting_names)
    context = shared("prognostic_context", rules.prognostic_context if rules else [])
    prognostic = compile_rules("prognostic_factors", rules.prognostic_factors if rules else [],
                               sources, vocab, problems)
    for factor in rules.prognostic_factors if rules else []:
        if factor.fact not in FACTS:
            problems.add(f"rules.yaml prognostic_factors [{factor.id}]",
                         f"unknown fact '{factor.fact}'")
    if leaflet:
        check_leaflet(leaflet, sources, option_ids, file_ids, problems)
    read_options = [option for _, option, _ in parsed.options if option is not None]
    plan = (compile_plan(plan_file, read_options, sources, vocab, problems,
                         frozenset(file_ids - option_ids)) if plan_file else None)

    guidance = compile_guidance(parsed.guidance, option_ids, vocab, problems)
    if not (sources_file and drugs and symptoms and settings and definitions and rules
            and leaflet and holds and plan):
        return None
    return Knowledge(
        sources=sources, drugs=drugs, definitions=definitions, rules=rules,
        options=tuple(options), drug_names=drug_names, leaflet=leaflet, symptoms=symptoms,
        symptom_names=symptom_names, settings=settings, holds=holds, plan=plan,
        guidance=guidance,
        exclusions=exclusions, gaps=gaps, cautions=cautions, prognostic=prognostic,
        context=context, root=root,
    )


def check_knowledge(root: Path = KNOWLEDGE_DIR) -> tuple[Knowledge | None, list[str]]:
    """Load and check everything; return the knowledge (if usable) and every problem."""
    problems = Problems()
    knowledge = _assemble(_parse(Files.read(root), problems), root, problems)
    return knowledge, problems.lines


def _load(files: Files, key: bytes | None) -> Knowledge:
    """The knowledge from the compiled cache when it holds these files (``key``), else
    checked from them and then cached; raises ``KnowledgeError`` listing every problem."""
    cached = _from_cache(key) if key else None
    if cached is not None:
        problems = Problems()
        try:
            knowledge = _assemble(cached, files.root, problems)
        except Exception:  # whatever went wrong, the files themselves decide
            knowledge = None
        if knowledge is not None and not problems.lines:
            return knowledge
    problems = Problems()
    parsed = _parse(files, problems)
    knowledge = _assemble(parsed, files.root, problems)
    if problems.lines or knowledge is None:
        raise KnowledgeError(problems.lines or ["the knowledge base could not be loaded"])
    if key:
        write_cache(key, tuple(parsed))
    return knowledge


def _from_cache(key: bytes) -> _Parsed | None:
    """The validated files kept in the cache under ``key``, if they are what was kept."""
    found = read_cache(key)
    if not isinstance(found, tuple) or len(found) != len(_Parsed._fields):
        return None
    kinds = (SourcesFile, DrugsFile, SymptomsFile, SettingsFile, Definitions, RulesFile,
             LeafletFile, PlanFile)
    files, options, guidance = found[:-2], found[-2], found[-1]

    def kept(entries: object, kind: type) -> bool:
        return isinstance(entries, tuple) and all(
            isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[0], str)
            and isinstance(entry[1], kind) and entry[2] == () for entry in entries)

    if not (all(isinstance(m, k) for m, k in zip(files, kinds, strict=True))
            and kept(options, Option) and kept(guidance, GuidanceItem)):
        return None
    return _Parsed(*found)


#: loaded knowledge, for the life of the process: the packaged knowledge by its place (it
#: is part of the installed program), any other by its place and content
_LOADED: dict[tuple[Path, bytes | None], Knowledge] = {}


def load_knowledge(root: Path = KNOWLEDGE_DIR) -> Knowledge:
    """The knowledge base, checked and compiled; raises ``KnowledgeError`` listing every problem.

    The packaged knowledge is loaded once per process. Any other root (a copy being
    edited, say) is read again at each call, about a millisecond, and loaded again when
    its content has changed, so an edit is seen at once.
    """
    packaged = _LOADED.get((KNOWLEDGE_DIR, None))
    if packaged is not None and (root is KNOWLEDGE_DIR or root == KNOWLEDGE_DIR):
        return packaged  # every assess() without a knowledge base passes here
    files = Files.read(root)
    key = cache_key(files)
    memo = (root, None if root == KNOWLEDGE_DIR else key)
    found = _LOADED.get(memo)
    if found is None:
        found = _load(files, key)
        copies = [m for m in _LOADED if m[1] is not None]
        if len(copies) >= 8:  # copies come and go (in tests): forget the oldest
            del _LOADED[copies[0]]
        _LOADED[memo] = found
    return found


@functools.cache
def knowledge_version(root: Path = KNOWLEDGE_DIR) -> str:
    """Which knowledge an assessment came from: ``sha256:`` and the hex SHA-256 of every
    knowledge file's name and bytes, in name order. The same files give the same version
    on any machine; any edit to any file gives another. Read once per process."""
    digest = hashlib.sha256()
    for name, data in sorted(Files.read(root).data.items()):
        digest.update(f"{name}\0{len(data or b'')}\0".encode() + (data or b""))
    return f"sha256:{digest.hexdigest()}"
