"""Two editors in two browsers edit the same claim: the second save, made on a page that is out
of date, is refused where the page shows its messages (a live region, so a screen reader
announces it), overwrites nothing, and after a reload the second editor sees the first one's
work and can save.

The claim is the demo's Cerebrolysin stroke claim (real data); both statements typed here are
the test's own wording.
"""

import pytest
from editor_support import PASSWORD
from playwright.sync_api import Page, expect

from kb.demo import load_demo
from kb.models import Claim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STROKE_QUOTE = "Cerebrolysin can potentially reduce the level of dependence in stroke patients"
FIRST_STATEMENT = (
    "In adults after acute ischaemic stroke, Cerebrolysin does not reduce death or dependency."
)
SECOND_STATEMENT = (
    "In adults after acute ischaemic stroke, Cerebrolysin reduces dependency at 90 days."
)
CONFLICT = "Not saved: someone else changed this claim while you were editing it."
MAX_TABS = 80


@pytest.fixture
def stroke_claim(transactional_db, editor, second_editor) -> Claim:
    load_demo()
    return Claim.objects.get(appearances__quote__startswith=STROKE_QUOTE)


def sign_in(page: Page, username: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def tab_to(page: Page, selector: str, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus."""
    for _ in range(MAX_TABS):
        if page.evaluate("sel => document.activeElement?.matches(sel) ?? false", selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} cannot be reached with {key}")


def type_statement_with_the_keyboard(page: Page, text: str) -> None:
    tab_to(page, "#claim_statement")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(text)
    tab_to(page, "#claim-save")
    page.keyboard.press("Enter")


def test_a_stale_save_is_refused_announced_and_recovered_from(new_context, stroke_claim):
    workbench = f"/editor/claims/{stroke_claim.pk}/"
    opened_at = stroke_claim.version
    first, second = new_context().new_page(), new_context().new_page()
    sign_in(first, "edith")
    sign_in(second, "edmund")
    for page in (first, second):
        page.goto(workbench)
        expect(page.get_by_role("textbox", name="Statement")).to_have_value(stroke_claim.statement)

    # Editor A saves first.
    first.get_by_role("textbox", name="Statement").fill(FIRST_STATEMENT)
    first.get_by_role("button", name="Save statement").click()
    expect(first.get_by_role("status").filter(has_text="Claim saved.")).to_be_visible()
    saved = Claim.objects.get(pk=stroke_claim.pk)
    assert (saved.statement, saved.version) == (FIRST_STATEMENT, opened_at + 1)

    # Editor B, still on the page as it was, saves with the keyboard alone.
    live_region = second.locator("#editor-messages").element_handle()
    assert live_region.get_attribute("aria-live") == "polite"
    type_statement_with_the_keyboard(second, SECOND_STATEMENT)
    alert = second.get_by_role("alert")
    expect(alert).to_contain_text(CONFLICT)
    expect(alert).to_contain_text(
        f"You saw version {opened_at}; it is now at version {opened_at + 1}."
    )
    # Announced: it was put into the live region that was on the page before the save (a region
    # added together with its text is often not read out), and is itself an alert.
    assert second.evaluate(
        "([region, alert]) => region.isConnected && region.contains(alert)",
        [live_region, alert.element_handle()],
    )
    expect(second.locator("#editor-messages")).to_match_aria_snapshot(
        f'- status:\n  - alert:\n    - paragraph:\n      - strong: "{CONFLICT}"'
    )
    # The keyboard user is not thrown out of the form, and their text is still in it.
    expect(second.locator("#claim-save")).to_be_focused()
    expect(second.get_by_role("textbox", name="Statement")).to_have_value(SECOND_STATEMENT)
    stored = Claim.objects.get(pk=stroke_claim.pk)
    assert (stored.statement, stored.version) == (FIRST_STATEMENT, opened_at + 1)  # A's stands

    # From the save button back up to the message's link, and reload with it.
    tab_to(second, "#editor-messages a", key="Shift+Tab")
    expect(second.get_by_role("link", name="Reload the claim")).to_be_focused()
    second.keyboard.press("Enter")
    expect(second.get_by_role("alert")).to_have_count(0)
    expect(second.get_by_role("textbox", name="Statement")).to_have_value(FIRST_STATEMENT)

    type_statement_with_the_keyboard(second, SECOND_STATEMENT)
    expect(second.get_by_role("status").filter(has_text="Claim saved.")).to_be_visible()
    expect(second.get_by_role("alert")).to_have_count(0)
    saved = Claim.objects.get(pk=stroke_claim.pk)
    assert (saved.statement, saved.version) == (SECOND_STATEMENT, opened_at + 2)
