"""Sign up, follow (pending until the pipeline applies it), sign out, and a refused sign-in."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.pages import researcher_id

PASSWORD = "correct horse battery"


def test_sign_up_from_a_profile_follow_and_sign_out(page: Page, server: str, console: list[str]) -> None:
    rid = researcher_id(server)
    page.goto(f"/researchers/{rid}")
    page.get_by_role("link", name="Log in to follow").click()
    page.get_by_role("link", name="Sign up").last.click()
    email = f"reader-{uuid.uuid4().hex[:8]}@example.org"
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label(re.compile("^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Make my account").click()
    expect(page).to_have_url(re.compile(f"/researchers/{rid}$"))
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Follow researcher \(\d+\)$")).click()
    expect(page.get_by_role("status").filter(has_text="Follow sent")).to_be_visible()
    expect(page.get_by_role("button", name="Claim this profile")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert console == []


def test_a_wrong_password_shows_the_form_again_with_the_reason(page: Page) -> None:
    page.goto("/sign-in")
    page.get_by_label("E-mail address").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong e-mail address or password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
