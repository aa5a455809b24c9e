"""Public pages: what anonymous readers see, in a bounded number of queries."""

import re

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from responses import json_of, text

from kb import selectors, views
from kb.history import claim_history
from kb.models import Claim, Evidence, Source, Topic
from kb.services import grades

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded_compound(make_compound, make_claim, make_study, make_evidence, source):
    compound = make_compound(name="Testolin", summary="A constructed compound for tests.")
    topic = Topic.objects.create(name="Boredom (constructed)", slug="boredom")
    review = make_study(title="A constructed review", design="systematic_review", year=2023)
    trial = make_study(title="A constructed trial", design="rct", year=2019)
    published = make_claim(compound, quote="Testolin cures boredom.", source=source, topic=topic)
    make_evidence(published, trial, stance="supports", cited=True)
    make_evidence(published, review, stance="no_effect", harm=True)
    published.graded_at = published.created_at
    grades.regrade(published, user=None, reason="Constructed: graded")
    make_claim(compound, quote="Testolin makes you fly.", status="draft", source=source)
    return compound


def test_home_lists_compounds_with_their_published_claim_count(client, graded_compound):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Testolin" in response.text
    assert "1 published claim" in response.text


def test_compound_page_shows_verdicts_in_words_and_hides_drafts(client, graded_compound):
    response = client.get("/compounds/testolin/")
    assert response.status_code == 200
    assert "Testolin cures boredom." in response.text
    assert "Testolin makes you fly." not in response.text
    assert "Probably not supported" in response.text or "Contradicted" in response.text
    assert "A strong study disagrees" in response.text
    assert "Strong evidence of harm" in response.text


def test_unknown_compound_is_404(client, db):
    assert client.get("/compounds/nothing/").status_code == 404


def test_claim_page_orders_evidence_by_design_level(client, graded_compound):
    claim = graded_compound.claims.get(status="published")
    response = client.get(f"/claims/{claim.pk}/")
    text = response.text
    assert response.status_code == 200
    table = text[text.index('<table class="evidence"') :]
    assert table.index("A constructed review") < table.index("A constructed trial")
    assert "Risk of bias" in text


def test_draft_claims_are_invisible_to_anonymous_readers(client, graded_compound):
    draft = graded_compound.claims.get(status="draft")
    assert client.get(f"/claims/{draft.pk}/").status_code == 404
    api = json_of(client.get("/api/compounds/testolin/"))
    assert [c["statement"] for c in api["claims"]] == ["Testolin cures boredom."]


def test_study_and_source_pages(client, graded_compound, source):
    study = graded_compound.claims.get(status="published").evidence.first().study
    assert client.get(f"/studies/{study.pk}/").status_code == 200
    response = client.get(f"/sources/{source.pk}/")
    assert response.status_code == 200
    assert "Citation audit" in response.text
    assert "Supports" in response.text


def test_imported_text_is_escaped(client, make_compound, make_claim):
    compound = make_compound(name="Scriptol")
    make_claim(compound, quote='<script>alert("x")</script> works <b>wonders</b>')
    response = client.get("/compounds/scriptol/")
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert" in response.text


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "url", ["/", "/compounds/testolin/", "/api/compounds/testolin/", "/methodology/"]
)
def test_anonymous_writes_are_refused(client, graded_compound, method, url):
    response = getattr(client, method)(url)
    assert response.status_code in {403, 405}


def test_anonymous_users_cannot_write_through_the_admin(client, graded_compound):
    claim = graded_compound.claims.first()
    response = client.post(f"/admin/kb/claim/{claim.pk}/change/", {"statement": "hacked"})
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]
    claim.refresh_from_db()
    assert claim.statement != "hacked"


def _queries(client, url):
    # Reading the body inside: a streamed response runs its queries as it is read.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        assert response.status_code == 200
        text(response)
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/compounds/testolin/",
        "/compounds/testolin/?topic=boredom&kind=benefit",
        "/compounds/testolin/?flag=harm_signal",
        "/api/compounds/testolin/",
        "/compounds/testolin/claims.csv",
        "/compounds/testolin/claims.json",
    ],
)
def test_query_count_does_not_grow_with_claims_or_appearances(
    client, graded_compound, make_claim, make_study, make_evidence, make_appearance, source, url
):
    before = _queries(client, url)
    topic = Topic.objects.get(slug="boredom")
    shared = Source.objects.create(title="Another constructed page selling Testolin")
    for n in range(20):
        claim = make_claim(graded_compound, quote=f"Testolin claim {n}.", topic=topic)
        study = make_study(design="rct")
        make_evidence(claim, study, stance="no_effect", cited=True)
        make_appearance(claim, quote=f"Testolin claim {n}, again.", source=shared, cites=[study])
        make_appearance(claim, quote=f"Testolin claim {n}, thrice.", source=source)
    assert _queries(client, url) == before


# --- the compound page, 50 claims a page ---------------------------------------------------------

PAGED = "/compounds/pagolin/"
# The page writes a range of claims with an en dash: "Showing 1, en dash, 50 of 70 claims."
DASH = "\N{EN DASH}"
HTMX_LIST = {"HX-Request": "true", "HX-Target": "claim-list"}


@pytest.fixture
def seventy_claims(make_compound, make_claim):
    """70 published claims (60 benefit, 10 safety; every other one flagged overstated by an
    editor) and a draft; two pages unfiltered, and two for kind=benefit."""
    compound = make_compound(name="Pagolin")
    claims = [
        make_claim(
            compound,
            quote=f"Pagolin (constructed) claim number {n}.",
            kind="safety" if n % 7 == 0 else "benefit",
            overstated=n % 2 == 0,
        )
        for n in range(70)
    ]
    make_claim(compound, quote="Pagolin (constructed) draft claim.", status="draft")
    return claims


def shown(response) -> list[int]:
    return [claim.pk for claim in response.context["claims"]]


def page_nav(response) -> str:
    return re.search(r'<nav aria-label="Claim pages".*?</nav>', response.text, re.S).group(0)


def test_compound_page_shows_fifty_claims_a_page_with_page_links(client, seventy_claims):
    first = client.get(PAGED)
    second = client.get(PAGED, {"page": "2"})
    ids = [claim.pk for claim in seventy_claims]
    assert shown(first) == ids[:50]
    assert shown(second) == ids[50:]
    assert first.text.count('<li class="claim"') == 50
    for response in (first, second):
        # The heading and the verdict table count every published claim, not the page's.
        assert "All claims (70)" in response.text
        assert sum(n for _, _, n in response.context["verdict_counts"]) == 70
    assert f"Showing 1{DASH}50 of 70 claims." in first.text
    assert f"Showing 51{DASH}70 of 70 claims." in second.text
    # Numbering continues on page 2, in the list and in the links' accessible names.
    assert '<ol class="claims" start="51">' in second.text
    assert f'href="/claims/{ids[50]}/"' in second.text
    assert "for claim 51</span>" in second.text
    nav = page_nav(first)
    assert '<a href="/compounds/pagolin/" aria-label="Page 1" aria-current="page"' in nav
    assert '<a href="/compounds/pagolin/?page=2" rel="next"' in nav
    assert 'hx-get="/compounds/pagolin/?page=2"' in nav
    assert 'hx-target="#claim-list"' in nav
    assert 'hx-push-url="true"' in nav
    assert 'rel="prev"' not in nav
    nav = page_nav(second)
    assert '<a href="/compounds/pagolin/?page=2" aria-label="Page 2" aria-current="page"' in nav
    assert '<a href="/compounds/pagolin/" rel="prev"' in nav


def test_a_single_page_has_no_page_links(client, graded_compound):
    response = client.get("/compounds/testolin/")
    assert "Showing all 1 claim." in response.text
    assert 'aria-label="Claim pages"' not in response.text


def test_page_links_keep_the_filters_and_the_counts_cover_all_claims(client, seventy_claims):
    benefit = [c.pk for c in seventy_claims if c.kind == "benefit"]
    # A rejected value (verdict=amazing) is named once, not carried to the next page.
    first = client.get(PAGED, {"kind": "benefit", "verdict": "amazing"})
    assert shown(first) == benefit[:50]
    assert '<a href="/compounds/pagolin/?kind=benefit&amp;page=2" rel="next"' in page_nav(first)
    second = client.get(PAGED, {"kind": "benefit", "page": "2"})
    assert shown(second) == benefit[50:]
    assert f"60 of 70 claims match the filters. Showing 51{DASH}60." in second.text
    assert '<a href="/compounds/pagolin/?kind=benefit" rel="prev"' in page_nav(second)
    # The menus count all the compound's published claims whatever the filter and page.
    assert "All claims (70)" in second.text
    assert '<option value="benefit" selected>Benefit (60)</option>' in second.text
    assert '<option value="safety">Safety (10)</option>' in second.text
    assert '<option value="overstated">Overstated (35)</option>' in second.text
    both = client.get(PAGED, {"kind": "benefit", "flag": "overstated"})
    expected = [
        c.pk
        for c in seventy_claims
        if c.kind == "benefit" and "overstated" in c.appearances.get().flags
    ]
    assert shown(both) == expected
    assert f"{len(expected)} of 70 claims match the filters." in both.text
    assert 'aria-label="Claim pages"' not in both.text


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("x", 1),
        ("", 1),
        ("1.5", 1),
        ("9" * 5000, 1),  # more digits than Python turns into an int
        ("0", 2),
        ("-1", 2),
        ("99", 2),
        ("99999999999999999999999", 2),
    ],
)
def test_junk_page_numbers_show_the_first_or_last_page(client, seventy_claims, number, expected):
    response = client.get(PAGED, {"page": number})
    assert response.status_code == 200
    assert response.context["claims"].number == expected


def test_page_links_swap_only_the_claim_list_and_move_focus_to_it(client, seventy_claims):
    response = client.get(PAGED, {"page": "2"}, headers=HTMX_LIST)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="claim-list">')
    assert f"Showing 51{DASH}70 of 70 claims." in response.text
    assert 'aria-label="Claim pages"' in response.text
    assert '<p role="status" class="meta" tabindex="-1" autofocus>' in response.text
    assert {"HX-Request", "HX-Target", "HX-Trigger"} <= {
        part.strip() for part in response.headers["Vary"].split(",")
    }
    # A filter change keeps focus in the menu; a full page load never sets autofocus.
    filtered = client.get(
        PAGED, {"kind": "safety"}, headers={**HTMX_LIST, "HX-Trigger": "claim-filters"}
    )
    assert "autofocus" not in filtered.text
    assert "<html" not in filtered.text
    assert "autofocus" not in client.get(PAGED, {"page": "2"}).text


def test_query_count_is_the_same_on_every_page_and_size(client, graded_compound, seventy_claims):
    one_claim = _queries(client, "/compounds/testolin/")
    for query in ("", "?page=2", "?page=x", "?kind=benefit&page=2", "?flag=overstated"):
        assert _queries(client, PAGED + query) == one_claim, query


def test_api_and_exports_still_hold_every_claim(client, seventy_claims):
    assert len(json_of(client.get("/api/compounds/pagolin/"))["claims"]) == 70
    rows = text(client.get("/compounds/pagolin/claims.csv")).splitlines()
    assert len(rows) == 1 + 70
    assert len(json_of(client.get("/compounds/pagolin/claims.json"))["rows"]) == 70


def test_many_pages_are_elided_around_the_current_one():
    filters = selectors.claim_filters({"verdict": "unproven", "page": "10"})
    page = Paginator(range(1000), views.CLAIMS_PER_PAGE).get_page(10)
    links = views._claim_page_links("/compounds/x/", filters, page)
    numbers = [number for number, _, _ in links["pages"]]
    assert numbers == [1, Paginator.ELLIPSIS, 8, 9, 10, 11, 12, Paginator.ELLIPSIS, 20]
    assert [number for number, _, current in links["pages"] if current] == [10]
    assert links["previous"] == "/compounds/x/?verdict=unproven&page=9"
    assert links["next"] == "/compounds/x/?verdict=unproven&page=11"
    assert links["pages"][0][1] == "/compounds/x/?verdict=unproven"
    assert links["pages"][1][1] == ""  # the ellipsis is not a link


# --- claims with several appearances -------------------------------------------------------------


@pytest.fixture
def repeated(make_compound, make_claim, make_appearance, make_study, make_evidence, source):
    """Constructed: one claim said three times on two pages (one sentence citing a study that
    does not back it, one overstated), one said once, one said on no page, and a draft said on
    the first page."""
    compound = make_compound(name="Repetol")
    stroke = Topic.objects.create(name="Stroke (constructed)", slug="stroke", position=1)
    safety = Topic.objects.create(name="Safety (constructed)", slug="safety", position=2)
    other = Source.objects.create(title="A second constructed page selling Repetol")
    trial = make_study(title="A constructed trial of Repetol", design="rct", year=2018)
    review = make_study(title="A constructed review of Repetol", design="systematic_review")
    said_thrice = make_claim(
        compound,
        statement="In adults after stroke, Repetol improves recovery.",
        quote="Repetol <b>speeds</b> recovery after a stroke.",
        source=source,
        position=4,
        topic=stroke,
    )
    make_evidence(said_thrice, trial, stance="supports", cited=True)
    make_evidence(said_thrice, review, stance="no_effect")
    mismatch = make_appearance(
        said_thrice,
        quote="Stroke patients recover faster with Repetol.",
        source=source,
        position=1,
        cites=[review],
    )
    overstated = make_appearance(
        said_thrice, quote="Repetol cures stroke.", source=other, position=0, overstated=True
    )
    said_once = make_claim(
        compound, quote="Repetol is safe.", source=other, position=2, topic=safety
    )
    unsaid = make_claim(compound, statement="Repetol lowers blood pressure.", appearance=False)
    draft = make_claim(
        compound, quote="Repetol (draft) helps memory.", source=source, position=2, status="draft"
    )
    return {
        "compound": compound,
        "said_thrice": said_thrice,
        "said_once": said_once,
        "unsaid": unsaid,
        "draft": draft,
        "mismatch": mismatch,
        "overstated": overstated,
        "source": source,
        "other": other,
        "trial": trial,
        "review": review,
    }


def claim_items(response) -> dict[int, str]:
    items = re.findall(
        r'<li class="claim" id="claim-(\d+)">(.*?)</li>\s*(?=<li class="claim"|</ol>)',
        response.text,
        re.S,
    )
    return {int(pk): html for pk, html in items}


def test_compound_page_lists_propositions_with_the_pages_that_make_them(client, repeated):
    response = client.get("/compounds/repetol/")
    items = claim_items(response)
    thrice, once, unsaid = (repeated[k].pk for k in ("said_thrice", "said_once", "unsaid"))
    assert list(items) == [thrice, once, unsaid]
    assert "In adults after stroke, Repetol improves recovery." in items[thrice]
    assert "Said on 2 pages in 3 sentences" in items[thrice]
    assert "Stroke (constructed)" in items[thrice]
    assert "Said on 1 page ·" in items[once]
    assert "Safety (constructed)" in items[once]
    assert "Not yet found on any page" in items[unsaid]
    # The sentences' flags, with how many of the claim's sentences have each.
    assert (
        "Cited study does not back the sentence <small>(1 of 3 sentences)</small>"
        in (items[thrice])
    )
    assert "Overstates its evidence <small>(1 of 3 sentences)</small>" in items[thrice]
    assert 'class="flag"' not in items[once]
    assert "Repetol (draft) helps memory." not in response.text


def test_topic_filter_and_its_counts(client, repeated):
    response = client.get("/compounds/repetol/", {"topic": "safety"})
    assert shown(response) == [repeated["said_once"].pk]
    assert "1 of 3 claims match the filters." in response.text
    assert '<label for="filter-topic">Topic</label>' in response.text
    assert '<option value="safety" selected>Safety (constructed) (1)</option>' in response.text
    assert '<option value="stroke">Stroke (constructed) (1)</option>' in response.text
    combined = client.get("/compounds/repetol/", {"topic": "stroke", "kind": "safety"})
    assert shown(combined) == []
    unknown = client.get("/compounds/repetol/", {"topic": "nowhere"})
    assert "There is no topic &#x27;nowhere&#x27;; showing every topic." in unknown.text
    assert len(shown(unknown)) == 3


@pytest.mark.parametrize("flag", ["citation_mismatch", "overstated"])
def test_sentence_flags_filter_claims_with_any_sentence_that_has_them(client, repeated, flag):
    response = client.get("/compounds/repetol/", {"flag": flag})
    assert shown(response) == [repeated["said_thrice"].pk]
    label = selectors.FLAG_FILTER_LABELS[flag]
    # Counted as claims, not sentences: one claim, whichever of its sentences has the flag.
    assert f'<option value="{flag}" selected>{label} (1)</option>' in response.text
    assert ("citation_mismatch", "Citation mismatch", 1) in response.context["facets"]["flag"]
    assert repeated["said_thrice"].flags == []  # a sentence's flag, not the proposition's


def test_sentence_flag_filter_query_count_does_not_grow(
    client, repeated, make_claim, make_appearance
):
    url = "/compounds/repetol/?flag=citation_mismatch"
    before = _queries(client, url)
    review = repeated["review"]
    for n in range(10):
        claim = make_claim(
            repeated["compound"], quote=f"Repetol claim {n}.", source=repeated["other"]
        )
        Evidence.objects.create(claim=claim, study=review, stance="contradicts")
        make_appearance(claim, quote=f"Repetol claim {n}, cited.", cites=[review])
    assert len(shown(client.get(url))) == 11
    assert _queries(client, url) == before


def test_claim_page_lists_every_sentence_with_its_source_citations_and_flags(client, repeated):
    claim = repeated["said_thrice"]
    response = client.get(f"/claims/{claim.pk}/")
    text = response.text
    assert "<h1>In adults after stroke, Repetol improves recovery.</h1>" in text
    assert claim.statement in response.context["summary_sentence"]
    assert "Said on 2 pages in 3 sentences" in text
    appearances = response.context["appearances"]
    # By source, then place on the page.
    assert [a.quote for a in appearances] == [
        "Stroke patients recover faster with Repetol.",
        "Repetol <b>speeds</b> recovery after a stroke.",
        "Repetol cures stroke.",
    ]
    assert "Repetol &lt;b&gt;speeds&lt;/b&gt; recovery" in text
    assert "<b>speeds</b>" not in text
    section = text[text.index('id="appearances-heading"') : text.index('id="evidence-heading"')]
    for appearance in appearances:
        assert f'id="appearance-{appearance.pk}"' in section
    assert section.count(f'href="/sources/{repeated["source"].pk}/"') == 2
    assert section.count(f'href="/sources/{repeated["other"].pk}/"') == 1
    # Each sentence's citations: the reference number and the resolved study.
    mismatch = section[section.index(f'id="appearance-{repeated["mismatch"].pk}"') :]
    mismatch = mismatch[: mismatch.index("</li>\n      \n      <li")]
    number = repeated["mismatch"].citations.get().reference.number
    assert f'[{number}] <a href="/studies/{repeated["review"].pk}/">' in mismatch
    assert "Cited study does not back the sentence" in mismatch
    overstated = section[section.index(f'id="appearance-{repeated["overstated"].pk}"') :]
    assert "Cites no reference." in overstated
    assert "Overstates its evidence" in overstated


def test_claim_page_query_count_does_not_grow_with_appearances(
    client, repeated, make_appearance, make_study
):
    claim = repeated["said_thrice"]
    url = f"/claims/{claim.pk}/"
    before = _queries(client, url)
    for n in range(10):
        page = Source.objects.create(title=f"Constructed page {n}")
        make_appearance(
            claim, quote=f"Repetol claim, page {n}.", source=page, cites=[repeated["trial"]]
        )
    assert len(client.get(url).context["appearances"]) == 13
    assert _queries(client, url) == before


def test_claim_without_a_page_has_a_page_of_its_own(client, repeated):
    response = client.get(f"/claims/{repeated['unsaid'].pk}/")
    assert response.status_code == 200
    assert "Not yet found on any page." in response.text
    assert "No page making this claim has been recorded." in response.text


def test_source_page_lists_its_sentences_in_page_order_with_the_citation_audit(
    client, repeated, editor
):
    source = repeated["source"]
    response = client.get(f"/sources/{source.pk}/")
    appearances = response.context["appearances"]
    assert [a.quote for a in appearances] == [
        "Stroke patients recover faster with Repetol.",
        "Repetol <b>speeds</b> recovery after a stroke.",
    ]
    assert "Repetol (draft) helps memory." not in response.text
    sites = response.context["sites"]
    assert [(s.appearance.pk, s.study, s.evidence.stance, s.backs) for s in sites] == [
        (repeated["mismatch"].pk, repeated["review"], "no_effect", "Does not back it"),
        (appearances[1].pk, repeated["trial"], "supports", "Backs it"),
    ]
    text = response.text
    counted = "This page has 2 citation sites (a reference cited by a sentence). Of them, 2 have"
    assert f"{counted} been weighed" in text
    assert "<strong>1 supports it</strong> and 0 partially." in text
    start = text.index('<table class="audit"')
    audit = text[start : text.index("</table>", start)]
    claim_url = repeated["said_thrice"].get_absolute_url()
    assert f'<a href="{claim_url}#appearance-{repeated["mismatch"].pk}">' in audit
    assert "<td>Does not back it</td>" in audit
    assert "<td>Backs it</td>" in audit
    assert "Sentences on this page (2, making 1 claim)" in text
    # Editors see the drafts' sentences too.
    client.force_login(editor)
    as_editor = client.get(f"/sources/{source.pk}/")
    assert "Repetol (draft) helps memory." in as_editor.text
    assert len(as_editor.context["appearances"]) == 3


def test_source_audit_says_when_a_cited_study_is_not_weighed_or_not_resolved(
    client, repeated, make_appearance, make_study
):
    unweighed = make_study(title="A constructed study nobody weighed")
    appearance = make_appearance(
        repeated["said_once"], quote="Repetol is safe, see [9].", cites=[unweighed]
    )
    reference = appearance.citations.get().reference
    reference.study = None
    reference.save()
    make_appearance(repeated["said_once"], quote="Repetol is very safe.", cites=[unweighed])
    response = client.get(f"/sources/{repeated['other'].pk}/")
    backs = [site.backs for site in response.context["sites"]]
    assert backs == ["Unresolved reference", "Not yet weighed"]
    assert "Not yet weighed" in response.text


def test_source_page_query_count_does_not_grow_with_appearances(
    client, repeated, make_claim, make_appearance, make_evidence, make_study
):
    url = f"/sources/{repeated['source'].pk}/"
    before = _queries(client, url)
    for n in range(10):
        claim = make_claim(
            repeated["compound"], quote=f"Repetol claim {n}.", source=repeated["source"]
        )
        study = make_study(design="rct")
        make_evidence(claim, study, stance="partially_supports", cited=True)
        make_appearance(claim, quote=f"Repetol claim {n}, again.", cites=[study])
    response = client.get(url)
    assert len(response.context["appearances"]) == 22
    assert "and 20 partially" in response.text
    assert _queries(client, url) == before


def test_study_page_says_whether_a_page_cites_it_for_each_claim(client, repeated):
    review = client.get(f"/studies/{repeated['review'].pk}/").text
    assert "a page making the claim cites this study for it" in review
    unsaid_study = repeated["trial"]
    trial = client.get(f"/studies/{unsaid_study.pk}/").text
    assert "In adults after stroke, Repetol improves recovery." in trial
    assert "a page making the claim cites this study for it" in trial


def test_study_page_says_when_no_page_cites_it(client, repeated, make_study, make_evidence):
    study = make_study(title="A constructed study weighed but not cited")
    make_evidence(repeated["unsaid"], study, stance="contradicts")
    text = client.get(f"/studies/{study.pk}/").text
    assert "Repetol lowers blood pressure." in text
    assert "no page making the claim cites this study" in text


def test_claim_history_includes_its_sentences_and_their_pages(repeated):
    entries = claim_history(repeated["said_thrice"])
    what = {entry.what for entry in entries}
    assert "Sentence: Stroke patients recover faster with Repetol." in what
    assert "Sentence: Repetol cures stroke." in what
    assert f"Source: {repeated['source'].title}" in what
    assert f"Source: {repeated['other'].title}" in what
    # The sentence's flags were recorded as they were derived.
    changed = [
        change.field
        for entry in entries
        if entry.what == "Sentence: Stroke patients recover faster with Repetol."
        for change in entry.changes
    ]
    assert "flags" in changed


def test_a_source_whose_claims_are_all_drafts_is_not_public(
    client, make_compound, make_claim, editor
):
    # Issue 15: /sources/<id>/ (sequential ids) showed a page of drafts to anyone.
    drafts_only = Source.objects.create(title="A page with draft claims only")
    claim = make_claim(
        make_compound(), quote="Testolin makes you fly.", source=drafts_only, status="draft"
    )
    page = f"/sources/{drafts_only.pk}/"
    assert client.get(page).status_code == 404
    client.force_login(editor)
    assert client.get(page).status_code == 200
    client.logout()
    Claim.objects.filter(pk=claim.pk).update(status="published")
    assert client.get(page).status_code == 200
