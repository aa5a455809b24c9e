"""The editors' new-evidence inbox: studies the PubMed watch found for a compound, each with the
claims it most likely bears on; an editor weighs one against a claim (it becomes that claim's
evidence, unweighed, in the review queue) or dismisses it, in one action."""

from django.db import transaction
from django.utils import timezone

from kb import relevance
from kb.models import Claim, Compound, Follow, NewEvidence, PubMedWatch
from kb.services import claims
from kb.services.errors import Refused
from studies.models import Study


def record_found(compound: Compound, studies: list[Study]) -> list[NewEvidence]:
    """Put found studies in the compound's inbox with their likely claims. A study already in
    the inbox (whatever was decided) or already evidence for one of the compound's claims is
    not put there again. The new entries, in the order given."""
    known = set(
        NewEvidence.objects.filter(compound=compound, study__in=studies).values_list(
            "study_id", flat=True
        )
    ) | set(
        Study.objects.filter(evidence__claim__compound=compound, pk__in=[s.pk for s in studies])
        .values_list("pk", flat=True)
        .distinct()
    )
    made = []
    with transaction.atomic():
        for study in studies:
            if study.pk in known:
                continue
            known.add(study.pk)
            proposed = relevance.likely_claims(compound.pk, study)
            made.append(
                NewEvidence.objects.create(compound=compound, study=study, proposed=proposed)
            )
    return made


def _undecided(entry_id: int) -> NewEvidence:
    entry = NewEvidence.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise Refused("This entry is no longer in the inbox.")
    if entry.status != NewEvidence.Status.NEW:
        raise Refused(f"This study was already {entry.get_status_display().lower()}.")
    return entry


def weigh(*, entry_id: int, claim_id: int, user) -> Claim:
    """Link the entry's study to one of its compound's claims as evidence to weigh (unweighed:
    no grade changes until an editor sets its stance) and take it out of the inbox."""
    with transaction.atomic():
        entry = _undecided(entry_id)
        if not Claim.objects.filter(pk=claim_id, compound_id=entry.compound_id).exists():
            raise Refused("Choose one of this compound's claims.")
        if not entry.study.evidence.filter(claim_id=claim_id).exists():
            claims.add_evidence(claim_id=claim_id, user=user, study_id=entry.study_id)
        _decide(entry, NewEvidence.Status.WEIGHED, user)
    return Claim.objects.get(pk=claim_id)


def dismiss(*, entry_id: int, user) -> NewEvidence:
    """Take the entry out of the inbox without linking its study to any claim."""
    with transaction.atomic():
        entry = _undecided(entry_id)
        _decide(entry, NewEvidence.Status.DISMISSED, user)
    return entry


def _decide(entry: NewEvidence, status: str, user) -> None:
    entry.status, entry.decided_by, entry.decided_at = status, user, timezone.now()
    entry.save(update_fields=["status", "decided_by", "decided_at"])


def default_query(compound: Compound) -> str:
    """The compound's name and aliases in titles and abstracts, e.g. for Cerebrolysin
    `Cerebrolysin[tiab] OR FPF-1070[tiab]`."""
    names = [compound.name, *(compound.aliases or [])]
    return " OR ".join(
        f"{name}[tiab]" for name in dict.fromkeys(n.strip() for n in names if n.strip())
    )


def ensure_watch(compound: Compound) -> PubMedWatch:
    """The compound's watch; a new one searches for its names (an editor's query is kept)."""
    watch, _ = PubMedWatch.objects.get_or_create(
        compound=compound, defaults={"query": default_query(compound)}
    )
    return watch


def save_watch(*, compound: Compound, query: str, active: bool) -> PubMedWatch:
    """Set the compound's saved PubMed query; a changed query searches the last year again."""
    watch = PubMedWatch.objects.filter(compound=compound).first() or PubMedWatch(compound=compound)
    if watch.query != query:
        watch.searched_until = None
    watch.query, watch.active = query, active
    watch.save()
    return watch


def set_following(*, user, compound: Compound, on: bool) -> bool:
    """Follow a compound or stop; a new follower's first digest starts now."""
    if on:
        Follow.objects.get_or_create(user=user, compound=compound)
    else:
        Follow.objects.filter(user=user, compound=compound).delete()
    return on
