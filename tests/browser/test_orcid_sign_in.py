"""Sign-in with ORCID in the browser (issues 18 and 19): through the tests' OpenID provider's own
page, a new account; and a claimant who links the iD from the profile and verifies the profile at
L3 with it, applied by the real worker, then finds it again under "My profile"."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import run_pipeline
from tests.browser.pages import researcher_id

PASSWORD = "correct horse battery"
ORCID = "0000-0002-1825-0097"
NEWCOMER_ORCID = "0000-0001-5109-3700"


def _at_provider_sign_in_as(page: Page, orcid: str) -> None:
    expect(page.get_by_role("heading", name="Sign in to the test ORCID")).to_be_visible()
    page.get_by_label("ORCID iD").fill(orcid)
    page.get_by_role("button", name="Authorize").click()


def test_signing_in_with_orcid_makes_an_account(page: Page, console: list[str]) -> None:
    page.goto("/sign-in")
    page.get_by_role("link", name="Sign in with ORCID").click()
    _at_provider_sign_in_as(page, NEWCOMER_ORCID)
    expect(page.get_by_text(f"Signed in as ORCID iD {NEWCOMER_ORCID}")).to_be_visible()
    assert console == []


def test_the_claimant_links_the_orcid_and_verifies_the_profile(browser: Browser, server: str, web_env: dict[str, str]) -> None:
    rid = researcher_id(server, "Sarkissian")  # a researcher no other test acts on
    page = browser.new_context(base_url=server).new_page()
    page.goto("/sign-up")
    page.get_by_label("E-mail address").fill(f"owner-{uuid.uuid4().hex[:8]}@example.org")
    page.get_by_label(re.compile("^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Make my account").click()
    page.goto(f"/researchers/{rid}")
    page.get_by_role("button", name="Claim this profile").click()
    run_pipeline(web_env)

    page.goto(f"/researchers/{rid}")
    expect(page.locator(".quick-read")).to_contain_text("Verification L0")
    page.get_by_role("link", name="Sign in with ORCID").click()
    _at_provider_sign_in_as(page, ORCID)
    expect(page).to_have_url(re.compile(f"/researchers/{rid}$"))
    expect(page.get_by_text(f"Your ORCID sign-in proves iD {ORCID}")).to_be_visible()
    page.get_by_role("button", name="Verify with ORCID").click()
    expect(page.get_by_text("Verification sent")).to_be_visible()
    run_pipeline(web_env)

    page.goto(f"/researchers/{rid}")
    expect(page.locator(".quick-read")).to_contain_text("Verification L3")
    expect(page.get_by_role("button", name="Verify with ORCID")).to_have_count(0)

    page.goto("/")
    page.get_by_role("link", name="My profile").click()  # the profile this account claimed
    expect(page).to_have_url(re.compile(f"/researchers/{rid}$"))
