"""Public pages: read-only, published content for anonymous visitors."""

from collections import Counter

from django.conf import settings
from django.core.paginator import Page
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from kb import (
    data_export,
    grading,
    history,
    paginator,
    published_state,
    roles,
    selectors,
    structured_data,
)
from kb.methodology import methodology_page
from kb.models import Compound, Evidence, Source, Topic
from kb.page_cache import public_page
from kb.partials import render_partial
from kb.vocabulary import DOWNGRADE_DOMAINS, Certainty, Stance
from studies.models import Study, heavy_fields


def _absolute(request):
    """obj -> the full URL of its page on this site."""
    return lambda obj: request.build_absolute_uri(obj.get_absolute_url())


@require_safe
@public_page
def home(request):
    """The compounds in the knowledge base, the latest verdict changes, and the published
    claims the evidence goes against or shows harm for."""
    context = {
        "compounds": selectors.compounds_with_counts(request.user),
        "recent_changes": history.site_changelog(limit=5),
        "warnings": selectors.contradicted_or_harmful(limit=10),
    }
    return TemplateResponse(request, "kb/home.html", context)


@require_safe
@public_page
def changes(request, slug=None):
    """The public changelog: how published verdicts changed and why, newest first."""
    compound = get_object_or_404(Compound, slug=slug) if slug else None
    context = {
        "compound": compound,
        "changes": history.site_changelog(compound=compound, limit=200),
    }
    return TemplateResponse(request, "kb/changes.html", context)


@require_safe
def data(request):
    """Bulk data: the latest dump of everything published, the API and per-compound files."""
    latest = data_export.latest_dump(settings.DATA_EXPORT_DIR)
    context = {
        "latest": latest,
        "size": latest.stat().st_size if latest else None,
        "compounds": selectors.compounds_with_counts(request.user),
    }
    return TemplateResponse(request, "kb/data.html", context)


@require_safe
def data_file(request, name):
    """One dump, by its exact file name: nothing else in the directory is reachable."""
    path = settings.DATA_EXPORT_DIR / name
    if not data_export.NAME.match(name) or not path.is_file():
        raise Http404("No such dump.")
    return FileResponse(path.open("rb"), as_attachment=True, content_type="application/gzip")


ROBOTS = """User-agent: *
Disallow: /editor/
Disallow: /admin/
Disallow: /accounts/
Disallow: /search/

Sitemap: {sitemap}
"""


@require_safe
def robots_txt(request):
    """Crawlers may read every public page; the sitemap lists them."""
    sitemap = request.build_absolute_uri(reverse("sitemap"))
    return HttpResponse(ROBOTS.format(sitemap=sitemap), content_type="text/plain")


CLAIMS_PER_PAGE = 50

# The filter form's id: the page's htmx requests from anywhere else are page changes.
FILTER_FORM_ID = "claim-filters"


def _claim_page_links(path: str, filters: selectors.ClaimFilters, page: Page) -> dict:
    """The page navigation's addresses, each keeping the chosen filters. Built from the checked
    filters, not the query string, so a rejected value is not carried from page to page."""
    chosen = {name: getattr(filters, name) for name in selectors.CLAIM_FILTERS}
    return paginator.page_links(path, page, {name: v for name, v in chosen.items() if v})


@require_safe
@public_page
def compound_detail(request, slug):
    """A compound's claims (propositions) with each one's topic, verdict, certainty, flags and
    how many pages make it, 50 claims a page."""
    compound = get_object_or_404(Compound, slug=slug)
    topics = list(Topic.objects.all())
    filters = selectors.claim_filters(request.GET, topics)
    # The heading, the verdict table and the menus count every claim, not the page's.
    counts = selectors.claim_counts(
        selectors.visible_claims(request.user).filter(compound=compound), topics
    )
    claims = selectors.filter_claims(selectors.claims_with_counts(request.user, compound), filters)
    page = paginator.paginate(request, claims, CLAIMS_PER_PAGE)
    page.object_list = published_state.show_published(page.object_list)
    for claim in page:
        claim.sentence_flags = selectors.sentence_flag_counts(claim)
    context = {
        "compound": compound,
        # Only the full page shows it: an htmx swap of the claim list never runs its queries.
        "overview": SimpleLazyObject(
            lambda: selectors.compound_overview(
                request.user, compound, lambda pk: reverse("study", args=[pk])
            )
        ),
        "claims": page,
        "page_links": _claim_page_links(request.path, filters, page),
        "all_claims": counts.total,
        "verdict_counts": counts.verdict,
        "facets": {
            "topic": counts.topic,
            "verdict": counts.verdict,
            "kind": counts.kind,
            "flag": counts.flag,
        },
        "filters": filters,
        "filter_form_id": FILTER_FORM_ID,
        # After a page link's swap, focus goes to the new list's status line (htmx honours
        # autofocus in swapped content), not back to the top of the document; a filter change
        # leaves focus in the menu being used.
        "focus_list": bool(request.htmx) and request.htmx.trigger != FILTER_FORM_ID,
    }
    # The filter form and the page links swap only the claim list (htmx); without JavaScript
    # they load the page.
    response = render_partial(
        request, "kb/compound.html", context, partial="claim-list", target="claim-list"
    )
    patch_vary_headers(response, ("HX-Request", "HX-Target", "HX-Trigger"))
    return response


@require_safe
@public_page
def claim_detail(request, pk):
    """A claim, its GRADE assessment, its evidence in ladder order and every sentence on every
    page that makes it, with what each sentence cites."""
    claim = get_object_or_404(
        selectors.visible_claims(request.user).select_related("compound", "topic"), pk=pk
    )
    claim.ordered_evidence = list(selectors.evidence_in_ladder_order(claim.evidence.all()))
    # Readers see the published version, not the editors' draft of the next one.
    published_state.show_published([claim])
    evidence = claim.ordered_evidence
    appearances = list(
        # Each page's conflicts of interest are shown beside its sentence.
        selectors.appearances_in_order(claim.appearances.all()).prefetch_related(
            "source__conflicts"
        )
    )
    result = claim.compute_grade(evidence)
    domains = [
        {
            "label": label,
            "judgement": getattr(claim, f"get_{field}_display")(),
            "reason": getattr(claim, f"{field}_reason"),
        }
        for field, label in DOWNGRADE_DOMAINS
    ]
    context = {
        "claim": claim,
        "evidence": evidence,
        # Readers learn of a retraction at once, before any editor has regraded the claim.
        "retracted": [ev.study for ev in evidence if ev.study.retracted],
        "appearances": appearances,
        "page_count": len({appearance.source_id for appearance in appearances}),
        "grade": result,
        "domains": domains,
        "certainty_label": Certainty(claim.certainty).label if claim.certainty else None,
        "json_ld": structured_data.json_ld(
            structured_data.claim_review(claim, appearances, _absolute(request))
        ),
        "summary_sentence": grading.grade26_sentence(
            claim.verdict,
            claim.certainty,
            claim.statement,
            human_evidence=result.best_level is not None,
        ),
    }
    return TemplateResponse(request, "kb/claim.html", context)


@require_safe
@public_page
def study_detail(request, pk):
    """A study's record and the claims it is weighed for, each saying whether a page making the
    claim cites the study for it."""
    # The page shows the abstract but never the raw record.
    study = get_object_or_404(Study.objects.defer("raw_record", "search_vector"), pk=pk)
    claims = selectors.visible_claims(request.user)
    evidence = published_state.published_links(
        Evidence.objects.filter(study=study, claim__in=claims)
        .select_related("claim", "claim__compound")
        .order_by("claim_id")
    )
    context = {
        "study": study,
        "evidence": evidence,
        "json_ld": structured_data.json_ld(
            structured_data.scholarly_article(study, _absolute(request))
        ),
        "highwire_meta": structured_data.highwire_meta(study),
    }
    return TemplateResponse(request, "kb/study.html", context)


@require_safe
@public_page
def source_detail(request, pk):
    """A source page, its sentences in page order and the audit of its citations: does each
    cited study back the sentence it is attached to?"""
    source = get_object_or_404(Source.objects.visible_to(request.user), pk=pk)
    audit = selectors.source_audit(source, request.user)
    totals = Counter(site.evidence.stance for site in audit.sites if site.evidence)
    totals.pop(None, None)  # linked but not yet weighed
    stance_totals = [(code, label, totals.get(code, 0)) for code, label in Stance.choices]
    context = {
        "source": source,
        "sites": audit.sites,
        "total_sites": audit.total_sites,
        "appearances": audit.appearances,
        "claim_count": len({appearance.claim_id for appearance in audit.appearances}),
        "stance_totals": stance_totals,
        "graded_citations": sum(totals.values()),
        "supporting": totals.get(Stance.SUPPORTS, 0),
        "partially": totals.get(Stance.PARTIALLY_SUPPORTS, 0),
        "references": source.references.select_related("study")
        .defer(*heavy_fields("study__"))
        .prefetch_related("suggestions__study"),
        "can_edit": request.user.has_perm(roles.EDIT_CLAIMS),
    }
    return TemplateResponse(request, "kb/source.html", context)


@require_safe
@public_page
def methodology(request):
    """How verdicts and certainty are derived, for readers: docs/grading.md, rendered."""
    return TemplateResponse(request, "kb/methodology.html", {"methodology": methodology_page()})
