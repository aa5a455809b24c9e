"""The public, read-only JSON API: published content only."""

from django.http import JsonResponse
from django.views.decorators.http import require_safe

from kb import selectors
from kb.models import Compound
from kb.vocabulary import ClaimStatus


def _evidence_json(ev) -> dict:
    study = ev.study
    return {
        "study": {
            "id": study.pk,
            "title": study.title,
            "doi": study.doi,
            "pmid": study.pmid,
            "year": study.year,
            "design": study.design,
            "retracted": study.retracted,
        },
        "stance": ev.stance,
        "cited_by_source": ev.cited_by_source,
        "indirectness": list(ev.indirectness),
        "harm": ev.harm,
        "note": ev.note,
    }


def _claim_json(claim) -> dict:
    source = claim.source
    return {
        "id": claim.pk,
        "quote": claim.quote,
        "statement": claim.statement,
        "kind": claim.kind,
        "verdict": claim.verdict,
        "certainty": claim.certainty,
        "flags": list(claim.flags),
        "source": {"id": source.pk, "title": source.title, "url": source.url} if source else None,
        "evidence": [_evidence_json(ev) for ev in claim.ordered_evidence],
    }


@require_safe
def compound(request, slug):
    """A compound's published claims with their evidence."""
    found = Compound.objects.filter(slug=slug).first()
    if found is None:
        return JsonResponse({"error": f"No compound with slug '{slug}'."}, status=404)
    claims = selectors.claims_with_evidence(request.user, found).filter(
        status=ClaimStatus.PUBLISHED
    )
    return JsonResponse(
        {"slug": found.slug, "name": found.name, "claims": [_claim_json(c) for c in claims]}
    )
