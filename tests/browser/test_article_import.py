"""Importing an article in a real browser: from the review queue an editor pastes a constructed
article, corrects one proposed claim and leaves another out with htmx under the strict CSP,
saves, and finds the drafts in the queue. The pages pass axe's serious and critical checks.
"""

import pytest
from editor_support import PASSWORD
from playwright.sync_api import Page, expect
from test_workbench import BLOCKING_IMPACTS, CSP_LISTENER

from kb.models import Claim, Compound

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTICLE = """Examplamine for memory

Examplamine improves short-term memory in adults (1). It also reduces fatigue within two weeks \
(2). Examplamine is well tolerated by most users (3).

References
1. Trial of examplamine in adults. Constructed J. 2020;1:1-9. doi:10.5555/example.0001
2. A second constructed trial. PMID: 990000001
3. A constructed review without identifiers. Constructed Reviews 2021;3:1-9.
"""


@pytest.fixture
def compound(transactional_db, editor) -> Compound:
    return Compound.objects.create(name="Examplamine", slug="examplamine")


def sign_in(page: Page) -> None:
    page.goto("/accounts/login/?next=/editor/")
    page.get_by_label("Username").fill("edith")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def test_an_editor_previews_corrects_and_saves_an_article(context, compound):
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    sign_in(page)
    page.get_by_role("link", name="Import an article").click()
    page.get_by_label("Paste the article").fill(ARTICLE)
    page.get_by_label("Compound the claims are about").select_option(label="Examplamine")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: Examplamine for memory")).to_be_visible()
    assert Claim.objects.count() == 0

    first = page.locator("#proposed-0")
    first.get_by_label("Quote").fill("Examplamine improves memory in adults.")
    first.get_by_label("Kind").select_option("mechanism")
    first.get_by_role("button", name="Keep this edit").click()
    expect(page.locator("#proposed-0")).to_contain_text("Edit kept for saving.")
    page.locator("#proposed-2").get_by_role("button", name="Leave out").click()
    expect(page.locator("#proposed-claims")).to_contain_text("2 of 3 kept for saving.")
    # Done by htmx, not by full page loads: the URL has no section anchor.
    assert page.url.endswith("/editor/articles/import/review/")

    page.get_by_role("button", name="Save the kept claims as drafts").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(
        "2 draft claims saved from Examplamine for memory."
    )
    expect(page.get_by_role("link", name="Examplamine improves memory in adults.")).to_be_visible()
    assert sorted(Claim.objects.values_list("quote", "kind", "status")) == [
        ("Examplamine improves memory in adults.", "mechanism", "draft"),
        ("It also reduces fatigue within two weeks.", "benefit", "draft"),
    ]
    assert page.evaluate("() => window.__cspViolations") == []


def test_import_pages_have_no_serious_accessibility_violations(new_context, compound, axe_script):
    # axe is injected as a script, which the pages' CSP would rightly refuse.
    page = new_context(bypass_csp=True).new_page()
    sign_in(page)
    page.goto("/editor/articles/import/")
    failures = {}

    def check(name: str) -> None:
        page.add_script_tag(path=axe_script)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[name] = [
                f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
                for v in blocking
            ]

    check("form")
    page.get_by_label("Paste the article").fill(ARTICLE)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: Examplamine for memory")).to_be_visible()
    check("preview")
    assert failures == {}
