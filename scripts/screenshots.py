"""Screenshots of the search and profile pages at desktop and phone widths, for the README.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 "Surname, I" docs/screenshots

Needs a running `scholarstream serve` over indexed data (`make demo`) and Debian's chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def main(base: str, query: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, (width, height) in WIDTHS.items():
            page = browser.new_page(base_url=base, viewport={"width": width, "height": height})
            page.goto("/")
            page.get_by_label("Name, topic or words").fill(query)
            page.keyboard.press("Enter")
            first = page.locator(".card a").first
            first.wait_for()
            page.screenshot(path=str(out / f"search-{name}.png"), full_page=False)
            first.click()
            page.get_by_role("heading", name="Research graph").scroll_into_view_if_needed()
            page.locator("#graph-canvas[data-nodes]").wait_for()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(out / f"profile-{name}.png"), full_page=True)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
