"""What researchers expect of the public site: search over claims and studies (PostgreSQL full
text), and the compound page's filters.

Most tests run on the real Cerebrolysin demo; claims and studies made here are constructed
(PMIDs from 990000000, no DOIs outside 10.5555/) and say so.
"""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb import search
from kb.models import Claim, Topic
from kb.vocabulary import ClaimKind, Flag, Verdict
from studies.models import Study

pytestmark = pytest.mark.django_db

# The demo's claim and the seed page's sentence that makes it.
DEPENDENCE_CLAIM = "Cerebrolysin reduces death or dependency in adults with acute ischaemic stroke"
DEPENDENCE_QUOTE = "Cerebrolysin can potentially reduce the level of dependence in stroke patients"
COCHRANE_STROKE_DOI = "10.1002/14651858.cd007026.pub7"
LANG_2013_PMID = "23009193"


def claim_statements(response) -> list[str]:
    return [claim.statement for claim in response.context["claims"]]


def quotes_of(claim) -> str:
    return " ".join(claim.appearances.values_list("quote", flat=True))


def unmarked(response) -> str:
    """The page's text without the <mark> around matched words."""
    return re.sub(r"</?mark>", "", response.text)


def queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, headers=headers).status_code == 200
    return len(captured)


# --- search -------------------------------------------------------------------------------------


def test_stroke_finds_the_stroke_claims_best_match_first(client, demo):
    response = client.get("/search/", {"q": "stroke"})
    assert response.status_code == 200
    claims = list(response.context["claims"])
    statements = [claim.statement for claim in claims]
    assert DEPENDENCE_CLAIM in statements
    assert DEPENDENCE_CLAIM in unmarked(response)
    # Ranked: claims whose statement says "stroke" come before those only a page's sentence
    # making them does.
    in_statement = ["stroke" in statement.lower() for statement in statements]
    assert in_statement == sorted(in_statement, reverse=True)
    assert in_statement.count(False) >= 1
    assert all("stroke" in quotes_of(c).lower() for c in claims if "stroke" not in c.statement)
    assert len(statements) == len(set(statements))  # one result per claim
    ranks = [claim.rank for claim in response.context["claims"]]
    assert ranks == sorted(ranks, reverse=True)
    # Studies too, each linking to its record.
    titles = [study.title for study in response.context["studies"]]
    assert "Cerebrolysin for acute ischaemic stroke." in titles
    cochrane = Study.objects.get(doi=COCHRANE_STROKE_DOI)
    assert f'href="/studies/{cochrane.pk}/"' in unmarked(response)


def test_english_stemming_and_websearch_syntax(demo):
    # "strokes" stems to stroke; a minus excludes a word; quotes ask for a phrase.
    def found(query):
        return list(search.search(query, AnonymousUser()).claims)

    assert DEPENDENCE_CLAIM in [claim.statement for claim in found("strokes")]
    assert DEPENDENCE_CLAIM not in [claim.statement for claim in found("stroke -dependence")]
    assert found("stroke -dependence")
    phrase = found('"functional outcome"')
    assert phrase
    assert all(
        "functional outcome" in (claim.statement + " " + quotes_of(claim)).lower()
        for claim in phrase
    )


@pytest.mark.parametrize(
    "query",
    [
        COCHRANE_STROKE_DOI,
        "https://doi.org/10.1002/14651858.CD007026.pub7",
        "doi:10.1002/14651858.CD007026.pub7",
    ],
)
def test_a_study_is_found_by_its_doi_in_any_form(client, demo, query):
    response = client.get("/search/", {"q": query})
    studies = list(response.context["studies"])
    assert studies[0].doi == COCHRANE_STROKE_DOI
    assert "Cerebrolysin for acute ischaemic stroke." in unmarked(response)


@pytest.mark.parametrize("query", [LANG_2013_PMID, f"PMID: {LANG_2013_PMID}"])
def test_a_study_is_found_by_its_pmid(client, demo, query):
    response = client.get("/search/", {"q": query})
    studies = list(response.context["studies"])
    assert [study.pmid for study in studies] == [LANG_2013_PMID]
    assert f"PMID {LANG_2013_PMID}" in unmarked(response)


def test_journal_and_abstract_words_find_studies(make_study):
    make_study(
        title="A constructed trial",
        journal="Constructed Journal of Neurorecovery",
        abstract="Constructed abstract: aphasia improved in the treated group.",
    )
    anonymous = AnonymousUser()
    assert [s.title for s in search.search("neurorecovery", anonymous).studies] == [
        "A constructed trial"
    ]
    assert [s.title for s in search.search("aphasia", anonymous).studies] == ["A constructed trial"]


@pytest.fixture
def draft(make_compound, make_claim):
    compound = make_compound(name="Testolin")
    make_claim(compound, quote="Testolin (constructed) helps after a stroke, published.")
    return make_claim(
        compound, quote="Testolin (constructed) reverses stroke damage, a draft.", status="draft"
    )


def test_drafts_never_appear_for_anonymous_readers(client, draft):
    response = client.get("/search/", {"q": "Testolin stroke"})
    assert claim_statements(response) == ["Testolin (constructed) helps after a stroke, published."]
    assert "reverses stroke damage" not in unmarked(response)
    htmx = client.get(
        "/search/",
        {"q": "Testolin stroke"},
        headers={"HX-Request": "true", "HX-Target": "search-results"},
    )
    assert "reverses stroke damage" not in unmarked(htmx)


def test_editors_find_drafts_marked_as_drafts(client, draft, editor):
    client.force_login(editor)
    response = client.get("/search/", {"q": "Testolin stroke"})
    assert draft.statement in claim_statements(response)
    assert '<span class="badge draft">Draft</span>' in unmarked(response)


def test_results_are_paginated_with_links_that_keep_the_query(client, make_compound, make_claim):
    compound = make_compound(name="Testolin")
    for n in range(search.PER_PAGE + 5):
        make_claim(compound, quote=f"Testolin (constructed) claim number {n} about memory.")
    first = client.get("/search/", {"q": "memory"})
    assert len(first.context["claims"]) == search.PER_PAGE
    assert first.context["claims"].paginator.count == search.PER_PAGE + 5
    assert "Page 1 of 2" in first.text
    assert 'href="/search/?q=memory&amp;claims_page=2"' in first.text
    second = client.get("/search/", {"q": "memory", "claims_page": "2"})
    assert len(second.context["claims"]) == 5
    assert f'<ol class="claims" start="{search.PER_PAGE + 1}">' in second.text
    # A page number out of range or not a number shows the nearest page, not an error.
    assert client.get("/search/", {"q": "memory", "claims_page": "99"}).status_code == 200
    assert client.get("/search/", {"q": "memory", "claims_page": "x"}).status_code == 200


def test_query_count_does_not_depend_on_how_many_results(
    client, make_compound, make_claim, make_study
):
    compound = make_compound(name="Testolin")
    make_claim(compound, quote="Testolin (constructed) improves memory.")
    make_study(title="Testolin and memory, a constructed trial")
    url = "/search/?q=memory"
    one = queries(client, url)
    for n in range(30):
        make_claim(compound, quote=f"Testolin (constructed) improves memory, claim {n}.")
        make_study(title=f"Testolin and memory, constructed trial {n}")
    assert queries(client, url) == one
    assert queries(client, url + "&claims_page=2&studies_page=2") == one


def test_htmx_live_search_gets_only_the_results(client, demo):
    headers = {"HX-Request": "true", "HX-Target": "search-results"}
    response = client.get("/search/", {"q": "stroke"}, headers=headers)
    assert response.status_code == 200
    assert "<html" not in unmarked(response)
    assert unmarked(response).lstrip().startswith('<div id="search-results">')
    assert DEPENDENCE_CLAIM in unmarked(response)
    assert {"HX-Request", "HX-Target"} <= {
        part.strip() for part in response.headers["Vary"].split(",")
    }
    # A boosted or history-restoring request (no target) gets the whole page.
    whole = client.get("/search/", {"q": "stroke"}, headers={"HX-Request": "true"})
    assert "<html" in unmarked(whole)


def test_the_search_page_form_works_with_and_without_javascript(client, demo):
    page = client.get("/search/", {"q": "stroke"}).text
    form = re.search(r'<form role="search"[^>]*>', page).group(0)
    assert 'method="get"' in form
    assert 'action="/search/"' in form
    field = re.search(r'<input type="search" id="search-q"[^>]*>', page, re.S).group(0)
    assert 'name="q"' in field
    assert 'value="stroke"' in field
    assert 'hx-get="/search/"' in field
    assert 'hx-push-url="true"' in field
    assert "delay:" in field
    assert 'hx-target="#search-results"' in field
    assert '<label for="search-q">' in page


def test_every_page_has_a_labelled_search_form_in_the_header(client, demo):
    header = client.get("/").text.split("</header>")[0]
    assert 'role="search"' in header
    assert 'action="/search/"' in header
    assert '<label for="site-search-q"' in header
    assert 'id="site-search-q" name="q"' in header


def test_empty_and_overlong_queries_get_a_page_and_a_clear_message(client, demo):
    empty = client.get("/search/")
    assert empty.status_code == 200
    assert "claims" not in empty.context or empty.context.get("claims") is None
    long = client.get("/search/", {"q": "stroke " * 40})
    assert long.status_code == 200
    assert f"Search for at most {search.MAX_QUERY_LENGTH} characters" in long.text
    assert DEPENDENCE_CLAIM not in long.text


def test_query_syntax_characters_are_not_errors(client, demo):
    for query in [
        "a & b | c ! :* (",
        "nul \x00 byte",
        "'); drop table kb_claim; --",
        "the",
        "\\",
        '"',
        # Parsed once, then passed on in PostgreSQL's text form: quotes and backslashes survive.
        "back\\slash it's",
        '"back\\slash it\'s" -"o\'neil\\"',
    ]:
        assert client.get("/search/", {"q": query}).status_code == 200, query


# --- the compound page's filters ---------------------------------------------------------------


def published_demo_claims() -> list[Claim]:
    return list(Claim.objects.filter(compound__slug="cerebrolysin", status="published"))


def test_filter_by_verdict_kind_and_flag(client, demo):
    claims = published_demo_claims()
    for name, value, matches in [
        ("verdict", Verdict.PROBABLY_SUPPORTED, lambda c: c.verdict == Verdict.PROBABLY_SUPPORTED),
        ("kind", ClaimKind.SAFETY, lambda c: c.kind == ClaimKind.SAFETY),
        ("flag", Flag.HARM_SIGNAL, lambda c: Flag.HARM_SIGNAL in c.flags),
    ]:
        expected = sorted(c.statement for c in claims if matches(c))
        assert expected, f"the demo has no claim with {name}={value}"
        response = client.get("/compounds/cerebrolysin/", {name: value})
        assert sorted(claim_statements(response)) == expected, name
        assert response.text.count('<li class="claim"') == len(expected)
        assert f"{len(expected)} of {len(claims)} claims match the filters." in response.text


def test_filters_combine_and_counts_still_cover_every_claim(client, demo):
    claims = published_demo_claims()
    response = client.get(
        "/compounds/cerebrolysin/", {"kind": "benefit", "flag": Flag.CONTRADICTED_BY_EVIDENCE}
    )
    expected = sorted(
        c.statement
        for c in claims
        if c.kind == "benefit" and Flag.CONTRADICTED_BY_EVIDENCE in c.flags
    )
    assert sorted(claim_statements(response)) == expected
    # The verdict table and the option counts are those of all the compound's claims.
    unproven = sum(c.verdict == Verdict.UNPROVEN for c in claims)
    assert ("unproven", "Unproven", unproven) in response.context["verdict_counts"]
    assert f"All claims ({len(claims)})" in response.text
    harm = sum(Flag.HARM_SIGNAL in c.flags for c in claims)
    assert f"Harm signal ({harm})</option>" in response.text
    assert f'<option value="{Flag.CONTRADICTED_BY_EVIDENCE}" selected>' in response.text


def test_filter_form_swaps_only_the_claim_list_with_htmx(client, demo):
    page = client.get("/compounds/cerebrolysin/").text
    form = re.search(r'<form method="get"[^>]*class="claim-filters"[^>]*>', page, re.S).group(0)
    assert 'hx-target="#claim-list"' in form
    assert 'hx-push-url="true"' in form
    for name in ("topic", "verdict", "kind", "flag"):
        assert f'<label for="filter-{name}">' in page
    response = client.get(
        "/compounds/cerebrolysin/",
        {"verdict": Verdict.PROBABLY_SUPPORTED},
        headers={"HX-Request": "true", "HX-Target": "claim-list"},
    )
    assert response.text.lstrip().startswith('<div id="claim-list">')
    assert "<html" not in response.text
    assert "Vary" in response.headers


def test_an_unknown_filter_value_is_named_and_ignored(client, demo):
    response = client.get("/compounds/cerebrolysin/", {"verdict": "amazing"})
    assert response.status_code == 200
    assert "There is no verdict &#x27;amazing&#x27;; showing every verdict." in response.text
    # Every claim is matched (the page shows the first 50 of them).
    assert response.context["claims"].paginator.count == len(published_demo_claims())


def test_filtered_page_query_count_is_the_unfiltered_one(client, demo):
    url = "/compounds/cerebrolysin/"
    unfiltered = queries(client, url)
    for query in (
        "?flag=harm_signal&kind=benefit",
        "?flag=citation_mismatch",
        "?topic=acute-ischaemic-stroke&flag=overstated",
    ):
        assert queries(client, url + query) == unfiltered, query


def test_sentence_flag_filter_finds_claims_with_any_such_sentence_on_the_demo(client, demo):
    claims = published_demo_claims()
    flagged = {
        c.statement
        for c in claims
        if any(Flag.CITATION_MISMATCH in a.flags for a in c.appearances.all())
    }
    assert flagged
    assert not any(Flag.CITATION_MISMATCH in c.flags for c in claims)
    response = client.get("/compounds/cerebrolysin/", {"flag": Flag.CITATION_MISMATCH})
    assert set(claim_statements(response)) == flagged
    assert f"Citation mismatch ({len(flagged)})</option>" in response.text
    assert f"{len(flagged)} of {len(claims)} claims match the filters." in response.text
    # Each shows how many of its sentences cite a study that does not back them.
    assert response.text.count("Cited study does not back the sentence <small>(") == len(flagged)


def test_topic_filter_on_the_demo(client, demo):
    claims = published_demo_claims()
    safety = sorted(c.statement for c in claims if c.topic and c.topic.slug == "safety")
    assert safety
    response = client.get("/compounds/cerebrolysin/", {"topic": "safety"})
    assert sorted(claim_statements(response)) == safety
    # Every demo topic is offered, with its count over all claims.
    for topic in Topic.objects.all():
        count = sum(c.topic_id == topic.pk for c in claims)
        if count:
            assert f'<option value="{topic.slug}"' in response.text
            assert f"{topic.name} ({count})</option>" in response.text


def test_a_claim_is_found_by_a_word_only_its_pages_say_and_shown_by_its_statement(
    client, make_compound, make_claim, make_appearance, monkeypatch
):
    compound = make_compound(name="Testolin")
    claim = make_claim(
        compound,
        statement="In healthy adults, Testolin (constructed) improves recall.",
        quote="Testolin gives you a photographic memory.",
    )
    make_appearance(claim, quote="Photographic recall with Testolin!")
    make_claim(compound, quote="Testolin (constructed) lowers blood pressure.")
    response = client.get("/search/", {"q": "photographic"})
    assert claim_statements(response) == [claim.statement]  # once, though two sentences match
    assert f"<strong>{claim.statement}</strong>" in response.text
    # With the best-matching sentence as a snippet, its matched word marked.
    snippet = re.search(r"A page says: “(.*?)”", response.text).group(1)
    assert snippet in {
        "Testolin gives you a <mark>photographic</mark> memory",
        "<mark>Photographic</mark> recall with Testolin",
    }
    # A match in the statement ranks above one in a page's sentence.
    stated = make_claim(compound, quote="Testolin (constructed) gives photographic memory.")
    assert claim_statements(client.get("/search/", {"q": "photographic"})) == [
        stated.statement,
        claim.statement,
    ]
