"""Indexed search: stored vectors read through GIN indexes, British and American spellings, ranked
and highlighted results, identifier look-ups by index, the editors' trigram study finder and the
statement timeout of public searches.

Real data: the Cerebrolysin demo (its claims and studies say "ischaemic" and, in one page's
sentence, "ischemic") and PubMed's recorded record of PMID 20412080 (tests/data/pubmed). The
thousands of rows for the query plans are constructed (PMIDs from 990000000, titles from a small
word list) and say so.
"""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Upper
from django.test.utils import CaptureQueriesContext
from editor_support import PUBMED_DATA

from kb import search, selectors
from kb.models import Appearance, Claim, Source
from kb.templatetags.highlight import highlighted
from studies import text_search
from studies.formats import parse_file
from studies.importer import import_records
from studies.models import Study

pytestmark = pytest.mark.django_db

COCHRANE_TITLE = "Cerebrolysin for acute ischaemic stroke."
# The one sentence of the seed page that spells it the American way.
AMERICAN_QUOTE_WORDS = "dying in acute ischemic stroke"


def found(query: str):
    return search.search(query, AnonymousUser())


def marked(text: str | None) -> list[str]:
    """The words a snippet marks."""
    return re.findall(f"{text_search.MARK_START}(.*?){text_search.MARK_STOP}", text or "")


def test_american_spelling_finds_british_text_and_marks_it(demo):
    result = found("ischemic stroke")
    titles = [study.title for study in result.studies]
    assert COCHRANE_TITLE in titles
    cochrane = next(s for s in result.studies if s.title == COCHRANE_TITLE)
    assert [word.lower() for word in marked(cochrane.title_marked)] == ["ischaemic", "stroke"]
    statements = [claim.statement for claim in result.claims]
    assert any("ischaemic stroke" in statement for statement in statements)


def test_british_spelling_finds_american_text(demo):
    claims = list(found("ischaemic").claims)
    snippets = [claim.quote_marked or "" for claim in claims]
    american = [
        s
        for s in snippets
        if AMERICAN_QUOTE_WORDS
        in s.replace(text_search.MARK_START, "").replace(text_search.MARK_STOP, "")
    ]
    assert american, "the claim whose page says 'ischemic' is found by 'ischaemic'"
    assert "ischemic" in marked(american[0])


def test_every_british_stem_is_respelled_by_the_database():
    with connection.cursor() as cursor:
        for british, american in text_search.BRITISH_STEMS:
            tail = "ed" if british.endswith("is") else ""
            cursor.execute("SELECT kb_american_spelling(%s)", [british + tail])
            assert cursor.fetchone()[0] == american + tail, british
        # Words that only look British are left alone.
        cursor.execute("SELECT kb_american_spelling(%s)", ["them theme organism hours"])
        assert cursor.fetchone()[0] == "them theme organism hours"


def test_a_compound_is_found_by_its_alias(client, demo):
    response = client.get("/search/", {"q": "FPF-1070"})
    assert [compound.name for compound in response.context["compounds"]] == ["Cerebrolysin"]
    assert 'href="/compounds/cerebrolysin/"' in response.text


@pytest.fixture
def phenotype_study(db):
    """PubMed's record of PMID 20412080 (recorded), imported as the importer stores it."""
    path = PUBMED_DATA / "eutils_efetch_20412080.xml"
    with path.open("rb") as handle:
        import_records(parse_file(handle, name=path.name))
    return Study.objects.get(pmid="20412080")


def test_abstract_words_find_a_study_with_a_marked_escaped_snippet(client, phenotype_study):
    response = client.get("/search/", {"q": "vocabulary"})
    [study] = response.context["studies"]
    assert study.pk == phenotype_study.pk
    assert "vocabulary" in marked(study.abstract_marked)
    assert "<mark>vocabulary</mark>" in response.text
    # Authors are searched too (weight B).
    assert [s.pk for s in found("Robinson").studies] == [phenotype_study.pk]


def test_imported_markup_in_a_snippet_is_escaped(client, make_study):
    make_study(title="Constructed: <script>alert(1)</script> memory trial")
    response = client.get("/search/", {"q": "memory"})
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>memory</mark> trial" in response.text


def test_only_a_snippets_markers_become_marks_and_every_mark_is_closed():
    start, stop = text_search.MARK_START, text_search.MARK_STOP
    snippet = f"<b>{start}a&b{stop} c{stop} {start}d"
    assert highlighted(snippet) == f"&lt;b&gt;<mark>a&amp;b</mark> c{stop} <mark>d</mark>"
    assert highlighted("") == highlighted(None) == ""


def test_a_title_match_ranks_above_an_abstract_match(make_study):
    make_study(title="Constructed trial of nothing", abstract="Constructed: aphasia in passing.")
    make_study(title="Constructed aphasia trial", abstract="Constructed abstract.")
    titles = [study.title for study in found("aphasia").studies]
    assert titles == ["Constructed aphasia trial", "Constructed trial of nothing"]


def test_a_doi_finds_its_study_and_the_claims_weighing_it(demo):
    cochrane = Study.objects.get(title=COCHRANE_TITLE)
    result = found(f"https://doi.org/{cochrane.doi.upper()}")
    assert [study.pk for study in result.studies] == [cochrane.pk]
    weighing = set(
        Claim.objects.published().filter(evidence__study=cochrane).values_list("pk", flat=True)
    )
    assert weighing
    assert {claim.pk for claim in result.claims} == weighing


def test_a_search_too_slow_for_its_timeout_gets_a_message(client, demo, monkeypatch):
    monkeypatch.setattr(search, "SEARCH_TIMEOUT_MS", 50)

    def slow(query, user):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")  # a constructed slow query

    monkeypatch.setattr(search, "search", slow)
    response = client.get("/search/", {"q": "stroke"})
    assert response.status_code == 200
    assert "took too long and was stopped" in response.text
    # The timeout was local to the search's transaction.
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


# --- query plans on a few thousand constructed rows --------------------------------------------

WORDS = [
    "memory",
    "recall",
    "attention",
    "sleep",
    "mood",
    "focus",
    "anxiety",
    "fatigue",
    "learning",
    "cognition",
]


@pytest.fixture
def many_rows(make_compound):
    """3,000 constructed studies, claims and sentences, then ANALYZE, so that the planner
    chooses as it would on a full knowledge base."""
    compound = make_compound(name="Testolin")
    source = Source.objects.create(title="A constructed page about Testolin")
    Study.objects.bulk_create(
        Study(
            pmid=str(990000000 + n),
            doi=f"10.5555/constructed.{n}",
            title=f"Constructed trial {n} of {WORDS[n % 10]} and {WORDS[(n * 7) % 10]} (code{n}x)",
            abstract=f"Constructed abstract {n}: {' '.join(WORDS[n % 5 :])}.",
            year=2000 + n % 25,
        )
        for n in range(3000)
    )
    claims = Claim.objects.bulk_create(
        Claim(
            compound=compound,
            statement=f"Testolin improves {WORDS[n % 10]} (code{n}x)",
            status="published",
        )
        for n in range(3000)
    )
    Appearance.objects.bulk_create(
        Appearance(
            claim=claim, source=source, quote=f"Constructed sentence on {WORDS[n % 7]} (code{n}x)"
        )
        for n, claim in enumerate(claims)
    )
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load: merge the GIN indexes' pending lists.
        for index in (
            "study_search",
            "study_search_pairs",
            "claim_search",
            "appearance_search",
            "study_title_trigram",
        ):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        for table in ("studies_study", "kb_claim", "kb_appearance"):
            cursor.execute(f"ANALYZE {table}")


def plan(queryset) -> str:
    return queryset.explain()


def test_identifier_searches_read_the_unique_index(many_rows):
    for query in ("10.5555/constructed.1234", "PMID: 990001234"):
        result = found(query)
        assert [study.pmid for study in result.studies] == ["990001234"]
        studies_plan = plan(result.studies)
        assert "Index Scan using studies_study_" in studies_plan, studies_plan
        assert "Seq Scan on studies_study" not in studies_plan, studies_plan


def test_word_searches_read_the_gin_indexes(many_rows):
    # A rare word: the rows it matches are found through the index, not by scanning the table.
    result = found("code1234x")
    studies_plan = plan(result.studies)
    assert "Bitmap Index Scan on study_search" in studies_plan, studies_plan
    assert "Seq Scan on studies_study" not in studies_plan, studies_plan
    claims_plan = plan(result.claims)
    assert "Bitmap Index Scan on claim_search" in claims_plan, claims_plan
    assert "Bitmap Index Scan on appearance_search" in claims_plan, claims_plan
    count_plan = plan(result.studies.order_by())
    assert "Seq Scan on studies_study" not in count_plan, count_plan


def test_the_study_finder_reads_the_trigram_indexes(many_rows):
    # At 3,000 short titles a scan is cheap enough that the planner may prefer it; with scans
    # priced out, the plan shows the index serves the finder's exact expressions.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    finder = Study.objects.filter(Q(title__icontains="1234") | Q(journal__icontains="1234"))
    finder_plan = plan(finder)
    assert "Bitmap Index Scan on study_title_trigram" in finder_plan, finder_plan
    assert "Bitmap Index Scan on study_journal_trigram" in finder_plan, finder_plan
    fuzzy = Study.objects.alias(t=Upper("title")).filter(t__trigram_word_similar="TRAIL 1234")
    assert "Bitmap Index Scan on study_title_trigram" in plan(fuzzy)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = on")
    found_titles = [study.title for study in selectors.search_stored("trial 1234")]
    assert found_titles == ["Constructed trial 1234 of mood and learning (code1234x)"]
    # A misspelt title still finds it, by trigram similarity.
    fuzzy = [study.title for study in selectors.search_stored("Constructed trail 1234 of mood")]
    assert "Constructed trial 1234 of mood and learning (code1234x)" in fuzzy


def test_a_query_matching_more_than_the_cap_ranks_the_first_matches_and_says_so(
    client, make_study, monkeypatch
):
    monkeypatch.setattr(search, "RANKED_AT_MOST", 3)
    for n in range(5):
        make_study(title=f"Constructed aphasia trial {n}")
    response = client.get("/search/", {"q": "aphasia"})
    assert "0 claims and over 3 studies found for" in response.text
    assert "add words to narrow the search" in response.text
    assert len(response.context["studies"]) == 4  # the cap, and one to know it is exceeded
    narrow = client.get("/search/", {"q": "aphasia 4"})
    assert "0 claims and 1 study found for" in narrow.text


def test_the_claims_cap_counts_only_claims_the_reader_may_see(
    client, make_compound, make_claim, make_appearance, monkeypatch
):
    monkeypatch.setattr(search, "RANKED_AT_MOST", 3)
    compound = make_compound(name="Testolin")
    for n in range(2):
        make_claim(compound, quote=f"Testolin (constructed) improves aphasia, claim {n}.")
    for n in range(4):
        make_claim(
            compound, quote=f"Testolin (constructed) cures aphasia, draft {n}.", status="draft"
        )
    said = make_claim(compound, statement="Testolin (constructed) helps speech.", quote="Aphasia!")
    response = client.get("/search/", {"q": "aphasia"})
    # Two statements and one page's sentence; the drafts count for nobody but editors.
    assert "3 claims and 0 studies found for" in response.text
    make_appearance(
        make_claim(compound, statement="Testolin (constructed) helps words."),
        quote="Aphasia, gone.",
    )
    response = client.get("/search/", {"q": "aphasia"})
    assert "over 3 claims and 0 studies found for" in response.text
    assert said.statement in response.text


def test_the_page_lists_studies_in_the_ranked_order(client, make_study):
    # Equal ranks go newest first (a study without a year first), then by id, on the page as in
    # the ranked list.
    for year in (2001, None, 2020, 2001, None):
        make_study(title="Constructed aphasia trial", year=year)
    make_study(title="Constructed aphasia trial: aphasia in aphasia", year=1990)
    make_study(title="Constructed trial", abstract="Constructed: aphasia.", year=2024)
    ranked = [study.pk for study in found("aphasia").studies]
    assert len(ranked) == 7
    page = client.get("/search/", {"q": "aphasia"}).context["studies"]
    assert [study.pk for study in page] == ranked
    years = [study.year for study in page]
    assert years[0] == 1990
    assert years[-1] == 2024
    assert years[1:6] == [None, None, 2020, 2001, 2001]


def test_a_studys_search_vector_is_kept_in_its_row():
    # About 2 kB, it would go to the TOAST table by default: each candidate a search matches and
    # ranks would cost a lookup there (studies migration 0012).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'studies_study'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone()[0] == "m"  # MAIN


def test_a_quoted_phrase_reads_the_word_pairs_index(many_rows):
    # Every title holds "trial" and the number, but only one has them adjacent in that order:
    # the pairs index finds it without reading the other rows' vectors.
    result = found('"trial 1234"')
    assert [study.pmid for study in result.studies] == ["990001234"]
    studies_plan = plan(result.studies)
    assert "Bitmap Index Scan on study_search_pairs" in studies_plan, studies_plan
    assert "Seq Scan on studies_study" not in studies_plan, studies_plan


def test_the_words_are_parsed_and_respelled_once_per_search(client, demo):
    # Each table's match, rank and snippets use the parsed words: the spelling function's
    # regular expressions are not run again for each of them when a statement is planned.
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/", {"q": '"ischaemic stroke" -rats'})
    assert response.status_code == 200
    statements = [query["sql"] for query in captured.captured_queries]
    assert sum("websearch_to_tsquery" in sql for sql in statements) == 1
    assert "Cerebrolysin for acute <mark>ischaemic</mark> <mark>stroke</mark>." in response.text


# --- quoted phrases ------------------------------------------------------------------------------


def test_a_phrase_finds_only_its_words_adjacent_and_in_order(make_study):
    make_study(title="Constructed: functional recovery after stroke")
    make_study(title="Constructed: recovery of function after stroke")
    make_study(title="Constructed: functional outcome and recovery")
    make_study(title="Constructed: ischaemic stroke rehabilitation")
    make_study(title="Constructed: functional recovery in rats")

    def titles(query):
        return sorted(study.title for study in found(query).studies)

    assert titles('"functional recovery"') == [
        "Constructed: functional recovery after stroke",
        "Constructed: functional recovery in rats",
    ]
    # Exclusion, "or" and a phrase among other words keep their meaning.
    assert titles('"functional recovery" -rats') == [
        "Constructed: functional recovery after stroke"
    ]
    assert titles('"functional recovery" or rehabilitation') == [
        "Constructed: functional recovery after stroke",
        "Constructed: functional recovery in rats",
        "Constructed: ischaemic stroke rehabilitation",
    ]
    assert titles('-"functional recovery" constructed stroke') == [
        "Constructed: ischaemic stroke rehabilitation",
        "Constructed: recovery of function after stroke",
    ]
    assert titles('stroke "functional recovery"') == [
        "Constructed: functional recovery after stroke"
    ]
    # A phrase spelt American finds the British text; one with a stop word in it still works.
    assert titles('"ischemic stroke"') == ["Constructed: ischaemic stroke rehabilitation"]
    assert titles('"recovery of function"') == ["Constructed: recovery of function after stroke"]
    assert titles('"recovery after stroke"') == ["Constructed: functional recovery after stroke"]


def test_the_database_keeps_each_adjacent_word_pair_of_a_vector():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kb_word_pairs(to_tsvector('english', %s))::text",
            ["Functional recovery of the brain, functional recovery"],
        )
        # Stop words keep their positions: "recovery of the brain" has no pair.
        assert cursor.fetchone()[0] == "'brain function' 'function recoveri'"
        long_word = "a" * (text_search.PAIR_BYTES - 5)
        cursor.execute(
            "SELECT kb_word_pairs(to_tsvector('simple', %s))::text",
            [f"{long_word} bcde {long_word} bcdef"],
        )
        # A pair of PAIR_BYTES or more is left out (the query side leaves it out too).
        assert cursor.fetchone()[0] == f"'{long_word} bcde' 'bcde {long_word}'"


@pytest.mark.parametrize(
    ("tsquery", "pairs"),
    [
        ("'function' <-> 'recoveri'", ["function recoveri"]),
        ("'a' <-> 'b' <-> 'c' & 'd' & 'e' <-> 'a'", ["a b", "b c", "e a"]),
        ("'it''s' <-> 'b'", ["it's b"]),
        # Not required by every match, or not adjacent: no pairs.
        ("'function' <-> 'recoveri' | 'rat'", []),
        ("!( 'function' <-> 'recoveri' ) & 'rat'", []),
        ("'recoveri' <2> 'function'", []),
        ("'function' & 'recoveri'", []),
        ("( 'a' | 'b' ) & 'c' <-> 'd'", ["c d"]),
    ],
)
def test_the_pairs_a_query_requires(tsquery, pairs):
    assert text_search.required_pairs(tsquery) == pairs
