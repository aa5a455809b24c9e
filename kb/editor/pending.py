"""An article being previewed in the workbench, kept in the editor's session between requests.

The extracted article lives server-side (the session, as plain JSON-able dicts): forms send
back only what an editor may change (a claim's quote and kind, which claims to drop) and a
token naming the preview, never the references or citations. A token that is not the session's
means the page is stale (another tab started a new preview, or it was saved or discarded).
"""

import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from kb.articles import Article, ListedReference, ProposedClaim

SESSION_KEY = "editor_pending_article"
# The session is stored in the database; this bounds one row to a few MB even for a page at
# kb.articles.MAX_BYTES, and refuses rather than truncates an article that would not fit.
MAX_CHARS = 3_000_000


class TooLarge(ValueError):
    """The extracted article is too large to keep for a preview."""


@dataclass
class Pending:
    token: str
    compound_id: int
    article: Article
    removed: set[int] = field(default_factory=set)  # indexes into article.claims

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
    return Article(**data)


def start(session, article: Article, *, compound_id: int) -> Pending:
    """Keep a newly extracted article as the session's one pending preview (replacing any)."""
    pending = Pending(token=secrets.token_urlsafe(12), compound_id=compound_id, article=article)
    save(session, pending)
    return pending


def save(session, pending: Pending) -> None:
    data = {
        "token": pending.token,
        "compound": pending.compound_id,
        "article": article_to_dict(pending.article),
        "removed": sorted(pending.removed),
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
        )
    except (KeyError, TypeError, ValueError):
        # Written by an older version of this code: treat as expired, never half-read.
        return None


def discard(session) -> None:
    session.pop(SESSION_KEY, None)
