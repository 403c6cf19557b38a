"""The patient leaflet's HTML: what it says for a case, what it must never say, and that it
is a standalone, safe, readable document."""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import textstat
from hypothesis import HealthCheck, given, settings

from leaflet_parse import Page, read_page
from secondline import Assessment, Case, assess, load_knowledge, parse_case, read_case
from secondline._leaflet import leaflet_html, leaflet_text
from strategies import cases
from test_knowledge import DOSE, NOT_PUBLIC

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
KNOWLEDGE = load_knowledge()
WORDS = KNOWLEDGE.leaflet
RELAPSED = ROOT / "examples" / "b-all-relapsed-cd19.yaml"
DECLINED = ROOT / "examples" / "b-all-declines-treatment.yaml"
HCL_CA = ROOT / "examples" / "hcl-not-fit.yaml"
T_ALL = ROOT / "examples" / "t-all-relapsed.yaml"
#: the score the issue asks for: "fairly easy" or easier on the Flesch scale
READING_EASE = 60


def page_of(case: Case, assessment: Assessment | None = None) -> Page:
    return read_page(leaflet_html(case, assessment))


def case_data(path: Path) -> dict[str, Any]:
    from secondline._yaml import load

    data = load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def changed(path: Path, **changes: Any) -> Case:
    data = copy.deepcopy(case_data(path))
    data.update(changes)
    return parse_case(data)


def squeeze(text: str) -> str:
    return " ".join(text.split())


# --- a standalone, safe document --------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_leaflet_is_a_standalone_html5_document(example: Path) -> None:
    html = leaflet_html(read_case(str(example)))
    page = read_page(html)
    assert html.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "en"}) in page.tags
    assert page.title.strip()
    assert [level for level, _ in page.headings].count(1) == 1
    assert page.headings[0][0] == 1
    levels = [level for level, _ in page.headings]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert "@page" in page.style
    assert "@media print" in page.style
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "video",
                        "audio", "source", "base", "form"}, names


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_nothing_is_fetched_and_links_are_only_plain_links(example: Path) -> None:
    html = leaflet_html(read_case(str(example)))
    page = read_page(html)
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if "href" in attrs:
            assert tag == "a", tag
            assert str(attrs["href"]).startswith("https://"), attrs
            assert not NOT_PUBLIC.search(str(attrs["href"])), attrs  # never a staging host
    assert "@import" not in page.style
    assert "url(" not in page.style
    assert "@font-face" not in page.style
    assert "javascript:" not in html.lower()


def test_case_text_is_escaped() -> None:
    attack = "<script>alert(1)</script>"
    html = leaflet_html(changed(RELAPSED, id=attack))
    assert attack not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert attack in read_page(html).text  # shown as text, as written


# --- what it says ---------------------------------------------------------------------


def test_relapsed_b_all_leaflet_explains_the_disease_and_its_state() -> None:
    text = page_of(read_case(str(RELAPSED))).text
    assert "B-cell acute lymphoblastic leukaemia (B-cell ALL)" in text
    assert "Case reference: MDT-01" in text
    assert "23 November 2026" in text
    assert "it has come back. Doctors call this relapsed leukaemia" in text
    assert "Remission means that all three of these are true." in text
    assert "Fewer than 5 in every 100 cells in your bone marrow" in text
    assert "MRD stands for measurable residual disease." in text
    assert "Your latest MRD result was positive." in text
    assert "Doctors call this refractory" not in text  # relapsed, not refractory
    assert "Your latest test results are from: 17 November 2026" in text
    # what treatment depends on, as the ALL pages list it
    for said in ("markers on the leukaemia cells", "any gene changes in them",
                 "where the leukaemia has spread", "whether a clinical trial is open to you",
                 "your age, health and fitness", "Your own wishes matter too"):
        assert said in text, said
    assert "This leaflet supports the advice of your team. It does not replace it." in text


def test_each_option_has_its_plain_description_and_what_happens() -> None:
    case = read_case(str(RELAPSED))
    result = assess(case)
    page = page_of(case, result)
    headings = [text for level, text in page.headings if level == 3]
    for option in result.options:
        words = WORDS.options[option.id]
        assert option.name in headings
        assert squeeze(words.description) in page.text
        assert f"What happens: {squeeze(words.what_happens)}" in page.text
    # what the sources say happens is said: a drip, a lumbar puncture
    assert "go back into your blood through a drip" in page.text
    assert "lumbar puncture" in page.text


def test_standard_options_come_first_in_the_plan_s_order_and_trial_only_ones_are_marked(
) -> None:
    case = read_case(str(RELAPSED))
    result = assess(case)
    page = page_of(case, result)
    availability = {o.id: o.availability for o in result.options}
    planned = [oid for step in result.plan for oid in step.options]
    standard = [oid for oid in planned if availability[oid] == "standard"]
    trial = [oid for oid in planned if availability[oid] == "clinical-trial"]
    assert standard
    assert trial
    assert page.option_ids == standard + trial
    assert {page.option_sections[i] for i in standard} == {"options"}
    assert {page.option_sections[i] for i in trial} == {"trial-options"}
    assert page.text.count(WORDS.labels.trial_badge) == len(trial)
    assert WORDS.labels.trial_options in [text for _, text in page.headings]


def test_questions_support_and_sources_with_review_dates() -> None:
    case = read_case(str(RELAPSED))
    result = assess(case)
    text = page_of(case, result).text
    for question in ("What side effects might this treatment cause?",
                     "Would I need to stay in hospital overnight?",
                     "Could this treatment cure the leukaemia?"):
        assert question in text
    assert "0808 800 4040" in text
    assert "08088 010 444" in text
    assert "1-888-939-3333" not in text  # a UK case gets the UK lines
    for source in result.sources:
        assert source.title in text
        assert source.url in text
    assert "Last reviewed: 27 July 2022. Next review due: 27 July 2025." in text
    assert WORDS.labels.overdue in text  # cruk-all-rr was due in July 2025
    assert WORDS.labels.in_date in text  # cruk-all is due in 2027
    assert WORDS.labels.no_review_date in text  # ccs-all-rr prints none


def test_overdue_flags_follow_the_review_dates() -> None:
    early = parse_case({
        "age": 34, "disease": "B-ALL", "markers": {"CD19": "positive"}, "as_of": "2025-07-01",
        "treatments": [{"drugs": ["cytarabine"], "started": "2023-03-13", "ended": "2024-06-01",
                        "response": "complete-remission"}],
        "assessment": {"date": "2025-05-01", "marrow_blasts_percent": 38,
                       "blood_counts_normal": False, "extramedullary": []},
    })
    text = page_of(early).text
    assert "Next review due: 27 July 2025." in text
    assert WORDS.labels.overdue not in text
    text = page_of(read_case(str(RELAPSED))).text
    entry = text.split("Treatment for ALL that has not gone away with treatment", 1)[1]
    assert entry.split("Next review due: 27 July 2025.", 1)[1].lstrip().startswith(
        WORDS.labels.overdue
    )


@pytest.mark.parametrize(
    ("region", "shown", "hidden"),
    [
        ("UK", ["0808 800 4040", "08088 010 444"], ["1-888-939-3333"]),
        ("CA", ["1-888-939-3333"], ["0808 800 4040", "08088 010 444"]),
        (None, ["0808 800 4040", "08088 010 444", "1-888-939-3333"], []),
    ],
)
def test_helplines_are_those_of_the_case_region(
    region: str | None, shown: list[str], hidden: list[str]
) -> None:
    data = case_data(RELAPSED)
    data.pop("region")
    if region:
        data["region"] = region
    text = page_of(parse_case(data)).text
    for number in shown:
        assert number in text
    for number in hidden:
        assert number not in text


def test_hcl_leaflet_says_where_its_page_is_silent() -> None:
    text = page_of(read_case(str(HCL_CA))).text
    assert "hairy cell leukaemia (HCL)" in text
    assert "Interferon alfa" in text
    assert "an injection under the skin" in text
    assert "does not list questions to ask" in text
    assert "does not say what remission means for it" in text
    assert "does not mention MRD" in text
    assert "gives no helpline" in text
    assert "1-888-939-3333" in text  # a Canadian case
    assert "This leaflet has no MRD result for you." in text
    assert "B-cell" not in text
    assert "T-cell" not in text


# --- what it must never say -------------------------------------------------------------


def test_cd19_negative_leaflet_names_no_cd19_therapy() -> None:
    case = changed(RELAPSED, markers={"CD19": "negative", "CD20": "negative"})
    result = assess(case)
    page = page_of(case, result)
    assert "blinatumomab" not in page.option_ids
    assert "tisagenlecleucel" not in page.option_ids
    for name in ("Blinatumomab", "Blincyto", "Tisagenlecleucel", "Kymriah"):
        assert name.lower() not in page.text.lower()
    assert page.option_ids  # other options are still there


def test_t_all_leaflet_names_no_cd19_or_cd22_therapy() -> None:
    page = page_of(read_case(str(T_ALL)))
    assert "nelarabine-regimen" in page.option_ids
    for name in ("Blinatumomab", "Inotuzumab", "Tisagenlecleucel", "CAR T-cell", "CD19",
                 "CD22", "B-cell"):
        assert name.lower() not in page.text.lower()
    assert "T-cell ALL" in page.text


def test_declined_treatment_leaflet_respects_the_decision() -> None:
    case = read_case(str(DECLINED))
    result = assess(case)
    page = page_of(case, result)
    assert page.option_ids == [oid for step in result.plan for oid in step.options]
    assert set(page.option_ids) == {"symptom-control", "supportive-care"}
    # radiotherapy to ease bone pain stays the person's choice when the leukaemia is in
    # the bones: declining treatment of the leukaemia does not take symptom relief away
    bones = changed(DECLINED, assessment={"date": "2026-11-11", "marrow_blasts_percent": 45,
                                          "blood_counts_normal": False,
                                          "extramedullary": ["bone"]})
    assert "palliative-radiotherapy" in page_of(bones).option_ids
    assert "This leaflet respects that choice." in page.text
    assert "Could you refer me to a local team that helps control symptoms at home?" in (
        page.text
    )
    assert "Is there a clinical trial that might suit me?" not in page.text
    assert "trial-options" not in {page.option_sections[i] for i in page.option_ids}
    for name in ("Reinduction", "FLAG", "Blinatumomab", "transplant from a donor"):
        assert name.lower() not in page.text.lower()


def test_a_declined_leaflet_opens_with_the_choice_and_the_care_that_remains() -> None:
    case = read_case(str(DECLINED))
    result = assess(case)
    page = page_of(case, result)
    sections = [text for level, text in page.headings if level == 2]
    assert sections[0] == WORDS.labels.your_choice
    first = page.text.index(WORDS.labels.your_choice)
    assert first < page.text.index("You have told your team that you do not want treatment")
    assert page.text.index("You have told your team") < page.text.index(
        WORDS.labels.read_first)
    # the care that remains is listed in that first section, in the plan's order
    assert page.option_ids == [oid for step in result.plan for oid in step.options]
    assert {page.option_sections[i] for i in page.option_ids} == {"your-choice"}
    assert WORDS.labels.options not in sections, "no second list of options"


def test_declined_treatment_with_hcl_lists_nothing_and_says_why() -> None:
    case = changed(HCL_CA, wishes={"active_treatment": False})
    result = assess(case)
    assert result.options == []
    page = page_of(case, result)
    assert page.option_ids == []
    assert "this leaflet lists no treatments for it" in page.text
    assert "does not talk about care for people who make this choice" in page.text


def test_the_given_assessment_is_the_one_shown() -> None:
    case = read_case(str(RELAPSED))
    result = assess(case)
    kept = [o for o in result.options if o.id == "supportive-care"]
    page = page_of(case, result.model_copy(update={"options": kept}))
    assert page.option_ids == ["supportive-care"]
    assert "Blinatumomab" not in page.text


@given(cases())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_only_the_assessed_options_appear_and_the_text_stays_plain(case: Case) -> None:
    result = assess(case)
    page = page_of(case, result)
    availability = {o.id: o.availability for o in result.options}
    planned = [oid for step in result.plan for oid in step.options]
    assert page.option_ids == [
        *(oid for oid in planned if availability[oid] == "standard"),
        *(oid for oid in planned if availability[oid] == "clinical-trial"),
    ]
    shown = {text for level, text in page.headings if level == 3}
    for entry in result.not_suggested:
        assert entry.name not in shown, entry.id
    if not case.wishes.active_treatment:
        assert {o.id for o in result.options} <= {"symptom-control", "supportive-care"}
        assert "This leaflet respects that choice." in page.text
    # the case's own reference is the team's text, not the leaflet's ("MDT-10G" is no dose)
    reference = " ".join((case.id or "").split())  # spaced as the page's text is
    own_words = page.text.replace(reference, " ") if reference else page.text
    assert not DOSE.search(own_words)
    score = textstat.flesch_reading_ease(leaflet_text(case, result))
    assert score >= READING_EASE, f"Flesch Reading Ease {score:.1f} for {case!r}"


# --- readable -------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_leaflet_is_easy_to_read(example: Path) -> None:
    """The reading text (``leaflet_text``) of each example scores 60 or more for Flesch
    Reading Ease (textstat). It is every heading, paragraph, option, question and helpline
    description the HTML shows, in order; the case reference, dates, phone numbers and the
    rows of the sources list are left out as they are not prose. The next test checks that
    every piece of it is on the page as printed."""
    text = leaflet_text(read_case(str(example)))
    score = textstat.flesch_reading_ease(text)
    assert score >= READING_EASE, f"{example.name}: Flesch Reading Ease {score:.1f}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_the_measured_text_is_the_printed_text(example: Path) -> None:
    case = read_case(str(example))
    result = assess(case)
    text = leaflet_text(case, result)
    shown = page_of(case, result).text
    pieces = text.splitlines()
    assert len(pieces) > 20
    for piece in pieces:
        assert piece in shown or piece.removesuffix(".") in shown, piece
    assert not re.search(r"https?://|\d{4} \d{3} \d{3,4}|\d-\d{3}-\d{3}-\d{4}", text)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_no_leaflet_gives_a_dose(example: Path) -> None:
    text = page_of(read_case(str(example))).text
    found = [m.group(0) for m in DOSE.finditer(text)]
    assert not found, found
