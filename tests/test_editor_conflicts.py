"""Two editors saving the same claim: the save made on a stale version answers 409, shows a
message where the page shows messages, overwrites nothing and keeps the editor's input."""

import pytest
from django.test import Client
from django.urls import reverse
from editor_support import HTMX
from pytest_django.asserts import assertTemplateUsed

from kb.models import Appearance, Claim, Evidence
from kb.services import claims
from studies.models import Study

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editors(editor, second_editor):
    first, second = Client(), Client()
    first.force_login(editor)
    second.force_login(second_editor)
    return first, second


def test_the_second_save_on_a_stale_version_is_refused_with_409(two_editors, draft_claim):
    first, second = two_editors
    seen = draft_claim.version  # both editors opened the page at this version
    ours = first.post(
        reverse("editor:grading", args=[draft_claim.pk]),
        {
            "version": seen,
            "risk_of_bias": "serious",
            "risk_of_bias_reason": "First editor's reason.",
            "large_effect": "0",
        },
        **HTMX,
    )
    assert ours.status_code == 200

    theirs = second.post(
        reverse("editor:update-claim", args=[draft_claim.pk]),
        {"version": seen, "statement": "Second editor's statement.", "kind": "safety"},
        **HTMX,
    )
    assert theirs.status_code == 409
    assert theirs["HX-Retarget"] == "#editor-messages"
    assert theirs["HX-Reswap"] == "innerHTML"
    assertTemplateUsed(theirs, "conflict")
    assert "<html" not in theirs.text
    assert "someone else changed this claim" in theirs.text
    assert f"You saw version {seen}; it is now at version {seen + 1}." in theirs.text

    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.version == seen + 1
    assert claim.risk_of_bias_reason == "First editor's reason."  # the first save stands
    assert claim.statement == draft_claim.statement  # the stale one wrote nothing
    assert claim.kind == draft_claim.kind


def test_without_javascript_the_conflict_page_keeps_the_editors_input(two_editors, draft_claim):
    first, second = two_editors
    seen = draft_claim.version
    first.post(
        reverse("editor:override", args=[draft_claim.pk]),
        {"version": seen, "verdict": "unproven", "rationale": "First editor's rationale."},
    )
    response = second.post(
        reverse("editor:update-claim", args=[draft_claim.pk]),
        {"version": seen, "statement": "Typed by the second editor.", "kind": "benefit"},
    )
    assert response.status_code == 409
    assert "<html" in response.text
    assert "someone else changed this claim" in response.text
    assert "Typed by the second editor." in response.text  # still in the form, not lost
    assert Claim.objects.get(pk=draft_claim.pk).statement == draft_claim.statement


def test_a_stale_evidence_save_changes_neither_the_link_nor_the_claim(two_editors, draft_claim):
    first, second = two_editors
    evidence = draft_claim.evidence.get()
    prefix = f"ev{evidence.pk}"
    seen = draft_claim.version
    row = {"evidence": evidence.pk, "large_effect": "0"}
    first.post(
        reverse("editor:grading", args=[draft_claim.pk]),
        {**row, "version": seen, f"{prefix}-stance": "supports"},
        **HTMX,
    )
    history_rows = evidence.history.count()
    response = second.post(
        reverse("editor:grading", args=[draft_claim.pk]),
        {**row, "version": seen, f"{prefix}-stance": "contradicts", f"{prefix}-harm": "on"},
        **HTMX,
    )
    assert response.status_code == 409
    evidence.refresh_from_db()
    assert (evidence.stance, evidence.harm) == ("supports", False)
    assert evidence.history.count() == history_rows


def test_a_stale_sentence_judgement_is_refused_and_changes_nothing(
    two_editors, draft_claim, make_appearance
):
    first, second = two_editors
    ours, theirs = draft_claim.appearances.get(), make_appearance(draft_claim, quote="Recall x2!")
    seen = Claim.objects.get(pk=draft_claim.pk).version
    saved = first.post(
        reverse("editor:set-overstated", args=[draft_claim.pk, ours.pk]),
        {"version": seen, "overstated": "True"},
        **HTMX,
    )
    assert saved.status_code == 200
    rows = theirs.history.count()
    response = second.post(
        reverse("editor:set-overstated", args=[draft_claim.pk, theirs.pk]),
        {"version": seen, "overstated": "True"},
        **HTMX,
    )
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#editor-messages"
    assertTemplateUsed(response, "conflict")
    assert f"You saw version {seen}; it is now at version {seen + 1}." in response.text
    theirs.refresh_from_db()
    assert (theirs.overstated, theirs.flags, theirs.history.count()) == (False, [], rows)
    assert Claim.objects.get(pk=draft_claim.pk).version == seen + 1

    # Without JavaScript: the whole page, answering 409, with the message.
    page = second.post(
        reverse("editor:set-overstated", args=[draft_claim.pk, theirs.pk]),
        {"version": seen, "overstated": "True"},
    )
    assert page.status_code == 409
    assert "<html" in page.text
    assert "someone else changed this claim" in page.text


def test_a_stale_move_is_refused_and_moves_nothing(
    two_editors, draft_claim, make_claim, make_appearance
):
    first, second = two_editors
    other = make_claim(draft_claim.compound, statement="Testolin is safe.", status="draft")
    trial = Study.objects.get(design="rct")
    sentence = make_appearance(draft_claim, quote="A trial shows Testolin is safe.", cites=[trial])
    seen = Claim.objects.get(pk=draft_claim.pk).version
    first.post(
        reverse("editor:grading", args=[draft_claim.pk]),
        {"version": seen, "imprecision": "none", "large_effect": "0"},
        **HTMX,
    )
    other_version = Claim.objects.get(pk=other.pk).version
    response = second.post(
        reverse("editor:move-appearance", args=[draft_claim.pk, sentence.pk]),
        {"version": seen, "to_claim": other.pk},
        **HTMX,
    )
    assert response.status_code == 409
    assertTemplateUsed(response, "conflict")
    assert "someone else changed this claim" in response.text
    assert Appearance.objects.get(pk=sentence.pk).claim_id == draft_claim.pk
    assert Claim.objects.get(pk=other.pk).version == other_version
    assert not Evidence.objects.filter(claim=other).exists()


@pytest.mark.parametrize(
    "service",
    [
        lambda pk, user: claims.mark_graded(claim_id=pk, version=1, user=user),
        lambda pk, user: claims.publish(
            claim_id=pk, version=1, user=user, reason="Constructed reason."
        ),
        lambda pk, user: claims.unpublish(claim_id=pk, version=1, user=user),
        lambda pk, user: claims.set_judgements(
            claim_id=pk, version=1, user=user, judgements={"imprecision": "serious"}
        ),
        lambda pk, user: claims.override_verdict(
            claim_id=pk, version=1, user=user, verdict="unproven", rationale="Why."
        ),
        lambda pk, user: claims.set_overstated(
            claim_id=pk,
            appearance_id=Appearance.objects.get(claim_id=pk).pk,
            version=1,
            user=user,
            overstated=True,
        ),
    ],
    ids=[
        "mark_graded",
        "publish",
        "unpublish",
        "set_judgements",
        "override_verdict",
        "set_overstated",
    ],
)
def test_every_service_refuses_a_stale_version_and_writes_no_history(service, draft_claim, editor):
    Claim.objects.filter(pk=draft_claim.pk).update(version=2)
    rows = Claim.history.filter(id=draft_claim.pk).count()
    with pytest.raises(claims.Conflict):
        service(draft_claim.pk, editor)
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.version == 2
    assert Claim.history.filter(id=draft_claim.pk).count() == rows
