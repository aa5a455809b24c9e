"""The public pages in a real browser: accessibility (axe-core), the content security policy
with htmx and the stylesheet loaded, reflow on a phone, and keyboard use from the home page to
a claim.

Each test visits every public page in turn and reports all failing pages at once: loading the
demo for each test is the slow part, so there is one test per concern, not per page.
"""

import re

import pytest
from phone import SQUEEZED_CELLS
from playwright.sync_api import Page, expect

# Transactional: the live server's thread must see the rows each test creates.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING_IMPACTS = {"serious", "critical"}

# Records CSP violations as the page reports them, before any page script runs.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

STYLESHEET_RULES = """() => [...document.styleSheets]
  .filter(sheet => sheet.href && sheet.href.endsWith("/static/kb.css"))
  .map(sheet => sheet.cssRules.length)"""

LOADED_WITHOUT_VIOLATIONS = {
    "htmx": "object",
    "htmx config": [False, False],
    "kb.css loaded": True,
    "main max-width": "1120px",
    "csp violations": [],
}

FOCUS_STYLE = """el => {
  const style = getComputedStyle(el);
  return {
    focusVisible: el.matches(":focus-visible"),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
  };
}"""


def describe(violations: list[dict]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in violations
    ]


def test_public_pages_have_no_serious_accessibility_violations(
    new_context, public_pages, axe_script
):
    # axe is injected as a script, which the pages' CSP would rightly refuse.
    page = new_context(bypass_csp=True).new_page()
    failures = {}
    for name, path in public_pages.items():
        response = page.goto(path)
        assert response.status == 200, path
        page.add_script_tag(path=axe_script)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[name] = describe(blocking)
    assert failures == {}


def test_public_pages_load_css_and_htmx_without_csp_violations(context, public_pages):
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"))

    failures = {}
    for name, path in public_pages.items():
        problems.clear()
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
        # htmx ran under the nonce and read its config from the meta tag (no eval, no inline
        # styles); kb.css loaded and applies (main is 70rem wide at most).
        rules = page.evaluate(STYLESHEET_RULES)
        state = {
            "htmx": page.evaluate("() => typeof window.htmx"),
            "htmx config": page.evaluate(
                "() => window.htmx && [htmx.config.allowEval, htmx.config.includeIndicatorStyles]"
            ),
            "kb.css loaded": len(rules) == 1 and rules[0] > 10,
            "main max-width": page.get_by_role("main").evaluate(
                "el => getComputedStyle(el).maxWidth"
            ),
            "csp violations": page.evaluate("() => window.__cspViolations"),
        }
        if state != LOADED_WITHOUT_VIOLATIONS or problems:
            failures[name] = {**state, "problems": list(problems)}
    assert failures == {}


def test_public_pages_fit_a_phone_screen_without_sideways_scrolling(page: Page, public_pages):
    # WCAG 1.4.10 (reflow): content must be usable at 320 CSS pixels wide.
    page.set_viewport_size({"width": 320, "height": 800})
    too_wide = {}
    for name, path in public_pages.items():
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 320:
            too_wide[name] = width
    assert too_wide == {}


def test_on_a_phone_no_table_cell_is_narrower_than_its_longest_word_and_axe_passes(
    new_context, public_pages, axe_script
):
    # axe is injected as a script, which the pages' CSP would rightly refuse.
    page = new_context(bypass_csp=True).new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    squeezed, inaccessible, too_wide = {}, {}, {}
    cells = 0
    for name, path in public_pages.items():
        assert page.goto(path).status == 200, path
        cells += page.locator("main td").count()
        found = page.evaluate(SQUEEZED_CELLS)
        if found:
            squeezed[name] = found[:5]
        if page.evaluate("() => document.documentElement.scrollWidth") > 390:
            too_wide[name] = page.evaluate("() => document.documentElement.scrollWidth")
        page.add_script_tag(path=axe_script)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            inaccessible[name] = describe(blocking)
    assert cells > 50  # the pages do have tables to check
    assert squeezed == {}
    assert too_wide == {}
    assert inaccessible == {}


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page, public_pages):
    page.goto(public_pages["home"])
    skip_link = page.get_by_role("link", name="Skip to content")

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0  # shown on screen while focused, not left off-canvas

    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    # The next Tab continues inside the content, past the site navigation.
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("main").get_by_role("link", name="Cerebrolysin", exact=True)
    ).to_be_focused()


def tab_to(page: Page, target, limit: int = 300) -> None:
    """Press Tab until `target` has focus; it must show a visible focus outline there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError(f"{limit} presses of Tab never reached {target}")
    focus = target.evaluate(FOCUS_STYLE)
    assert focus["focusVisible"], focus
    assert focus["outlineStyle"] != "none", focus
    assert focus["outlineWidth"] >= 2, focus


def test_keyboard_reaches_a_claim_from_the_home_page(page: Page, public_pages):
    page.goto(public_pages["home"])
    compounds = page.get_by_role("navigation", name="Main").get_by_role("link", name="Compounds")
    tab_to(page, compounds)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Compounds"))

    cerebrolysin = page.get_by_role("main").get_by_role("link", name="Cerebrolysin", exact=True)
    tab_to(page, cerebrolysin)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(public_pages["compound"]) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cerebrolysin")

    details = page.get_by_role("link", name="Details and evidence for claim 1", exact=True)
    tab_to(page, details)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/claims/\d+/$"))
    expect(page.get_by_role("heading", level=2, name="Verdict")).to_be_visible()
    expect(page.get_by_role("table", name="Reasons to rate down")).to_be_visible()
