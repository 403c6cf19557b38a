"""Whole-knowledge-base tests: the packaged files are sound, a broken copy is reported in
full, the contract's option ids exist, drug codes and names are right, the addresses shown
are public ones, and no text gives a dose."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from knowledge_files import read_yaml, write_yaml
from secondline import KnowledgeError, check_knowledge, load_knowledge
from secondline._knowledge import KNOWLEDGE_DIR

OPTION_FILES = sorted((KNOWLEDGE_DIR / "options").glob("*.yaml"))

#: contract section 4, the v1 option ids
CONTRACT_OPTION_IDS = (
    "blinatumomab", "inotuzumab-ozogamicin", "tisagenlecleucel", "reinduction-chemotherapy",
    "flag-ida", "nelarabine-regimen", "imatinib", "dasatinib", "ponatinib",
    "stem-cell-transplant", "total-body-irradiation", "intrathecal-chemotherapy",
    "high-dose-methotrexate", "cranial-radiotherapy", "palliative-radiotherapy",
    "supportive-care", "clinical-trial", "symptom-control", "cladribine", "pentostatin",
    "rituximab", "interferon-alfa",
)

#: WHO ATC codes
ATC = {
    "cladribine": "L01BB04",
    "pentostatin": "L01XX08",
    "rituximab": "L01FA01",
    "interferon-alfa-2a": "L03AB04",
    "interferon-alfa-2b": "L03AB05",
    "blinatumomab": "L01FX07",
    "inotuzumab-ozogamicin": "L01FB01",
    "tisagenlecleucel": "L01XL04",
    "imatinib": "L01EA01",
    "dasatinib": "L01EA02",
    "ponatinib": "L01EA05",
    "nelarabine": "L01BB07",
    "cyclophosphamide": "L01AA01",
    "etoposide": "L01CB01",
    "fludarabine": "L01BB05",
    "cytarabine": "L01BC01",
    "idarubicin": "L01DB06",
    "methotrexate": "L01BA01",
    "filgrastim": "L03AA02",
    "prednisolone": "H02AB06",
    "prednisone": "H02AB07",
    "dexamethasone": "H02AB02",
    "norethisterone": "G03DC02",
    # recognition only: each checked on the page its atc_reference names
    "vincristine": "L01CA02",
    "daunorubicin": "L01DB02",
    "doxorubicin": "L01DB01",
    "asparaginase": "L01XX02",
    "pegaspargase": "L01XX24",
    "mercaptopurine": "L01BB02",
    "tioguanine": "L01BB03",
    "clofarabine": "L01BB06",
    "hydrocortisone": "H02AB09",
    "brexucabtagene-autoleucel": "L01XL06",
    "obecabtagene-autoleucel": "L01XL12",
}

SUGGESTED = {"suggested", "clinical-trial"}
NOT_SUGGESTED = {"excluded", "not-indicated", "undecided"}

#: a number with a unit of dose: mg, mg/m2, g, mcg, µg, ml, units, IU, Gy and their words
DOSE = re.compile(
    r"\d+(?:[.,]\d+)?\s*"
    r"(?:mg|g|mcg|µg|μg|ug|ng|ml|units?|iu|c?gy|mmol|milligrams?|micrograms?|"
    r"millilit(?:re|er)s?|grays?)"
    r"(?:\s*/\s*(?:m2|m²|kg|day|d|h|dose))?\b",
    re.IGNORECASE,
)
#: the keys under which the knowledge holds words a reader sees
TEXT_KEYS = {
    "name", "summary", "how_given", "text", "reason", "unmet", "note", "label",
    "description", "what_happens", "why", "closing", "partly", "no_response", "came_back",
    "came_back_no_end",
}


def walk(node: Any) -> Iterator[Any]:
    """Every mapping, list and value in a YAML tree, depth first."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) for every reader-facing string, skipping the example cases."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "cases":
                continue
            where = f"{path}.{key}" if path else str(key)
            if key in TEXT_KEYS and isinstance(value, str):
                yield where, value
            else:
                yield from texts(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from texts(value, f"{path}[{i}]")


# --- the packaged knowledge ---------------------------------------------------------------


def test_packaged_knowledge_has_no_problems() -> None:
    knowledge, problems = check_knowledge()
    assert problems == [], "knowledge problems:\n" + "\n".join(problems)
    assert knowledge is not None
    assert len(knowledge.options) == len(OPTION_FILES)


def test_every_contract_option_id_exists() -> None:
    ids = {compiled.option.id for compiled in load_knowledge().options}
    missing = sorted(set(CONTRACT_OPTION_IDS) - ids)
    assert not missing, f"contract option ids not in the knowledge: {missing}"


def test_drug_atc_codes() -> None:
    codes = {drug.id: drug.atc for drug in load_knowledge().drugs.drugs}
    assert {drug: codes.get(drug) for drug in ATC} == ATC
    assert set(codes) == set(ATC), "a drug was added without its code pinned here"


def test_drugs_the_pages_do_not_name_say_where_their_code_was_checked() -> None:
    drugs = load_knowledge().drugs.drugs
    unnamed = [d for d in drugs if not d.named_by_sources]
    assert {d.id for d in unnamed} >= {"vincristine", "pegaspargase", "brexucabtagene-autoleucel"}
    for drug in unnamed:
        assert drug.atc_reference is not None, drug.id
        assert drug.atc_reference.url.startswith(("https://", "http://")), drug.id
        assert not drug.sources, f"{drug.id} is not named by the pages, yet cites them"


@pytest.mark.parametrize(
    ("written", "expected"),
    [("Oncaspar", "pegaspargase"), ("Tecartus", "brexucabtagene-autoleucel"),
     ("Aucatzyl", "obecabtagene-autoleucel"), ("6-MP", "mercaptopurine"),
     ("thioguanine", "tioguanine"), ("Riabni", "rituximab"), ("Erwinase", "asparaginase")],
)
def test_records_name_drugs_the_pages_do_not(written: str, expected: str) -> None:
    assert load_knowledge().canonical_drugs(written) == (expected,)


def test_car_t_products_are_recognised_as_car_t() -> None:
    drugs = load_knowledge().drug_by_id
    assert {i for i, d in drugs.items() if d.kind == "car-t"} == {
        "tisagenlecleucel", "brexucabtagene-autoleucel", "obecabtagene-autoleucel",
    }


#: hosts a patient must never be sent to: staging, demonstration and internal copies
NOT_PUBLIC = re.compile(r"stag|demo|\.stg\.|\.int\.|aldryn|localhost", re.IGNORECASE)


def test_no_address_shown_is_a_staging_or_unconfirmed_one() -> None:
    for source in load_knowledge().sources.values():
        if source.url is None:
            continue
        assert not NOT_PUBLIC.search(source.url), (source.id, source.url)
        assert source.url.startswith("https://"), (source.id, source.url)
        assert source.url_checked is not None, source.id
        assert source.url_evidence, source.id


def test_the_printed_staging_address_is_kept_only_as_provenance() -> None:
    lc = load_knowledge().sources["lc-all-rr"]
    assert lc.printed_url is not None
    assert "lcdemo-stage" in lc.printed_url
    assert lc.url is not None
    assert lc.url.startswith("https://www.leukaemiacare.org.uk/")


@pytest.mark.parametrize(
    ("written", "expected"),
    [("Breathlessness", "dyspnoea"), ("bone pain", "bone-pain"), ("Bone_Pain", "bone-pain"),
     ("swollen glands", "swollen-lymph-nodes"), ("tiredness", "fatigue")],
)
def test_symptom_names_resolve(written: str, expected: str) -> None:
    from secondline._knowledge import symptom_key

    assert load_knowledge().symptom_names[symptom_key(written)] == expected


def test_the_relapse_signs_are_the_leukaemia_care_list() -> None:
    assert load_knowledge().relapse_signs == {
        "anaemia", "bone-pain", "joint-pain", "bruising", "petechiae", "fever",
        "recurrent-infections", "abdominal-pain", "swollen-lymph-nodes", "dyspnoea",
    }


def test_every_option_that_names_drugs_says_how_a_failed_one_is_recognised() -> None:
    for compiled in load_knowledge().options:
        option = compiled.option
        if option.anti_leukaemia and option.drugs:
            assert option.same_treatment is not None, option.id


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Blincyto", ("blinatumomab",)),
        ("besponsa", ("inotuzumab-ozogamicin",)),
        ("KYMRIAH", ("tisagenlecleucel",)),
        ("Sprycel", ("dasatinib",)),
        ("Iclusig", ("ponatinib",)),
        ("Gleevec", ("imatinib",)),
        ("Glivec", ("imatinib",)),
        ("Truxima", ("rituximab",)),
        ("  gLiVeC ", ("imatinib",)),
        ("cladribine", ("cladribine",)),
    ],
)
def test_brand_names_resolve_case_insensitively(written: str, expected: tuple[str, ...]) -> None:
    assert load_knowledge().canonical_drugs(written) == expected


@pytest.mark.parametrize("written", ["FLAG-IDA", "flag-ida", "Flag IDA"])
def test_flag_ida_resolves_to_its_four_drugs(written: str) -> None:
    drugs = load_knowledge().canonical_drugs(written)
    assert len(drugs) == 4
    assert set(drugs) == {"fludarabine", "cytarabine", "filgrastim", "idarubicin"}


@pytest.mark.parametrize("written", ["zorbalimab", "", "blinatumomabb", "FLAG-IDAX"])
def test_unknown_names_resolve_to_nothing(written: str) -> None:
    assert load_knowledge().canonical_drugs(written) == ()


def test_every_source_is_cited_somewhere() -> None:
    registry = read_yaml(KNOWLEDGE_DIR / "sources.yaml")["sources"]
    files = [KNOWLEDGE_DIR / name for name in ("drugs.yaml", "definitions.yaml", "rules.yaml")]
    cited: set[str] = set()
    for path in [*files, *OPTION_FILES]:
        for node in walk(read_yaml(path)):
            if isinstance(node, dict) and {"source", "section"} <= node.keys():
                cited.add(node["source"])
    uncited = sorted({source["id"] for source in registry} - cited)
    assert not uncited, f"sources no rule cites: {uncited}"


@pytest.mark.parametrize("path", OPTION_FILES, ids=lambda p: p.stem)
def test_option_has_examples_both_ways(path: Path) -> None:
    outcomes = [case["expect"] for case in read_yaml(path).get("cases") or []]
    assert set(outcomes) & SUGGESTED, f"{path.name}: no example where it is suggested"
    assert set(outcomes) & NOT_SUGGESTED, f"{path.name}: no example where it is not suggested"


@pytest.mark.parametrize(
    "path",
    [
        *OPTION_FILES, KNOWLEDGE_DIR / "rules.yaml", KNOWLEDGE_DIR / "definitions.yaml",
        KNOWLEDGE_DIR / "leaflet.yaml", KNOWLEDGE_DIR / "symptoms.yaml",
        KNOWLEDGE_DIR / "settings.yaml",
    ],
    ids=lambda p: p.stem,
)
def test_no_text_gives_a_dose(path: Path) -> None:
    found = [
        f"{where}: {match.group(0)!r}"
        for where, text in texts(read_yaml(path))
        for match in DOSE.finditer(text)
    ]
    assert not found, f"{path.name} gives doses: {found}"


def test_texts_finds_the_reader_facing_words() -> None:
    # guards the dose test against walking past the words it must read
    found = dict(texts(read_yaml(KNOWLEDGE_DIR / "options" / "tisagenlecleucel.yaml")))
    assert "summary" in found
    assert "how_given" in found
    assert "notes[0].text" in found
    assert "not_when[0].reason" in found
    assert "suggest_when.all[1].unmet" in found
    assert not any(where.startswith("cases") for where in found)
    leaflet = dict(texts(read_yaml(KNOWLEDGE_DIR / "leaflet.yaml")))
    assert "options.interferon-alfa.what_happens" in leaflet
    assert "options.interferon-alfa.description" in leaflet
    assert "states[0].text" in leaflet


@pytest.mark.parametrize(
    "text",
    [
        "15 mg/m2 a day", "2mg", "0.5 mg/kg", "12 mg", "3 g", "100 mcg", "5 µg", "10 ml",
        "3 units", "2 IU", "12 Gy", "1800 cGy", "50 milligrams",
    ],
)
def test_the_dose_pattern_catches_doses(text: str) -> None:
    assert DOSE.search(text), text


@pytest.mark.parametrize(
    "text",
    [
        "usually lasts 2 to 3 years", "aged 25 or under", "below the 5% criterion",
        "exactly 2 years ago", "CD19 and CD22", "FLAG-IDA", "several times a week",
        "over 25 days", "CD20 genes",
    ],
)
def test_the_dose_pattern_leaves_other_numbers_alone(text: str) -> None:
    assert not DOSE.search(text), text


# --- a broken copy ------------------------------------------------------------------------


def _edit(path: Path, change: Any) -> None:
    data = read_yaml(path)
    change(data)
    write_yaml(path, data)


def test_an_unbroken_copy_has_no_problems(knowledge_copy: Path) -> None:
    # the control for the test below: copying (and re-writing a file) breaks nothing
    _edit(knowledge_copy / "options" / "cladribine.yaml", lambda data: None)
    knowledge, problems = check_knowledge(knowledge_copy)
    assert problems == []
    assert knowledge is not None
    assert load_knowledge(knowledge_copy).root == knowledge_copy


def _break_copy(root: Path) -> dict[str, str]:
    """Break five things at once; return, per broken file, a word its problem must name."""
    options = root / "options"

    def unknown_fact(data: dict[str, Any]) -> None:
        data["suggest_when"] = {"all": [data["suggest_when"], {"fact": "no_such_fact", "is": 1}]}

    def unknown_source(data: dict[str, Any]) -> None:
        data["sources"].append({"source": "no-such-source", "section": "Treatment"})

    def unknown_section(data: dict[str, Any]) -> None:
        data["sources"].append({"source": "cruk-all-rr", "section": "No such section"})

    def no_cases(data: dict[str, Any]) -> None:
        del data["cases"]

    def no_same_treatment(data: dict[str, Any]) -> None:
        del data["same_treatment"]

    def unreferenced_code(data: dict[str, Any]) -> None:
        next(d for d in data["drugs"] if d["id"] == "vincristine").pop("atc_reference")

    def clashing_symptom(data: dict[str, Any]) -> None:
        data["symptoms"].append({"id": "puffing", "name": "puffing", "sign_of_relapse": True,
                                 "also_called": ["breathlessness"],
                                 "sources": [{"source": "lc-all-rr",
                                              "section": "Symptoms of relapsed ALL"}]})

    def unknown_value(data: dict[str, Any]) -> None:
        data["cautions"][0]["text"] += " {no_such_value}"

    def unproven_address(data: dict[str, Any]) -> None:
        next(s for s in data["sources"] if s["id"] == "ccs-all-rr").pop("url_evidence")

    _edit(options / "blinatumomab.yaml", unknown_fact)
    _edit(options / "rituximab.yaml", unknown_source)
    _edit(options / "dasatinib.yaml", unknown_section)
    _edit(options / "symptom-control.yaml", no_cases)
    _edit(options / "imatinib.yaml", no_same_treatment)
    shutil.copy(options / "ponatinib.yaml", options / "zz-ponatinib.yaml")
    _edit(root / "drugs.yaml", unreferenced_code)
    _edit(root / "symptoms.yaml", clashing_symptom)
    _edit(root / "rules.yaml", unknown_value)
    _edit(root / "sources.yaml", unproven_address)
    return {
        "options/blinatumomab.yaml": "no_such_fact",
        "options/rituximab.yaml": "no-such-source",
        "options/dasatinib.yaml": "No such section",
        "options/symptom-control.yaml": "no example cases",
        "options/imatinib.yaml": "same_treatment",
        "options/zz-ponatinib.yaml": "duplicate option id",
        "drugs.yaml vincristine": "needs a reference",
        "symptoms.yaml puffing": "already used",
        "rules.yaml cautions": "no_such_value",
        "sources.yaml ccs-all-rr": "url_evidence",
    }


def _assert_all_reported(problems: list[str], expected: dict[str, str]) -> None:
    shown = "\n".join(problems)
    for where, word in expected.items():
        assert any(line.startswith(where) and word in line for line in problems), (
            f"no problem names {where} and {word!r}:\n{shown}"
        )
    # nothing else is blamed: every line names one of the files that were broken
    for line in problems:
        assert line.startswith(tuple(expected)), f"unexpected problem: {line}"


def test_a_broken_copy_reports_every_problem_at_once(knowledge_copy: Path) -> None:
    expected = _break_copy(knowledge_copy)
    _, problems = check_knowledge(knowledge_copy)
    _assert_all_reported(problems, expected)
    duplicate = next(line for line in problems if "duplicate option id" in line)
    assert "[ponatinib]" in duplicate
    assert "ponatinib.yaml" in duplicate.split("duplicate option id", 1)[1]

    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge_copy)
    _assert_all_reported(caught.value.problems, expected)
    assert caught.value.problems == problems
    # the packaged knowledge, cached separately, is untouched
    assert check_knowledge()[1] == []
