"""Confirming an e-mail address in the browser (issue 18): the sign-in page mails a link, the link
confirms the address and leads to "My profile". The mail is read from the outbox the server writes
(no SMTP configured), as a person reads their mail."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from accounts.mailbox import outbox
from foundation.settings import Settings
from tests.outbox import mailed_link

PASSWORD = "correct horse battery"


def test_the_mailed_link_confirms_the_address(page: Page, console: list[str]) -> None:
    address = f"reader-{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/sign-up")
    page.get_by_label("E-mail address").fill(address)
    page.get_by_label(re.compile("^Password")).fill(PASSWORD)
    page.get_by_role("button", name="Make my account").click()
    page.goto("/sign-in")
    page.get_by_role("button", name="Mail me a confirmation link").click()
    expect(page.get_by_role("status")).to_contain_text("We mailed you a confirmation link")

    link = mailed_link(outbox(Settings(_env_file=None)), address)
    page.goto(urlsplit(link).path)
    expect(page).to_have_url(re.compile("/my-profile$"))
    expect(page.get_by_text("You have not claimed a profile yet")).to_be_visible()
    page.goto("/sign-in")
    expect(page.get_by_role("button", name="Mail me a confirmation link")).to_have_count(0)  # confirmed now
    assert console == []
