"""The public, read-only JSON API: published content only."""

import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from kb import published_state, selectors
from kb.models import Compound
from kb.page_cache import public_page


def evidence_json(ev) -> dict:
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


def _appearance_json(appearance) -> dict:
    source = appearance.source
    return {
        "id": appearance.pk,
        "quote": appearance.quote,
        "source": {"id": source.pk, "title": source.title, "url": source.url},
        "references": [citation.reference.number for citation in appearance.citations.all()],
        "flags": list(appearance.flags),
    }


def claim_json(claim) -> dict:
    """A claim from kb.selectors.claims_with_appearances: the proposition and its grade, every
    sentence that makes it (by source, then place on the page) and its evidence in ladder
    order."""
    return {
        "id": claim.pk,
        "statement": claim.statement,
        "kind": claim.kind,
        "topic": claim.topic.slug if claim.topic else None,
        "verdict": claim.verdict,
        "certainty": claim.certainty,
        "flags": list(claim.flags),
        "appearances": [_appearance_json(a) for a in claim.ordered_appearances],
        "evidence": [evidence_json(ev) for ev in claim.ordered_evidence],
    }


def compound_document(compound) -> dict:
    """The API's document of a compound: its published claims, whoever asks."""
    claims = published_state.show_published(selectors.claims_with_appearances(compound))
    return {
        "slug": compound.slug,
        "name": compound.name,
        "claims": [claim_json(claim) for claim in claims],
    }


def compound_document_text(compound) -> Iterator[str]:
    """compound_document as the JSON text JsonResponse would write, a piece at a time: the
    claims are read in chunks (kb.selectors.CLAIMS_PER_CHUNK) and written as they come, so a
    compound of any size takes the memory of one chunk."""
    head = json.dumps(
        {"slug": compound.slug, "name": compound.name, "claims": []}, cls=DjangoJSONEncoder
    )
    yield head[: -len("[]}")] + "["
    claims = selectors.published_claims_with_appearances(compound)
    for number, claim in enumerate(claims):
        yield (", " if number else "") + json.dumps(claim_json(claim), cls=DjangoJSONEncoder)
    yield "]}"


@require_safe
@public_page
def compound(request, slug):
    """A compound's published claims with their appearances and evidence, streamed."""
    found = Compound.objects.filter(slug=slug).first()
    if found is None:
        return JsonResponse({"error": f"No compound with slug '{slug}'."}, status=404)
    return StreamingHttpResponse(compound_document_text(found), content_type="application/json")
