"""The case store in a real browser: sign in, create a meeting, add two cases, record a
decision for each, print the pack (each case on its own pages, two at most), and the
store's pages pass axe-core.

``SECONDLINE_SCREENSHOTS=docs/images`` also writes the README's pictures of the store
(``make screenshots-store``).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfReader
from test_accessibility import serious

from secondline import read_case
from secondline._store import Actor, Database, InvalidInput, add_case, add_user, upgrade
from server import Server

ROOT = Path(__file__).resolve().parents[2]
USER, PASSWORD = "mdt-lead", "a long enough password"
CASES = ["b-all-relapsed-cd19", "hcl-late-relapse"]


@pytest.fixture(scope="module")
def stored(server: Server) -> list[str]:
    """The session's store (``SECONDLINE_DB``, shared with the server), set up with a
    clinician and two cases."""
    database = Database(os.environ["SECONDLINE_DB"])
    upgrade(database)
    admin = Actor("os:test", "admin")
    with contextlib.suppress(InvalidInput):  # made by an earlier run on this store
        add_user(database, admin, USER, PASSWORD, "clinician")
    refs = [add_case(database, admin, read_case(str(ROOT / "examples" / f"{name}.yaml")))
            for name in CASES]
    database.dispose()
    return refs


@pytest.fixture
def signed_in(browser: Browser, server: Server, stored: list[str]) -> Iterator[Page]:
    # bypass_csp only so that the test may inject axe-core; the app's pages run without it
    context: BrowserContext = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/meetings")
    expect(page).to_have_url(re.compile(r"/login\?next=/meetings$"))
    assert serious(page) == []
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="MDT meetings")).to_be_visible()
    yield page
    context.close()


def _shot(page: Page, output: Path, name: str) -> None:
    page.screenshot(path=str(output / name), full_page=True)
    target = os.environ.get("SECONDLINE_SCREENSHOTS")
    if target:
        page.screenshot(path=str(ROOT / target / name), full_page=True)


def test_a_meeting_from_creation_to_the_printed_pack(signed_in: Page, stored: list[str],
                                                     output: Path) -> None:
    page = signed_in
    assert serious(page) == []
    page.get_by_label("Date").fill("2026-12-01")
    page.get_by_label("Name", exact=True).fill("Haematology relapse MDT")
    page.get_by_label(re.compile("^Attendees")).fill(
        "haematologist: Dr A Jones\nclinical nurse specialist: B Smith")
    page.get_by_role("button", name="Create the meeting").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Haematology relapse MDT")
    expect(page.locator("p.meta").first).to_contain_text(
        "Attending: Dr A Jones (haematologist), B Smith (clinical nurse specialist)")
    meeting_url = page.url

    for ref in stored:
        page.get_by_role("group", name="Stored cases not on the list").get_by_label(
            re.compile(ref)).check()
    page.get_by_role("button", name="Add to the list").click()
    first, second = (page.locator(f"#case-{ref}") for ref in stored)
    # each case with the engine's one-sentence summary and its plan
    expect(first).to_contain_text("B-ALL, age 34, relapsed")
    expect(second).to_contain_text("HCL, age 63, relapsed")
    expect(second).to_contain_text("Treatment for the hairy cell leukaemia")

    first.get_by_label("Blinatumomab").check()
    first.get_by_label("Note").fill("Agreed; start after the CD22 result")
    first.get_by_role("button", name=re.compile("Record the decision")).click()
    first = page.locator(f"#case-{stored[0]}")
    expect(first.locator("ul.decisions")).to_contain_text(
        f"{USER}: Blinatumomab (Blincyto) (among the suggested options)")

    second = page.locator(f"#case-{stored[1]}")
    second.get_by_label("Another choice, in the team's own words").fill("Watch and wait")
    second.get_by_role("button", name=re.compile("Record the decision")).click()
    # departing from the suggestions without a reason: refused, named, and kept as typed
    second = page.locator(f"#case-{stored[1]}")
    expect(second.locator(".error-summary")).to_contain_text("reason: the decision departs")
    expect(second.get_by_label("Another choice, in the team's own words")).to_have_value(
        "Watch and wait")
    second.get_by_label(re.compile("^Reason")).select_option("prefers-alternative")
    second.get_by_role("button", name=re.compile("Record the decision")).click()
    second = page.locator(f"#case-{stored[1]}")
    expect(second.locator("ul.decisions")).to_contain_text(
        "“Watch and wait” (departs from the suggested options: Patient prefers an "
        "alternative approach or treatment)")
    page.goto(meeting_url)
    assert serious(page) == []
    _shot(page, output, "store-meeting.png")

    page.get_by_role("link", name="The case page for MDT-01").click()
    expect(page.get_by_role("heading", name="Assessments over time")).to_be_visible()
    expect(page.locator("ul.decisions")).to_contain_text("Blinatumomab")
    assert serious(page) == []
    _shot(page, output, "store-case.png")

    page.goto(meeting_url + "/pack")
    assert serious(page) == []
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    (output / "meeting-pack.pdf").write_bytes(pdf)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    # a case's pages begin with its heading: "Case 1 of 2: MDT-01 C-…"
    heads = {i: text.splitlines()[0] for i, text in enumerate(pages)
             if re.match(r"Case \d of 2: ", text)}
    starts = sorted(heads)
    assert sorted(next(ref for ref in stored if ref in heads[i]) for i in starts) == sorted(
        stored)
    # each case starts on a new page, after the cover, and fits within two pages
    assert starts[0] >= 1
    assert starts == sorted(set(starts))
    spans = [b - a for a, b in zip(starts, [*starts[1:], len(pages)], strict=True)]
    assert all(1 <= span <= 2 for span in spans), (starts, len(pages))
    for start, span in zip(starts, spans, strict=True):
        text = " ".join(" ".join(pages[start:start + span]).split())
        assert ("Blinatumomab (Blincyto) (among the suggested options)" in text
                or "“Watch and wait” (departs from the suggested" in text)
    assert "Haematology relapse MDT" in " ".join(pages[0].split())
