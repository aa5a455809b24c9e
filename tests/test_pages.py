"""Public pages: what anonymous readers see, in a bounded number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.models import Citation, Reference

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
    published.save()
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
