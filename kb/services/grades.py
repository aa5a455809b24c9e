"""Storing a claim's grade: the one place the rules of kb.grading are applied to stored claims.

`regrade` derives the grade from the claim's weighed evidence and GRADE judgements and saves the
claim once, with the user and reason of the change in its history row (set before the save, so
no history row is ever patched afterwards); the flags of each sentence making the claim (its
appearances: citation mismatch, overstated) are derived from the same evidence and saved with
it. `regrade_using_study` is the same for every claim that weighs a study whose design or
retraction changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from kb import grading
from kb.models import GRADE_FIELDS, Appearance, Claim, Evidence
from kb.vocabulary import Flag
from studies import content_version


def short_reason(text: str) -> str:
    """The reason on one line, as the history and the public changelog show it."""
    return " ".join(text.split())


def apply_grade(claim: Claim, evidence=None) -> bool:
    """Set the claim's derived fields from its evidence (or the given, already loaded evidence
    with studies) and judgements; True when any of them changed. Nothing is saved."""
    before = [getattr(claim, name) for name in GRADE_FIELDS]
    result = claim.compute_grade(evidence)
    claim.computed_verdict = result.verdict
    claim.verdict = grading.effective_verdict(result.verdict, claim.verdict_override)
    claim.certainty = result.certainty
    editor = [code for code in Flag.values if code in claim.editor_flags]
    claim.flags = [code for code in Flag.values if code in result.flags or code in editor]
    return before != [getattr(claim, name) for name in GRADE_FIELDS]


def appearance_changes(claim: Claim, evidence=None) -> list[Appearance]:
    """The claim's appearances whose flags change with its evidence (or the given, already
    loaded evidence), their new flags set. Nothing is saved."""
    if evidence is None:
        evidence = claim.evidence.all()
    stances = {ev.study_id: ev.stance for ev in evidence}
    changed = []
    for appearance in claim.appearances.prefetch_related("citations__reference"):
        cited = [
            stances.get(citation.reference.study_id)
            for citation in appearance.citations.all()
            if citation.reference.study_id is not None
        ]
        derived = grading.appearance_flags(cited, overstated=appearance.overstated)
        flags = [code for code in Flag.values if code in derived]
        if flags != appearance.flags:
            appearance.flags = flags
            changed.append(appearance)
    return changed


def ask_for_rereview(claim: Claim) -> bool:
    """Flag the claim for an editor to look at again (readers see a grade that does not yet
    weigh what changed); True when the flag is new. Nothing is saved."""
    if Flag.NEEDS_REREVIEW in claim.editor_flags:
        return False
    claim.editor_flags = [*claim.editor_flags, Flag.NEEDS_REREVIEW]
    return True


def attributed(obj, *, user, reason: str):
    """The object with this user and reason for the history row its next save writes."""
    obj._change_reason = short_reason(reason)
    obj._history_user = user
    return obj


def _save(obj, *, user, reason: str) -> None:
    attributed(obj, user=user, reason=reason).save()


def regrade(claim: Claim, *, user, reason: str) -> Claim:
    """Derive the claim's grade and save the claim with every change made to it so far: one
    history row, carrying this user and reason (and one for each appearance whose flags
    changed)."""
    apply_grade(claim)
    _save(claim, user=user, reason=reason)
    for appearance in appearance_changes(claim):
        _save(appearance, user=user, reason=reason)
    return claim


@transaction.atomic
def regrade_all(claims: Iterable[Claim], *, user, reason: str) -> list[Claim]:
    """Regrade these claims, saving only those whose grade or appearances' flags changed; the
    claims saved or whose appearances were."""
    saved = []
    for claim in claims:
        if _regrade_if_changed(claim, user=user, reason=reason):
            saved.append(claim)
    if saved:
        content_version.bump()
    return saved


def _regrade_if_changed(claim: Claim, *, user, reason: str, flagged: bool = False) -> bool:
    changed = apply_grade(claim) or flagged
    if changed:
        _save(claim, user=user, reason=reason)
    appearances = appearance_changes(claim)
    for appearance in appearances:
        _save(appearance, user=user, reason=reason)
    return changed or bool(appearances)


@transaction.atomic
def regrade_using_study(
    study, *, user=None, reason: str, rereview: bool = False, exclude: int | None = None
) -> list[Claim]:
    """Regrade every claim that weighs this study (its design or retraction changed). With
    `rereview` (the study was retracted) each also asks an editor to look at it again."""
    # FOR UPDATE cannot take DISTINCT: select the claims through a subquery instead of a join.
    weighing = Evidence.objects.filter(study=study).values("claim_id")
    claims = Claim.objects.filter(pk__in=weighing).select_for_update()
    if exclude is not None:
        claims = claims.exclude(pk=exclude)
    saved = []
    for claim in claims:
        flagged = rereview and ask_for_rereview(claim)
        if _regrade_if_changed(claim, user=user, reason=reason, flagged=flagged):
            saved.append(claim)
    if saved:
        content_version.bump()
    return saved
