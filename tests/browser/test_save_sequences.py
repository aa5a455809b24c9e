"""Every section of the workbench saved one after another on one page, in several orders, without
reloading: each save must be stored (the bug this guards against: after "Save statement" or
"Save judgements", every "Save weighing" (since merged into the one grading form) answered
"(Hidden field version) This field is required."). Then two editors on the same claim: the 409
answer comes exactly where one of them saves from a page the other's save made stale, and
nowhere else.

The claim is the demo's Cerebrolysin stroke claim (real data) taken back to an ungraded draft.
Besides its Cochrane review, Lang 2013 (PMID 23009193, a real trial of the demo) is linked to it
for these tests, so the page has two evidence rows; the statement, reasons and rationale typed
here are the tests' own wording.
"""

import pytest
from editor_support import PASSWORD
from playwright.sync_api import Page, expect

from kb.demo import load_demo
from kb.models import Claim, Evidence
from kb.services import grades
from studies.models import Study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STROKE_QUOTE = "Cerebrolysin can potentially reduce the level of dependence in stroke patients"
STATEMENT = "In adults after acute ischaemic stroke, Cerebrolysin does not reduce dependency."
IMPRECISION = "Constructed reason: the confidence interval spans benefit and harm."
RATIONALE = "Constructed rationale: the trials measured different outcomes."
PUBLIC_REASON = "Constructed public reason: graded from the Cochrane review and one trial."
SAVED = "Weighings and judgements saved."
CONFLICT = "Not saved: someone else changed this claim while you were editing it."


@pytest.fixture
def stroke_claim(transactional_db, editor, second_editor) -> Claim:
    load_demo()
    claim = Claim.objects.get(appearances__quote__startswith=STROKE_QUOTE)
    for evidence in claim.evidence.all():
        evidence.stance, evidence.indirectness, evidence.harm = None, [], False
        evidence.save()
    Evidence.objects.create(claim=claim, study=Study.objects.get(pmid="23009193"))
    claim = Claim.objects.get(pk=claim.pk)
    claim.status, claim.graded_at, claim.graded_by = "draft", None, None
    claim.published = None  # a draft has no published state (a database rule)
    claim.imprecision, claim.imprecision_reason = None, ""
    grades.regrade(claim, user=None, reason="Constructed: back to ungraded, two studies linked")
    return Claim.objects.get(pk=claim.pk)


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def messages(page: Page):
    return page.locator("#editor-messages")


def clear_messages(page: Page) -> None:
    """Empty the message area, so that a save answering with the same words as the one before
    (both through the grading form) is waited for, not taken for its predecessor's."""
    page.evaluate("() => { document.getElementById('editor-messages').textContent = ''; }")


# Each step saves one section through the page and says how to check it is stored.


def save_statement(page: Page, claim: Claim):
    page.get_by_role("textbox", name="Statement").fill(STATEMENT)
    page.get_by_role("button", name="Save statement").click()
    return "Claim saved.", lambda c: c.statement == STATEMENT


def weigh(index: int, stance: str):
    def step(page: Page, claim: Claim):
        evidence = claim.evidence.order_by("pk")[index]
        row = page.locator(f"#ev-{evidence.pk}")
        row.get_by_label("Stance").select_option(stance)
        page.get_by_role("button", name="Save weighings and judgements").click()
        return SAVED, lambda c: c.evidence.get(pk=evidence.pk).stance == stance

    step.__name__ = f"weigh_{index}"
    return step


def save_judgements(page: Page, claim: Claim):
    page.get_by_label("Imprecision", exact=True).select_option("serious")
    page.get_by_label("Reason (imprecision)").fill(IMPRECISION)
    page.get_by_role("button", name="Save weighings and judgements").click()
    return SAVED, lambda c: c.imprecision_reason == IMPRECISION


def save_override(page: Page, claim: Claim):
    page.get_by_label("Verdict readers see").select_option("unproven")
    page.get_by_label("Rationale").fill(RATIONALE)
    page.get_by_role("button", name="Save override").click()
    return "Override saved.", lambda c: c.verdict_override == "unproven"


def mark_overstated(page: Page, claim: Claim):
    sentence = claim.appearances.get()
    page.locator(f"#ap-{sentence.pk}").get_by_role("button", name="Mark overstated").click()
    return "Marked the sentence overstated.", lambda c: c.appearances.get().overstated


def mark_graded(page: Page, claim: Claim):
    page.get_by_role("button", name="Mark graded", exact=True).click()
    return "Marked graded.", lambda c: c.graded_at is not None


def publish(page: Page, claim: Claim):
    page.locator("#publish_reason").fill(PUBLIC_REASON)
    page.get_by_role("button", name="Publish", exact=True).click()
    return "Published", lambda c: c.public_changes.get().reason == PUBLIC_REASON


ORDERS = {
    "statement first": [
        save_statement,
        weigh(0, "no_effect"),
        save_judgements,
        weigh(1, "supports"),
        mark_overstated,
        save_override,
        mark_graded,
        publish,
    ],
    "weighings between the others": [
        weigh(1, "supports"),
        save_judgements,
        save_override,
        weigh(0, "no_effect"),
        save_statement,
        mark_graded,
        mark_overstated,
        publish,
    ],
    "graded early, statement late": [
        weigh(0, "no_effect"),
        mark_graded,
        mark_overstated,
        save_override,
        weigh(1, "supports"),
        save_judgements,
        save_statement,
        publish,
    ],
}


@pytest.mark.parametrize("order", ORDERS, ids=list(ORDERS))
def test_every_section_saves_in_any_order_without_reloading(page: Page, stroke_claim, order):
    sign_in(page, "edith")
    page.goto(f"/editor/claims/{stroke_claim.pk}/")
    page.evaluate("() => { window.__sameDocument = true; }")
    steps = ORDERS[order]
    for number, step in enumerate(steps, start=1):
        clear_messages(page)
        done, stored = step(page, stroke_claim)
        expect(messages(page)).to_contain_text(done)
        expect(page.get_by_role("alert")).to_have_count(0)
        expect(page.locator(".errorlist")).to_have_count(0)
        claim = Claim.objects.get(pk=stroke_claim.pk)
        assert stored(claim), f"{step.__name__} (step {number}) was not stored"
        assert claim.version == stroke_claim.version + number
    assert page.evaluate("() => window.__sameDocument") is True  # never reloaded
    claim = Claim.objects.get(pk=stroke_claim.pk)
    assert (claim.statement, claim.status, claim.imprecision) == (
        STATEMENT,
        "published",
        "serious",
    )
    assert sorted(claim.evidence.values_list("stance", flat=True)) == ["no_effect", "supports"]


def test_two_editors_meet_a_409_exactly_where_their_page_is_stale(new_context, stroke_claim):
    workbench = f"/editor/claims/{stroke_claim.pk}/"
    first, second = new_context().new_page(), new_context().new_page()
    sign_in(first, "edith")
    sign_in(second, "edmund")
    for page in (first, second):
        page.goto(workbench)
    answers = []

    def save(page: Page, step) -> None:
        before = Claim.objects.get(pk=stroke_claim.pk)
        clear_messages(page)
        done, stored = step(page, before)
        conflict = page.get_by_role("alert").filter(has_text=CONFLICT)
        expect(messages(page).filter(has_text=done).or_(conflict)).to_be_visible()
        after = Claim.objects.get(pk=stroke_claim.pk)
        editor = "A" if page is first else "B"
        answers.append((editor, step.__name__, conflict.count() == 0))
        # A refused save writes nothing; an accepted one is stored at the next version.
        assert after.version == before.version + (1 if answers[-1][2] else 0)
        if answers[-1][2]:
            assert stored(after)

    save(first, save_judgements)  # A: fresh page
    save(first, weigh(0, "no_effect"))  # A again: its own save keeps its page current
    save(second, weigh(1, "supports"))  # B: opened before A's saves, stale
    second.reload()
    save(second, weigh(1, "supports"))  # B after reloading
    save(second, save_statement)  # B again
    save(first, save_override)  # A: stale since B's saves
    first.reload()
    save(first, save_override)
    save(first, mark_graded)
    save(second, mark_overstated)  # B: stale since A's saves
    assert answers == [
        ("A", "save_judgements", True),
        ("A", "weigh_0", True),
        ("B", "weigh_1", False),
        ("B", "weigh_1", True),
        ("B", "save_statement", True),
        ("A", "save_override", False),
        ("A", "save_override", True),
        ("A", "mark_graded", True),
        ("B", "mark_overstated", False),
    ]
    claim = Claim.objects.get(pk=stroke_claim.pk)
    assert claim.version == stroke_claim.version + 6
    assert (claim.statement, claim.verdict_override, claim.status) == (
        STATEMENT,
        "unproven",
        "draft",
    )
