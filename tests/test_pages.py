"""Public pages: what anonymous readers see, in a bounded number of queries."""

import re

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb import selectors, views
from kb.models import Citation, Reference
from kb.services import grades

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded_compound(make_compound, make_claim, make_study, make_evidence, source):
    compound = make_compound(name="Testolin", summary="A constructed compound for tests.")
    review = make_study(title="A constructed review", design="systematic_review", year=2023)
    trial = make_study(title="A constructed trial", design="rct", year=2019)
    published = make_claim(compound, quote="Testolin cures boredom.", source=source)
    make_evidence(published, trial, stance="supports", cited_by_source=True)
    make_evidence(published, review, stance="no_effect", harm=True)
    published.graded_at = published.created_at
    grades.regrade(published, user=None, reason="Constructed: graded")
    make_claim(compound, quote="Testolin makes you fly.", status="draft")
    reference = Reference.objects.create(source=source, number=1, text="Trial 2019", study=trial)
    Citation.objects.create(claim=published, reference=reference)
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
    assert "Contradicted by strong evidence" in response.text
    assert "Strong evidence of harm" in response.text


def test_unknown_compound_is_404(client, db):
    assert client.get("/compounds/nothing/").status_code == 404


def test_claim_page_orders_evidence_by_design_level(client, graded_compound):
    claim = graded_compound.claims.get(status="published")
    response = client.get(f"/claims/{claim.pk}/")
    text = response.text
    assert response.status_code == 200
    assert text.index("A constructed review") < text.index("A constructed trial")
    assert "Risk of bias" in text


def test_draft_claims_are_invisible_to_anonymous_readers(client, graded_compound):
    draft = graded_compound.claims.get(status="draft")
    assert client.get(f"/claims/{draft.pk}/").status_code == 404
    api = client.get("/api/compounds/testolin/").json()
    assert [c["quote"] for c in api["claims"]] == ["Testolin cures boredom."]


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
    response = client.post(f"/admin/kb/claim/{claim.pk}/change/", {"quote": "hacked"})
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]
    claim.refresh_from_db()
    assert claim.quote != "hacked"


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/compounds/testolin/", "/api/compounds/testolin/"])
def test_query_count_does_not_grow_with_claims(
    client, graded_compound, make_claim, make_study, make_evidence, url
):
    before = _queries(client, url)
    for n in range(20):
        claim = make_claim(graded_compound, quote=f"Testolin claim {n}.")
        make_evidence(claim, make_study(design="rct"), stance="supports")
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
            editor_flags=["overstated"] if n % 2 == 0 else [],
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
        assert "Claims (70)" in response.text
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
    assert "Claims (70)" in second.text
    assert '<option value="benefit" selected>Benefit (60)</option>' in second.text
    assert '<option value="safety">Safety (10)</option>' in second.text
    assert '<option value="overstated">Overstated (35)</option>' in second.text
    both = client.get(PAGED, {"kind": "benefit", "flag": "overstated"})
    expected = [c.pk for c in seventy_claims if c.kind == "benefit" and "overstated" in c.flags]
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
    assert len(client.get("/api/compounds/pagolin/").json()["claims"]) == 70
    rows = client.get("/compounds/pagolin/claims.csv").content.decode().splitlines()
    assert len(rows) == 1 + 70
    assert len(client.get("/compounds/pagolin/claims.json").json()["claims"]) == 70


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
