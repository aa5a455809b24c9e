"""Public pages: read-only, published content for anonymous visitors."""

from collections import Counter

from django.core.paginator import Page
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from kb import grading, paginator, selectors
from kb.methodology import methodology_page
from kb.models import Compound, Evidence, Source
from kb.partials import render_partial
from kb.vocabulary import DOWNGRADE_DOMAINS, Certainty, Stance
from studies.models import Study


@require_safe
def home(request):
    """The compounds in the knowledge base."""
    compounds = selectors.compounds_with_counts(request.user)
    return TemplateResponse(request, "kb/home.html", {"compounds": compounds})


CLAIMS_PER_PAGE = 50

# The filter form's id: the page's htmx requests from anywhere else are page changes.
FILTER_FORM_ID = "claim-filters"


def _claim_page_links(path: str, filters: selectors.ClaimFilters, page: Page) -> dict:
    """The page navigation's addresses, each keeping the chosen filters. Built from the checked
    filters, not the query string, so a rejected value is not carried from page to page."""
    chosen = {name: getattr(filters, name) for name in selectors.CLAIM_FILTERS}
    return paginator.page_links(path, page, {name: v for name, v in chosen.items() if v})


@require_safe
def compound_detail(request, slug):
    """A compound with each claim's verdict, certainty and flags, 50 claims a page."""
    compound = get_object_or_404(Compound, slug=slug)
    filters = selectors.claim_filters(request.GET)
    # The heading, the verdict table and the menus count every claim, not the page's.
    counts = selectors.claim_counts(
        selectors.visible_claims(request.user).filter(compound=compound)
    )
    claims = selectors.filter_claims(
        selectors.claims_with_evidence(request.user, compound), filters
    )
    page = paginator.paginate(request, claims, CLAIMS_PER_PAGE)
    context = {
        "compound": compound,
        "claims": page,
        "page_links": _claim_page_links(request.path, filters, page),
        "all_claims": counts.total,
        "verdict_counts": counts.verdict,
        "facets": {"verdict": counts.verdict, "kind": counts.kind, "flag": counts.flag},
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
def claim_detail(request, pk):
    """A claim, its GRADE assessment and its evidence in ladder order."""
    claim = get_object_or_404(
        selectors.visible_claims(request.user).select_related("compound", "source"), pk=pk
    )
    evidence = list(selectors.evidence_in_ladder_order(claim.evidence.all()))
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
        "grade": result,
        "domains": domains,
        "certainty_label": Certainty(claim.certainty).label if claim.certainty else None,
        "summary_sentence": grading.grade26_sentence(
            claim.verdict,
            claim.certainty,
            claim.statement or claim.quote,
            human_evidence=result.best_level is not None,
        ),
        "citations": claim.citations.select_related("reference"),
    }
    return TemplateResponse(request, "kb/claim.html", context)


@require_safe
def study_detail(request, pk):
    """A study's record and the claims it is weighed for."""
    study = get_object_or_404(Study, pk=pk)
    claims = selectors.visible_claims(request.user)
    evidence = (
        Evidence.objects.filter(study=study, claim__in=claims)
        .select_related("claim", "claim__compound")
        .order_by("claim_id")
    )
    return TemplateResponse(request, "kb/study.html", {"study": study, "evidence": evidence})


@require_safe
def source_detail(request, pk):
    """A source page and the audit of its citations: does each cited study back its sentence?"""
    source = get_object_or_404(Source, pk=pk)
    citations = list(selectors.citations_of(source, request.user))
    claim_ids = {citation.claim_id for citation in citations}
    stances = {
        (ev.claim_id, ev.study_id): ev
        for ev in Evidence.objects.filter(claim_id__in=claim_ids).select_related("study")
    }
    rows = []
    for citation in citations:
        study = citation.reference.study
        rows.append(
            {
                "citation": citation,
                "study": study,
                "evidence": stances.get((citation.claim_id, study.pk)) if study else None,
            }
        )
    totals = Counter(row["evidence"].stance for row in rows if row["evidence"])
    stance_totals = [(code, label, totals.get(code, 0)) for code, label in Stance.choices]
    claims = selectors.visible_claims(request.user).filter(source=source).order_by("position", "id")
    context = {
        "source": source,
        "rows": rows,
        "stance_totals": stance_totals,
        "graded_citations": sum(totals.values()),
        "supporting": totals.get(Stance.SUPPORTS, 0),
        "partially": totals.get(Stance.PARTIALLY_SUPPORTS, 0),
        "claims": claims,
        "references": source.references.select_related("study"),
    }
    return TemplateResponse(request, "kb/source.html", context)


@require_safe
def methodology(request):
    """How verdicts and certainty are derived, for readers: docs/grading.md, rendered."""
    return TemplateResponse(request, "kb/methodology.html", {"methodology": methodology_page()})
