"""kb's one reaction to another app: `studies` says a stored study's design or retraction changed,
and every claim weighing that study is regraded (kb.services.grades)."""

from django.dispatch import receiver

from kb.services import grades
from studies.signals import study_changed


@receiver(study_changed)
def regrade_claims_using_study(sender, study, fields, user=None, **kwargs):
    grades.regrade_using_study(
        study,
        user=user,
        reason=f"Grade recomputed: study {study.pk} changed",
        rereview="retracted" in fields and study.retracted,
    )
