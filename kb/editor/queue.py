"""The review queue: claims an editor should look at, why, and how many of each."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef

from kb.models import Appearance, Claim, Evidence, flag_labels
from kb.vocabulary import Flag

# In the order the queue lists them: the most urgent reason first.
STATES = {
    "needs_rereview": "Needs re-review",
    "new_evidence": "New evidence to weigh",
    "ungraded": "Ungraded",
    "flagged": "Flagged",
    "overridden": "Overridden",
}


def states_of(
    *, graded: bool, flags: list[str], overridden: bool, unweighed: bool = False
) -> list[str]:
    """The queue states one claim is in, most urgent first (none: it needs no attention).
    `flags` are the claim's and its sentences' (appearances') flags together; `unweighed`: some
    linked study has no stance yet (a page cited it, or an editor linked it, and nobody has
    weighed it for this claim)."""
    found = {
        "needs_rereview": Flag.NEEDS_REREVIEW in flags,
        "new_evidence": unweighed,
        "ungraded": not graded,
        "flagged": bool(flags),
        "overridden": overridden,
    }
    return [state for state in STATES if found[state]]


@dataclass
class Queue:
    claims: list[Claim]  # each with .queue_states, .all_flag_labels and .pages
    counts: list[tuple[str, str, int]]  # (state, label, count) before the state/flag filters
    total: int


def _sentence_flags(claims) -> dict[int, set[str]]:
    """Claim id -> the flags of the sentences making it (citation mismatch, overstated), in one
    query however many claims and appearances there are."""
    found = defaultdict(set)
    flagged = Appearance.objects.filter(claim__in=claims).exclude(flags=[])
    for claim_id, flags in flagged.values_list("claim_id", "flags"):
        found[claim_id].update(flags)
    return found


def review_queue(*, compound=None, source=None, state: str = "", flag: str = "") -> Queue:
    """Claims that need re-review, have evidence nobody has weighed, are ungraded, carry a flag
    (their own or one of a sentence making them) or have an overridden verdict.

    The states are read in Python from narrow queries, so one pass gives both the rows and
    every state's count."""
    rows = Claim.objects.all()
    if compound is not None:
        rows = rows.filter(compound=compound)
    if source is not None:
        # Claims some sentence of the page makes; a subquery, so each claim comes once.
        rows = rows.filter(pk__in=Appearance.objects.filter(source=source).values("claim_id"))
    unweighed = Evidence.objects.filter(claim=OuterRef("pk"), stance__isnull=True)
    sentence_flags = _sentence_flags(rows.values("pk"))
    attention = {}  # pk -> (states, flags) of every claim needing attention
    for pk, graded_at, own_flags, override, has_unweighed in rows.annotate(
        has_unweighed=Exists(unweighed)
    ).values_list("pk", "graded_at", "flags", "verdict_override", "has_unweighed"):
        flags = [code for code in Flag.values if code in own_flags or code in sentence_flags[pk]]
        found = states_of(
            graded=graded_at is not None,
            flags=flags,
            overridden=bool(override),
            unweighed=has_unweighed,
        )
        if found:
            attention[pk] = (found, flags)
    counts = {name: sum(name in found for found, _ in attention.values()) for name in STATES}
    listed = {
        pk: (found, flags)
        for pk, (found, flags) in attention.items()
        if (not state or state in found) and (not flag or flag in flags)
    }
    claims = list(
        Claim.objects.filter(pk__in=listed)
        .select_related("compound")
        .annotate(pages=Count("appearances__source", distinct=True))
        .order_by("id")
    )
    for claim in claims:
        found, flags = listed[claim.pk]
        claim.queue_states = [STATES[name] for name in found]
        claim.all_flag_labels = flag_labels(flags)
    order = list(STATES)
    claims.sort(key=lambda c: (order.index(listed[c.pk][0][0]), c.pk))
    return Queue(
        claims=claims,
        counts=[(name, label, counts[name]) for name, label in STATES.items()],
        total=len(claims),
    )
