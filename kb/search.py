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

from collections.abc import Callable
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


def _unmarked(queryset: QuerySet) -> QuerySet:
    return queryset


@dataclass
class Results:
    """One result list: `ranked`, best first, without snippets; `snippets` annotates a queryset
    of its rows (`rows`) with them. A page ranks every candidate but makes snippets only for
    the rows it shows (`shown`)."""

    ranked: QuerySet
    rows: QuerySet
    snippets: Callable[[QuerySet], QuerySet] = _unmarked
    # The ranks of the candidates {id: rank}, best first, if not read from `ranked`.
    ranking: Callable[[], dict[int, float]] | None = None

    def ranks(self) -> dict[int, float]:
        """{id: rank}, best first: the order of `ranked`."""
        if self.ranking is not None:
            return self.ranking()
        return dict(self.ranked.values_list("pk", "rank"))

    def all(self) -> QuerySet:
        """Best first, with snippets."""
        return self.snippets(self.ranked)

    def shown(self, ids: list[int]) -> QuerySet:
        """These rows (in no order) with their snippets."""
        return self.snippets(self.rows.filter(pk__in=ids))


@dataclass
class Found:
    compounds: QuerySet
    claim_results: Results
    study_results: Results

    @property
    def claims(self) -> QuerySet:
        return self.claim_results.all()

    @property
    def studies(self) -> QuerySet:
        return self.study_results.all()


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
        claim_results=Results(ranked=weighing.annotate(rank=rank), rows=claims),
        study_results=Results(ranked=studies.annotate(rank=rank).order_by("id"), rows=studies),
    )


def _full_text(query: str, claims: QuerySet) -> Found:
    parsed = text_search.parse(query)
    words, marked = parsed.words, parsed.marked
    # One index scan per table: the claims whose statement matches, and those some sentence of
    # a page making them matches (the appearance's own vector and index). The cap counts only
    # claims the user may see: it is applied to the visible claims among the matches. The
    # first RANKED_AT_MOST + 1 visible statement matches are enough to reach it, so the rest
    # are not read (a common word's thousands of matching claims).
    quoted = Appearance.objects.filter(search_vector=words)
    matching_ids = (
        claims.filter(search_vector=words)
        .order_by()
        .values("pk")[: RANKED_AT_MOST + 1]
        .union(quoted.order_by().values("claim_id"), all=True)
    )
    matching = claims.order_by().filter(pk__in=matching_ids).values("pk")[: RANKED_AT_MOST + 1]
    best_quote = (
        quoted.filter(claim=OuterRef("pk"))
        .annotate(rank=SearchRank(F("search_vector"), words))
        .order_by("-rank", "id")
    )
    # A published claim is found by what readers see: its published statement (the stored
    # vector holds the editors' draft). Its vector is computed only for a candidate whose
    # published statement differs from the draft's (kb.published_state); an unchanged one
    # matched through the stored vector or a sentence already.
    published_statement = KeyTextTransform("statement", "published")

    def claim_snippets(queryset: QuerySet) -> QuerySet:
        return queryset.annotate(
            # Readers see the published statement, not the editors' draft.
            statement_marked=SearchHeadline(
                Coalesce(published_statement, "statement"),
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

    found_claims = (
        claims.filter(pk__in=matching)
        .alias(
            published_text=published_statement,
            published_vector=text_search.vector(published_statement, "A"),
        )
        .filter(
            Q(published__isnull=True)
            | Q(published_text=F("statement"))
            | Q(published_vector=words)
            | Exists(quoted.filter(claim=OuterRef("pk")))
        )
    )
    # No order: the first matches the index yields, not a sort of all of them. A quoted
    # phrase is looked up by its word pairs first (text_search.pairs_match).
    if not parsed.pairs:
        candidates = Study.objects.filter(search_vector=words)
    else:
        candidates = Study.objects.filter(
            text_search.pairs_match("search_vector", parsed.pairs),
            text_search.checked("search_vector", words),
        )
    candidates = candidates.order_by()[: RANKED_AT_MOST + 1]
    study_rank = SearchRank(F("search_vector"), words)

    def study_ranks() -> dict[int, float]:
        # Ranked as the index yields each candidate, in one pass (not a second lookup of each
        # by id, reading its vector again), and sorted here as `ranked` sorts: rank, then
        # newest (a study without a year first, as PostgreSQL's DESC puts NULLs), then id.
        found = candidates.annotate(rank=study_rank).values_list("pk", "rank", "year")
        best_first = sorted(found, key=lambda r: (-r[1], r[2] is not None, -(r[2] or 0), r[0]))
        return {pk: rank for pk, rank, _ in best_first}

    def study_snippets(queryset: QuerySet) -> QuerySet:
        return queryset.annotate(
            title_marked=SearchHeadline("title", marked, config=text_search.CONFIG, **WHOLE_TEXT),
            abstract_marked=SearchHeadline(
                "abstract", marked, config=text_search.CONFIG, **SNIPPET
            ),
        )

    studies = Study.objects.without_heavy_fields()
    compounds = (
        Compound.objects.defer("search_vector")
        .filter(search_vector=words)
        .annotate(rank=SearchRank(F("search_vector"), words))
        .order_by("-rank", "name")
    )
    return Found(
        compounds=compounds,
        claim_results=Results(
            ranked=found_claims.annotate(
                quote_rank=Coalesce(Subquery(best_quote.values("rank")[:1]), 0.0),
                rank=SearchRank(F("search_vector"), words) + F("quote_rank"),
            ).order_by("-rank", "id"),
            rows=claims,
            snippets=claim_snippets,
        ),
        study_results=Results(
            ranked=studies.filter(pk__in=candidates.values("pk"))
            .annotate(rank=study_rank)
            .order_by("-rank", "-year", "id"),
            rows=studies,
            snippets=study_snippets,
            ranking=study_ranks,
        ),
    )


def _ranked_page(request, results: Results, param: str):
    """The page of a result list the request asks for, its rows fetched now (inside the
    timeout, not while the template renders).

    One query ranks the candidates (at most RANKED_AT_MOST + 1) and returns their ids and
    ranks, which also count them; a second fetches the page's rows with their snippets, so
    that snippets are made for the rows shown only and the candidates are not looked up
    twice."""
    ranks = results.ranks()
    page = paginator.paginate(request, list(ranks), PER_PAGE, param=param)
    rows = results.shown(page.object_list).in_bulk()
    for pk in page.object_list:
        rows[pk].rank = ranks[pk]
    page.object_list = [rows[pk] for pk in page.object_list]
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
        claims = _ranked_page(request, found.claim_results, "claims_page")
        claims.object_list = published_state.show_published(claims.object_list)
        studies = _ranked_page(request, found.study_results, "studies_page")
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
