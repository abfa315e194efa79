"""Every element of the product's reference profile page, on a demo researcher's profile."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.pages import SURNAME, researcher_id


def test_every_element_of_the_reference_page(page: Page, server: str, console: list[str]) -> None:
    rid = researcher_id(server)
    page.goto(f"/researchers/{rid}")
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SURNAME)
    expect(main).to_contain_text(re.compile(r"Affiliation not imported|Affiliation\s*\S"))
    expect(main).to_contain_text("Open to collaborate")
    expect(main).to_contain_text(re.compile(r"Trust \d+ - (Unverified|Emerging|Established|Trusted|Highly trusted)"))
    expect(main).to_contain_text(re.compile(r"Verification L[0-3]"))
    expect(main).to_contain_text("Unclaimed author")
    expect(main).to_contain_text(re.compile(r"\d+ works?, \d+ followers?, \d+ topics?, \d+ close collaborators?"))
    expect(page.get_by_role("link", name="Log in to follow")).to_be_visible()
    expect(page.get_by_role("link", name="Log in to claim")).to_be_visible()

    # The trust components, with their evidence on demand.
    page.get_by_text("How the trust score is made").click()
    component = page.get_by_text(re.compile(r"^Publication evidence: "))
    component.click()
    expect(page.locator(".evidence").first).to_contain_text(re.compile(r"\d+ works? on arXiv"))

    # Topics and close collaborators, linked.
    expect(page.get_by_role("heading", name="Topics")).to_be_visible()
    expect(page.locator(".topics a").first).to_have_attribute("href", re.compile(r"^/\?q=.+&topic="))
    collaborators = page.locator(".collaborators a")
    if collaborators.count():
        expect(collaborators.first).to_have_attribute("href", re.compile(r"^/researchers/"))

    # Published works: type, year, arXiv id, the title linked to arXiv, the abstract on demand.
    works = page.locator("#works")
    expect(works).to_contain_text(re.compile(r"\d+ published item\(s\)"))
    work = works.locator(".work").first
    expect(work).to_contain_text(re.compile(r"Preprint, \d{4}, arXiv \d{4}\.\d{4,5}"))
    expect(work.locator(".work-title a").first).to_have_attribute("href", re.compile(r"^https://arxiv\.org/abs/\d{4}\.\d{4,5}$"))
    work.get_by_text("Abstract").click()
    expect(work.locator(".abstract p")).to_be_visible()
    assert console == []


def test_the_graph_loads_with_its_section_and_its_nodes_navigate(page: Page, server: str, console: list[str]) -> None:
    rid = researcher_id(server)
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
    page.goto(f"/researchers/{rid}")
    page.wait_for_load_state("load")
    assert not any("cytoscape" in url for url in scripts), "the graph library loaded before its section was in view"
    page.get_by_role("heading", name="Research graph").scroll_into_view_if_needed()
    expect(page.locator("#graph-canvas")).to_have_attribute("data-nodes", re.compile(r"^[1-9]\d*$"))
    assert page.evaluate("window.scholarstreamGraph.nodes().length") > 1
    page.evaluate("window.scholarstreamGraph.nodes(\"[kind = 'topic']\").first().emit('tap')")
    expect(page).to_have_url(re.compile(r"/\?q=.+&topic="))
    assert console == []


def test_an_unknown_researcher_is_a_404_page(page: Page) -> None:
    answer = page.goto("/researchers/r-nobody-here")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


def test_the_json_api_is_unchanged_for_api_clients(page: Page, server: str) -> None:
    rid = researcher_id(server)
    answer = page.request.get(f"{server}/researchers/{rid}", headers={"accept": "application/json"})
    assert answer.status == 200 and answer.json()["researcher_id"] == rid


def _tab_to(page: Page, script: str, presses: int = 60) -> None:
    """Press Tab until `script` (about document.activeElement) holds."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return {script}; }})()"):
            return
    raise AssertionError(f"Tab never reached: {script}")


def test_keyboard_only_profile(page: Page, server: str, console: list[str]) -> None:
    page.goto(f"/researchers/{researcher_id(server)}")
    _tab_to(page, "e.tagName === 'SUMMARY' && e.textContent.startsWith('How the trust score is made')")
    page.keyboard.press("Enter")
    expect(page.locator("details.trust-parts")).to_have_attribute("open", "")
    _tab_to(page, "e.tagName === 'A' && e.textContent === 'Log in to follow'")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    assert console == []


def test_a_work_opens_its_paper_page_whose_authors_link_to_profiles(page: Page, server: str, console: list[str]) -> None:
    rid = researcher_id(server)
    page.goto(f"/researchers/{rid}")
    page.locator("#works .work").first.get_by_role("link", name=re.compile("^Paper page: ")).click()
    expect(page).to_have_url(re.compile(r"/papers/\d{4}\.\d{4,5}$"))
    expect(page.get_by_role("heading", name="Abstract")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Version v")
    author = page.locator(".authors a", has_text=SURNAME)
    expect(author).to_have_attribute("href", f"/researchers/{rid}")
    author.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SURNAME)
    assert console == []
