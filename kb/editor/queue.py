"""The review queue: claims an editor should look at, why, and how many of each."""

from dataclasses import dataclass

from kb.models import Claim
from kb.vocabulary import Flag

# In the order the queue lists them: the most urgent reason first.
STATES = {
    "needs_rereview": "Needs re-review",
    "ungraded": "Ungraded",
    "flagged": "Flagged",
    "overridden": "Overridden",
}


def states_of(*, graded: bool, flags: list[str], overridden: bool) -> list[str]:
    """The queue states one claim is in, most urgent first (none: it needs no attention)."""
    found = {
        "needs_rereview": Flag.NEEDS_REREVIEW in flags,
        "ungraded": not graded,
        "flagged": bool(flags),
        "overridden": overridden,
    }
    return [state for state in STATES if found[state]]


@dataclass
class Queue:
    claims: list[Claim]  # each with .queue_states
    counts: list[tuple[str, str, int]]  # (state, label, count) before the state/flag filters
    total: int


def review_queue(*, compound=None, source=None, state: str = "", flag: str = "") -> Queue:
    """Claims that are ungraded, need re-review, carry a flag or have an overridden verdict.

    The states are read in Python from one narrow query: flags are a JSON list, and SQLite
    (used by `make run`) cannot search inside JSON lists."""
    rows = Claim.objects.all()
    if compound is not None:
        rows = rows.filter(compound=compound)
    if source is not None:
        rows = rows.filter(source=source)
    attention = {}  # pk -> (states, flags) of every claim needing attention
    for pk, graded_at, flags, override in rows.values_list(
        "pk", "graded_at", "flags", "verdict_override"
    ):
        found = states_of(graded=graded_at is not None, flags=flags, overridden=bool(override))
        if found:
            attention[pk] = (found, flags)
    counts = {name: sum(name in found for found, _ in attention.values()) for name in STATES}
    listed = {
        pk: found
        for pk, (found, flags) in attention.items()
        if (not state or state in found) and (not flag or flag in flags)
    }
    claims = list(
        Claim.objects.filter(pk__in=listed).select_related("compound", "source").order_by("id")
    )
    for claim in claims:
        claim.queue_states = [STATES[name] for name in listed[claim.pk]]
    order = list(STATES)
    claims.sort(key=lambda c: (order.index(listed[c.pk][0]), c.pk))
    return Queue(
        claims=claims,
        counts=[(name, label, counts[name]) for name, label in STATES.items()],
        total=len(claims),
    )
