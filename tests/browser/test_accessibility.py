"""An accessibility scan (axe-core, vendored) of each page: no serious or critical violation.

axe is injected as a script the page's Content-Security-Policy would refuse, so the scan's
browser context bypasses the policy; the policy itself is tested elsewhere (no console errors).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.pages import NAME_FORM, researcher_id

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture
def scanned(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, bypass_csp=True)
    yield context.new_page()
    context.close()


def _serious(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("axe.run(document).then(result => result.violations)")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in violations if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("path", ["/", f"/?q={NAME_FORM}", "/sign-in", "/sign-up", "/researchers/r-nobody-here"])
def test_no_serious_violation_on_the_search_and_account_pages(scanned: Page, path: str) -> None:
    scanned.goto(path)
    assert _serious(scanned) == []


def test_no_serious_violation_on_a_profile(scanned: Page, server: str) -> None:
    scanned.goto(f"/researchers/{researcher_id(server)}")
    scanned.get_by_role("heading", name="Research graph").scroll_into_view_if_needed()
    scanned.locator("#graph-canvas[data-nodes]").wait_for()
    assert _serious(scanned) == []
