"""Search and the compound filters in a real browser: htmx swaps the results in place and keeps
the address in step, and the new pages pass axe and fit a phone screen."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The demo claim the seed page says as "Cerebrolysin can potentially reduce the level of
# dependence in stroke patients"; results show claims by their statement.
DEPENDENCE_CLAIM = "Cerebrolysin reduces death or dependency in adults with acute ischaemic stroke"
PAGES = [
    "/search/?q=stroke",
    "/compounds/cerebrolysin/?flag=harm_signal",
    "/compounds/cerebrolysin/?topic=acute-ischaemic-stroke&flag=citation_mismatch",
]


def mark_document(page: Page) -> None:
    # Survives htmx swaps, vanishes on a full page load.
    page.evaluate("() => { window.__samePage = true; }")


def test_typing_searches_in_place_and_updates_the_address(page: Page, public_pages):
    page.goto("/search/")
    mark_document(page)
    page.get_by_role("searchbox", name="Search claims and studies").fill("stroke")
    results = page.locator("#search-results")
    expect(results).to_contain_text(DEPENDENCE_CLAIM)
    expect(page).to_have_url(re.compile(r"/search/\?q=stroke$"))
    assert page.evaluate("() => window.__samePage") is True


def test_choosing_a_flag_filters_the_claims_in_place(page: Page, public_pages):
    page.goto(public_pages["compound"])
    mark_document(page)
    total = page.locator("li.claim").count()
    page.get_by_label("Flag", exact=True).select_option("harm_signal")
    expect(page).to_have_url(re.compile(r"flag=harm_signal"))
    expect(page.locator("#claim-list [role=status]")).to_contain_text("match the filters")
    shown = page.locator("li.claim").count()
    assert 0 < shown < total
    assert page.locator("li.claim .flag", has_text="Strong evidence of harm").count() == shown
    assert page.evaluate("() => window.__samePage") is True


def test_topic_and_a_sentence_flag_filter_together(page: Page, public_pages):
    page.goto(public_pages["compound"])
    mark_document(page)
    page.get_by_label("Topic", exact=True).select_option("acute-ischaemic-stroke")
    expect(page).to_have_url(re.compile(r"topic=acute-ischaemic-stroke"))
    expect(page.locator("#claim-list [role=status]")).to_contain_text("match the filters")
    by_topic = page.locator("li.claim").count()
    assert by_topic > 0
    assert page.locator("li.claim", has_text="Acute ischaemic stroke").count() == by_topic
    page.get_by_label("Flag", exact=True).select_option("citation_mismatch")
    expect(page).to_have_url(re.compile(r"topic=acute-ischaemic-stroke.*flag=citation_mismatch"))
    mismatch = page.locator("li.claim .flag", has_text="Cited study does not back the sentence")
    expect(mismatch.first).to_be_visible()
    shown = page.locator("li.claim").count()
    assert 0 < shown <= by_topic
    assert mismatch.count() == shown
    assert page.evaluate("() => window.__samePage") is True


def test_search_and_filtered_pages_pass_axe_and_fit_a_phone(new_context, public_pages, axe_script):
    page = new_context(bypass_csp=True).new_page()
    failures = {}
    for path in PAGES:
        page.set_viewport_size({"width": 1280, "height": 900})
        assert page.goto(path).status == 200, path
        page.add_script_tag(path=axe_script)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        serious = [v["id"] for v in results["violations"] if v["impact"] in {"serious", "critical"}]
        page.set_viewport_size({"width": 320, "height": 800})
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if serious or width > 320:
            failures[path] = {"axe": serious, "width": width}
    assert failures == {}
