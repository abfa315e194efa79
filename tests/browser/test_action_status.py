"""An action shows as pending until the pipeline applied it, then the new state, with no reload by
hand; a claim that lost the race to another account's says why; without JavaScript the pending
message links to the page again, which then shows the outcome.

Real Chromium, the real `scholarstream serve`, Kafka, worker and indexer (`run_pipeline`)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.conftest import run_pipeline
from tests.browser.pages import researcher_id

PASSWORD = "correct horse battery"
SETTLED = 20_000  # ms: after `run_pipeline` the page's next poll (every second) sees the outcome


def _account(browser: Browser, server: str, errors: list[str], javascript: bool = True) -> BrowserContext:
    """A signed-up account's browser context; its pages' console errors go to `errors`."""
    context = browser.new_context(base_url=server, java_script_enabled=javascript)
    context.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page = context.new_page()
    page.goto("/sign-up")
    page.get_by_label("E-mail address").fill(f"reader-{uuid.uuid4().hex[:8]}@example.org")
    page.get_by_label(re.compile("^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Make my account").click()
    expect(page.get_by_text(re.compile("^Signed in as"))).to_be_visible()
    page.close()
    return context


def _profile(context: BrowserContext, rid: str) -> Page:
    page = context.new_page()
    page.goto(f"/researchers/{rid}")
    return page


def test_actions_show_pending_then_applied_or_refused_with_the_reason(browser: Browser, server: str, web_env: dict[str, str]) -> None:
    rid = researcher_id(server, "Doney")  # a researcher no other test acts on
    errors: list[str] = []
    ada, bob = _account(browser, server, errors), _account(browser, server, errors)
    carl = _account(browser, server, errors, javascript=False)

    ada_claims, bob_claims = _profile(ada, rid), _profile(bob, rid)  # both see an unclaimed profile
    ada_claims.get_by_role("button", name="Claim this profile").click()
    _pending(ada_claims)
    bob_claims.get_by_role("button", name="Claim this profile").click()  # races ada's, which the worker takes first
    _pending(bob_claims)
    carl_follows = _profile(carl, rid)  # before ada's follow: the revision that shows hers counts his too
    carl_follows.get_by_role("button", name="Follow researcher (0)").click()
    _pending(carl_follows)
    expect(carl_follows.get_by_role("link", name="Reload the page")).to_be_visible()
    ada_follows = _profile(ada, rid)
    ada_follows.get_by_role("button", name="Follow researcher (0)").click()
    _pending(ada_follows)

    run_pipeline(web_env)

    expect(_message(ada_follows)).to_have_text("Follow applied: you follow this researcher.", timeout=SETTLED)
    expect(ada_follows.get_by_role("button", name="Follow researcher (2)")).to_be_visible()
    expect(_message(ada_claims)).to_have_text("Claim applied: this profile is yours.", timeout=SETTLED)
    expect(ada_claims.locator(".quick-read")).to_contain_text("Claimed")
    expect(_message(bob_claims)).to_have_text(
        f"Your claim was refused: profile {rid} is already claimed by another account.", timeout=SETTLED)
    expect(bob_claims.locator(".message.error")).to_be_visible()

    expect(_message(carl_follows)).to_contain_text("pending")  # no JavaScript: nothing changes by itself
    carl_follows.get_by_role("link", name="Reload the page").click()
    expect(_message(carl_follows)).to_have_text("Follow applied: you follow this researcher.")

    bob_claims.goto(f"{bob_claims.url.split('&signal=')[0]}&signal={_signal_of(ada_claims)}")  # ada's signal, on bob's page
    expect(bob_claims.get_by_role("heading", level=1)).to_be_visible()
    expect(_message(bob_claims)).to_have_count(0)
    expect(bob_claims.get_by_text("Claim applied")).to_have_count(0)
    assert errors == [], errors


def _message(page: Page) -> Locator:
    """The message about the action the page came back from (the page holds other live regions)."""
    return page.get_by_role("status").filter(has=page.locator("p.message"))


def _pending(page: Page) -> None:
    expect(_message(page)).to_contain_text("sent: pending until the pipeline has applied it")


def _signal_of(page: Page) -> str:
    found = re.search(r"[?&]signal=([^&#]+)", page.url)
    assert found, page.url
    return found.group(1)
