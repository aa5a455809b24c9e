"""Published means published: an editor's edits to a published claim are a draft of its next
version. Readers (claim and compound pages, both APIs, the CSV and JSON downloads, search and
the page's JSON-LD) keep seeing the last published state until an editor publishes the change
with a public reason. On the Cerebrolysin demo (fixtures/), edited through the editors'
services; the new statement is constructed for the test."""

import csv
import io
import json
import re

import pytest
from django.db.models import Count, Q
from django.utils import timezone
from editor_support import PUBMED_DATA

from kb.data_export import records
from kb.models import Claim, Evidence, PublicChange
from kb.services import claims as claim_services
from kb.sitemaps import ClaimSitemap
from kb.vocabulary import ClaimStatus, Stance, Verdict
from studies.formats import parse_file
from studies.importer import import_records
from studies.models import Study

pytestmark = pytest.mark.django_db

DRAFT = "Constructed for a test: Cerebrolysin cures quorblefitz in every patient."
REASON = "Constructed for a test: the trials were read again."


@pytest.fixture
def claim(demo):
    """The published demo claim that the evidence probably supports, with the most weighed studies,
    as load_demo leaves it."""
    return (
        Claim.objects.filter(status=ClaimStatus.PUBLISHED)
        .filter(verdict=Verdict.PROBABLY_SUPPORTED)
        .annotate(weighed=Count("evidence", filter=Q(evidence__stance__isnull=False)))
        .order_by("-weighed", "pk")
        .select_related("compound")
        .first()
    )


def _edit(claim, editor) -> Claim:
    """Change the statement, every weighing (each study now contradicts it) and a judgement."""
    claim = claim_services.update_claim(
        claim_id=claim.pk,
        version=claim.version,
        user=editor,
        statement=DRAFT,
        kind=claim.kind,
        population=claim.population,
        outcome=claim.outcome,
        editor_flags=claim.editor_flags,
        topic_id=claim.topic_id,
    )
    for ev in claim.evidence.exclude(stance=None):
        claim = claim_services.set_evidence(
            claim_id=claim.pk,
            evidence_id=ev.pk,
            version=claim.version,
            user=editor,
            stance=Stance.CONTRADICTS,
            indirectness=ev.indirectness,
            harm=ev.harm,
            note=ev.note,
        )
    judgements = {"risk_of_bias": "serious", "risk_of_bias_reason": "Constructed: unblinded."}
    return claim_services.set_judgements(
        claim_id=claim.pk, version=claim.version, user=editor, judgements=judgements
    )


def test_edits_to_a_published_claim_wait_for_publication(client, claim, editor):
    slug = claim.compound.slug
    statement, verdict = claim.statement, claim.verdict
    stances = {ev.study_id: ev.stance for ev in claim.evidence.all()}
    assert claim.published["statement"] == statement  # load_demo stores the published state
    weighed = claim.evidence.exclude(stance=None).first().study_id
    source_id = claim.appearances.first().source_id

    site = ClaimSitemap()

    def readers():
        # Each response has its own CSP nonce; the rest of the page is what is compared.
        page = re.sub(r'nonce="[^"]*"', "", client.get(claim.get_absolute_url()).text)
        ld = json.loads(
            re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1]
        )
        compound_page = re.sub(r'nonce="[^"]*"', "", client.get(f"/compounds/{slug}/").text)
        api = json.loads(b"".join(client.get(f"/api/compounds/{slug}/").streaming_content))
        (api_claim,) = [c for c in api["claims"] if c["id"] == claim.pk]
        v1 = client.get(f"/api/v1/claims/{claim.pk}").json()
        v1_list = client.get(f"/api/v1/claims?compound={slug}&page_size=100").json()["items"]
        (v1_listed,) = [c for c in v1_list if c["id"] == claim.pk]
        rows = list(
            csv.DictReader(
                io.StringIO(
                    b"".join(client.get(f"/compounds/{slug}/claims.csv").streaming_content).decode()
                )
            )
        )
        downloaded = json.loads(
            b"".join(client.get(f"/compounds/{slug}/claims.json").streaming_content)
        )
        found = client.get("/search/", {"q": "quorblefitz"}).text
        study_page = client.get(f"/studies/{weighed}/").text
        source_page = client.get(f"/sources/{source_id}/").text
        return dict(
            sitemap=client.get("/sitemap.xml").content,
            lastmod=[site.lastmod(c) for c in site.items() if c.pk == claim.pk],
            page=page,
            ld=ld,
            compound_page=compound_page,
            api=api_claim,
            v1=v1,
            v1_listed=v1_listed,
            csv=[row for row in rows if row["claim_url"].endswith(claim.get_absolute_url())],
            json=downloaded,
            search=found,
            study_page=re.sub(r'nonce="[^"]*"', "", study_page),
            source_page=re.sub(r'nonce="[^"]*"', "", source_page),
        )

    before = readers()
    claim = _edit(claim, editor)
    assert claim.statement == DRAFT
    assert claim.verdict != verdict

    seen = readers()
    assert seen["page"] == before["page"]
    assert seen["sitemap"] == before["sitemap"]
    assert seen["lastmod"] == before["lastmod"]  # the publication's time, not the edit's
    assert seen["ld"] == before["ld"]
    assert seen["ld"]["claimReviewed"] == statement
    assert seen["compound_page"] == before["compound_page"]
    assert DRAFT not in seen["compound_page"]
    assert statement in seen["compound_page"]
    assert seen["api"] == before["api"]
    assert seen["api"]["statement"] == statement
    assert seen["api"]["verdict"] == verdict
    assert {ev["study"]["id"]: ev["stance"] for ev in seen["api"]["evidence"]} == stances
    assert seen["v1"] == before["v1"]
    assert seen["v1"]["verdict"] == verdict
    assert seen["v1_listed"] == before["v1_listed"]
    assert seen["csv"] == before["csv"]
    assert seen["csv"]
    assert seen["json"] == before["json"]
    # The study's page and the source's citation audit show the published statement and stance.
    assert seen["study_page"] == before["study_page"]
    assert seen["source_page"] == before["source_page"]
    # Search finds a published claim by its published words only.
    assert claim.get_absolute_url() not in seen["search"]
    assert PublicChange.objects.filter(claim=claim).count() == 0

    # The workbench says readers see the published version, and what the draft changes.
    client.force_login(editor)
    bench = client.get(f"/editor/claims/{claim.pk}/").text
    assert "Unpublished changes" in bench
    assert "readers still see the version published on" in bench
    assert "statement" in bench[bench.index("Unpublished changes") :][:600]
    client.logout()

    claim = claim_services.publish(
        claim_id=claim.pk, version=claim.version, user=editor, reason=REASON
    )
    after = readers()
    assert after["ld"]["claimReviewed"] == DRAFT
    assert DRAFT in after["page"]
    assert DRAFT in after["compound_page"]
    assert after["api"]["statement"] == DRAFT
    assert after["api"]["verdict"] == claim.verdict
    assert {ev["stance"] for ev in after["api"]["evidence"] if ev["stance"]} == {Stance.CONTRADICTS}
    assert after["v1"]["verdict"] == after["v1_listed"]["verdict"] == claim.verdict
    assert DRAFT in after["study_page"]
    assert DRAFT in after["source_page"]
    assert after["csv"] != before["csv"]
    assert after["json"] != before["json"]
    assert f'href="{claim.get_absolute_url()}"' in after["search"]
    assert "<mark>quorblefitz</mark>" in after["search"]
    (change,) = PublicChange.objects.filter(claim=claim)
    assert (change.old_verdict, change.new_verdict, change.reason) == (None, claim.verdict, REASON)
    assert REASON in after["page"]

    client.force_login(editor)
    assert "Unpublished changes" not in client.get(f"/editor/claims/{claim.pk}/").text
    client.logout()

    claim = claim_services.unpublish(claim_id=claim.pk, version=claim.version, user=editor)
    assert claim.published is None
    assert client.get(claim.get_absolute_url()).status_code == 404
    assert client.get(f"/api/v1/claims/{claim.pk}").status_code == 404


def test_the_migration_gives_claims_published_before_it_their_published_state(demo):
    """Claims published before the published state existed keep showing what they showed."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("kb.migrations.0016_claim_published_state")
    published = Claim.objects.filter(status=ClaimStatus.PUBLISHED)
    expected = {claim.pk: claim.published for claim in published}
    Claim.objects.update(published=None)
    migration.fill_published_state(apps, None)
    for claim in Claim.objects.filter(status=ClaimStatus.PUBLISHED).prefetch_related("evidence"):
        state = claim.published
        assert {k: v for k, v in state.items() if k != "at"} == {
            k: v for k, v in expected[claim.pk].items() if k != "at"
        }
        assert state["statement"] == claim.statement
        assert len(state["evidence"]) == len(claim.evidence.all())
    assert not Claim.objects.filter(status=ClaimStatus.DRAFT, published__isnull=False).exists()


def test_a_study_added_to_the_draft_reaches_downloads_and_api_only_when_published(
    client, claim, editor
):
    path = PUBMED_DATA / "eutils_efetch_20412080.xml"
    with path.open("rb") as handle:
        import_records(parse_file(handle, name=path.name))
    added = Study.objects.get(pmid="20412080")
    slug = claim.compound.slug

    def listed():
        ris = client.get(f"/compounds/{slug}/studies.ris").content.decode()
        dumped = {r["id"] for r in records(timezone.now()) if r["type"] == "study"}
        in_api = client.get(f"/api/v1/studies/{added.pk}").json()["claims"] == [claim.pk]
        return ("20412080" in ris, added.pk in dumped, in_api)

    assert listed() == (False, False, False)
    claim = claim_services.add_evidence(
        claim_id=claim.pk, version=claim.version, user=editor, study_id=added.pk
    )
    assert listed() == (False, False, False)  # a draft's study: readers do not see it yet
    claim_services.publish(claim_id=claim.pk, version=claim.version, user=editor, reason=REASON)
    assert listed() == (True, True, True)


def test_the_compound_page_counts_and_ranks_a_claims_published_studies_not_its_drafts(
    client, claim, editor, settings
):
    """The claim list's number of studies and the overview (topics' best studies, the matrix)
    come from the published rows: a study the draft dropped still counts, one it added does not
    yet."""
    settings.PUBLIC_PAGE_CACHE = False  # each page rendered anew, not the stored copy
    for pmid in ("20412080", "22528466", "23121403"):
        path = PUBMED_DATA / f"eutils_efetch_{pmid}.xml"
        with path.open("rb") as handle:
            import_records(parse_file(handle, name=path.name))
    only_here, *newcomers = Study.objects.filter(pmid__in=["20412080", "22528466", "23121403"])
    assert not Evidence.objects.filter(study__in=[only_here, *newcomers]).exists()

    def weigh(claim, study):
        claim = claim_services.add_evidence(
            claim_id=claim.pk, version=claim.version, user=editor, study_id=study.pk
        )
        return claim_services.set_evidence(
            claim_id=claim.pk,
            evidence_id=claim.evidence.get(study=study).pk,
            version=claim.version,
            user=editor,
            stance=Stance.SUPPORTS,
            indirectness=[],
            harm=False,
            note="",
        )

    claim = weigh(claim, only_here)
    claim = claim_services.publish(
        claim_id=claim.pk, version=claim.version, user=editor, reason=REASON
    )
    studies = len(claim.published["evidence"])

    def seen():
        page = client.get(claim.compound.get_absolute_url()).text
        start = page.index(f'id="claim-{claim.pk}"')
        overview = page[page.index("What the evidence says") : page.index("All claims (")]
        return overview, re.search(r"· (\d+) stud(?:y|ies) ·", page[start:])[1]

    before = seen()
    assert before[1] == str(studies)
    # The draft drops the study weighed for it alone and weighs two weighed nowhere else.
    claim = claim_services.remove_evidence(
        claim_id=claim.pk,
        evidence_id=claim.evidence.get(study=only_here).pk,
        version=claim.version,
        user=editor,
    )
    for study in newcomers:
        claim = weigh(claim, study)
    assert seen() == before

    claim_services.publish(claim_id=claim.pk, version=claim.version, user=editor, reason=REASON)
    after = seen()
    assert after[1] == str(studies + 1)
    assert after[0] != before[0]
