"""A record whose title and author name hold `<script>` shows them as text and runs nothing."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import HOSTILE_ID, HOSTILE_TITLE
from tests.browser.pages import researcher_id


def test_markup_in_a_title_and_a_name_renders_as_text(page: Page, server: str, console: list[str]) -> None:
    rid = researcher_id(server, "Mallory")
    page.goto("/?q=Mallory")
    card = page.locator(".card").first
    expect(card).to_contain_text("<script>")  # the name as text
    page.goto(f"/researchers/{rid}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("<script>")
    expect(page.get_by_role("link", name=HOSTILE_TITLE, exact=True)).to_be_visible()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("main script").count() == 0 and page.locator("main b").count() == 0
    page.goto(f"/papers/{HOSTILE_ID}")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_TITLE)
    expect(page.get_by_role("link", name="Eve Mallory<script>window.__pwned = 2</script>")).to_be_visible()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert console == []
