"""What the article import preview shows: each proposed claim with the references it cites
and the stored studies they resolve to, the reference list, and the forms to edit them."""

from kb import selectors
from kb.editor import pending as pending_store
from kb.editor.forms import ProposedClaimForm, SaveForm


def _link(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _cited(reference, study) -> dict:
    return {
        "number": reference.number,
        "text": reference.text,
        "doi": reference.doi,
        "pmid": reference.pmid,
        "url": _link(reference.url),
        "study": study,
    }


def preview(current: pending_store.Pending, *, bound: dict | None = None, **extra) -> dict:
    """Everything the preview shows; `bound` maps claim indexes to submitted forms."""
    bound = bound or {}
    article = current.article
    stored = selectors.stored_studies(article.references)
    by_number = {r.number: r for r in article.references}
    rows = []
    for index, claim in enumerate(article.claims):
        rows.append(
            {
                "index": index,
                "claim": claim,
                "removed": index in current.removed,
                "form": bound.get(index) or ProposedClaimForm.for_claim(index, claim),
                "cited": [
                    _cited(by_number[n], stored.get(n)) for n in claim.references if n in by_number
                ],
            }
        )
    return {
        "pending": current,
        "article": article,
        "article_link": _link(article.url),
        "rows": rows,
        "kept": [row for row in rows if not row["removed"]],
        "removed": [row for row in rows if row["removed"]],
        "references": [_cited(r, stored.get(r.number)) for r in article.references],
        "matched": len(stored),
        "save_form": SaveForm(initial={"compound": current.compound_id, "fetch": True}),
        **extra,
    }
