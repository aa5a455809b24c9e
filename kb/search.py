"""Search over claims (their statement and the sentences of the pages that make them) and
studies (title, abstract, journal, DOI, PMID).

It is PostgreSQL full-text search: websearch syntax ("quoted phrases", -excluded, or),
English stemming (stroke finds strokes) and ranking (a match in a claim's statement or a
study's title counts more than one in a page's sentence or a study's abstract). A DOI or PMID,
typed bare or as a doi.org or PubMed address, finds its study.

There is no search index: the few thousand claims and studies of a knowledge base like this one
are scanned in milliseconds. When that stops being true, add a GIN index over the same
expressions (in a migration that only runs on PostgreSQL) and keep the expressions in step.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import (
    Case,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from kb import paginator, selectors
from kb.models import Appearance
from kb.partials import render_partial
from studies.identifiers import normalise_doi, normalise_pmid
from studies.limits import SearchText
from studies.models import Study

CONFIG = "english"
PER_PAGE = 20
MAX_QUERY_LENGTH = 200

STUDY_TEXT_FIELDS = ("title", "abstract", "journal")


@dataclass
class Found:
    claims: QuerySet
    studies: QuerySet


def identifier_match(query: str) -> Q | None:
    """The study whose DOI or PMID the query is, if it is one."""
    for normalise, field in ((normalise_doi, "doi"), (normalise_pmid, "pmid")):
        try:
            return Q(**{field: normalise(query)})
        except ValueError:
            continue
    return None


def search(query: str, user) -> Found:
    """Claims the user may see and studies matching the query, best match first.

    Claims are the user's visible ones: published only for anonymous visitors."""
    claims = selectors.visible_claims(user).select_related("compound")
    studies = Study.objects.all()
    claims, studies = _full_text(query, claims, studies, identifier_match(query))
    return Found(claims=claims, studies=studies)


def _full_text(query: str, claims, studies, identifier: Q | None):
    words = SearchQuery(query, search_type="websearch", config=CONFIG)
    # Every text is bounded (SearchText): one oversized row must not break the search.
    claim_document = SearchVector(SearchText("statement"), weight="A", config=CONFIG) + (
        SearchVector(SearchText("quotes"), weight="B", config=CONFIG)
    )
    claims = (
        claims.annotate(quotes=_quotes(), document=claim_document)
        .filter(document=words)
        .annotate(rank=SearchRank(claim_document, words))
        .order_by("-rank", "id")
    )
    study_document = (
        SearchVector(SearchText("title"), weight="A", config=CONFIG)
        + SearchVector(SearchText("abstract"), weight="C", config=CONFIG)
        + SearchVector(SearchText("journal"), weight="D", config=CONFIG)
    )
    found = Q(document=words) | identifier if identifier else Q(document=words)
    studies = (
        studies.annotate(
            document=study_document,
            rank=SearchRank(study_document, words),
            by_identifier=_is(identifier),
        )
        .filter(found)
        .order_by("-by_identifier", "-rank", "-year", "id")
    )
    return claims, studies


def _quotes():
    """The claim's sentences on every page, as one text: one correlated subquery per claim,
    so a claim is one row however many pages make it."""
    sentences = (
        Appearance.objects.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim")
        .annotate(text=StringAgg("quote", Value(" "), output_field=TextField()))
        .values("text")
    )
    return Coalesce(
        Subquery(sentences, output_field=TextField()), Value(""), output_field=TextField()
    )


def _is(condition: Q | None):
    if condition is None:
        return Value(0, output_field=IntegerField())
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


# --- the page ---------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search claims and studies",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        strip=True,
        error_messages={
            "max_length": f"Search for at most {MAX_QUERY_LENGTH} characters (you typed "
            "%(show_value)d)."
        },
    )


@require_safe
def search_page(request):
    """/search/?q=: the page, or for htmx (live search) only its results."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    context = {"form": form, "query": query}
    if query:
        found = search(query, request.user)
        # Each list has its own page number; a page link keeps the query and the other's page.
        claims = paginator.paginate(request, found.claims, PER_PAGE, param="claims_page")
        studies = paginator.paginate(request, found.studies, PER_PAGE, param="studies_page")
        context.update(
            claims=claims,
            studies=studies,
            claim_links=paginator.page_links(
                request.path, claims, request.GET, param="claims_page"
            ),
            study_links=paginator.page_links(
                request.path, studies, request.GET, param="studies_page"
            ),
        )
    response = render_partial(
        request, "kb/search.html", context, partial="results", target="search-results"
    )
    # The same address answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response
