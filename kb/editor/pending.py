"""An article being previewed in the workbench, kept in the editor's session between requests.

The extracted article lives server-side (the session, as plain JSON-able dicts): forms send
back only what an editor may change (a claim's quote and kind, which claims to drop, where each
sentence goes) and a token naming the preview, never the references or citations. A token that
is not the session's means the page is stale (another tab started a new preview, or it was
saved or discarded).

With the article it keeps, for each proposed sentence, the compound's claims it most likely
restates (kb.matching, ranked when the preview starts, so the editor sees the same choices on
every request), where it goes (a claim id, or NEW for a new claim: at first the preselected
match), the topic a new claim would get, and whether the editor has confirmed the choice.
"""

import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from kb.articles import Article, ConflictOfInterest, ListedReference, ProposedClaim

SESSION_KEY = "editor_pending_article"
NEW = "new"  # the sentence becomes a new claim
# The session is stored in the database; this bounds one row to a few MB even for a page at
# kb.articles.MAX_BYTES, and refuses rather than truncates an article that would not fit.
MAX_CHARS = 3_000_000


class TooLarge(ValueError):
    """The extracted article is too large to keep for a preview."""


@dataclass
class Proposal:
    """Where one proposed sentence goes, as kept between requests."""

    matches: list[dict] = field(default_factory=list)  # kb.matching.Match.as_json(), best first
    placement: int | str = NEW  # a claim id, or NEW
    topic: int | None = None  # the topic of a new claim
    confirmed: bool = False  # the editor has confirmed (or chosen) the placement

    @classmethod
    def from_dict(cls, data: dict) -> "Proposal":
        placement = data.get("placement", NEW)
        return cls(
            matches=[
                {"claim": int(m["claim"]), "statement": str(m["statement"]), "score": m["score"]}
                for m in data.get("matches", [])
            ],
            placement=NEW if placement == NEW else int(placement),
            topic=int(data["topic"]) if data.get("topic") is not None else None,
            confirmed=bool(data.get("confirmed", False)),
        )


@dataclass
class Pending:
    token: str
    compound_id: int
    article: Article
    removed: set[int] = field(default_factory=set)  # indexes into article.claims
    proposals: dict[int, Proposal] = field(default_factory=dict)  # by index into article.claims

    def proposal(self, index: int) -> Proposal:
        return self.proposals.setdefault(index, Proposal())

    def kept_claims(self) -> list[ProposedClaim]:
        return [c for i, c in enumerate(self.article.claims) if i not in self.removed]

    def kept_article(self) -> Article:
        """The article with only the claims the editor kept, as edited."""
        return replace(self.article, claims=self.kept_claims())


def article_to_dict(article: Article) -> dict:
    data = asdict(article)
    data["published"] = article.published.isoformat() if article.published else None
    return data


def article_from_dict(data: dict) -> Article:
    data = dict(data)
    data["published"] = date.fromisoformat(data["published"]) if data.get("published") else None
    data["references"] = [ListedReference(**r) for r in data.get("references", [])]
    data["claims"] = [ProposedClaim(**c) for c in data.get("claims", [])]
    data["conflicts_of_interest"] = [
        ConflictOfInterest(**c) for c in data.get("conflicts_of_interest", [])
    ]
    return Article(**data)


def start(
    session, article: Article, *, compound_id: int, proposals: dict[int, Proposal] | None = None
) -> Pending:
    """Keep a newly extracted article as the session's one pending preview (replacing any)."""
    pending = Pending(
        token=secrets.token_urlsafe(12),
        compound_id=compound_id,
        article=article,
        proposals=dict(proposals or {}),
    )
    save(session, pending)
    return pending


def save(session, pending: Pending) -> None:
    data = {
        "token": pending.token,
        "compound": pending.compound_id,
        "article": article_to_dict(pending.article),
        "removed": sorted(pending.removed),
        "proposals": {str(i): asdict(p) for i, p in sorted(pending.proposals.items())},
    }
    if len(json.dumps(data, ensure_ascii=False)) > MAX_CHARS:
        raise TooLarge(
            "This article is too large to preview here. Paste only the article itself (its "
            "text and reference list), without the rest of the page."
        )
    session[SESSION_KEY] = data


def load(session) -> Pending | None:
    """The session's pending preview; None if there is none or it no longer reads as one."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Pending(
            token=str(data["token"]),
            compound_id=int(data["compound"]),
            article=article_from_dict(data["article"]),
            removed={int(i) for i in data.get("removed", [])},
            proposals={int(i): Proposal.from_dict(p) for i, p in data.get("proposals", {}).items()},
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        # Written by an older version of this code: treat as expired, never half-read.
        return None


def discard(session) -> None:
    session.pop(SESSION_KEY, None)
