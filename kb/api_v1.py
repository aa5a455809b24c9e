"""The open, read-only API v1 (django-ninja): compounds, claims, studies, sources and search,
published content only, paginated, with its OpenAPI schema at /api/v1/openapi.json and a docs
page at /api/v1/docs (Swagger UI served from django-ninja's own static files, under our CSP).

The older GET /api/compounds/<slug>/ (kb.api) keeps its contract."""

from collections import Counter
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, Prefetch, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from kb import grading, published_state, search, selectors
from kb.models import Appearance, Claim, Evidence, Source
from kb.vocabulary import Flag, Stance, Verdict
from studies.identifiers import normalise_doi, normalise_pmid
from studies.models import Study, heavy_fields

api = NinjaAPI(
    title="Evidence KB API",
    version="1",
    description="Read-only access to published claims, their verdicts and the studies behind "
    "them. Every list is paginated (`page`, `page_size` up to 100).",
    urls_namespace="api-v1",
    docs_url="/docs",
    # The schema and docs page are read-only like the rest: other methods get 405.
    docs_decorator=require_safe,
)


@require_safe
def index(request):
    """GET /api/v1/: where everything is (routed ahead of django-ninja's own root)."""
    base = request.build_absolute_uri("/api/v1/")
    names = ("compounds", "claims", "studies/lookup", "search", "openapi.json", "docs")
    return JsonResponse({name: base + name for name in names})


class Pages(PageNumberPagination):
    class Input(PageNumberPagination.Input):
        page_size: int = 50

    max_page_size = 100


class ClaimPages(Pages):
    """Pages of claims, each as readers see it (its published state, kb.published_state)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page[self.items_attribute] = published_state.show_published(page[self.items_attribute])
        return page


# --- schemas ----------------------------------------------------------------------------------
# Schemas read the model objects the endpoints return; a resolver builds what is not a field.


class Linked(Schema):
    """A record with its page's absolute address."""

    url: str

    @staticmethod
    def resolve_url(obj, context):
        return context["request"].build_absolute_uri(obj.get_absolute_url())


class CompoundOut(Linked):
    slug: str
    name: str
    aliases: list[str]
    summary: str
    published_claims: int


class VerdictCount(Schema):
    verdict: str
    words: str
    claims: int


class CompoundDetail(CompoundOut):
    regulatory_notes: str
    verdicts: list[VerdictCount]


class ClaimOut(Linked):
    id: int
    compound: str
    statement: str
    topic: str | None
    kind: str
    verdict: str
    verdict_words: str
    certainty: str | None
    flags: list[str]
    graded_at: datetime | None

    @staticmethod
    def resolve_compound(obj):
        return obj.compound.slug

    @staticmethod
    def resolve_topic(obj):
        return obj.topic.slug if obj.topic else None


class StudyBrief(Linked):
    id: int
    title: str
    doi: str | None
    pmid: str | None
    year: int | None
    design: str | None
    retracted: bool


class EvidenceOut(Schema):
    study: StudyBrief
    stance: str | None
    indirectness: list[str]
    harm: bool
    note: str


class AppearanceOut(Schema):
    id: int
    quote: str
    source_id: int
    source_title: str
    source_url: str | None
    flags: list[str]

    @staticmethod
    def resolve_source_title(obj):
        return obj.source.title

    @staticmethod
    def resolve_source_url(obj):
        return obj.source.url


class ClaimDetail(ClaimOut):
    rationale: str
    summary_sentence: str
    evidence: list[EvidenceOut]
    appearances: list[AppearanceOut]

    @staticmethod
    def resolve_evidence(obj):
        return obj.evidence_list

    @staticmethod
    def resolve_appearances(obj):
        return sorted(obj.appearances.all(), key=lambda a: (a.source_id, a.position or 0))


class StudyOut(StudyBrief):
    journal: str
    volume: str
    issue: str
    pages: str
    authors: list[dict]
    abstract: str
    publication_types: list[str]
    claims: list[int]

    @staticmethod
    def resolve_claims(obj):
        # As readers see them: a study a published claim's draft added is not yet weighed for it.
        links = [ev for ev in obj.evidence.all() if ev.claim.status == "published"]
        return sorted({ev.claim_id for ev in published_state.published_links(links)})


class AuditOut(Schema):
    citation_sites: int
    in_published_claims: int
    weighed: int
    by_stance: dict[str, int]


class SourceOut(Schema):
    id: int
    title: str
    url: str | None
    publisher: str
    published_on: str | None
    audit: AuditOut


class SearchOut(Schema):
    claims: list[ClaimOut]
    studies: list[StudyBrief]


class ClaimFilters(Schema):
    compound: str | None = None
    verdict: str | None = None
    topic: str | None = None
    kind: str | None = None
    flag: str | None = None


# --- endpoints ----------------------------------------------------------------------------------


def _published_claims():
    return Claim.objects.published().select_related("compound", "topic")


def _compounds():
    return selectors.compounds_with_counts(AnonymousUser())


def _check(value, allowed, what):
    if value is not None and value not in allowed:
        raise HttpError(400, f"Unknown {what} {value!r}; expected one of: {', '.join(allowed)}")


@api.get("/compounds", response=list[CompoundOut], tags=["compounds"])
@paginate(Pages)
def list_compounds(request):
    """Every compound with its number of published claims."""
    return _compounds()


@api.get("/compounds/{slug}", response=CompoundDetail, tags=["compounds"])
def compound_detail(request, slug: str):
    """A compound and how many of its published claims have each verdict."""
    compound = get_object_or_404(_compounds(), slug=slug)
    counts = Counter(
        (verdict, certainty is None)
        for verdict, certainty in _published_claims()
        .filter(compound=compound)
        # What readers see: the published state when the claim has one.
        .values_list(
            Coalesce(KeyTextTransform("verdict", "published"), "verdict", output_field=CharField()),
            Coalesce(
                KeyTextTransform("certainty", "published"), "certainty", output_field=CharField()
            ),
        )
    )
    verdicts = [
        {
            "verdict": verdict,
            "words": grading.verdict_words(verdict, None if no_certainty else "very_low")
            if verdict == Verdict.UNPROVEN
            else Verdict(verdict).label,
            "claims": n,
        }
        for (verdict, no_certainty), n in sorted(counts.items())
    ]
    compound.verdicts = verdicts
    return compound


@api.get("/claims", response=list[ClaimOut], tags=["claims"])
@paginate(ClaimPages)
def list_claims(request, filters: Query[ClaimFilters]):
    """Published claims, filtered by compound (slug), verdict, topic (slug), kind or flag."""
    _check(filters.verdict, Verdict.values, "verdict")
    _check(filters.flag, Flag.values, "flag")
    claims = _published_claims()
    if filters.compound:
        claims = claims.filter(compound__slug=filters.compound)
    # The compound page's filters, in SQL: one meaning for both.
    chosen = selectors.ClaimFilters(
        topic=filters.topic or "",
        verdict=filters.verdict or "",
        kind=filters.kind or "",
        flag=filters.flag or "",
    )
    return selectors.filter_claims(claims, chosen).order_by("id")


@api.get("/claims/{int:claim_id}", response=ClaimDetail, tags=["claims"])
def claim_detail(request, claim_id: int):
    """A published claim with its evidence (best design first) and every sentence making it."""
    claim = get_object_or_404(
        _published_claims().prefetch_related(
            Prefetch("evidence", queryset=selectors.evidence_in_ladder_order()),
            Prefetch("appearances", queryset=Appearance.objects.select_related("source")),
        ),
        pk=claim_id,
    )
    claim.evidence_list = list(claim.evidence.all())
    published_state.show_published([claim], evidence_attr="evidence_list")
    grade = claim.compute_grade(claim.evidence_list)
    claim.summary_sentence = grading.grade26_sentence(
        claim.verdict,
        claim.certainty,
        claim.statement,
        human_evidence=grade.best_level is not None,
    )
    return claim


def _studies():
    return Study.objects.defer("raw_record").prefetch_related(
        Prefetch(
            "evidence",
            # The whole claim: its published state says whether readers see it weighing the study.
            queryset=Evidence.objects.select_related("claim"),
        )
    )


@api.get("/studies/lookup", response=StudyOut, tags=["studies"])
def study_lookup(request, pmid: str | None = None, doi: str | None = None):
    """The stored study with this PMID or DOI (URLs and prefixes accepted)."""
    try:
        if pmid:
            match = Q(pmid=normalise_pmid(pmid))
        elif doi:
            match = Q(doi=normalise_doi(doi))
        else:
            raise HttpError(400, "Give a pmid or a doi.")
    except ValueError as error:
        raise HttpError(400, str(error)) from error
    return get_object_or_404(_studies(), match)


@api.get("/studies/{int:study_id}", response=StudyOut, tags=["studies"])
def study_detail(request, study_id: int):
    """A study's record and the published claims it is weighed for."""
    return get_object_or_404(_studies(), pk=study_id)


@api.get("/sources/{int:source_id}", response=SourceOut, tags=["sources"])
def source_detail(request, source_id: int):
    """A page that makes claims, with the audit of its citations: how many citation sites it
    has in all, how many are in published claims, and the stance of each cited study."""
    source = get_object_or_404(Source.objects.visible_to(AnonymousUser()), pk=source_id)
    audit = selectors.source_audit(source, AnonymousUser())
    stances = Counter(site.evidence.stance for site in audit.sites if site.evidence)
    stances.pop(None, None)
    return {
        "id": source.pk,
        "title": source.title,
        "url": source.url,
        "publisher": source.publisher,
        "published_on": source.published_on.isoformat() if source.published_on else None,
        "audit": {
            "citation_sites": audit.total_sites,
            "in_published_claims": len(audit.sites),
            "weighed": sum(stances.values()),
            "by_stance": {code: stances.get(code, 0) for code in Stance.values},
        },
    }


@api.get("/search", response=SearchOut, tags=["search"])
def search_all(request, q: str, limit: int = 20):
    """Published claims and studies matching the words (or the PMID or DOI), best first."""
    q = q.strip()[: search.MAX_QUERY_LENGTH]
    if not q:
        raise HttpError(400, "Give some words to search for.")
    limit = max(1, min(limit, 100))
    found = search.search(q, AnonymousUser())
    return {
        "claims": published_state.show_published(found.claims.select_related("topic")[:limit]),
        "studies": list(found.studies.defer(*heavy_fields())[:limit]),
    }


def _not_exempt(view):
    """django-ninja marks its views csrf_exempt (it checks CSRF itself, for cookie auth only).
    Our rule is that no view is exempt: a POST without the token meets the CSRF middleware.
    Not functools.wraps: that would copy the csrf_exempt mark onto the wrapper."""

    def checked(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return checked


def urls():
    """api.urls with every view under the CSRF middleware."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _not_exempt(pattern.callback)
    return patterns, app_name, namespace
