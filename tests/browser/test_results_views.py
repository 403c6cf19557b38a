"""The results as an MDT reads them, in a real Chromium: the first screen at 1280 by 800,
printed on A4, and on a phone 390 px wide; every example."""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from test_accessibility import serious

from secondline import assess, read_case
from server import Server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
#: opens every fold of the results, as a reader who wants everything would
OPEN_ALL = "() => document.querySelectorAll('#results details').forEach(d => d.open = true)"


def load(page: Page, path: Path) -> None:
    page.goto("/")
    page.get_by_label("Case file (YAML or JSON)").set_input_files(str(path))
    page.get_by_role("button", name="Load and assess").click()
    page.locator("#results").wait_for()


@pytest.fixture
def desktop(browser: Browser, server: Server) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    return context.new_page()


@pytest.fixture
def phone(browser: Browser, server: Server) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    return context.new_page()


def _inside_first_screen(page: Page, selector: str) -> bool:
    return bool(page.evaluate(
        """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
        return window.scrollY === 0 && r.top >= 0 && r.bottom <= window.innerHeight; }""",
        selector))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_summary_and_the_plan_fill_the_first_screen(desktop: Page, path: Path) -> None:
    load(desktop, path)
    result = assess(read_case(str(path)))
    expect(desktop.locator("#summary")).to_contain_text(result.summary)
    assert _inside_first_screen(desktop, "#summary")
    assert _inside_first_screen(desktop, "#plan"), "the whole plan, without scrolling"
    assert _inside_first_screen(desktop, "#case-line")
    assert _inside_first_screen(desktop, "#status-title")
    # the plan's rows: each suggested option once, in the plan's order, in its step
    rows = desktop.locator("#plan li.row")
    expected = [f"option-{oid}" for step in result.plan for oid in step.options]
    assert [rows.nth(i).get_attribute("id") for i in range(rows.count())] == expected
    # the form is folded away; one click opens it
    expect(desktop.locator("#case-form")).to_be_hidden()
    desktop.get_by_role("link", name="Edit the case").click()
    expect(desktop.locator("#case-form")).to_be_visible()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_printed_case_fits_on_two_a4_pages(desktop: Page, path: Path) -> None:
    load(desktop, path)
    result = assess(read_case(str(path)))
    pdf = PdfReader(io.BytesIO(desktop.pdf(format="A4")))
    assert len(pdf.pages) <= 2
    # ligatures (ﬀ) as letters, and lines joined
    text = " ".join(" ".join(unicodedata.normalize("NFKC", p.extract_text()).split())
                    for p in pdf.pages)
    assert " ".join(result.summary.split()[:8]) in text
    for option in result.options:  # the plan, with each option's reasons
        assert option.name in text
        assert " ".join(option.reasons[0].split()[:6]) in text
    assert result.status.state.upper() in text
    # the links are printed once, in the numbered list of sources, not in the text
    addresses = [s.url for s in result.sources if s.url]
    assert text.count("https://") == len(addresses)
    assert "[1]" in text
    assert "Edit the case" not in text
    assert "Assess the case" not in text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_on_a_phone_nothing_is_cut_off_and_the_timeline_is_a_list(
    phone: Page, path: Path
) -> None:
    load(phone, path)
    phone.evaluate(OPEN_ALL)
    widths = phone.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    expect(phone.locator("svg.timeline")).to_be_hidden()
    items = phone.locator("ol.timeline-list li")
    expect(items.first).to_be_visible()
    sizes = phone.evaluate(
        """() => [...document.querySelectorAll('.timeline-panel *')]
        .filter(e => e.getClientRects().length && [...e.childNodes].some(
            n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert sizes
    assert min(sizes) >= 12
    # nothing wider than the screen, even inside a section
    wide = phone.evaluate(
        """() => [...document.querySelectorAll('#results *')]
        .filter(e => e.getClientRects().length && e.getBoundingClientRect().right
                 > window.innerWidth + 1).map(e => e.tagName + '.' + e.className)""")
    assert wide == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_new_views_have_no_serious_accessibility_problem(
    browser: Browser, server: Server, width: int
) -> None:
    context = browser.new_context(base_url=server.url, bypass_csp=True,
                                  viewport={"width": width, "height": 800})
    page = context.new_page()
    load(page, ROOT / "examples" / "ph-positive-all-relapsed.yaml")
    assert serious(page) == [], "folded"
    page.evaluate(OPEN_ALL)
    violations = serious(page)
    assert violations == [], json.dumps(violations, indent=1)
    page.emulate_media(media="print")
    violations = serious(page)
    assert violations == [], json.dumps(violations, indent=1)
    context.close()
