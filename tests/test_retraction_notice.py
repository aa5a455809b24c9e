"""A study that becomes retracted reaches readers at once: every published claim that weighs it
says "relies on a retracted study, under re-review" on its public page until an editor grades it
again. The claim and studies are constructed (tests/conftest.py factories)."""

import pytest
from editor_support import post, weigh

from kb.models import Claim
from studies.models import Study
from studies.signals import study_changed

pytestmark = pytest.mark.django_db

NOTICE = "Relies on a retracted study, under re-review:"


def retract(study: Study) -> None:
    """What the retraction check and the admin do: store it, then say so (studies.signals)."""
    study.retracted = True
    study.save()
    study_changed.send(sender=Study, study=study, fields={"retracted"}, user=None)


def test_a_retraction_marks_the_published_claims_using_it_until_regraded(
    signed_in, client, draft_claim, make_claim, make_evidence
):
    trial = draft_claim.evidence.get().study
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    post(signed_in, "mark-graded", draft_claim)
    post(signed_in, "publish", draft_claim, {"reason": "Constructed: graded from its trial."})
    unrelated = make_claim(draft_claim.compound, quote="Testolin is safe.", status="published")
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert NOTICE not in client.get(claim.get_absolute_url()).text

    retract(trial)
    page = client.get(claim.get_absolute_url()).text
    assert NOTICE in page
    assert f'href="{trial.get_absolute_url()}">Anonymous' in page
    assert Claim.objects.get(pk=claim.pk).status == "published"  # still shown, with the notice
    assert NOTICE not in client.get(unrelated.get_absolute_url()).text

    # An editor weighs it again and marks the claim graded: no longer under re-review.
    post(signed_in, "mark-graded", claim)
    assert NOTICE not in client.get(claim.get_absolute_url()).text
