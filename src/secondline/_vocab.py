"""The knowledge's vocabularies and registries, checked: sources, drugs (with the names
teams write), symptoms, and the definitions' citations."""

from __future__ import annotations

from secondline._checks import Problems, check_citations
from secondline._schema import Definitions, DrugsFile, Source, SourcesFile, SymptomsFile


def drug_key(name: str) -> str:
    """Drug names match whatever their case or surrounding spaces."""
    return name.strip().lower()


def symptom_key(name: str) -> str:
    """Symptoms match whatever their letter case, and spaces or underscores for hyphens."""
    return "-".join(name.strip().lower().replace("_", " ").split())


def drug_index(drugs: DrugsFile, problems: Problems) -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    ids = {drug.id for drug in drugs.drugs}

    def put(name: str, target: tuple[str, ...], where: str) -> None:
        key = drug_key(name)
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


def check_drugs(drugs: DrugsFile, sources: dict[str, Source], problems: Problems) -> None:
    """Drugs the pages name cite where; the others say where their ATC code was checked."""
    for drug in drugs.drugs:
        where = f"drugs.yaml {drug.id}"
        check_citations(where, drug.sources, sources, problems)
        if drug.named_by_sources and not drug.sources:
            problems.add(where, "is named by the sources but cites none")
        if not drug.named_by_sources and drug.sources:
            problems.add(where, "is marked as not named by the sources but cites them")
        if not drug.named_by_sources and drug.atc_reference is None:
            problems.add(where, "is not named by the sources, so its ATC code needs a reference")
    for regimen in drugs.regimens:
        check_citations(f"drugs.yaml {regimen.id}", regimen.sources, sources, problems)


def symptom_index(symptoms: SymptomsFile, sources: dict[str, Source],
                   problems: Problems) -> dict[str, str]:
    index: dict[str, str] = {}
    for symptom in symptoms.symptoms:
        where = f"symptoms.yaml {symptom.id}"
        check_citations(where, symptom.sources, sources, problems)
        if symptom.named_by_sources != bool(symptom.sources):
            problems.add(where, "cites sources exactly when it is named by them")
        if symptom.sign_of_relapse and not symptom.named_by_sources:
            problems.add(where, "only a symptom the sources name can be a sign of relapse")
        if symptom_key(symptom.id) != symptom.id:
            problems.add(f"symptoms.yaml {symptom.id}", "an id is lower case, words joined by -")
        for name in [symptom.id, symptom.name, *symptom.also_called]:
            key = symptom_key(name)
            if index.get(key, symptom.id) != symptom.id:
                problems.add(f"symptoms.yaml {symptom.id}", f"the name '{name}' is already used")
            index[key] = symptom.id
    return index


def check_sources(sources_file: SourcesFile, problems: Problems) -> dict[str, Source]:
    sources = {s.id: s for s in sources_file.sources}
    if len(sources) != len(sources_file.sources):
        problems.add("sources.yaml", "duplicate source id")
    for s in sources_file.sources:
        if s.url is not None and (s.url_checked is None or not s.url_evidence):
            problems.add(f"sources.yaml {s.id}", "a public address needs url_checked and "
                         "url_evidence; with none confirmed, leave url empty")
    return sources


def check_definitions(definitions: Definitions, sources: dict[str, Source],
                       problems: Problems) -> None:
    for name in ("relapsed", "refractory", "mrd"):
        check_citations(f"definitions.yaml {name}", getattr(definitions, name), sources,
                        problems)
    check_citations("definitions.yaml remission", definitions.remission.sources, sources,
                    problems)
