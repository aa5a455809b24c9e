"""Every workbench change is in the history with who, when, what and why; published claims
show readers how their verdict changed."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from editor_support import post, weigh

from kb.history import short_diff, verdict_changes
from kb.models import Claim, Evidence, PublicChange
from kb.selectors import public_changes
from kb.services import grades

pytestmark = pytest.mark.django_db


FIRST_REASON = "Constructed reason: graded from its one randomised trial."
CHANGE_REASON = "Constructed reason: outcome assessors were not blinded, so less certain."


def graded_and_published(client, claim):
    weigh(client, claim, claim.evidence.get(), stance="supports", design="rct")
    post(client, "mark-graded", claim)
    post(client, "publish", claim, {"reason": FIRST_REASON})
    return Claim.objects.get(pk=claim.pk)


def test_a_judgement_is_recorded_with_who_what_and_why(signed_in, editor, draft_claim):
    post(
        signed_in,
        "grading",
        draft_claim,
        {
            "imprecision": "serious",
            "imprecision_reason": "Constructed: one small trial.",
            "large_effect": "0",
        },
    )
    latest, previous = Claim.history.filter(id=draft_claim.pk).order_by("-history_id")[:2]
    assert latest.history_user == editor
    assert latest.history_change_reason == "Judgements: imprecision"
    changed = {
        change.field: (change.old, change.new) for change in latest.diff_against(previous).changes
    }
    assert changed["imprecision"] == (None, "serious")
    assert changed["imprecision_reason"] == ("", "Constructed: one small trial.")


def test_weighing_evidence_records_the_link_and_the_regrade_it_caused(
    signed_in, editor, draft_claim
):
    evidence = draft_claim.evidence.get()
    weigh(signed_in, draft_claim, evidence, stance="contradicts", note="Constructed note.")
    row = evidence.history.latest()
    assert row.history_user == editor
    assert row.history_change_reason == "Evidence Anonymous: stance, note"
    assert {c.field for c in row.diff_against(row.prev_record).changes} == {"stance", "note"}
    claim_rows = Claim.history.filter(id=draft_claim.pk).order_by("-history_id")
    # One claim row for the change (the regrade kb.signals saves), with the same who and why.
    assert claim_rows[0].history_change_reason == "Evidence Anonymous: stance, note"
    assert claim_rows[0].history_user == editor
    assert claim_rows[0].version == draft_claim.version + 1


def test_a_removed_link_stays_in_the_history(signed_in, editor, draft_claim):
    evidence = draft_claim.evidence.get()
    post(signed_in, "remove-evidence", draft_claim, None, evidence.pk)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    deleted = Evidence.history.filter(id=evidence.pk).latest()
    assert deleted.history_type == "-"
    assert deleted.history_user == editor
    assert deleted.history_change_reason.startswith("Removed evidence")


def test_the_history_page_lists_who_what_and_why(signed_in, draft_claim):
    post(
        signed_in,
        "update-claim",
        draft_claim,
        {"statement": "In healthy adults, Testolin improves delayed recall.", "kind": "benefit"},
    )
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    response = signed_in.get(reverse("claim-history", args=[draft_claim.pk]))
    text = response.text
    assert response.status_code == 200
    assert "Edited the claim: statement" in text
    old, new = draft_claim.statement, "In healthy adults, Testolin improves delayed recall."
    assert f"Statement: {old} → {new}" in text
    assert "Evidence Anonymous: stance, design" in text
    assert "Study: A constructed randomised trial of Testolin" in text
    assert "Stance: — → Supports" in text
    assert "edith" in text


def test_the_public_changelog_lists_each_publication_with_its_reason_and_editor(
    signed_in, editor, client, draft_claim, settings
):
    editor.first_name, editor.last_name = "Edith", "Editor"
    editor.save()
    claim = graded_and_published(signed_in, draft_claim)
    assert claim.verdict == "supported"
    today = datetime.now(UTC).strftime("%-d %B %Y")
    first_view = client.get(claim.get_absolute_url()).text
    assert "First published as <strong>Supported</strong> on" in first_view
    assert f">{today}</time> by Edith Editor, because: {FIRST_REASON}" in first_view

    post(
        signed_in,
        "grading",
        claim,
        {
            "risk_of_bias": "serious",
            "risk_of_bias_reason": "Constructed: outcome assessors were not blinded.",
            "large_effect": "0",
        },
    )
    # Not a publication: the changelog does not list the edit as such.
    assert "Verdict changed" not in client.get(claim.get_absolute_url()).text

    refused = post(signed_in, "publish", claim, {"reason": "   "})
    assert "This field is required." in refused.text
    assert PublicChange.objects.filter(claim=claim).count() == 1

    post(signed_in, "publish", claim, {"reason": CHANGE_REASON})
    page = client.get(claim.get_absolute_url()).text
    assert (
        "Verdict changed from <strong>Supported</strong> to <strong>Probably supported</strong>, "
        'certainty high → moderate on <time datetime="' in page
    )
    assert f">{today}</time> by Edith Editor, because: {CHANGE_REASON}" in page
    # Newest first, and the seam other pages read gives the same.
    assert page.index(CHANGE_REASON) < page.index(FIRST_REASON)
    newest, first = public_changes(claim)
    assert (newest.old_verdict, newest.new_verdict, newest.editor) == (
        "supported",
        "probably_supported",
        editor,
    )
    assert (first.old_verdict, first.reason) == (None, FIRST_REASON)
    assert list(public_changes()) == [newest, first]

    # The site may credit the role rather than the person.
    settings.PUBLIC_CREDIT = "role"
    assert f"by an editor, because: {CHANGE_REASON}" in client.get(claim.get_absolute_url()).text

    # An unpublished claim's changes are nobody's to read.
    post(signed_in, "unpublish", claim)
    assert list(public_changes()) == []


def test_a_public_change_needs_a_reason_in_the_database_too(signed_in, draft_claim):
    claim = graded_and_published(signed_in, draft_claim)
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicChange.objects.create(claim=claim, new_verdict="supported", reason=" \n ")


def row(verdict, status, reason=None, day=1):
    return {
        "history_date": datetime(2026, 1, day, tzinfo=UTC),
        "verdict": verdict,
        "status": status,
        "history_change_reason": reason,
    }


def test_verdict_changes_ignore_drafts_and_report_a_change_made_while_unpublished():
    rows = [
        row("ungraded", "draft"),
        row("supported", "draft", "Marked graded"),
        row("probably_supported", "draft", "Judgements: imprecision"),  # never seen by readers
        row("probably_supported", "published", "Published", day=2),
        row("probably_supported", "draft", "Unpublished", day=3),
        row("unproven", "draft", "Verdict overridden to Unproven: trial retracted", day=3),
        row("unproven", "published", "Published", day=4),
    ]
    (change,) = verdict_changes(rows)
    assert (change.old, change.new, change.when.day) == ("Probably supported", "Unproven", 4)
    assert change.reason == "Verdict overridden to Unproven: trial retracted"


def test_judging_a_sentence_is_recorded_on_the_sentence_and_the_claim(
    signed_in, editor, draft_claim
):
    sentence = draft_claim.appearances.get()
    post(signed_in, "set-overstated", draft_claim, {"overstated": "True"}, sentence.pk)
    rows = sentence.history.order_by("-history_id")
    title = sentence.source.title
    reason = f"Sentence on “{title}” judged overstated"
    # The judgement, then the flags it implies, each with the editor and the reason.
    assert [(row.overstated, row.flags) for row in rows[:2]] == [
        (True, ["overstated"]),
        (True, []),
    ]
    assert {(row.history_user, row.history_change_reason) for row in rows[:2]} == {(editor, reason)}
    claim_row = Claim.history.filter(id=draft_claim.pk).latest()
    assert (claim_row.history_user, claim_row.history_change_reason) == (editor, reason)
    assert claim_row.version == draft_claim.version + 1


def test_the_history_names_people_not_ids(signed_in, editor, draft_claim):
    editor.first_name, editor.last_name = "Edith", "Editor"
    editor.save()
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    post(signed_in, "mark-graded", draft_claim)
    text = signed_in.get(reverse("claim-history", args=[draft_claim.pk])).text
    assert "Graded by: — → Edith Editor" in text
    assert f"Graded by: — → {editor.pk}<" not in text
    assert "<td>Edith Editor</td>" in text  # who made each change


ARTICLE = Path(__file__).resolve().parents[1] / "fixtures" / "cerebrolysin-article.txt"


def test_a_changed_article_text_is_shown_as_a_short_diff_never_whole(signed_in, draft_claim):
    """The demo's real article text (fixtures/), stored and then edited in one sentence."""
    text = ARTICLE.read_text()
    source = draft_claim.appearances.get().source
    grades.attributed(source, user=None, reason="Constructed: article text stored")
    source.text = text
    source.save()
    words = text.split()
    edited = " ".join([*words[:200], "EDITED", *words[201:]])
    source.text = edited
    grades.attributed(source, user=None, reason="Constructed: one word edited").save()
    page = signed_in.get(reverse("claim-history", args=[draft_claim.pk])).text
    assert len(text) > 5000
    assert text[:3000] not in page
    assert edited[:3000] not in page
    context = " ".join(words[194:200])
    assert f"Text: …{context} [{words[200]}]" in page
    assert f"[EDITED] {' '.join(words[201:207])}…" in page
    assert len(page) < 12000


def test_short_diff_keeps_short_values_whole_and_long_ones_to_their_changes():
    assert short_diff("Supports", "Contradicts") == ("Supports", "Contradicts")
    long = " ".join(f"word{n}" for n in range(100))
    old, new = short_diff(long, long.replace("word50", "changed") + " appended")
    assert old == (
        "…word44 word45 word46 word47 word48 word49 [word50] "
        "word51 word52 word53 word54 word55 word56… / "
        "…word94 word95 word96 word97 word98 word99 [∅]"
    )
    assert new.startswith("…word44 word45 word46 word47 word48 word49 [changed] word51")
    assert new.endswith("[appended]")
    assert short_diff(long, long.replace(" ", "  ")) == ("(spacing only)", "(spacing only)")
