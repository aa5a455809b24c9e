"""The compound page's claim pages in a real browser: with htmx a page link swaps only the claim
list, keeps the address in step and moves focus to the new list; without JavaScript the same
links load the page. The demo has more claims than one page holds, so the claim the browser
fixture adds (the last one) is on page 2."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The statement of the claim the browser fixture adds: the list shows claims by statement.
CONSTRUCTED_CLAIM = "In adults after acute ischaemic stroke, Cerebrolysin improves recovery."


def claim_pages(page: Page):
    return page.get_by_role("navigation", name="Claim pages")


def test_next_page_swaps_the_list_in_place_and_reaches_the_last_claim(page: Page, public_pages):
    page.goto(public_pages["compound"])
    page.evaluate("() => { window.__samePage = true; }")  # survives htmx swaps only
    expect(page.locator("li.claim")).to_have_count(50)
    expect(page.get_by_text(CONSTRUCTED_CLAIM)).to_have_count(0)
    current = claim_pages(page).locator("[aria-current=page]")
    expect(current).to_have_accessible_name("Page 1")

    claim_pages(page).get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"/compounds/cerebrolysin/\?page=2$"))
    status = page.locator("#claim-list [role=status]")
    expect(status).to_contain_text("Showing 51")
    expect(status).to_be_focused()
    expect(current).to_have_accessible_name("Page 2")
    assert page.evaluate("() => window.__samePage") is True

    claim = page.locator("li.claim", has_text=CONSTRUCTED_CLAIM)
    claim.get_by_role("link", name=re.compile(r"^Details and evidence for claim \d+$")).click()
    expect(page).to_have_url(re.compile(re.escape(public_pages["claim"]) + "$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(page.get_by_text(CONSTRUCTED_CLAIM)).to_be_visible()


def test_page_links_work_without_javascript(new_context, public_pages):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(public_pages["compound"])
    with page.expect_navigation():
        claim_pages(page).get_by_role("link", name="Page 2", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?page=2$"))
    expect(claim_pages(page).locator("[aria-current=page]")).to_have_accessible_name("Page 2")
    claim = page.locator("li.claim", has_text=CONSTRUCTED_CLAIM)
    claim.get_by_role("link", name=re.compile(r"^Details and evidence for claim \d+$")).click()
    expect(page).to_have_url(re.compile(re.escape(public_pages["claim"]) + "$"))
