"""Importing an article in a real browser: from the review queue an editor pastes a constructed
article, corrects one proposed claim and leaves another out with htmx under the strict CSP,
saves, and finds the drafts in the queue; and imports the constructed second Cerebrolysin page
onto the demo, confirming where each sentence goes, counting the clicks. The pages pass axe's
serious and critical checks.
"""

import re
from pathlib import Path

import pytest
from editor_support import PASSWORD
from playwright.sync_api import Page, expect
from test_workbench import BLOCKING_IMPACTS, CSP_LISTENER

from kb.demo import load_demo
from kb.models import Appearance, Claim, Compound, Source

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

    page.get_by_role("button", name="Save the kept sentences").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(
        "Saved from Examplamine for memory: 0 sentences attached to existing claims, "
        "2 new draft claims."
    )
    expect(page.get_by_role("link", name="Examplamine improves memory in adults.")).to_be_visible()
    assert sorted(Claim.objects.values_list("statement", "kind", "status")) == [
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


SECOND_PAGE = (
    Path(__file__).resolve().parent.parent / "data" / "articles" / "constructed-second-page.html"
)


def test_an_editor_attaches_the_second_page_to_the_demo_and_we_count_the_clicks(context, editor):
    """From "Preview" (the article submitted) to "Save" (every sentence attached or created),
    the editor confirms each row once, picking another choice where the preselection is not the
    claim the sentence restates."""
    from test_second_page import NEW_PROPOSITIONS, RESTATES

    demo = load_demo()
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    sign_in(page)
    page.get_by_role("link", name="Import an article").click()
    page.get_by_label("Paste the article").fill(SECOND_PAGE.read_text("utf-8"))
    page.get_by_label("Compound the claims are about").select_option(label="Cerebrolysin")
    clicks = 0

    def click(locator) -> None:
        nonlocal clicks
        clicks += 1
        locator.click()

    click(page.get_by_role("button", name="Preview"))
    expect(page.get_by_role("heading", name=re.compile("^Preview: Cerebrolysin"))).to_be_visible()
    rows = page.locator("ol.proposed-claims > li")
    total = rows.count()
    assert total == len(RESTATES) + len(NEW_PROPOSITIONS)
    picked = 0
    for index in range(total):
        row = page.locator(f"#proposed-{index}")
        quote = row.get_by_label("Quote").input_value()
        if quote in RESTATES:
            label = re.compile("^" + re.escape(f"Same claim as: {RESTATES[quote]} —"))
        else:
            label = "A new claim"
        choice = row.get_by_role("radio", name=label)
        if not choice.is_checked():
            picked += 1
            click(choice)
        click(row.get_by_role("button", name="Confirm where it goes"))
        expect(page.locator(f"#proposed-{index}-status")).to_contain_text("Will ")
    expect(page.locator("#article-save-summary")).to_contain_text(
        f"{len(RESTATES)} sentences will be attached"
    )
    expect(page.locator("#article-save-summary")).to_contain_text(f"{total} of {total} confirmed")
    assert page.url.endswith("/editor/articles/import/review/")  # htmx, no page loads
    click(page.get_by_role("button", name="Save the kept sentences"))
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(
        f"{len(RESTATES)} sentences attached to existing claims, "
        f"{len(NEW_PROPOSITIONS)} new draft claims."
    )
    print(
        f"\n{clicks} clicks from Preview to Save for {total} sentences "
        f"(1 preview, {total} confirmations, {picked} other choices, 1 save)"
    )
    assert (picked, clicks) == (1, 1 + total + picked + 1)

    source = Source.objects.get(title__contains="constructed test page")
    placed = dict(Appearance.objects.filter(source=source).values_list("quote", "claim__statement"))
    assert placed == {**RESTATES, **{quote: quote for quote in NEW_PROPOSITIONS}}
    new = Claim.objects.filter(compound=demo.compound, statement__in=NEW_PROPOSITIONS)
    assert set(new.values_list("status", flat=True)) == {"draft"}
    assert page.evaluate("() => window.__cspViolations") == []
