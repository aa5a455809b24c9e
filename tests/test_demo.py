"""The Cerebrolysin demo, built by the article importer from the seed article plus the editor's
curated grading: the two cannot drift apart, and the grades say what the sources say."""

import pytest

from kb.demo import DEMO_FILE, curated_claims, load_demo, read_json, seed_article
from kb.models import Citation, Claim, Evidence
from kb.vocabulary import Flag, Verdict
from studies.models import Study

pytestmark = pytest.mark.django_db

COCHRANE_STROKE = "10.1002/14651858.cd007026.pub7"


@pytest.fixture
def demo():
    return load_demo()


def test_every_curated_claim_is_one_the_importer_proposes_with_the_same_citations():
    proposed = {claim.quote: claim.references for claim in seed_article().claims}
    curated = curated_claims()
    assert sorted(set(curated) - set(proposed)) == []
    for quote, entry in curated.items():
        assert proposed[quote] == entry["references"], quote


def test_curated_grading_names_only_known_studies():
    keys = {study["key"] for study in read_json(DEMO_FILE)["studies"]}
    for entry in curated_claims().values():
        assert {link["study"] for link in entry["evidence"]} <= keys


def test_demo_publishes_at_least_30_graded_claims(demo):
    claims = Claim.objects.filter(compound__slug="cerebrolysin")
    assert demo.missing == []
    assert claims.count() >= 30
    assert not claims.exclude(status="published").exists()
    assert not claims.filter(verdict=Verdict.UNGRADED).exists()


def test_loading_twice_changes_nothing(demo):
    counts = (Claim.objects.count(), Evidence.objects.count(), Citation.objects.count())
    verdicts = list(Claim.objects.values_list("verdict", "certainty", "flags"))
    again = load_demo()
    assert (Claim.objects.count(), Evidence.objects.count(), Citation.objects.count()) == counts
    assert list(Claim.objects.values_list("verdict", "certainty", "flags")) == verdicts
    assert again.claims == demo.claims


def test_each_of_the_nine_citations_links_its_sentence_to_the_cited_study(demo):
    citations = Citation.objects.select_related("reference__study", "claim")
    assert sorted(c.reference.number for c in citations) == list(range(1, 10))
    for citation in citations:
        study = citation.reference.study
        assert study is not None, citation.reference.text
        assert Evidence.objects.get(claim=citation.claim, study=study).cited_by_source


def test_the_cochrane_stroke_review_contradicts_the_stroke_treatment_claims(demo):
    cochrane = Study.objects.get(doi=COCHRANE_STROKE)
    against = Evidence.objects.filter(study=cochrane, stance__in=["no_effect", "contradicts"])
    assert against.count() >= 3
    for evidence in against.select_related("claim"):
        claim = evidence.claim
        assert Flag.CONTRADICTED_BY_EVIDENCE in claim.flags, claim.quote
        assert Flag.HARM_SIGNAL in claim.flags, claim.quote
        assert claim.verdict == claim.compute_grade().verdict or claim.verdict_override


def test_the_public_api_serves_the_graded_demo(client, demo):
    data = client.get("/api/compounds/cerebrolysin/").json()
    assert len(data["claims"]) >= 30
    assert all(claim["certainty"] or claim["verdict"] == "unproven" for claim in data["claims"])


def test_the_source_page_audits_each_citation_against_its_sentence(client, demo):
    response = client.get(demo.source.get_absolute_url())
    text = response.content.decode()
    assert "Of this page's 9 citations, 9 have been weighed" in text
    assert "<strong>0 support it</strong> and 3 partially" in text
