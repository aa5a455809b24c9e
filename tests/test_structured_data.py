"""What machines read from our pages: one ClaimReview per claim page, ScholarlyArticle JSON-LD
and Highwire citation_* tags on study pages. Parsed from the served HTML, on the Cerebrolysin
demo (fixtures/, real studies and the real article)."""

import json
from html.parser import HTMLParser

import pytest

from kb.models import Claim
from kb.vocabulary import ClaimStatus
from studies.models import Study

pytestmark = pytest.mark.django_db

COCHRANE_STROKE = "10.1002/14651858.cd007026.pub7"


class _Head(HTMLParser):
    """Every JSON-LD block and every <meta name=...> of a page."""

    def __init__(self):
        super().__init__()
        self.blocks, self.meta, self._in_ld = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_ld = True
            self.blocks.append("")
        if tag == "meta" and "name" in attrs:
            self.meta.append((attrs["name"], attrs.get("content")))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.blocks[-1] += data


def parse(html):
    head = _Head()
    head.feed(html)
    return [json.loads(block) for block in head.blocks], head.meta


def test_a_claim_page_carries_exactly_one_claim_review_with_one_appearance_per_page(client, demo):
    claim = Claim.objects.get(
        statement__startswith="Cerebrolysin does not reduce the risk of death"
    )
    response = client.get(claim.get_absolute_url())
    blocks, _ = parse(response.text)
    reviews = [block for block in blocks if block["@type"] == "ClaimReview"]
    assert len(reviews) == 1
    review = reviews[0]
    assert review["@context"] == "https://schema.org"
    assert review["claimReviewed"] == claim.statement
    assert review["url"] == f"http://testserver{claim.get_absolute_url()}"
    assert review["author"]["name"] == "Evidence KB"
    assert review["datePublished"] == claim.graded_at.date().isoformat()
    rating = review["reviewRating"]
    # The badge's words, and a place on the 1 (false) .. 7 (true) ladder.
    assert rating["alternateName"] == claim.verdict_words
    assert rating["alternateName"] in response.text
    assert (rating["worstRating"], rating["bestRating"]) == (1, 7)
    assert 1 <= rating["ratingValue"] <= 7
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    # Two sentences on one page: one appearance, which is also the first.
    pages = {appearance.source for appearance in claim.appearances.all()}
    assert [page["name"] for page in item["appearance"]] == [page.title for page in pages]
    assert item["firstAppearance"] == item["appearance"][0]


def test_the_rating_follows_the_ladder_from_contradicted_to_supported(client, demo):
    ratings = {}
    for claim in Claim.objects.filter(status=ClaimStatus.PUBLISHED):
        blocks, _ = parse(client.get(claim.get_absolute_url()).text)
        (review,) = blocks
        ratings.setdefault(claim.verdict, set()).add(review["reviewRating"].get("ratingValue"))
    assert all(len(values) == 1 for values in ratings.values())
    order = ["contradicted", "probably_not_supported", "possibly_not_supported", "unproven"]
    order += ["possibly_supported", "probably_supported", "supported"]
    present = [ratings[verdict].pop() for verdict in order if verdict in ratings]
    assert present == sorted(present)
    assert len(present) >= 3


def test_text_from_pages_cannot_end_the_json_ld_block(client, make_claim):
    claim = make_claim(statement="Testolin works </script><script>alert(1)</script>")
    response = client.get(claim.get_absolute_url())
    assert "<script>alert(1)" not in response.text
    blocks, _ = parse(response.text)
    assert blocks[0]["claimReviewed"] == claim.statement


def test_a_study_page_carries_scholarly_article_and_highwire_tags(client, demo):
    study = Study.objects.get(doi=COCHRANE_STROKE)
    response = client.get(study.get_absolute_url())
    blocks, meta = parse(response.text)
    (article,) = blocks
    assert article["@type"] == "ScholarlyArticle"
    assert article["name"] == study.title
    assert {"@type": "PropertyValue", "propertyID": "DOI", "value": study.doi} in article[
        "identifier"
    ]
    assert f"https://doi.org/{study.doi}" in article["sameAs"]
    assert len(article["author"]) == len(study.authors)
    assert article["datePublished"] == str(study.year)

    tags = {}
    for name, content in meta:
        tags.setdefault(name, []).append(content)
    assert tags["citation_title"] == [study.title]
    assert tags["citation_doi"] == [study.doi]
    assert tags["citation_publication_date"] == [str(study.year)]
    assert len(tags["citation_author"]) == len(study.authors)
    first = study.authors[0]
    assert tags["citation_author"][0] == first.get("collective") or tags["citation_author"][
        0
    ].startswith(f"{first['family']}, ")
    if study.pmid:
        assert tags["citation_pmid"] == [study.pmid]


def test_a_study_page_shows_errata_and_expressions_of_concern_as_banners(client, make_study):
    # Constructed study; the notice links have PubMed's CommentsCorrections shape
    # (studies.records.link), the PMIDs those of no real notice.
    study = make_study(
        comments_corrections=[
            {"type": "ErratumIn", "source": "Constructed J. 2021;1:2", "pmid": "", "doi": ""},
            {"type": "ExpressionOfConcernIn", "source": "Constructed", "pmid": "", "doi": ""},
            {"type": "CommentIn", "source": "A letter", "pmid": "", "doi": ""},
        ]
    )
    text = client.get(study.get_absolute_url()).text
    assert "A correction (erratum) has been published for this study</strong>: Constructed J." in (
        text
    )
    assert "An expression of concern has been published about this study" in text
    assert "A letter" not in text
