"""axe-core, injected into the real pages, finds no serious or critical violation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from test_mdt_page import fill_relapsed_cd19_case

from server import Server

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def axe_page(browser: Browser, server: Server) -> Page:
    # the pages forbid scripts from anywhere but the app; axe is the test's own
    context = browser.new_context(base_url=server.url, bypass_csp=True)
    return context.new_page()


def serious(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    found = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in found]


def test_the_empty_form(axe_page: Page) -> None:
    axe_page.goto("/")
    assert serious(axe_page) == []


def test_the_form_with_its_problems_shown(axe_page: Page) -> None:
    axe_page.goto("/")
    axe_page.get_by_label("Age in years").fill("150")
    axe_page.get_by_role("button", name="Assess the case").first.click()
    axe_page.locator("#error-summary").wait_for()
    assert serious(axe_page) == []


def test_the_results(axe_page: Page) -> None:
    fill_relapsed_cd19_case(axe_page)
    axe_page.locator("#results").wait_for()
    violations = serious(axe_page)
    assert violations == [], json.dumps(violations, indent=1)


@pytest.mark.parametrize("example", ["b-all-relapsed-cd19", "hcl-late-relapse",
                                     "b-all-declines-treatment"])
def test_the_leaflet(axe_page: Page, example: str, output: Path) -> None:
    from secondline import read_case
    from secondline._leaflet import leaflet_html

    axe_page.set_content(leaflet_html(read_case(str(ROOT / "examples" / f"{example}.yaml"))))
    if example == "b-all-relapsed-cd19":
        axe_page.screenshot(path=str(output / "leaflet.png"), full_page=True)
    violations = serious(axe_page)
    assert violations == [], json.dumps(violations, indent=1)
