"""The editors' e-mail digest: for each compound they follow, the new evidence the PubMed watch
found and the published verdicts that changed since their last digest. Reads in `collect`,
the e-mail in `render`; `send_digests` sends one message per editor and moves each follow's
`digested_until` on, so the next digest starts where this one ended."""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from kb.history import VerdictChange, verdict_changes
from kb.models import Claim, Follow, NewEvidence


@dataclass
class CompoundNews:
    follow: Follow
    new_evidence: list[NewEvidence] = field(default_factory=list)
    verdicts: list[tuple[Claim, VerdictChange]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.new_evidence or self.verdicts)


def _verdict_changes(compound_id: int, since: datetime, until: datetime):
    touched = (
        Claim.history.filter(
            compound_id=compound_id, history_date__gt=since, history_date__lte=until
        )
        .values_list("id", flat=True)
        .distinct()
    )
    rows = (
        Claim.history.filter(id__in=touched, history_date__lte=until)
        .order_by("id", "history_date", "history_id")
        .values("id", "history_date", "verdict", "status", "history_change_reason")
    )
    claims = Claim.objects.in_bulk(touched)
    found = []
    for claim_id, history in groupby(rows, key=lambda row: row["id"]):
        for change in verdict_changes(list(history)):
            if change.when > since and claim_id in claims:
                found.append((claims[claim_id], change))
    return found


def collect(follow: Follow, until: datetime) -> CompoundNews:
    """What is new for one follow between its last digest and `until`."""
    since = follow.digested_until
    entries = NewEvidence.objects.filter(
        compound_id=follow.compound_id,
        status=NewEvidence.Status.NEW,
        found_at__gt=since,
        found_at__lte=until,
    ).select_related("study")
    return CompoundNews(
        follow=follow,
        new_evidence=list(entries),
        verdicts=_verdict_changes(follow.compound_id, since, until),
    )


def render(news: list[CompoundNews], site_url: str) -> str:
    """The digest as plain text (no markup from imported titles can act in a mail client)."""
    lines = ["New in Evidence KB for the compounds you follow.", ""]
    for item in news:
        compound = item.follow.compound
        lines += [compound.name, "=" * len(compound.name)]
        if item.new_evidence:
            lines.append(f"New evidence to weigh ({len(item.new_evidence)}):")
            lines += [
                f"- {e.study.first_author_label} {e.study.year or 'n.d.'}: {e.study.title}"
                for e in item.new_evidence
            ]
            lines.append(f"  Weigh or dismiss: {site_url}{reverse('editor:inbox')}")
        if item.verdicts:
            lines.append("Verdicts changed:")
            lines += [
                f"- {claim.statement}: {change.old} -> {change.new}"
                + (f" ({change.reason})" if change.reason else "")
                + f"\n  {site_url}{claim.get_absolute_url()}"
                for claim, change in item.verdicts
            ]
        feed = reverse("compound-changes-feed", args=[compound.slug])
        lines += [f"Readers' Atom feed of its verdict changes: {site_url}{feed}", ""]
    lines.append(f"Stop following a compound on {site_url}{reverse('editor:inbox')}")
    return "\n".join(lines)


def send_digests(*, until: datetime) -> int:
    """Send each editor with news one digest of everything up to `until`; the number sent.
    Editors without an e-mail address, or with nothing new, get none (their follows still
    move on, so an old item is never sent later)."""
    sent = 0
    follows = Follow.objects.filter(digested_until__lt=until).select_related("user", "compound")
    for user, group in groupby(follows.order_by("user_id", "compound__name"), key=lambda f: f.user):
        mine = list(group)
        news = [item for item in (collect(f, until) for f in mine) if item]
        with transaction.atomic():
            if news and user.email:
                send_mail(
                    subject="Evidence KB: new evidence and changed verdicts",
                    message=render(news, settings.SITE_URL),
                    from_email=None,
                    recipient_list=[user.email],
                )
                sent += 1
            Follow.objects.filter(pk__in=[f.pk for f in mine]).update(digested_until=until)
    return sent
