"""Storing a claim's grade: the one place the rules of kb.grading are applied to stored claims.

`regrade` derives the grade from the claim's weighed evidence and GRADE judgements and saves the
claim once, with the user and reason of the change in its history row (set before the save, so
no history row is ever patched afterwards). `regrade_using_study` is the same for every claim
that weighs a study whose design or retraction changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from kb import grading
from kb.models import GRADE_FIELDS, Claim, Evidence
from kb.vocabulary import Flag


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


def ask_for_rereview(claim: Claim) -> bool:
    """Flag the claim for an editor to look at again (readers see a grade that does not yet
    weigh what changed); True when the flag is new. Nothing is saved."""
    if Flag.NEEDS_REREVIEW in claim.editor_flags:
        return False
    claim.editor_flags = [*claim.editor_flags, Flag.NEEDS_REREVIEW]
    return True


def _save(claim: Claim, *, user, reason: str) -> None:
    claim._change_reason = short_reason(reason)
    claim._history_user = user
    claim.save()


def regrade(claim: Claim, *, user, reason: str) -> Claim:
    """Derive the claim's grade and save the claim with every change made to it so far: one
    history row, carrying this user and reason."""
    apply_grade(claim)
    _save(claim, user=user, reason=reason)
    return claim


@transaction.atomic
def regrade_all(claims: Iterable[Claim], *, user, reason: str) -> list[Claim]:
    """Regrade these claims, saving only those whose grade changed; the ones saved."""
    saved = []
    for claim in claims:
        if apply_grade(claim):
            _save(claim, user=user, reason=reason)
            saved.append(claim)
    return saved


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
        if apply_grade(claim) or flagged:
            _save(claim, user=user, reason=reason)
            saved.append(claim)
    return saved
