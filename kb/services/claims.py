"""Editors' writes to a claim, one service per change.

Every service takes the claim's `version` as the editor last saw it. Inside one transaction it
locks the claim row, refuses a stale version with Conflict (nothing is written), bumps the
version, makes the change, and ends by regrading the claim (kb.services.grades.regrade), which
saves it once with who did it and why in its history row (django-simple-history). Evidence and
study rows written here carry the same user and reason, set before they are saved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from kb import published_state
from kb.models import Appearance, Claim, Evidence, PublicChange, Topic
from kb.services import grades, studies
from kb.services.errors import Conflict, Refused
from kb.vocabulary import (
    DOWNGRADE_DOMAINS,
    EDITOR_FLAGS,
    ClaimKind,
    ClaimStatus,
    Flag,
    Indirectness,
    Judgement,
    Stance,
    Verdict,
)
from studies import content_version, limits
from studies.designs import Design, DesignSource
from studies.models import Study
from studies.records import StudyRecord


@contextmanager
def _editing(claim_id: int, version: int, *, user, reason: str) -> Iterator[Claim]:
    """Lock the claim and check the version; the block changes the claim (and its evidence),
    and on leaving it the claim is regraded and saved once, at the next version."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.version != version:
            raise Conflict(claim, version)
        claim.version += 1
        yield claim
        grades.regrade(claim, user=user, reason=reason)
        # Drafts change no public page, but a claim's edit is one bump among many: simpler and
        # never stale.
        content_version.bump()


def _changed_labels(obj, values: dict, labels: dict) -> list[str]:
    return [labels.get(name, name) for name, value in values.items() if getattr(obj, name) != value]


def _reason(action: str, changed: list[str]) -> str:
    return f"{action}: {', '.join(changed)}" if changed else f"{action}: saved without changes"


# ---------------------------------------------------------------------------------------------
# The claim's own fields

CLAIM_FIELD_LABELS = {
    "statement": "statement",
    "kind": "kind",
    "population": "population",
    "outcome": "outcome",
    "topic_id": "topic",
    "editor_flags": "editor flags",
}


def update_claim(
    *,
    claim_id: int,
    version: int,
    user,
    statement: str,
    kind: str,
    population: str,
    outcome: str,
    editor_flags: list[str] | tuple[str, ...] = (),
    topic_id: int | None = None,
) -> Claim:
    """Edit the testable statement, its kind, topic, population, outcome and the editor's
    flags."""
    if kind not in ClaimKind.values:
        raise Refused(f"Unknown claim kind {kind!r}.")
    if not limits.has_words(statement):
        raise Refused(
            "A claim needs a statement in words: the proposition its evidence is weighed for."
        )
    if len(statement.strip()) > limits.STATEMENT:
        raise Refused(limits.too_long("The statement", len(statement.strip()), limits.STATEMENT))
    if topic_id is not None and not Topic.objects.filter(pk=topic_id).exists():
        raise Refused(f"There is no topic {topic_id}.")
    unknown = set(editor_flags) - {flag.value for flag in EDITOR_FLAGS}
    if unknown:
        raise Refused(f"Editors cannot set these flags: {', '.join(sorted(unknown))}.")
    values = {
        "statement": statement.strip(),
        "kind": kind,
        "population": population.strip(),
        "outcome": outcome.strip(),
        "topic_id": topic_id,
        "editor_flags": [code for code in Flag.values if code in editor_flags],
    }
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim_id)
        reason = _reason("Edited the claim", _changed_labels(current, values, CLAIM_FIELD_LABELS))
        with _editing(claim_id, version, user=user, reason=reason) as claim:
            for name, value in values.items():
                setattr(claim, name, value)
    return Claim.objects.get(pk=claim_id)


# ---------------------------------------------------------------------------------------------
# The sentences that make the claim


def set_overstated(
    *, claim_id: int, appearance_id: int, version: int, user, overstated: bool
) -> Claim:
    """Judge whether one sentence making the claim says more than its statement."""
    with transaction.atomic():
        appearance = Appearance.objects.select_related("source").get(
            pk=appearance_id, claim_id=claim_id
        )
        word = "overstated" if overstated else "not overstated"
        reason = f"Sentence on “{appearance.source.title[:60]}” judged {word}"
        with _editing(claim_id, version, user=user, reason=reason):
            appearance.overstated = bool(overstated)
            # Its flags follow when the claim is regraded on leaving the block.
            grades.attributed(appearance, user=user, reason=reason).save()
    return Claim.objects.get(pk=claim_id)


def move_appearance(
    *, claim_id: int, appearance_id: int, version: int, user, to_claim_id: int
) -> Claim:
    """Put a sentence on another claim of the same compound (it restates that one instead).
    The studies it cites are linked to the other claim, unweighed where new; both claims are
    regraded. Returns the claim the sentence left."""
    with transaction.atomic():
        appearance = Appearance.objects.get(pk=appearance_id, claim_id=claim_id)
        if to_claim_id == claim_id:
            raise Refused("The sentence already makes this claim.")
        # Both rows locked in one order, so two moves in opposite directions cannot deadlock.
        locked = {
            claim.pk: claim
            for claim in Claim.objects.select_for_update()
            .filter(pk__in=[claim_id, to_claim_id])
            .order_by("pk")
        }
        target, source = locked.get(to_claim_id), locked[claim_id]
        if target is None or target.compound_id != source.compound_id:
            raise Refused(f"Claim {to_claim_id} is not a claim about {source.compound}.")
        if target.appearances.filter(source_id=appearance.source_id, quote=appearance.quote):
            raise Refused(f"Claim {to_claim_id} already has this sentence from this page.")
        reason = f"Sentence moved from claim {claim_id} to claim {to_claim_id}"
        with _editing(claim_id, version, user=user, reason=reason):
            appearance.claim = target
            grades.attributed(appearance, user=user, reason=reason).save()
            cited = appearance.citations.exclude(reference__study=None)
            for study_id in cited.values_list("reference__study_id", flat=True):
                _, made = Evidence.objects.get_or_create(
                    claim=target, study_id=study_id, defaults={"added_by": user}
                )
                if made and target.status == ClaimStatus.PUBLISHED:
                    grades.ask_for_rereview(target)
            # Editors with the other claim open see a conflict rather than overwrite this.
            target.version += 1
            grades.regrade(target, user=user, reason=reason)
    return Claim.objects.get(pk=claim_id)


# ---------------------------------------------------------------------------------------------
# Evidence links


def set_evidence(
    *,
    claim_id: int,
    evidence_id: int,
    version: int,
    user,
    stance: str | None,
    indirectness: list[str] | tuple[str, ...] = (),
    harm: bool = False,
    note: str = "",
    design: str | None = None,
) -> Claim:
    """Weigh one linked study for the claim: stance, indirectness, harm, a note; and, when
    given, confirm or correct the study's design (which every claim citing it is graded by)."""
    if stance is not None and stance not in Stance.values:
        raise Refused(f"Unknown stance {stance!r}.")
    if set(indirectness) - set(Indirectness.values):
        raise Refused(f"Unknown indirectness codes: {', '.join(sorted(indirectness))}.")
    if design is not None and design not in Design.values:
        raise Refused(f"Unknown design {design!r}.")
    if len(note.strip()) > limits.NOTE:
        raise Refused(limits.too_long("The note", len(note.strip()), limits.NOTE))
    values = {
        "stance": stance or None,
        "indirectness": [code for code in Indirectness.values if code in indirectness],
        "harm": bool(harm),
        "note": note.strip(),
    }
    with transaction.atomic():
        evidence = Evidence.objects.select_related("study").get(pk=evidence_id, claim_id=claim_id)
        changed = _changed_labels(evidence, values, {})
        design_changed = design is not None and (
            design != evidence.study.design or evidence.study.design_source != DesignSource.EDITOR
        )
        if design_changed:
            changed.append("design")
        reason = _reason(f"Evidence {evidence.study.first_author_label}", changed)
        with _editing(claim_id, version, user=user, reason=reason):
            if design_changed:
                _set_design(evidence.study, design, user=user, reason=reason, claim_id=claim_id)
            for name, value in values.items():
                setattr(evidence, name, value)
            grades.attributed(evidence, user=user, reason=reason).save()
    return Claim.objects.get(pk=claim_id)


def _set_design(study: Study, design: str, *, user, reason: str, claim_id: int) -> None:
    study.design = design
    study.design_source = DesignSource.EDITOR
    grades.attributed(study, user=user, reason=reason).save()
    # Other claims weigh the same study: their grades follow its design. The claim being edited
    # is regraded once, when its own change is saved.
    grades.regrade_using_study(
        study,
        user=user,
        reason=f"Regraded: design of {study.first_author_label}",
        exclude=claim_id,
    )


def add_evidence(
    *,
    claim_id: int,
    version: int | None = None,
    user,
    study_id: int | None = None,
    record: StudyRecord | None = None,
) -> Claim:
    """Link a study to the claim: a stored one (study_id) or a fetched record, stored first.

    The link starts unweighed (no stance), so it changes no grade until an editor weighs it.
    Without a version the claim is not checked for other editors' changes: a new link
    overwrites none of them.
    """
    if (study_id is None) == (record is None):
        raise Refused("Choose one study to add.")
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if version is None:
            version = claim.version
        elif claim.version != version:
            raise Conflict(claim, version)
        if study_id:
            study = Study.objects.filter(pk=study_id).first()
            if study is None:
                raise Refused(
                    f"There is no study {study_id} (it may have been deleted): find it again."
                )
        else:
            study = studies.store_record(record, user=user)
        if claim.evidence.filter(study=study).exists():
            raise Refused(f"{study} is already linked to this claim.")
        reason = f"Added evidence {study.first_author_label} {study.year or ''}".strip()
        with _editing(claim_id, version, user=user, reason=reason) as locked:
            evidence = Evidence(claim=locked, study=study, added_by=user)
            grades.attributed(evidence, user=user, reason=reason).save()
            if locked.status == ClaimStatus.PUBLISHED:
                grades.ask_for_rereview(locked)
    return Claim.objects.get(pk=claim_id)


def remove_evidence(*, claim_id: int, evidence_id: int, version: int, user) -> Claim:
    """Unlink a study from the claim; the link's last state stays in the history."""
    with transaction.atomic():
        evidence = Evidence.objects.select_related("study").get(pk=evidence_id, claim_id=claim_id)
        reason = f"Removed evidence {evidence.study.first_author_label} {evidence.study.year or ''}"
        with _editing(claim_id, version, user=user, reason=reason.strip()):
            grades.attributed(evidence, user=user, reason=reason).delete()
    return Claim.objects.get(pk=claim_id)


# ---------------------------------------------------------------------------------------------
# GRADE judgements, grading, the override and publication

DOMAIN_LABELS = dict(DOWNGRADE_DOMAINS)
JUDGEMENT_FIELDS = (
    *[name for name, _ in DOWNGRADE_DOMAINS],
    *[f"{name}_reason" for name, _ in DOWNGRADE_DOMAINS],
    "large_effect",
    "large_effect_reason",
    "dose_response",
    "dose_response_reason",
)


def set_judgements(*, claim_id: int, version: int, user, judgements: dict) -> Claim:
    """Set the GRADE judgements: each rating-down domain (None = not judged) with its reason,
    and the two reasons to rate up. Keys are Claim field names (JUDGEMENT_FIELDS)."""
    unknown = set(judgements) - set(JUDGEMENT_FIELDS)
    if unknown:
        raise Refused(f"Unknown judgement fields: {', '.join(sorted(unknown))}.")
    for domain in DOMAIN_LABELS:
        value = judgements.get(domain)
        if value is not None and value not in Judgement.values:
            raise Refused(f"Unknown judgement {value!r} for {DOMAIN_LABELS[domain].lower()}.")
    if judgements.get("large_effect", 0) not in (0, 1, 2):
        raise Refused("Large effect rates up by 0, 1 or 2 steps.")
    with transaction.atomic():
        current = Claim.objects.select_for_update().get(pk=claim_id)
        changed = [
            DOMAIN_LABELS.get(name, name.replace("_", " ")).lower()
            for name, value in judgements.items()
            if not name.endswith("_reason") and getattr(current, name) != value
        ]
        reason = _reason("Judgements", changed)
        if not changed and any(getattr(current, k) != v for k, v in judgements.items()):
            reason = "Judgements: reasons edited"
        with _editing(claim_id, version, user=user, reason=reason) as claim:
            for name, value in judgements.items():
                setattr(claim, name, value.strip() if isinstance(value, str) else value)
    return Claim.objects.get(pk=claim_id)


def save_grading(
    *,
    claim_id: int,
    version: int,
    user,
    weighings: dict[int, dict],
    judgements: dict,
    and_grade: bool = False,
    publish_reason: str = "",
) -> Claim:
    """The workbench's one form: weigh the changed evidence rows (set_evidence's arguments by
    evidence id), set the judgements, with `and_grade` mark the claim graded and with a
    `publish_reason` also publish it (see publish); all or nothing. `version` is the claim's as
    the editor saw it; each step is recorded in the history as its own change. Judgements left
    as they are add no entry when a row changed."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        if claim.version != version:
            raise Conflict(claim, version)
        for evidence_id, values in weighings.items():
            claim = set_evidence(
                claim_id=claim_id,
                evidence_id=evidence_id,
                version=claim.version,
                user=user,
                **values,
            )
        stripped = {k: v.strip() if isinstance(v, str) else v for k, v in judgements.items()}
        if not weighings or any(getattr(claim, k) != v for k, v in stripped.items()):
            claim = set_judgements(
                claim_id=claim_id, version=claim.version, user=user, judgements=judgements
            )
        if and_grade or publish_reason:
            claim = mark_graded(claim_id=claim_id, version=claim.version, user=user)
        if publish_reason:
            claim = publish(
                claim_id=claim_id, version=claim.version, user=user, reason=publish_reason
            )
    return claim


def mark_graded(*, claim_id: int, version: int, user) -> Claim:
    """Record that an editor has reviewed the evidence: the verdict is derived from now on, and
    a request for re-review is settled."""
    with _editing(claim_id, version, user=user, reason="Marked graded") as claim:
        if not claim.evidence.exclude(stance=None).exists():
            raise Refused("Weigh at least one study (set its stance) before grading the claim.")
        claim.graded_by = user
        claim.graded_at = timezone.now()
        claim.editor_flags = [code for code in claim.editor_flags if code != Flag.NEEDS_REREVIEW]
    return Claim.objects.get(pk=claim_id)


def publish(*, claim_id: int, version: int, user, reason: str) -> Claim:
    """Show the claim to readers as it now stands, with a public reason (required); only a
    graded claim can be published. Side effect: a PublicChange row records the verdict and
    certainty readers saw at the last publication and now, the reason and the editor (the
    public changelog). Publishing an already published claim records its changes the same way.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise Refused("Say publicly why you publish: readers see the reason in the changelog.")
    with transaction.atomic():
        with _editing(claim_id, version, user=user, reason=f"Published: {reason}") as claim:
            if not claim.is_graded:
                raise Refused("Mark the claim graded before publishing it.")
            claim.status = ClaimStatus.PUBLISHED
        claim = Claim.objects.get(pk=claim_id)
        last = claim.public_changes.first()
        change = PublicChange.objects.create(
            claim=claim,
            old_verdict=last.new_verdict if last else None,
            old_certainty=last.new_certainty if last else None,
            new_verdict=claim.verdict,
            new_certainty=claim.certainty,
            reason=reason,
            editor=user,
        )
        store_published_state(claim, at=change.at)
    return claim


def store_published_state(claim: Claim, *, at) -> None:
    """Make the claim as it now stands (columns and evidence) what readers see: until the next
    publication, the pages, APIs, downloads and search read this state, not later edits. Written
    with update(): the state is not a field the claim's history tracks."""
    claim.published = published_state.snapshot(claim, claim.evidence.all(), at)
    Claim.objects.filter(pk=claim.pk).update(published=claim.published)


def unpublish(*, claim_id: int, version: int, user) -> Claim:
    """Take the claim back to draft: readers no longer see it."""
    with _editing(claim_id, version, user=user, reason="Unpublished") as claim:
        claim.status = ClaimStatus.DRAFT
        claim.published = None
    return Claim.objects.get(pk=claim_id)


def override_verdict(
    *, claim_id: int, version: int, user, verdict: str | None, rationale: str = ""
) -> Claim:
    """Replace the derived verdict with an editor's, with a rationale; verdict None removes it."""
    rationale = rationale.strip()
    if verdict is not None:
        if verdict not in Verdict.values or verdict == Verdict.UNGRADED:
            raise Refused(f"{verdict!r} is not a verdict an editor can choose.")
        if not rationale:
            raise Refused("An override needs a rationale: say why the rules get this claim wrong.")
        reason = f"Verdict overridden to {Verdict(verdict).label}: {rationale}"
    else:
        reason = "Override removed"
    with _editing(claim_id, version, user=user, reason=reason) as claim:
        claim.verdict_override = verdict
        claim.override_rationale = rationale if verdict else ""
        claim.override_by = user if verdict else None
        claim.override_at = timezone.now() if verdict else None
    return Claim.objects.get(pk=claim_id)
