"""Regenerate the README's pictures of the results: desktop (1280 by 800, the first screen),
phone (390 px wide) and the first printed page, in a real headless Chromium.

Run by ``make screenshots`` (which installs what it needs first). Starts its own
``secondline serve`` on a free loopback port and stops it at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
#: A4 at 96 px per inch, the size Chromium lays a printed page out at
A4 = {"width": 794, "height": 1123}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(page: Page, example: str) -> None:
    page.goto("/")
    page.get_by_label("Case file (YAML or JSON)").set_input_files(
        str(ROOT / "examples" / f"{example}.yaml"))
    page.get_by_role("button", name="Load and assess").click()
    page.locator("#results").wait_for()


def main() -> int:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "secondline", "serve", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        IMAGES.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            shots = [
                ("mdt-results.png", {"width": 1280, "height": 800}, "screen", 1),
                ("mdt-results-phone.png", {"width": 390, "height": 844}, "screen", 2),
                ("mdt-results-print.png", A4, "print", 1),
            ]
            for name, viewport, media, scale in shots:
                context = browser.new_context(base_url=url, viewport=viewport,
                                              device_scale_factor=scale)
                page = context.new_page()
                _load(page, "b-all-relapsed-cd19")
                page.emulate_media(media=media)  # type: ignore[arg-type]
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(IMAGES / name))
                context.close()
                print(f"docs/images/{name}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
