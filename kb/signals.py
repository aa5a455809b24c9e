"""kb's reactions to changes elsewhere: grades follow their evidence."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from kb.models import Claim, Evidence
from kb.vocabulary import Flag
from studies.models import Study
from studies.signals import study_retracted


@receiver(post_save, sender=Evidence)
@receiver(post_delete, sender=Evidence)
def regrade_after_evidence_change(sender, instance, created=False, **kwargs):
    claim = Claim.objects.filter(pk=instance.claim_id).first()
    if claim is None:  # the claim itself is being deleted
        return
    if created and claim.status == "published":
        claim.add_editor_flag(Flag.NEEDS_REREVIEW)
    claim.save()


@receiver(study_retracted)
def flag_claims_using_retracted_study(sender, study, **kwargs):
    for claim in Claim.objects.filter(evidence__study=study).distinct():
        claim.add_editor_flag(Flag.NEEDS_REREVIEW)
        claim.save()


@receiver(post_save, sender=Study)
def regrade_claims_using_study(sender, instance, created=False, **kwargs):
    """A study's design or retraction feeds every grade that uses it."""
    if created:
        return
    for claim in Claim.objects.filter(evidence__study=instance).distinct():
        before = (claim.computed_verdict, claim.verdict, claim.certainty, claim.flags)
        claim.apply_grade()
        if (claim.computed_verdict, claim.verdict, claim.certainty, claim.flags) != before:
            claim._change_reason = f"Grade recomputed: study {instance.pk} changed"
            claim.save()
