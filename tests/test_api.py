"""The read API's contract: shapes, types, order and errors."""

import pytest

from kb.services import grades

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_compound(make_compound, make_claim, make_study, make_evidence, source):
    compound = make_compound(name="Testolin")
    claim = make_claim(compound, quote="Testolin helps.", statement="In adults, X.", source=source)
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
    data = client.get("/api/compounds/testolin/").json()
    assert set(data) == {"slug", "name", "claims"}
    assert data["slug"] == "testolin"
    first = data["claims"][0]
    assert set(first) == {
        "id",
        "quote",
        "statement",
        "kind",
        "verdict",
        "certainty",
        "flags",
        "source",
        "evidence",
    }
    assert set(first["source"]) == {"id", "title", "url"}
    assert first["certainty"] in {"high", "moderate", "low", "very_low"}
    evidence = first["evidence"][0]
    assert set(evidence) == {
        "study",
        "stance",
        "cited_by_source",
        "indirectness",
        "harm",
        "note",
    }
    assert set(evidence["study"]) == {
        "id",
        "title",
        "doi",
        "pmid",
        "year",
        "design",
        "retracted",
    }
    assert isinstance(evidence["study"]["pmid"], str)
    assert evidence["indirectness"] == ["population"]


def test_claims_by_id_and_evidence_by_level_then_newest(client, api_compound):
    claims = client.get("/api/compounds/testolin/").json()["claims"]
    assert [c["id"] for c in claims] == sorted(c["id"] for c in claims)
    titles = [e["study"]["title"] for e in claims[0]["evidence"]]
    assert titles == ["Review", "Newer trial", "Older trial", "Mice"]
    newer = claims[0]["evidence"][1]["study"]
    assert newer["pmid"] is None
    assert claims[0]["evidence"][2]["study"]["doi"] == "10.5555/old"


def test_ungraded_claims_have_null_certainty(client, api_compound):
    second = client.get("/api/compounds/testolin/").json()["claims"][1]
    assert (second["verdict"], second["certainty"]) == ("ungraded", None)


def test_unknown_slug_is_a_json_404(client, db):
    response = client.get("/api/compounds/unknown/")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert "error" in response.json()
