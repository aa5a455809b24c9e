"""The open API v1 (/api/v1/): published content only, paginated, filterable, with an OpenAPI
schema and docs page; query counts that do not grow with the page; the citation audit counting
every citation site of a newly imported page. On the Cerebrolysin demo (fixtures/) and the
seed article (fixtures/cerebrolysin-article.txt, a real vendor page)."""

import gzip
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.demo import seed_article
from kb.models import Citation, Claim, Compound, Source
from kb.vocabulary import ClaimStatus, Flag
from studies.models import Study

pytestmark = pytest.mark.django_db

COCHRANE_STROKE = "10.1002/14651858.cd007026.pub7"
SEED = Path(__file__).resolve().parent.parent / "fixtures" / "cerebrolysin-article.txt"


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured.captured_queries)


def test_compounds_list_and_detail(client, demo):
    listing = get(client, "/api/v1/compounds")
    assert listing["count"] == Compound.objects.count()
    (cerebrolysin,) = [c for c in listing["items"] if c["slug"] == "cerebrolysin"]
    published = Claim.objects.published().filter(compound__slug="cerebrolysin")
    assert cerebrolysin["published_claims"] == published.count()
    assert cerebrolysin["url"] == "http://testserver/compounds/cerebrolysin/"
    detail = get(client, "/api/v1/compounds/cerebrolysin")
    assert sum(v["claims"] for v in detail["verdicts"]) == published.count()
    words = {v["words"] for v in detail["verdicts"]}
    assert {"No usable evidence", "Very uncertain"} <= words
    assert client.get("/api/v1/compounds/no-such").status_code == 404


def test_claims_are_published_only_filtered_and_paginated(client, demo):
    published = Claim.objects.published()
    draft = published.last()
    draft.status = ClaimStatus.DRAFT
    draft.published = None  # a draft has no public state (as the unpublish service leaves it)
    draft.save()
    first = get(client, "/api/v1/claims", page_size=10)
    assert first["count"] == published.count()
    assert len(first["items"]) == 10
    second = get(client, "/api/v1/claims", page_size=10, page=2)
    assert {c["id"] for c in first["items"]}.isdisjoint(c["id"] for c in second["items"])
    everything = get(client, "/api/v1/claims", page_size=100)["items"]
    assert draft.pk not in {c["id"] for c in everything}
    assert client.get(f"/api/v1/claims/{draft.pk}").status_code == 404

    against = get(client, "/api/v1/claims", verdict="probably_not_supported")
    assert against["count"] == published.filter(verdict="probably_not_supported").count() > 0
    assert {c["verdict"] for c in against["items"]} == {"probably_not_supported"}
    harm = get(client, "/api/v1/claims", flag=Flag.HARM_SIGNAL, page_size=100)
    assert harm["count"] == published.filter(flags__contains=[Flag.HARM_SIGNAL]).count()
    stroke = get(client, "/api/v1/claims", topic="acute-ischaemic-stroke", page_size=100)
    assert {c["topic"] for c in stroke["items"]} == {"acute-ischaemic-stroke"}

    refused = client.get("/api/v1/claims", {"verdict": "true"})
    assert refused.status_code == 400
    assert "Unknown verdict 'true'" in refused.json()["detail"]


def test_claim_detail_has_its_evidence_best_first_and_every_sentence(client, demo):
    claim = Claim.objects.get(
        statement__startswith="Cerebrolysin does not reduce the risk of death"
    )
    detail = get(client, f"/api/v1/claims/{claim.pk}")
    assert detail["verdict_words"] == claim.verdict_words
    assert detail["summary_sentence"].startswith("It is probably true that")
    assert detail["evidence"][0]["study"]["doi"] == COCHRANE_STROKE
    assert len(detail["appearances"]) == claim.appearances.count() == 2


def test_studies_by_id_and_by_identifier(client, demo):
    cochrane = Study.objects.get(doi=COCHRANE_STROKE)
    by_id = get(client, f"/api/v1/studies/{cochrane.pk}")
    assert by_id["doi"] == COCHRANE_STROKE
    weighed_for = set(
        Claim.objects.published().filter(evidence__study=cochrane).values_list("pk", flat=True)
    )
    assert set(by_id["claims"]) == weighed_for
    assert get(client, "/api/v1/studies/lookup", doi=f"https://doi.org/{COCHRANE_STROKE}") == by_id
    if cochrane.pmid:
        assert get(client, "/api/v1/studies/lookup", pmid=cochrane.pmid) == by_id
    assert client.get("/api/v1/studies/lookup", {"doi": "not a doi"}).status_code == 400
    assert client.get("/api/v1/studies/lookup").status_code == 400


def test_search_finds_claims_and_studies(client, demo):
    found = get(client, "/api/v1/search", q="stroke")
    assert found["claims"]
    assert all(c["compound"] == "cerebrolysin" for c in found["claims"])
    by_doi = get(client, "/api/v1/search", q=COCHRANE_STROKE)
    assert by_doi["studies"][0]["doi"] == COCHRANE_STROKE
    assert client.get("/api/v1/search", {"q": "  "}).status_code == 400


def test_openapi_schema_and_docs_page_work_under_our_csp(client):
    schema = get(client, "/api/v1/openapi.json")
    assert {
        "/api/v1/compounds",
        "/api/v1/claims",
        "/api/v1/claims/{claim_id}",
        "/api/v1/studies/lookup",
        "/api/v1/sources/{source_id}",
        "/api/v1/search",
    } <= set(schema["paths"])
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Scripts come from our own static files: nothing the policy (script-src 'self') blocks.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attrs, _body in scripts:
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
        assert "src=" not in attrs or "/static/ninja/" in attrs
    assert "script-src 'self'" in docs["Content-Security-Policy"]


def test_the_old_compound_api_keeps_its_address(client, demo):
    assert client.get("/api/compounds/cerebrolysin/").status_code == 200


def test_query_counts_do_not_grow_with_the_page(client, demo):
    small = queries(client, "/api/v1/claims", page_size=5)
    large = queries(client, "/api/v1/claims", page_size=100)
    assert small == large
    claim = Claim.objects.published().first()
    study = Study.objects.get(doi=COCHRANE_STROKE)
    source = Source.objects.first()
    counts = {
        "compounds": queries(client, "/api/v1/compounds"),
        "compound": queries(client, "/api/v1/compounds/cerebrolysin"),
        "claims": large,
        "claim": queries(client, f"/api/v1/claims/{claim.pk}"),
        "study": queries(client, f"/api/v1/studies/{study.pk}"),
        "lookup": queries(client, "/api/v1/studies/lookup", doi=COCHRANE_STROKE),
        "source": queries(client, f"/api/v1/sources/{source.pk}"),
        "search": queries(client, "/api/v1/search", q="stroke"),
    }
    print("\nAPI v1 queries per request:", counts)
    assert max(counts.values()) <= 6


def test_a_newly_imported_page_is_audited_over_every_citation_site(client, make_compound, editor):
    make_compound(name="Cerebrolysin", slug="cerebrolysin")
    article = seed_article()
    sites = sum(len(claim.references) for claim in article.claims)
    assert sites > 1
    call_command("import_article", str(SEED), "--compound", "cerebrolysin")
    source = Source.objects.get()
    assert Citation.objects.filter(appearance__source=source).count() == sites
    # An editor sees every sentence: every site is in the audit.
    client.force_login(editor)
    page = client.get(source.get_absolute_url()).text
    assert f"This page has {sites} citation sites (a reference cited by a sentence). Of them," in (
        page
    )
    client.logout()
    # One claim published (as an editor would): a reader sees its sites, counted among all.
    cited = Claim.objects.filter(appearances__citations__isnull=False).distinct().first()
    Claim.objects.filter(pk=cited.pk).update(status=ClaimStatus.PUBLISHED)
    shown = Citation.objects.filter(appearance__claim=cited, appearance__source=source).count()
    page = client.get(source.get_absolute_url()).text
    assert (
        f"This page has {sites} citation sites (a reference cited by a sentence); "
        f"{shown} of them {'is' if shown == 1 else 'are'} in sentences of published claims"
    ) in page
    audit = get(client, f"/api/v1/sources/{source.pk}")["audit"]
    assert (audit["citation_sites"], audit["in_published_claims"]) == (sites, shown)


def test_export_kb_writes_every_published_claim_and_data_offers_it(
    client, demo, tmp_path, settings
):
    settings.DATA_EXPORT_DIR = tmp_path
    assert "No dump has been written yet" in client.get("/data/").text
    call_command("export_kb")
    (dump,) = tmp_path.iterdir()
    with gzip.open(dump, "rt", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    assert records[0]["type"] == "meta"
    claims = [r for r in records if r["type"] == "claim"]
    assert {c["id"] for c in claims} == set(Claim.objects.published().values_list("pk", flat=True))
    cochrane = next(r for r in records if r["type"] == "study" and r["doi"] == COCHRANE_STROKE)
    assert cochrane["design"] == "systematic_review"
    assert {r["type"] for r in records} == {"meta", "compound", "claim", "study", "source"}

    page = client.get("/data/").text
    assert f'href="/data/{dump.name}"' in page
    download = client.get(f"/data/{dump.name}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == dump.read_bytes()
    (tmp_path / "secret.txt").write_text("not a dump")
    assert client.get("/data/secret.txt").status_code == 404
    assert client.get("/data/..%2Fsettings.py").status_code == 404
