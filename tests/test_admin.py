"""Changes made in the admin are graded as the workbench's are."""

import pytest
from django.urls import reverse

from kb.models import Appearance, Claim
from kb.vocabulary import Flag

pytestmark = pytest.mark.django_db


def test_marking_a_sentence_overstated_in_the_admin_flags_it_and_bumps_the_claim(
    client, admin_user, make_claim
):
    claim = make_claim(quote="Testolin cures forgetting for good.")
    appearance = claim.appearances.get()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:kb_appearance_change", args=[appearance.pk]),
        {
            "claim": claim.pk,
            "source": appearance.source_id,
            "quote": appearance.quote,
            "position": "",
            "seen_at_0": "2026-12-01",
            "seen_at_1": "10:00:00",
            "overstated": "on",
            "citations-TOTAL_FORMS": "0",
            "citations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Appearance.objects.get(pk=appearance.pk).flags == [Flag.OVERSTATED]
    stored = Claim.objects.get(pk=claim.pk)
    assert stored.version == claim.version + 1
    assert stored.history.first().history_change_reason == "Changed in the admin"
