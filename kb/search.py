"""Search over compounds (name, aliases), claims (their statement and the sentences of the pages
that make them) and studies (title, authors, abstract, journal), and by DOI or PMID.

It is PostgreSQL full-text search over stored, GIN-indexed vectors (studies.text_search):
websearch syntax ("quoted phrases", -excluded, or), English stemming (stroke finds strokes),
British and American spellings alike (ischemic finds ischaemic), ranking (a match in a claim's
statement or a study's title counts more than one in a page's sentence or an abstract) and
highlighted snippets of the matched text, computed for the shown page only.

A DOI or PMID, typed bare or as a doi.org or PubMed address, is looked up in its unique index,
never matched as words: it finds its study and the claims weighing it.

Public searches run under a statement timeout (SEARCH_TIMEOUT_MS): a pathological query is
cancelled and answered with a message instead of holding a worker and a connection.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.postgres.search import SearchHeadline, SearchRank
from django.db import OperationalError, connection, transaction
from django.db.models import Exists, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from kb import paginator, published_state, selectors
from kb.models import Appearance, Compound
from kb.page_cache import public_page
from kb.partials import render_partial
from studies import text_search
from studies.identifiers import normalise_doi, normalise_pmid
from studies.models import Study

PER_PAGE = 20
COMPOUNDS_SHOWN = 10
MAX_QUERY_LENGTH = 200
SEARCH_TIMEOUT_MS = 3_000
# A query matching more rows than this ranks (and counts) only this many of them, the first the
# index yields: ranking reads every candidate's stored vector, and a word in most of 200,000
# abstracts took seconds to rank (issue 16). The page says "over 500" and asks for more words.
RANKED_AT_MOST = 500

# Snippets mark matched words with private-use characters: the template escapes the text and
# only then turns them into <mark> (kb.templatetags.highlight), so imported text is never taken
# for markup.
WHOLE = {"start_sel": text_search.MARK_START, "stop_sel": text_search.MARK_STOP}
SNIPPET = {**WHOLE, "max_fragments": 2, "max_words": 30, "min_words": 12}
WHOLE_TEXT = {**WHOLE, "highlight_all": True}


@dataclass
class Found:
    compounds: QuerySet
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
    """Compounds, claims the user may see and studies matching the query, best match first.

    Claims are the user's visible ones: published only for anonymous visitors."""
    claims = (
        selectors.visible_claims(user)
        .select_related("compound")
        .defer("search_vector", "compound__search_vector")
    )
    identifier = identifier_match(query)
    if identifier is not None:
        return _by_identifier(identifier, claims)
    return _full_text(query, claims)


def _by_identifier(identifier: Q, claims: QuerySet) -> Found:
    studies = Study.objects.without_heavy_fields().filter(identifier)
    weighing = claims.filter(evidence__study__in=studies.values("pk")).order_by("id")
    rank = Value(1.0, output_field=FloatField())
    return Found(
        compounds=Compound.objects.none(),
        claims=weighing.annotate(rank=rank),
        studies=studies.annotate(rank=rank).order_by("id"),
    )


def _full_text(query: str, claims: QuerySet) -> Found:
    words = text_search.words(query)
    marked = text_search.highlight_words(query)
    # One index scan per table: the claims whose statement matches, and those some sentence of
    # a page making them matches (the appearance's own vector and index).
    # Both sides limited to the claims the user may see, so that the cap counts only those.
    quoted = Appearance.objects.filter(search_vector=words)
    visible = claims.order_by().values("pk")
    matching = (
        claims.filter(search_vector=words)
        .order_by()
        .values("pk")
        .union(quoted.filter(claim__in=visible).order_by().values("claim_id"))
        .order_by()[: RANKED_AT_MOST + 1]
    )
    best_quote = (
        quoted.filter(claim=OuterRef("pk"))
        .annotate(rank=SearchRank(F("search_vector"), words))
        .order_by("-rank", "id")
    )
    # A published claim is found by what readers see: its published statement (the stored
    # vector holds the editors' draft), computed only for the candidates (kb.published_state).
    published_statement = text_search.vector(KeyTextTransform("statement", "published"), "A")
    claims = (
        claims.filter(pk__in=matching)
        .alias(published_vector=published_statement)
        .filter(
            Q(published__isnull=True)
            | Q(published_vector=words)
            | Exists(quoted.filter(claim=OuterRef("pk")))
        )
        .annotate(
            quote_rank=Coalesce(Subquery(best_quote.values("rank")[:1]), 0.0),
            rank=SearchRank(F("search_vector"), words) + F("quote_rank"),
            # Readers see the published statement, not the editors' draft (kb.published_state).
            statement_marked=SearchHeadline(
                Coalesce(KeyTextTransform("statement", "published"), "statement"),
                marked,
                config=text_search.CONFIG,
                **WHOLE_TEXT,
            ),
            quote_marked=SearchHeadline(
                Subquery(best_quote.values("quote")[:1]),
                marked,
                config=text_search.CONFIG,
                **SNIPPET,
            ),
        )
        .order_by("-rank", "id")
    )
    # No order: the first matches the index yields, not a sort of all of them.
    candidates = (
        Study.objects.filter(search_vector=words).order_by().values("pk")[: RANKED_AT_MOST + 1]
    )
    studies = (
        Study.objects.without_heavy_fields()
        .filter(pk__in=candidates)
        .annotate(
            rank=SearchRank(F("search_vector"), words),
            title_marked=SearchHeadline("title", marked, config=text_search.CONFIG, **WHOLE_TEXT),
            abstract_marked=SearchHeadline(
                "abstract", marked, config=text_search.CONFIG, **SNIPPET
            ),
        )
        .order_by("-rank", "-year", "id")
    )
    compounds = (
        Compound.objects.defer("search_vector")
        .filter(search_vector=words)
        .annotate(rank=SearchRank(F("search_vector"), words))
        .order_by("-rank", "name")
    )
    return Found(compounds=compounds, claims=claims, studies=studies)


def _evaluated(page):
    """The page's rows fetched now (inside the timeout), not while the template renders."""
    page.object_list = list(page.object_list)
    return page


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
@public_page
def search_page(request):
    """/search/?q=: the page, or for htmx (live search) only its results."""
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    context = {"form": form, "query": query}
    if query:
        try:
            context.update(_results(request, query))
        except OperationalError as error:
            if not _was_cancelled(error):
                raise
            context["too_slow"] = True
    response = render_partial(
        request, "kb/search.html", context, partial="results", target="search-results"
    )
    # The same address answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _how_many(page) -> str:
    count = page.paginator.count
    return f"over {RANKED_AT_MOST:,}" if count > RANKED_AT_MOST else str(count)


def _was_cancelled(error: OperationalError) -> bool:
    """The statement timeout cancelled the query (SQLSTATE 57014), as opposed to a lost
    connection, which is the health check's business."""
    cause = error.__cause__
    return (getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)) == "57014"


def _results(request, query: str) -> dict:
    """The three result lists, fetched in one transaction under the statement timeout."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(SEARCH_TIMEOUT_MS)}")
        found = search(query, request.user)
        # Each list has its own page number; a page link keeps the query and the other's page.
        claims = _evaluated(
            paginator.paginate(request, found.claims, PER_PAGE, param="claims_page")
        )
        claims.object_list = published_state.show_published(claims.object_list)
        studies = _evaluated(
            paginator.paginate(request, found.studies, PER_PAGE, param="studies_page")
        )
        return dict(
            ranked_at_most=RANKED_AT_MOST,
            claims_found=_how_many(claims),
            studies_found=_how_many(studies),
            compounds=list(found.compounds[:COMPOUNDS_SHOWN]),
            claims=claims,
            studies=studies,
            claim_links=paginator.page_links(
                request.path, claims, request.GET, param="claims_page"
            ),
            study_links=paginator.page_links(
                request.path, studies, request.GET, param="studies_page"
            ),
        )
