"""Large responses are streamed and read no study's raw record: the compound API and the claim
downloads write, a chunk of claims at a time, exactly the text the whole document would be; the
pages listing evidence never load a raw record or an abstract (the memory of a worker must not
grow with the records behind a page)."""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.test.utils import CaptureQueriesContext
from responses import content

from kb import api, exports, selectors

pytestmark = pytest.mark.django_db


def test_streamed_api_is_the_json_of_the_whole_document(client, demo):
    response = client.get("/api/compounds/cerebrolysin/")
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    whole = json.dumps(api.compound_document(demo.compound), cls=DjangoJSONEncoder)
    assert content(response).decode() == whole
    assert len(json.loads(whole)["claims"]) == demo.claims


def test_claims_are_read_in_chunks_and_written_the_same(client, demo, monkeypatch):
    whole = content(client.get("/api/compounds/cerebrolysin/"))
    csv_whole = content(client.get("/compounds/cerebrolysin/claims.csv"))
    # Chunks of 3 claims: several reads, the same text.
    monkeypatch.setattr(selectors, "CLAIMS_PER_CHUNK", 3)
    with CaptureQueriesContext(connection) as captured:
        assert content(client.get("/api/compounds/cerebrolysin/")) == whole
    assert len(captured) > 6
    assert content(client.get("/compounds/cerebrolysin/claims.csv")) == csv_whole


def test_streamed_claims_json_is_the_indented_document(client, demo):
    response = client.get("/compounds/cerebrolysin/claims.json")
    assert response.streaming
    claims = list(selectors.claims_with_appearances(demo.compound))
    rows = [
        exports.claim_record(claim, appearance, "http://testserver" + claim.get_absolute_url())
        for claim, appearance in exports.claim_appearances(claims)
    ]
    document = {"slug": "cerebrolysin", "name": demo.compound.name, "rows": rows}
    expected = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    assert content(response).decode() == expected


def test_a_compound_with_no_published_claim_streams_an_empty_list(client, make_compound):
    make_compound(name="Emptolin")
    assert json.loads(content(client.get("/api/compounds/emptolin/")))["claims"] == []
    rows = json.loads(content(client.get("/compounds/emptolin/claims.json")))["rows"]
    assert rows == []


@pytest.mark.parametrize("page", ["compound", "api", "csv", "claim", "source"])
def test_lists_of_evidence_never_read_raw_records_or_abstracts(client, demo, page):
    claim = demo.compound.claims.filter(status="published", evidence__isnull=False).first()
    url = {
        "compound": "/compounds/cerebrolysin/",
        "api": "/api/compounds/cerebrolysin/",
        "csv": "/compounds/cerebrolysin/claims.csv",
        "claim": claim.get_absolute_url(),
        "source": demo.source.get_absolute_url(),
    }[page]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        content(response)
    assert response.status_code == 200
    sql = " ".join(query["sql"] for query in captured)
    assert "studies_study" in sql
    assert "raw_record" not in sql
    assert '"studies_study"."abstract"' not in sql
