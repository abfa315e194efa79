"""Searching as a person does: by role and label, with the mouse and with the keyboard alone."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.pages import NAME_FORM, SURNAME


def test_find_a_researcher_by_name_and_land_on_the_profile(page: Page, console: list[str]) -> None:
    page.goto("/")
    page.get_by_label("Name, topic or words").fill(NAME_FORM)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/\?q=Lepers%2C\+M$"))  # the query in the URL, without the empty filters
    first = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=re.compile(SURNAME))).first
    expect(first).to_contain_text(re.compile(r"Trust \d+ - \w+"))
    expect(first).to_contain_text(re.compile(r"Verification L\d"))
    expect(first).to_contain_text(re.compile(r"Unclaimed author|Claimed"))
    expect(first).to_contain_text(re.compile(r"\d+ works?"))
    page.go_back()  # back to the empty search: the type-ahead pushed no URL of its own
    expect(page).to_have_url(re.compile(r"/$"))
    page.go_forward()
    first.get_by_role("link", name=re.compile(SURNAME)).click()
    expect(page).to_have_url(re.compile(r"/researchers/[^/?]+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(SURNAME)
    assert console == []


def test_keyboard_only_search(page: Page, console: list[str]) -> None:
    page.goto("/")
    expect(page.get_by_label("Name, topic or words")).to_be_focused()  # autofocus on an empty search
    page.keyboard.type(NAME_FORM)
    page.keyboard.press("Enter")
    result = page.get_by_role("link", name=re.compile(SURNAME)).first
    expect(result).to_be_visible()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.card') !== null && document.activeElement.tagName === 'A'"):
            break
    else:
        raise AssertionError("Tab never reached a result")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SURNAME)
    assert console == []


def test_the_back_button_restores_the_search(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Name, topic or words").fill(NAME_FORM)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=re.compile(SURNAME)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SURNAME)
    page.go_back()
    expect(page.get_by_role("link", name=re.compile(SURNAME)).first).to_be_visible()


def test_filters_and_empty_and_refused_queries_say_so(page: Page) -> None:
    page.goto("/?q=" + SURNAME + "&claimed=yes")
    expect(page.get_by_text(re.compile("No researcher matches"))).to_be_visible()
    expect(page.get_by_label("Claimed")).to_have_value("yes")  # the filters read back from the URL
    page.goto("/?q=%22%5C*(")
    expect(page.get_by_role("alert")).to_contain_text("no letters or digits")
    page.goto("/?q=zzqxjv")
    expect(page.get_by_text(re.compile("No researcher matches"))).to_be_visible()


def test_the_page_works_without_javascript(browser, server: str) -> None:  # noqa: ANN001 - fixtures
    context = browser.new_context(base_url=server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Name, topic or words").fill(NAME_FORM)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=re.compile(SURNAME)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SURNAME)
    expect(page.get_by_role("heading", name="Published work")).to_be_visible()
    context.close()


def test_a_search_submitted_before_the_type_ahead_fires_shows_no_stale_suggestions(page: Page, console: list[str]) -> None:
    page.goto("/")
    page.get_by_label("Name, topic or words").fill(NAME_FORM)
    page.keyboard.press("Enter")  # within the type-ahead's delay
    expect(page.get_by_role("link", name=re.compile(SURNAME)).first).to_be_visible()
    page.wait_for_timeout(800)
    expect(page.get_by_role("list", name="Suggestions")).to_have_count(0)
    assert console == []


def test_type_ahead_suggests_researchers_as_the_name_is_typed(page: Page, console: list[str]) -> None:
    page.goto("/")
    page.get_by_label("Name, topic or words").press_sequentially(SURNAME[:5], delay=60)
    suggestion = page.get_by_role("list", name="Suggestions").get_by_role("link", name=re.compile(SURNAME))
    expect(suggestion.first).to_be_visible()
    page.keyboard.press("Enter")  # the search itself replaces the suggestions with results
    expect(page.get_by_role("list", name="Suggestions")).to_have_count(0)
    page.get_by_role("link", name=re.compile(SURNAME)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SURNAME)
    assert console == []


def test_a_misspelled_surname_finds_the_person_and_offers_the_right_spelling(page: Page, console: list[str]) -> None:
    page.goto("/")
    page.get_by_label("Name, topic or words").fill("Lepres, M")  # two letters swapped
    page.get_by_role("button", name="Search").click()
    correction = page.get_by_role("status").filter(has_text="Did you mean")
    expect(correction).to_contain_text(SURNAME)
    first = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=re.compile(SURNAME))).first
    expect(first).to_be_visible()
    correction.get_by_role("link").click()  # the suggested spelling, searched as written
    expect(page).to_have_url(re.compile(SURNAME))
    expect(page.get_by_role("status").filter(has_text="Did you mean")).to_have_count(0)
    page.get_by_role("link", name=re.compile(SURNAME)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SURNAME)
    assert console == []
