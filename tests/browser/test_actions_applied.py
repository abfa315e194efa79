"""Actions end to end: a follow and a claim sent from the page go through Kafka and the real worker,
and the page shows them once applied; a second follow does not count twice; another account sees
the profile claimed and is not offered to claim it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import run_pipeline
from tests.browser.pages import researcher_id

PASSWORD = "correct horse battery"


def _signed_up(browser: Browser, server: str) -> Page:
    page = browser.new_context(base_url=server).new_page()
    page.goto("/sign-up")
    page.get_by_label("E-mail address").fill(f"reader-{uuid.uuid4().hex[:8]}@example.org")
    page.get_by_label(re.compile("^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Make my account").click()
    expect(page.get_by_text(re.compile("^Signed in as"))).to_be_visible()
    return page


def test_follow_and_claim_show_once_applied_and_count_once(browser: Browser, server: str, web_env: dict[str, str]) -> None:
    rid = researcher_id(server, "Kokoouline")  # a researcher no other test acts on
    ada = _signed_up(browser, server)
    ada.goto(f"/researchers/{rid}")
    expect(ada.get_by_role("button", name="Follow researcher (0)")).to_be_visible()
    ada.get_by_role("button", name="Follow researcher (0)").click()
    expect(ada.get_by_text("Follow sent")).to_be_visible()
    ada.get_by_role("button", name="Claim this profile").click()
    expect(ada.get_by_text("Claim sent")).to_be_visible()
    run_pipeline(web_env)

    ada.goto(f"/researchers/{rid}")
    expect(ada.get_by_role("button", name="Follow researcher (1)")).to_be_visible()
    expect(ada.locator(".quick-read")).to_contain_text("Claimed")
    ada.get_by_role("button", name="Follow researcher (1)").click()  # again: the same account counts once
    run_pipeline(web_env)
    ada.goto(f"/researchers/{rid}")
    expect(ada.get_by_role("button", name="Follow researcher (1)")).to_be_visible()

    bob = _signed_up(browser, server)
    bob.goto(f"/researchers/{rid}")
    expect(bob.locator(".quick-read")).to_contain_text("Claimed")
    expect(bob.get_by_role("button", name="Claim this profile")).to_have_count(0)
