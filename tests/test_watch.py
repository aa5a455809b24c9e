"""The PubMed watch: a compound's saved query searched over the days since the last run, only
records not stored yet fetched, the studies found put in the editors' new-evidence inbox with
the claims they most likely bear on; an editor weighs or dismisses each in one action.

PubMed answers with a constructed esearch reply (tests/data/constructed/
esearch_watch_cerebrolysin.xml) listing three real records whose efetch replies are recorded;
the claims are the Cerebrolysin demo's."""

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from editor_support import PUBMED_DATA
from fake_network import FakeNetwork, serve

from kb.models import Claim, Evidence, Follow, NewEvidence, PubMedWatch
from kb.services import inbox
from kb.tasks import start_watch
from studies.eutils import EutilsClient
from studies.importer import import_records
from studies.models import Job
from studies.pubmed_xml import parse_pubmed_xml

pytestmark = pytest.mark.django_db

CONSTRUCTED = PUBMED_DATA.parent / "constructed"
ESEARCH = (CONSTRUCTED / "esearch_watch_cerebrolysin.xml").read_bytes()
STROKE = "metapub_pmid_35358095.xml"  # neutrophil traps and ischaemic stroke brain injury
FRAILTY = "metapub_pmid_37729413.xml"  # frailty and depression, Mendelian randomisation
ASPIRIN = "eutils_efetch_23121403.xml"  # aspirin after venous thromboembolism


def efetch_of(*names: str) -> bytes:
    """One efetch reply holding the records of several recorded replies (built here from the
    real files, as PubMed answers a request for several PMIDs)."""
    articles = [
        re.search(
            rb"<PubmedArticleSet>(.*)</PubmedArticleSet>", (PUBMED_DATA / n).read_bytes(), re.S
        ).group(1)
        for n in names
    ]
    return (
        b'<?xml version="1.0" ?>\n<PubmedArticleSet>' + b"".join(articles) + b"</PubmedArticleSet>"
    )


@pytest.fixture
def pubmed(monkeypatch, settings):
    settings.NCBI_EMAIL = "editor@example.org"
    monkeypatch.setattr("Bio.Entrez.time.sleep", lambda seconds: None)

    def install(*replies):
        network = FakeNetwork(*replies)
        serve(monkeypatch, EutilsClient, network)
        return network

    return install


def test_the_watch_imports_only_new_records_and_proposes_their_claims(demo, pubmed):
    watch = PubMedWatch.objects.get(compound=demo.compound)
    assert watch.query == "Cerebrolysin[tiab] OR FPF-1070[tiab]"
    with open(PUBMED_DATA / ASPIRIN, "rb") as handle:
        import_records(parse_pubmed_xml(handle))  # stored before the watch runs
    network = pubmed(ESEARCH, efetch_of(STROKE, FRAILTY))

    job = start_watch(watch, today=date(2026, 12, 1))

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    search, fetch = (parse_qs(urlsplit(url).query) for url in network.urls)
    assert search["term"] == ["Cerebrolysin[tiab] OR FPF-1070[tiab]"]
    assert (search["datetype"], search["mindate"], search["maxdate"]) == (
        ["edat"],
        ["2025/12/01"],
        ["2026/12/01"],  # a first run looks back a year
    )
    assert fetch["id"] == ["35358095,37729413"]  # the stored record is not fetched again
    entries = {e.study.pmid: e for e in NewEvidence.objects.filter(compound=demo.compound)}
    assert set(entries) == {"35358095", "37729413", "23121403"}
    # The stroke study bears on the stroke claims; the aspirin and frailty studies share only
    # common words with Cerebrolysin's claims, so none is proposed for them.
    stroke = entries["35358095"].proposed
    assert len(stroke) == 3
    assert {Claim.objects.get(pk=p["claim"]).topic.slug for p in stroke} == {
        "acute-ischaemic-stroke"
    }
    assert stroke[0]["statement"].startswith(
        "Cerebrolysin improves the recovery of neurological function after stroke"
    )
    assert entries["23121403"].proposed == entries["37729413"].proposed == []
    assert (
        "3 records found for Cerebrolysin up to 01 Dec 2026, 2 not stored before"
        in (job.result["summary"])
    )

    # The next day: the same three come back (the window starts on the last day searched);
    # nothing is fetched and nothing is added again.
    network = pubmed(ESEARCH)
    again = start_watch(PubMedWatch.objects.get(pk=watch.pk), today=date(2026, 12, 2))
    again.refresh_from_db()
    assert again.status == Job.Status.SUCCEEDED, again.error
    (search,) = (parse_qs(urlsplit(url).query) for url in network.urls)
    assert (search["mindate"], search["maxdate"]) == (["2026/12/01"], ["2026/12/02"])
    assert NewEvidence.objects.filter(compound=demo.compound).count() == 3
    assert again.result["inbox"] == []


def test_an_editor_weighs_or_dismisses_new_evidence_in_one_action(demo, pubmed, signed_in):
    pubmed(ESEARCH, efetch_of(STROKE, FRAILTY, ASPIRIN))
    start_watch(PubMedWatch.objects.get(compound=demo.compound), today=date(2026, 12, 1))
    stroke = NewEvidence.objects.get(study__pmid="35358095")
    aspirin = NewEvidence.objects.get(study__pmid="23121403")
    page = signed_in.get("/editor/inbox/").text
    assert "Neutrophil extracellular traps regulate ischemic stroke brain injury." in page
    assert "Waiting for an editor (3)" in page

    claim_id = stroke.proposed[0]["claim"]
    response = signed_in.post(
        f"/editor/inbox/{stroke.pk}/weigh/", {"claim": claim_id}, headers={"HX-Request": "true"}
    )
    assert "<html" not in response.text
    assert "as evidence to weigh" in response.text
    evidence = Evidence.objects.get(claim_id=claim_id, study=stroke.study)
    assert evidence.stance is None  # unweighed: the grade waits for the editor
    stroke.refresh_from_db()
    assert (stroke.status, stroke.decided_by.username) == ("weighed", "edith")

    response = signed_in.post(f"/editor/inbox/{aspirin.pk}/dismiss/")
    assert response["Location"] == "/editor/inbox/"
    aspirin.refresh_from_db()
    assert aspirin.status == "dismissed"
    assert not Evidence.objects.filter(study=aspirin.study).exists()

    # Decided once: a second action (another tab) changes nothing.
    again = signed_in.post(f"/editor/inbox/{aspirin.pk}/weigh/", {"claim": claim_id})
    assert again["Location"] == "/editor/inbox/"
    assert "already dismissed" in signed_in.get("/editor/inbox/").text
    assert "Waiting for an editor (1)" in signed_in.get("/editor/inbox/").text


def test_a_claim_of_another_compound_cannot_be_chosen(demo, make_compound, make_study):
    other = make_compound(name="Testolin")
    entry = inbox.record_found(other, [make_study(title="Testolin in rats")])[0]
    claim = Claim.objects.filter(compound=demo.compound).first()
    with pytest.raises(inbox.Refused, match="Choose one of this compound's claims"):
        inbox.weigh(entry_id=entry.pk, claim_id=claim.pk, user=None)
    entry.refresh_from_db()
    assert entry.status == "new"


def test_editing_the_query_searches_the_last_year_again(signed_in, make_compound, pubmed):
    compound = make_compound(name="Examplamine", aliases=["EXM-1"])
    form = signed_in.get(f"/editor/compounds/{compound.slug}/watch/").text
    assert "Examplamine[tiab] OR EXM-1[tiab]" in form  # proposed from the names
    signed_in.post(
        f"/editor/compounds/{compound.slug}/watch/", {"query": "Examplamine[ti]", "active": "on"}
    )
    watch = PubMedWatch.objects.get(compound=compound)
    assert (watch.query, watch.searched_until) == ("Examplamine[ti]", None)
    response = signed_in.post(f"/editor/compounds/{compound.slug}/watch/", {"query": "  "})
    assert response.status_code == 400
    assert PubMedWatch.objects.get(compound=compound).query == "Examplamine[ti]"


def test_an_editor_follows_a_compound_and_stops_following_it(signed_in, make_compound):
    compound = make_compound(name="Examplamine")
    url = f"/editor/compounds/{compound.slug}/follow/"
    response = signed_in.post(url, {"on": "on"})
    assert response["Location"] == "/editor/inbox/"
    signed_in.post(url, {"on": "on"})  # twice: still one follow
    assert list(Follow.objects.values_list("compound__slug", flat=True)) == [compound.slug]
    assert "You now follow Examplamine." in signed_in.get("/editor/inbox/").text
    signed_in.post(url, {})
    assert not Follow.objects.exists()
    assert "You no longer follow Examplamine." in signed_in.get("/editor/inbox/").text
