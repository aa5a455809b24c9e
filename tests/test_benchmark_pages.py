"""The page benchmark: query counts that do not grow with the number of claims, and a database
left as it was (a behaviour check; timings are not asserted)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kb.management.commands import benchmark_pages
from kb.models import Appearance, Citation, Claim, Compound, Evidence, Reference, Source
from studies.models import Study

pytestmark = pytest.mark.django_db

MODELS = (
    Compound,
    Source,
    Claim,
    Appearance,
    Reference,
    Citation,
    Evidence,
    Study,
    Claim.history.model,
    Appearance.history.model,
    Study.history.model,
)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_query_counts_are_equal_across_sizes_and_nothing_is_left(make_study):
    # The benchmark must step over PMIDs that stored studies hold already.
    make_study(title="A constructed study holding the first benchmark PMID", pmid="990000000")
    before = row_counts()
    results = benchmark_pages.run_benchmark([2, 7], repeat=1)
    assert row_counts() == before
    small, large = ([(m.page, m.queries) for m in results[n]] for n in (2, 7))
    assert [page for page, _ in small] == [
        "compound page",
        "API",
        "search page",
        "CSV export",
        "source page",
    ]
    # 7 claims: 14 sentences on three shared pages (the source page's first holds about 5).
    assert small == large
    assert all(queries >= 1 for _, queries in small)
    assert benchmark_pages.growing_pages(results) == []


def test_command_prints_a_table_per_size(make_study):
    before = row_counts()
    out = io.StringIO()
    call_command("benchmark_pages", "--claims", "1", "4", "--repeat", "2", stdout=out)
    text = out.getvalue()
    assert "1 claims, 3 evidence links, 2 appearances on 3 pages" in text
    assert "4 claims, 12 evidence links, 8 appearances on 3 pages" in text
    assert text.count("compound page") == 2
    assert "Query counts are the same for every number of claims." in text
    assert row_counts() == before


def test_growing_query_counts_are_reported_by_page():
    def m(page, queries):
        return benchmark_pages.Measurement(page, "/", queries, 1.0)

    results = {1: [m("API", 3), m("search page", 5)], 9: [m("API", 3), m("search page", 13)]}
    assert benchmark_pages.growing_pages(results) == ["search page"]


def test_bad_sizes_are_refused_with_a_message():
    with pytest.raises(CommandError, match="whole numbers of 1 or more"):
        call_command("benchmark_pages", "--claims", "0", stdout=io.StringIO())


def test_the_constructed_compound_has_several_sentences_per_claim_on_shared_pages():
    compound = benchmark_pages.build_compound(4)
    claims = Claim.objects.filter(compound=compound)
    assert claims.count() == 4
    for claim in claims:
        assert claim.appearances.count() == benchmark_pages.APPEARANCES_PER_CLAIM
        assert claim.appearances.values("source").distinct().count() == 2
    pages = Source.objects.filter(appearances__claim__compound=compound).distinct()
    assert pages.count() == benchmark_pages.SOURCES
    assert all(page.appearances.values("claim").distinct().count() > 1 for page in pages)
    # The first sentence of each claim cites its first study: the link reads as cited.
    cited = Evidence.objects.filter(claim__compound=compound, cited_by_source=True)
    assert cited.count() == 4
