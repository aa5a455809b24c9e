"""The read API's contract: shapes, types, order and errors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from responses import json_of

from kb import selectors
from kb.models import Appearance, Claim, Evidence, Source, Topic
from kb.services import grades

pytestmark = pytest.mark.django_db

DOCUMENT_KEYS = {"slug", "name", "claims"}
CLAIM_KEYS = {
    "id",
    "statement",
    "kind",
    "topic",
    "verdict",
    "certainty",
    "flags",
    "appearances",
    "evidence",
}
APPEARANCE_KEYS = {"id", "quote", "source", "references", "flags"}
SOURCE_KEYS = {"id", "title", "url"}
EVIDENCE_KEYS = {"study", "stance", "cited_by_source", "indirectness", "harm", "note"}
STUDY_KEYS = {"id", "title", "doi", "pmid", "year", "design", "retracted"}


@pytest.fixture
def api_compound(make_compound, make_claim, make_study, make_evidence, source):
    compound = make_compound(name="Testolin")
    topic = Topic.objects.create(name="Memory (constructed)", slug="memory")
    claim = make_claim(
        compound, quote="Testolin helps.", statement="In adults, X.", source=source, topic=topic
    )
    older_trial = make_study(title="Older trial", design="rct", year=2001, doi="10.5555/old")
    newer_trial = make_study(title="Newer trial", design="rct", year=2020, pmid=None)
    review = make_study(title="Review", design="systematic_review", year=1999)
    animal = make_study(title="Mice", design="animal", year=2024)
    for study in (animal, older_trial, newer_trial, review):
        make_evidence(claim, study, stance="supports", indirectness=["population"])
    claim.graded_at = claim.created_at
    grades.regrade(claim, user=None, reason="Constructed: graded")
    make_claim(compound, quote="Second claim.")
    return compound


def test_contract(client, api_compound):
    data = json_of(client.get("/api/compounds/testolin/"))
    assert set(data) == {"slug", "name", "claims"}
    assert data["slug"] == "testolin"
    first = data["claims"][0]
    assert set(first) == CLAIM_KEYS
    assert first["topic"] == "memory"
    assert data["claims"][1]["topic"] is None
    [appearance] = first["appearances"]
    assert set(appearance) == APPEARANCE_KEYS
    assert appearance["quote"] == "Testolin helps."
    assert set(appearance["source"]) == {"id", "title", "url"}
    assert appearance["references"] == []
    assert first["certainty"] in {"high", "moderate", "low", "very_low"}
    evidence = first["evidence"][0]
    assert set(evidence) == EVIDENCE_KEYS
    assert set(evidence["study"]) == STUDY_KEYS
    assert isinstance(evidence["study"]["pmid"], str)
    assert evidence["indirectness"] == ["population"]


def test_claims_by_id_and_evidence_by_level_then_newest(client, api_compound):
    claims = json_of(client.get("/api/compounds/testolin/"))["claims"]
    assert [c["id"] for c in claims] == sorted(c["id"] for c in claims)
    titles = [e["study"]["title"] for e in claims[0]["evidence"]]
    assert titles == ["Review", "Newer trial", "Older trial", "Mice"]
    newer = claims[0]["evidence"][1]["study"]
    assert newer["pmid"] is None
    assert claims[0]["evidence"][2]["study"]["doi"] == "10.5555/old"


def test_ungraded_claims_have_null_certainty(client, api_compound):
    second = json_of(client.get("/api/compounds/testolin/"))["claims"][1]
    assert (second["verdict"], second["certainty"]) == ("ungraded", None)


def test_unknown_slug_is_a_json_404(client, db):
    response = client.get("/api/compounds/unknown/")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert "error" in response.json()


# --- the demo: every published claim with every appearance ------------------------------------


def test_the_demo_document_has_exactly_the_contract_keys_and_the_stored_values(client, demo):
    data = json_of(client.get("/api/compounds/cerebrolysin/"))
    assert set(data) == DOCUMENT_KEYS
    assert (data["slug"], data["name"]) == ("cerebrolysin", demo.compound.name)
    stored = {c.pk: c for c in Claim.objects.filter(compound=demo.compound).select_related("topic")}
    assert len(data["claims"]) == 59
    assert [c["id"] for c in data["claims"]] == sorted(stored)
    assert sum(len(c["appearances"]) for c in data["claims"]) == 68
    appearances = {a.pk: a for a in Appearance.objects.select_related("source")}
    for claim in data["claims"]:
        assert set(claim) == CLAIM_KEYS
        row = stored[claim["id"]]
        assert claim["statement"] == row.statement
        assert claim["kind"] == row.kind
        assert claim["topic"] == row.topic.slug  # every demo claim has a topic
        assert (claim["verdict"], claim["certainty"]) == (row.verdict, row.certainty)
        assert claim["flags"] == row.flags
        assert claim["appearances"], "every demo claim is said on the seed page"
        for appearance in claim["appearances"]:
            assert set(appearance) == APPEARANCE_KEYS
            assert set(appearance["source"]) == SOURCE_KEYS
            made = appearances[appearance["id"]]
            assert made.claim_id == claim["id"]
            assert appearance["quote"] == made.quote
            assert appearance["source"] == {
                "id": demo.source.pk,
                "title": demo.source.title,
                "url": demo.source.url,
            }
            numbers = sorted(made.citations.values_list("reference__number", flat=True))
            assert appearance["references"] == numbers
            assert appearance["flags"] == made.flags
        # Appearances by source, then place on the page.
        positions = [appearances[a["id"]].position for a in claim["appearances"]]
        assert positions == sorted(positions)
        # Evidence in ladder order, as the selector orders it, with the derived citation.
        expected = list(selectors.evidence_in_ladder_order(row.evidence.all()))
        assert [e["study"]["id"] for e in claim["evidence"]] == [ev.study_id for ev in expected]
        for item, ev in zip(claim["evidence"], expected, strict=True):
            assert set(item) == EVIDENCE_KEYS
            assert set(item["study"]) == STUDY_KEYS
            assert item["stance"] == ev.stance
            assert item["cited_by_source"] is ev.cited_by_source
            assert item["indirectness"] == ev.indirectness
            assert (item["harm"], item["note"]) == (ev.harm, ev.note)
            assert item["study"]["pmid"] == (ev.study.pmid or None)
    merged = [c for c in data["claims"] if len(c["appearances"]) > 1]
    assert merged, "the demo merges repeated sentences into one claim"
    cited = [e for c in data["claims"] for e in c["evidence"] if e["cited_by_source"]]
    assert cited
    flagged = [a for c in data["claims"] for a in c["appearances"] if a["flags"]]
    assert any("citation_mismatch" in a["flags"] for a in flagged)


def test_only_published_claims_and_no_draft_of_any_visitor(client, demo, editor, make_claim):
    draft = make_claim(demo.compound, quote="A constructed draft claim.", status="draft")
    client.force_login(editor)
    ids = [c["id"] for c in json_of(client.get("/api/compounds/cerebrolysin/"))["claims"]]
    assert draft.pk not in ids
    assert len(ids) == 59


def test_query_count_is_constant_in_claims_and_appearances(
    client, api_compound, make_claim, make_appearance, make_study, make_evidence
):
    url = "/api/compounds/testolin/"

    def count():
        # Reading the streamed body inside: its queries run as it is read.
        with CaptureQueriesContext(connection) as captured:
            json_of(client.get(url))
        return len(captured)

    before = count()
    page = Source.objects.create(title="Another constructed page")
    for n in range(10):
        claim = make_claim(quote=f"Constructed claim {n}.")
        study = make_study(design="rct")
        make_evidence(claim, study, cited=True)
        make_appearance(claim, quote=f"Constructed claim {n}, again.", source=page, cites=[study])
    data = json_of(client.get(url))
    assert sum(len(c["appearances"]) for c in data["claims"]) == 2 + 20
    assert Evidence.objects.filter(cited_by_source=True).count() == 10
    assert count() == before


def test_appearances_by_source_then_place_with_their_references(
    client, make_compound, make_claim, make_appearance, make_study
):
    compound = make_compound(name="Ordolin")
    first_page = Source.objects.create(title="Constructed page one")
    second_page = Source.objects.create(title="Constructed page two", url="https://example.org/2")
    claim = make_claim(
        compound, quote="Ordolin, page two, sentence 5.", source=second_page, position=5
    )
    study = make_study(title="A constructed trial of Ordolin")
    make_appearance(claim, quote="Ordolin, page one, sentence 3.", source=first_page, position=3)
    make_appearance(
        claim, quote="Ordolin, page one, sentence 1.", source=first_page, position=1, cites=[study]
    )
    [data] = json_of(client.get("/api/compounds/ordolin/"))["claims"]
    assert [a["quote"] for a in data["appearances"]] == [
        "Ordolin, page one, sentence 1.",
        "Ordolin, page one, sentence 3.",
        "Ordolin, page two, sentence 5.",
    ]
    assert data["appearances"][0]["references"] == [1]
    assert data["appearances"][2]["source"] == {
        "id": second_page.pk,
        "title": "Constructed page two",
        "url": "https://example.org/2",
    }
    # Cited, but not weighed: no evidence link yet, so nothing in "evidence".
    assert data["evidence"] == []
