"""The MDT page in a real browser: fill, assess, read, download, load, and fix errors."""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]


def choose(page: Page, group: str, choice: str) -> None:
    """Tick a radio button or checkbox by its group's legend and its own label."""
    page.get_by_role("group", name=group, exact=True).get_by_label(choice, exact=True).check()


def fill_relapsed_cd19_case(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Case reference (optional)").fill("MDT-B1")
    page.get_by_label("Age in years").fill("34")
    page.get_by_label("Date of first diagnosis").fill("2023-03-08")
    page.get_by_label("Judge the case at").fill("2026-11-23")
    choose(page, "Disease", "B-cell ALL")
    choose(page, "Where care is given", "United Kingdom")
    choose(page, "Philadelphia chromosome (BCR-ABL1)", "negative")
    choose(page, "CD19 on the leukaemia cells", "positive")
    choose(page, "Fit for intensive treatment, in the team's view", "yes")
    row = page.get_by_role("group", name="Treatment 1")
    row.get_by_label("Drugs").fill("prednisolone, dexamethasone, cytarabine, methotrexate")
    row.get_by_label("Type").select_option("chemotherapy")
    row.get_by_label("Started").fill("2023-03-13")
    row.get_by_label("Ended").fill("2025-09-19")
    row.get_by_label("Best response").select_option("complete-remission")
    page.get_by_label("Date", exact=True).fill("2026-11-17")
    page.get_by_label("Blasts in the bone marrow (%)").fill("38")
    choose(page, "Blood counts normal", "no")
    choose(page, "Leukaemia found outside the bone marrow", "none found")
    page.get_by_label("Relapses so far, this one included").fill("1")
    page.get_by_role("button", name="Assess the case").first.click()


def test_relapsed_cd19_case_shows_blinatumomab_with_its_source_and_the_timeline(
    page: Page, output: Path
) -> None:
    fill_relapsed_cd19_case(page)
    results = page.locator("#results")
    expect(results).to_be_visible()
    expect(page.locator("#status-title")).to_contain_text("relapsed")
    option = page.locator("#option-blinatumomab")
    expect(option).to_be_visible()
    expect(option.locator("summary")).to_contain_text("Blinatumomab")
    # its reasons and sources are folded under it: one click shows them
    source = option.locator(".cites a").first
    expect(source).to_be_hidden()
    option.locator("summary").click()
    expect(source).to_be_visible()
    expect(source).to_contain_text("›")
    assert (source.get_attribute("href") or "").startswith("https://")
    # the three remission criteria, each ticked or crossed in words
    expect(page.locator("table.criteria")).to_contain_text("Blasts in the bone marrow below 5 %")
    expect(page.locator("table.criteria")).to_contain_text("no")
    # missing information as a prompt that leads to its input
    prompt = page.locator("ul.missing a", has_text="CD22 not tested")
    expect(prompt).to_be_visible()
    expect(page.locator("ul.missing")).to_contain_text("Inotuzumab ozogamicin")
    # the timeline: drawn, labelled, showing the treatment and the remission length
    timeline = page.locator("svg.timeline")
    expect(timeline).to_be_visible()
    expect(timeline.locator("title").first).to_contain_text("MDT-B1")
    expect(timeline).to_contain_text("complete remission")
    expect(timeline).to_contain_text(re.compile(r"remission \d+\.\d months"))
    # review dates are stated once, with the sources, not as the first thing shown
    expect(page.locator("#reviews")).to_contain_text("past their review date")
    assert page.locator("#reviews").bounding_box()["y"] > (  # type: ignore[index]
        page.locator("#plan").bounding_box()["y"])  # type: ignore[index]
    page.screenshot(path=str(output / "mdt-results.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Patient leaflet (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = output / "leaflet-from-page.pdf"
    download.save_as(pdf)
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 1
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Blinatumomab" in text or "blinatumomab" in text


def test_loading_an_hcl_example_shows_the_two_year_reasoning(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Case file (YAML or JSON)").set_input_files(
        str(ROOT / "examples" / "hcl-late-relapse.yaml"))
    page.get_by_role("button", name="Load and assess").click()
    expect(page.locator("#results")).to_be_visible()
    page.locator("#option-cladribine summary").click()
    expect(page.locator("#option-cladribine")).to_contain_text("more than 2 years ago")
    # the form now holds the loaded case, so it can be edited and assessed again
    page.get_by_role("link", name="Edit the case").click()
    expect(page.get_by_role("group", name="Disease", exact=True).get_by_label(
        "Hairy cell leukaemia")).to_be_checked()


def test_an_invalid_case_names_the_field_next_to_its_input(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Age in years").fill("150")
    choose(page, "Disease", "T-cell ALL")
    row = page.get_by_role("group", name="Treatment 1")
    row.get_by_label("Started").fill("2025-06-01")
    row.get_by_label("Ended").fill("2025-01-01")
    page.get_by_role("button", name="Assess the case").first.click()
    age = page.get_by_label("Age in years")
    expect(age).to_have_attribute("aria-invalid", "true")
    error = page.locator("#f-age-error")
    expect(error).to_have_text("must be 120 or less (got 150)")  # plain words, no field path
    # the message sits beside its input: same field wrapper
    assert page.locator(".field", has=age).locator("#f-age-error").count() == 1
    ended_error = page.locator("#f-treatments-0-ended-error")
    expect(ended_error).to_contain_text("the end date is before the start date")
    # the summary links to the input, and what was typed is kept
    expect(page.locator("#error-summary a[href='#f-age']")).to_be_visible()
    expect(age).to_have_value("150")
    expect(page.locator("#results")).to_have_count(0)


def test_the_form_works_from_the_keyboard_alone(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Age in years").focus()
    page.keyboard.type("40")
    # radio groups: focus the group's first choice, arrow keys move the choice
    page.get_by_role("group", name="Disease", exact=True).get_by_label("B-cell ALL").focus()
    page.keyboard.press("Space")
    add = page.get_by_role("button", name="Add a treatment")
    add.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Treatment 2")).to_be_visible()
    # the new row's first input has the focus, ready to type
    focused = page.evaluate("document.activeElement.id")
    assert focused == "f-treatments-1-drugs"
    page.keyboard.type("blinatumomab")
    page.get_by_role("button", name="Remove treatment 1").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Treatment 2")).to_have_count(0)
    expect(page.get_by_role("group", name="Treatment 1").get_by_label("Drugs")).to_have_value(
        "blinatumomab")
    page.get_by_role("button", name="Assess the case").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "results"


def test_a_case_saved_from_the_form_loads_back_unchanged(page: Page, output: Path) -> None:
    fill_relapsed_cd19_case(page)
    page.get_by_role("link", name="Edit the case").click()  # the folded form, one click away
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Save the case (YAML)").click()
    saved = output / "saved-case.yaml"
    download_info.value.save_as(saved)
    assert download_info.value.suggested_filename == "MDT-B1.yaml"
    page.goto("/")
    page.get_by_label("Case file (YAML or JSON)").set_input_files(str(saved))
    page.get_by_role("button", name="Load and assess").click()
    expect(page.locator("#option-blinatumomab")).to_be_visible()
    expect(page.locator("#case-form")).to_be_hidden()  # folded away under the results
    expect(page.get_by_label("Drugs")).to_have_value(
        "prednisolone, dexamethasone, cytarabine, methotrexate")


def test_every_request_stays_on_the_app(page: Page, server_url: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    fill_relapsed_cd19_case(page)
    expect(page.locator("#results")).to_be_visible()
    page.goto("/docs")
    expect(page.locator(".swagger-ui")).to_be_visible()
    expect(page.get_by_text("/api/assess").first).to_be_visible()
    assert requested
    elsewhere = [url for url in requested if not url.startswith(server_url)]
    assert elsewhere == []


def test_printing_hides_the_form_and_keeps_the_results(page: Page, output: Path) -> None:
    fill_relapsed_cd19_case(page)
    page.emulate_media(media="print")
    expect(page.locator("#case-form")).to_be_hidden()
    expect(page.locator("#results")).to_be_visible()
    expect(page.locator("#option-blinatumomab")).to_be_visible()
    printed = PdfReader(io.BytesIO(page.pdf()))
    assert len(printed.pages) >= 1
    assert "Blinatumomab" in " ".join(p.extract_text() for p in printed.pages)
