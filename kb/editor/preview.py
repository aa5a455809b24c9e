"""What the article import preview shows: each proposed claim with the references it cites and
the stored studies they resolve to, where it goes (one of the compound's claims it most likely
restates, or a new claim), the reference list, and the forms to edit them."""

from kb import matching, reference_matching, topics
from kb.articles import Article
from kb.editor import pending as pending_store
from kb.editor.forms import PlacementForm, ProposedClaimForm, SaveForm
from kb.models import Claim, Topic
from kb.services.articles import Placement


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


def propose(article: Article, compound, indexes=None) -> dict[int, pending_store.Proposal]:
    """For each proposed sentence (or those at `indexes`): the compound's claims it most likely
    restates, given the stored studies its references resolve to, the preselected one (else a
    new claim) and the topic a new claim would get. One query per sentence, plus two."""
    stored = reference_matching.resolve(article.references).studies  # by identifier or title
    topic_words = [topics.TopicWords(t.pk, tuple(t.keywords)) for t in Topic.objects.all()]
    proposals = {}
    for index, claim in enumerate(article.claims):
        if indexes is not None and index not in indexes:
            continue
        cited = [stored[n].pk for n in claim.references if n in stored]
        matches = matching.rank_claims(compound, claim.quote, cited)
        chosen = matching.preselected(matches)
        proposals[index] = pending_store.Proposal(
            matches=[m.as_json() for m in matches],
            placement=pending_store.NEW if chosen is None else chosen,
            topic=topics.propose_topic(claim.quote, topic_words),
        )
    return proposals


def placements(current: pending_store.Pending) -> dict[str, Placement]:
    """What kb.services.articles.save_article needs to know of the kept sentences: the claim
    each is attached to, or the topic of the new claim it becomes."""
    found = {}
    for index, claim in enumerate(current.article.claims):
        if index in current.removed:
            continue
        proposal = current.proposal(index)
        if proposal.placement == pending_store.NEW:
            found[claim.quote] = Placement(topic_id=proposal.topic)
        else:
            found[claim.quote] = Placement(claim_ids=(proposal.placement,))
    return found


def _number(claim) -> int | None:
    """The sentence's number on the page, as the preview shows it."""
    return claim.position + 1 if claim.position is not None else None


def _match_label(match: dict, claim: Claim | None) -> str:
    verdict = claim.get_verdict_display() if claim is not None else "no longer there"
    return f"Same claim as: {match['statement']} — {verdict} ({match['score']:.2f})"


def preview(
    current: pending_store.Pending,
    *,
    bound: dict | None = None,
    placing: dict | None = None,
    **extra,
) -> dict:
    """Everything the preview shows; `bound` maps claim indexes to submitted edit forms,
    `placing` to submitted placement forms."""
    bound, placing = bound or {}, placing or {}
    article = current.article
    stored = reference_matching.resolve(article.references).studies  # by identifier or title
    by_number = {r.number: r for r in article.references}
    matched_ids = {m["claim"] for p in current.proposals.values() for m in p.matches}
    # The matched claims as they are now (their verdict may have changed since the preview
    # started), in one query.
    claims = Claim.objects.filter(pk__in=matched_ids, compound_id=current.compound_id).in_bulk()
    topic_names = dict(Topic.objects.values_list("pk", "name"))
    rows = []
    for index, claim in enumerate(article.claims):
        proposal = current.proposal(index)
        choices = [
            (str(m["claim"]), _match_label(m, claims.get(m["claim"]))) for m in proposal.matches
        ]
        placed_on = None if proposal.placement == pending_store.NEW else proposal.placement
        rows.append(
            {
                "index": index,
                "claim": claim,
                "removed": index in current.removed,
                "form": bound.get(index) or ProposedClaimForm.for_claim(index, claim),
                "place_form": placing.get(index)
                or PlacementForm.for_proposal(
                    index, proposal, choices=choices, sentence=_number(claim)
                ),
                "proposal": proposal,
                "placed_on": placed_on,
                "placed_claim": claims.get(placed_on) if placed_on else None,
                "topic_name": topic_names.get(proposal.topic),
                "cited": [
                    _cited(by_number[n], stored.get(n)) for n in claim.references if n in by_number
                ],
            }
        )
    kept = [row for row in rows if not row["removed"]]
    # Proposed claims are numbered by their order among those kept, as the list shows them.
    for number, row in enumerate(kept, start=1):
        row["number"] = number
    return {
        "pending": current,
        "article": article,
        "article_link": _link(article.url),
        "rows": rows,
        "kept": kept,
        "removed": [row for row in rows if row["removed"]],
        "to_attach": sum(1 for row in kept if row["placed_on"]),
        "to_create": sum(1 for row in kept if not row["placed_on"]),
        "confirmed": sum(1 for row in kept if row["proposal"].confirmed),
        "references": [_cited(r, stored.get(r.number)) for r in article.references],
        "matched": len(stored),
        "save_form": SaveForm(initial={"compound": current.compound_id, "fetch": True}),
        **extra,
    }
