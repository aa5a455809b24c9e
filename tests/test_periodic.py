"""Periodic work from one entry point (`manage.py run_periodic`): the PubMed watches, the
retraction check and the editors' e-mail digest of new evidence and changed verdicts for the
compounds they follow."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from test_watch import ASPIRIN, ESEARCH, FRAILTY, STROKE, efetch_of
from test_watch import pubmed as pubmed  # the fixture

from kb.digest import send_digests
from kb.models import Claim, Follow, NewEvidence, PubMedWatch
from kb.services import claims, inbox
from studies.models import Job

pytestmark = pytest.mark.django_db


def run_periodic(*args) -> str:
    out = StringIO()
    call_command("run_periodic", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_digest_tells_a_follower_of_new_evidence_and_changed_verdicts(demo, editor, pubmed):
    editor.email = "edith@example.org"
    editor.save()
    inbox.set_following(user=editor, compound=demo.compound, on=True)
    Follow.objects.update(digested_until=timezone.now() - timedelta(minutes=1))
    pubmed(ESEARCH, efetch_of(STROKE, FRAILTY, ASPIRIN))
    out = run_periodic("--only", "watch", "--here")
    assert "watch Cerebrolysin: job #" in out
    assert "3 records found for Cerebrolysin" in out
    claim = (
        Claim.objects.filter(compound=demo.compound, status="published")
        .exclude(verdict="contradicted")
        .first()
    )
    claims.override_verdict(
        claim_id=claim.pk,
        version=claim.version,
        user=editor,
        verdict="contradicted",
        rationale="A constructed change for the digest test.",
    )

    out = run_periodic("--only", "digest", "--here")

    assert "digests: job #" in out
    assert "1 digest sent." in out
    (message,) = mail.outbox
    assert message.to == ["edith@example.org"]
    assert "Neutrophil extracellular traps regulate ischemic stroke brain injury." in message.body
    assert "New evidence to weigh (3):" in message.body
    assert "Verdicts changed:" in message.body
    assert f"- {claim.statement}: " in message.body
    assert f"/claims/{claim.pk}/" in message.body
    assert (
        "Atom feed of its verdict changes: http://127.0.0.1:8000/compounds/cerebrolysin/changes/feed/"
        in (message.body)
    )

    # Sent once: the next digest starts where this one ended.
    assert send_digests(until=timezone.now()) == 0
    assert len(mail.outbox) == 1


def test_no_digest_without_news_or_without_an_address(demo, editor, second_editor):
    second_editor.email = ""
    second_editor.save()
    for user in (editor, second_editor):
        inbox.set_following(user=user, compound=demo.compound, on=True)
    Follow.objects.update(digested_until=timezone.now() - timedelta(minutes=1))
    assert send_digests(until=timezone.now()) == 0
    assert mail.outbox == []


def test_run_periodic_queues_every_active_watch_and_the_retraction_check(demo, pubmed, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
        "here": settings.TASKS["here"],
    }
    PubMedWatch.objects.create(
        compound=demo.compound.__class__.objects.create(name="Examplamine", slug="examplamine"),
        query="Examplamine[tiab]",
        active=False,
    )

    out = run_periodic()

    queued = Job.objects.order_by("pk")
    assert [(job.kind, job.status) for job in queued] == [
        ("watch", "queued"),  # Cerebrolysin's; Examplamine's watch is paused
        ("check_retractions", "queued"),
        ("digest", "queued"),
    ]
    assert queued[0].params["watch"] == demo.compound.watch.pk
    assert "retraction check: job #" in out
    assert not NewEvidence.objects.exists()
