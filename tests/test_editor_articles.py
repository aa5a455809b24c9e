"""Importing an article in the workbench: the preview stores nothing, editors correct or drop
proposed claims (with htmx or plain forms), saving makes draft ungraded claims with their
citations and cited-by-source evidence, and references resolve to studies: already stored,
fetched from PubMed or Crossref (recorded replies), or left unresolved with a note offline.

The test articles are constructed; their identifiers are those of the records in tests/data
(PMID 23121403, DOI 10.1371/journal.pone.0033693, the constructed 990000001 and
10.5555/constructed.retracted.1) or constructed ones (10.5555/..., PMIDs from 990000000).
"""

import io
import re
import socket
from pathlib import Path
from urllib.error import HTTPError, URLError

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from fake_network import FakeResponse, serve

from kb.articles import extract_article
from kb.editor import pending as pending_store
from kb.models import Appearance, Citation, Claim, Compound, Evidence, Reference, Source
from kb.services.articles import save_article
from kb.tasks import import_article
from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.models import Job, Study

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
SEED_HTML = DATA / "articles" / "cerebrolysin-article.html"
HTMX = {"HTTP_HX_REQUEST": "true"}

ARTICLE = """Examplamine for memory

Examplamine improves short-term memory in adults (1). It also reduces fatigue within two weeks \
(2). Examplamine is well tolerated by most users (3).

Buy examplamine from our partner shop at a discount.

References
1. Trial of examplamine in adults. Constructed J. 2020;1:1-9. doi:10.5555/example.0001
2. A second constructed trial. PMID: 990000001
3. A constructed review without identifiers. Constructed Reviews 2021;3:1-9.
"""
QUOTES = [
    "Examplamine improves short-term memory in adults.",
    "It also reduces fatigue within two weeks.",
    "Examplamine is well tolerated by most users.",
]

HOSTILE = """<html><head><title>Examplamine</title><script>alert("owned")</script></head>
<body onload="steal()"><h1 onclick="steal()">Examplamine</h1>
<p onmouseover="steal()">Examplamine improves memory in adults (1).<img src="x" onerror="alert(2)">
Read the <a href="javascript:alert(3)">full study</a>.</p>
<p>&lt;b onmouseover="steal()"&gt;Examplamine&lt;/b&gt; reduces stress in students (1).</p>
<iframe src="https://evil.example/"></iframe>
<h2>References</h2><ol><li>A constructed trial. doi:10.5555/example.0009</li></ol>
</body></html>"""


def counts():
    return [
        m.objects.count() for m in (Source, Reference, Claim, Appearance, Citation, Evidence, Study)
    ]


@pytest.fixture
def compound(db):
    return Compound.objects.create(name="Examplamine", slug="examplamine")


@pytest.fixture
def signed_in(client, editor):
    client.force_login(editor)
    return client


def start(client, on: Compound, **fields):
    """Ask for a preview of ARTICLE (or of `fields`) about the compound `on`."""
    data = {"text": ARTICLE, "fmt": "auto", "compound": on.pk, **fields}
    return client.post(reverse("editor:article-preview"), data)


def token(client) -> str:
    return client.session[pending_store.SESSION_KEY]["token"]


def post(client, name, index=None, data=None, **headers):
    url = reverse(f"editor:{name}", args=[] if index is None else [index])
    return client.post(url, {"token": token(client), **(data or {})}, **headers)


def save(client, compound, *, fetch=False, **headers):
    data = {"compound": compound.pk, **({"fetch": "on"} if fetch else {})}
    return post(client, "article-save", data=data, **headers)


# ---------------------------------------------------------------------------------------------
# The form and the preview


def test_the_queue_links_to_the_import_form(signed_in):
    queue = signed_in.get(reverse("editor:queue"))
    assert f'href="{reverse("editor:article-import")}"' in queue.text
    page = signed_in.get(reverse("editor:article-import"))
    assert page.status_code == 200
    for name in ("text", "file", "url", "fmt", "compound"):
        assert f'name="{name}"' in page.text
    assert 'enctype="multipart/form-data"' in page.text


def test_preview_shows_claims_references_conflicts_and_warnings_and_stores_nothing(
    signed_in, compound, make_study
):
    known = make_study(title="A constructed stored trial of examplamine", pmid="990000001")
    before = counts()
    response = start(signed_in, compound)
    assert response.status_code == 302
    assert response["Location"] == reverse("editor:article-review")
    assert counts() == before
    page = signed_in.get(response["Location"]).text
    for quote in QUOTES:
        assert quote in page
    # Each claim lists what it cites: number, reference text, identifier, stored match.
    rows = {
        i: re.search(rf'<li id="proposed-{i}".*?</li>\s*</ul>', page, re.S).group(0)
        for i in range(3)
    }
    assert "[1] Trial of examplamine in adults." in rows[0]
    assert "10.5555/example.0001" in rows[0]
    assert "no stored study yet" in rows[0]
    assert "PMID <a" in rows[1]
    assert "990000001" in rows[1]
    assert "Stored study:" in rows[1]
    assert known.title in rows[1]
    assert "No DOI or PMID" in rows[2]
    assert "stays unresolved" in rows[2]
    assert "Buy examplamine from our partner shop at a discount." in page
    assert "Reference 3 has no DOI or PMID" in page
    assert "(1 matching a stored study)" in page
    assert counts() == before


def test_preview_of_an_uploaded_file(signed_in, compound):
    upload = SimpleUploadedFile("page.html", SEED_HTML.read_bytes(), content_type="text/html")
    response = signed_in.post(
        reverse("editor:article-preview"),
        {"file": upload, "fmt": "auto", "compound": compound.pk},
    )
    assert response.status_code == 302
    kept = pending_store.load(signed_in.session)
    assert len(kept.article.references) == 9
    assert kept.article.claims == extract_article(SEED_HTML.read_bytes()).claims
    assert Source.objects.count() == 0


def test_preview_of_a_web_address_goes_through_the_guarded_opener(signed_in, compound, monkeypatch):
    asked = []

    def open_page(request, timeout):
        asked.append(request.full_url)
        reply = FakeResponse(SEED_HTML.read_bytes(), request.full_url)
        reply.headers.replace_header("Content-Type", "text/html; charset=utf-8")
        return reply

    monkeypatch.setattr("kb.articles.web.open_public_page", open_page)
    url = "https://example.org/cerebrolysin"
    response = start(signed_in, compound, text="", url=url)
    assert response.status_code == 302
    assert asked == [url]
    assert pending_store.load(signed_in.session).article.url == url
    page = signed_in.get(reverse("editor:article-review")).text
    assert f'href="{url}"' in page


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/admin/", "http://localhost/", "http://[::1]/", "http://10.0.0.1/"],
)
def test_a_web_address_on_the_servers_own_network_is_refused(signed_in, compound, url):
    response = start(signed_in, compound, text="", url=url)
    assert response.status_code == 400
    assert "not a public web address" in response.text
    assert pending_store.SESSION_KEY not in signed_in.session


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "Nothing to import"),
        ({"text": "  \n\t "}, "Nothing to import"),
        ({"text": "x", "url": "https://example.org/a"}, "one way only"),
        ({"text": "<script>alert(1)</script>"}, "No readable text"),
        ({"text": "Hello.\n\nSee you soon."}, "No claims were found"),
        ({"text": "x", "compound": ""}, "This field is required"),
        ({"text": "", "url": "javascript:alert(1)"}, "Enter a valid URL"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_kept(signed_in, compound, data, message):
    before = counts()
    response = start(signed_in, compound, **data)
    assert response.status_code == 400
    assert message in response.text
    assert counts() == before
    assert pending_store.SESSION_KEY not in signed_in.session


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Examplamine am\u00e9liore la m\u00e9moire.".encode("latin-1"), "not UTF-8"),
        (b"", "The submitted file is empty"),
    ],
)
def test_a_bad_file_gets_a_clear_message(signed_in, compound, content, message):
    upload = SimpleUploadedFile("page.png", content)
    response = signed_in.post(
        reverse("editor:article-preview"),
        {"file": upload, "fmt": "auto", "compound": compound.pk},
    )
    assert response.status_code == 400
    assert message in response.text
    assert Source.objects.count() == 0


def test_an_article_without_references_says_so(signed_in, compound):
    assert start(signed_in, compound, text="Examplamine improves memory in adults.").status_code
    page = signed_in.get(reverse("editor:article-review")).text
    assert "No reference list and no citations" in page
    assert "The article lists no references" in page
    assert "cites nothing" in page


def test_scripts_and_event_handlers_are_neither_shown_nor_stored(signed_in, compound):
    response = start(signed_in, compound, text=HOSTILE)
    assert response.status_code == 302
    page = signed_in.get(reverse("editor:article-review")).text
    assert "Examplamine improves memory in adults." in page
    assert "Removed from the HTML before analysis" in page
    # The only scripts on the page are the site's own (with src and the CSP nonce).
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    for bad in ("alert(", "steal(", "javascript:", "onerror=", "onclick=", "onload=", "<iframe"):
        assert bad not in page, bad
    assert save(signed_in, compound).status_code == 302
    stored = [Source.objects.get().text, Source.objects.get().title]
    stored += list(Appearance.objects.values_list("quote", flat=True))
    stored += list(Claim.objects.values_list("statement", flat=True))
    stored += list(Reference.objects.values_list("text", flat=True))
    assert len(stored) == 7
    for text in stored:
        for bad in ("<", "alert", "steal", "javascript", "onerror", "onclick"):
            assert bad not in text, (bad, text)


# ---------------------------------------------------------------------------------------------
# Editing and removing proposed claims


def test_edit_with_htmx_returns_the_row_and_is_kept_for_saving(signed_in, compound):
    start(signed_in, compound)
    response = post(
        signed_in,
        "article-claim",
        0,
        {"c0-quote": "Examplamine improves memory.", "c0-kind": "dosing"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<li id="proposed-0"')
    assert "Examplamine improves memory.</textarea>" in response.text
    assert '<option value="dosing" selected>' in response.text
    assert "Edit kept for saving." in response.text
    claim = pending_store.load(signed_in.session).article.claims[0]
    assert (claim.quote, claim.kind, claim.references) == (
        "Examplamine improves memory.",
        "dosing",
        [1],
    )
    assert Claim.objects.count() == 0


def test_an_invalid_edit_shows_the_error_in_the_row_and_changes_nothing(signed_in, compound):
    start(signed_in, compound)
    response = post(signed_in, "article-claim", 1, {"c1-quote": "  ", "c1-kind": "benefit"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "This field is required" in response.text
    assert pending_store.load(signed_in.session).article.claims[1].quote == QUOTES[1]
    plain = post(signed_in, "article-claim", 1, {"c1-quote": "x", "c1-kind": "miracle"})
    assert plain.status_code == 400
    assert "Select a valid choice" in plain.text
    assert pending_store.load(signed_in.session).article.claims[1].kind == "benefit"


def test_remove_and_put_back_with_htmx_re_render_the_list(signed_in, compound):
    start(signed_in, compound)
    removed = post(signed_in, "article-claim-remove", 1, **HTMX)
    assert removed.status_code == 200
    assert "<html" not in removed.text
    assert removed.text.lstrip().startswith('<section id="proposed-claims"')
    assert "2 of 3 kept for saving." in removed.text
    assert 'id="proposed-1"' not in removed.text
    assert 'id="removed-1"' in removed.text
    restored = post(signed_in, "article-claim-restore", 1, **HTMX)
    assert "3 of 3 kept for saving." in restored.text
    assert 'id="proposed-1"' in restored.text
    post(signed_in, "article-claim-remove", 2, **HTMX)
    save(signed_in, compound)
    assert sorted(Appearance.objects.values_list("quote", flat=True)) == sorted(QUOTES[:2])


def test_proposed_claims_are_numbered_by_their_order_among_those_kept(signed_in, compound):
    start(signed_in, compound)
    removed = post(signed_in, "article-claim-remove", 0, **HTMX).text
    # The article's second and third sentences are now the first and second proposed claims.
    first = removed[removed.index('id="proposed-1"') : removed.index('id="proposed-2"')]
    assert "Proposed claim 1</h3>" in first
    assert "It also reduces fatigue within two weeks." in first
    assert "Proposed claim 2</h3>" in removed[removed.index('id="proposed-2"') :]
    assert "Proposed claim 3" not in removed


def test_each_import_field_has_its_label_on_its_own_line(signed_in):
    page = signed_in.get(reverse("editor:article-import")).text
    form = page[page.index('aria-label="Article to import"') :]
    # Every label opens its field's group, so "or upload it" never sits beside the textarea.
    groups = re.findall(r'<div class="field">\s*<label[^>]*for="id_(\w+)"', form)
    assert groups[:3] == ["text", "file", "url"]
    css = (Path(__file__).resolve().parents[1] / "static" / "kb.css").read_text()
    assert ".field > label { display: block; }" in css


def test_every_form_works_without_javascript(signed_in, compound):
    start(signed_in, compound)
    edited = post(signed_in, "article-claim", 0, {"c0-quote": "Edited quote.", "c0-kind": "safety"})
    assert edited.status_code == 302
    assert edited["Location"] == reverse("editor:article-review") + "#proposed-0"
    removed = post(signed_in, "article-claim-remove", 2)
    assert removed["Location"] == reverse("editor:article-review") + "#proposed-claims"
    page = signed_in.get(reverse("editor:article-review")).text
    assert "Edited quote." in page
    assert "Claim left out of this import." in page
    discarded = post(signed_in, "article-discard")
    assert discarded["Location"] == reverse("editor:article-import")
    assert pending_store.SESSION_KEY not in signed_in.session
    assert counts() == [0, 0, 0, 0, 0, 0, 0]


def test_a_stale_page_is_refused_and_changes_nothing(signed_in, compound):
    start(signed_in, compound)
    url = reverse("editor:article-claim-remove", args=[0])
    stale = signed_in.post(url, {"token": "an-old-preview"})
    assert stale.status_code == 302
    assert pending_store.load(signed_in.session).removed == set()
    assert "no longer open" in signed_in.get(stale["Location"]).text
    htmx = signed_in.post(url, {"token": "an-old-preview"}, **HTMX)
    assert htmx["HX-Redirect"] == reverse("editor:article-review")
    assert post(signed_in, "article-claim-remove", 99).status_code == 404
    saved = signed_in.post(reverse("editor:article-save"), {"compound": compound.pk})
    assert saved.status_code == 302
    assert Claim.objects.count() == 0


def test_the_review_page_without_a_preview_offers_the_form(signed_in):
    page = signed_in.get(reverse("editor:article-review"))
    assert page.status_code == 200
    assert "No article is being previewed" in page.text
    assert 'name="text"' in page.text


# ---------------------------------------------------------------------------------------------
# Saving


def test_save_makes_draft_ungraded_claims_with_citations_and_evidence(
    signed_in, editor, compound, make_study
):
    known = make_study(title="A constructed stored trial of examplamine", pmid="990000001")
    start(signed_in, compound)
    response = save(signed_in, compound)
    source = Source.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('editor:queue')}?source={source.pk}"
    queue = signed_in.get(response["Location"]).text
    assert (
        "Saved from Examplamine for memory: 0 sentences attached to existing claims, "
        "3 new draft claims."
    ) in queue
    for quote in QUOTES:
        assert quote in queue
    appearances = list(Appearance.objects.select_related("claim").order_by("position"))
    assert [a.quote for a in appearances] == QUOTES
    assert [a.claim.statement for a in appearances] == QUOTES
    assert {a.source_id for a in appearances} == {source.pk}
    claims = [a.claim for a in appearances]
    assert {(c.status, c.verdict, c.graded_at, c.compound_id) for c in claims} == {
        ("draft", "ungraded", None, compound.pk)
    }
    assert [(c.text, c.kind) for c in source.conflicts.all()] == [
        ("Buy examplamine from our partner shop at a discount.", "affiliate")
    ]
    cited = {(c.appearance.quote, c.reference.number) for c in Citation.objects.all()}
    assert cited == {(QUOTES[0], 1), (QUOTES[1], 2), (QUOTES[2], 3)}
    evidence = Evidence.objects.get()
    assert (evidence.claim.statement, evidence.study) == (QUOTES[1], known)
    assert (evidence.cited_by_source, evidence.stance, evidence.added_by) == (True, None, editor)
    assert Reference.objects.get(number=3).study is None
    assert pending_store.SESSION_KEY not in signed_in.session


def test_importing_the_same_article_twice_duplicates_nothing(signed_in, compound, make_study):
    make_study(pmid="990000001")
    start(signed_in, compound)
    save(signed_in, compound)
    before = counts()
    start(signed_in, compound)
    response = save(signed_in, compound)
    assert counts() == before
    queue = signed_in.get(response["Location"]).text
    assert "0 sentences attached to existing claims, 0 new draft claims" in queue
    assert "3 were already there" in queue


def test_saving_without_fetch_asks_no_service(signed_in, compound, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no network call expected")

    serve(monkeypatch, EutilsClient, refuse)
    serve(monkeypatch, CrossrefClient, refuse)
    start(signed_in, compound)
    assert save(signed_in, compound, fetch=False).status_code == 302
    assert Reference.objects.filter(study__isnull=True).count() == 3


# ---------------------------------------------------------------------------------------------
# Resolving references: offline, and from recorded PubMed and Crossref replies


@pytest.fixture
def offline(monkeypatch):
    """Both services unreachable for the clients built from settings; returns what was asked
    and waited."""
    asked, waited = [], []

    def unreachable(request, *args, **kwargs):
        asked.append(request.full_url)
        raise URLError(socket.gaierror(-3, "Temporary failure in name resolution"))

    serve(monkeypatch, EutilsClient, unreachable, sleep=waited.append)
    serve(monkeypatch, CrossrefClient, unreachable, sleep=waited.append)
    monkeypatch.setattr("Bio.Entrez.time.sleep", waited.append)
    return asked, waited


def test_offline_references_stay_unresolved_with_a_note_and_no_waiting(compound, offline):
    asked, waited = offline
    article = extract_article(ARTICLE)
    result = save_article(article, compound=compound, fetch=True)
    assert result.unresolved == [1, 2, 3]
    assert Reference.objects.filter(study__isnull=False).count() == 0
    assert Study.objects.count() == 0
    assert waited == []
    # One attempt per service, then it is not asked again.
    assert len([u for u in asked if "eutils" in u]) == 1
    assert len([u for u in asked if "crossref" in u]) == 1
    notes = " ".join(result.notes)
    assert "PubMed could not be reached" in notes
    assert "Crossref could not be reached" in notes
    assert "References 1, 2 stay unresolved" in notes
    assert result.claims_created == 3
    assert Evidence.objects.count() == 0


def test_offline_saving_from_the_preview_shows_the_note(signed_in, compound, offline):
    start(signed_in, compound)
    response = save(signed_in, compound, fetch=True)
    queue = signed_in.get(response["Location"]).text
    assert "Saved from Examplamine for memory: 0 sentences attached to existing claims, " in queue
    assert "3 new draft claims." in queue
    assert "could not be reached" in queue
    assert "References 1, 2 stay unresolved" in queue


CITES_PUBMED = """Examplamine prevents recurrent venous thrombosis (1).

References
1. Brighton TA, et al. Low-dose aspirin for preventing recurrent venous thromboembolism.
N Engl J Med. 2012. PMID: 23121403
"""


def test_a_pmid_is_resolved_from_pubmeds_recorded_record(compound, pubmed_network):
    requested = pubmed_network("eutils_efetch_23121403.xml")
    result = save_article(extract_article(CITES_PUBMED), compound=compound, fetch=True)
    study = Study.objects.get()
    assert (study.pmid, study.doi) == ("23121403", "10.1056/nejmoa1210384")
    assert study.title.startswith("Low-dose aspirin for preventing recurrent venous")
    assert study.design == "rct"
    assert Reference.objects.get().study == study
    evidence = Evidence.objects.get()
    assert (evidence.study, evidence.cited_by_source, evidence.stance) == (study, True, None)
    assert (result.unresolved, result.studies_fetched, result.notes) == ([], 1, [])
    assert len(requested) == 1
    assert "efetch" in requested[0]
    # Stored now: a second import asks nothing and adds nothing.
    again = save_article(extract_article(CITES_PUBMED), compound=compound, fetch=True)
    assert (len(requested), again.studies_fetched, Study.objects.count()) == (1, 0, 1)


CITES_CROSSREF = """Examplamine protects dopamine neurons in adults (1).

References
1. Sadasivan S, et al. Methylphenidate exposure induces dopamine neuron loss and activation of
microglia in the basal ganglia of mice. PLoS One. 2012. doi:10.1371/journal.pone.0033693
"""


def test_a_doi_is_resolved_from_crossrefs_recorded_record(
    signed_in, compound, crossref_network, pubmed_network
):
    crossref = crossref_network("habanero_works_10.1371_journal.pone.0033693.json")
    pubmed = pubmed_network("biopython_esearch8.xml")  # PubMed knows no PMID for it
    start(signed_in, compound, text=CITES_CROSSREF)
    response = save(signed_in, compound, fetch=True)
    study = Study.objects.get()
    assert study.doi == "10.1371/journal.pone.0033693"
    assert study.title.startswith("Methylphenidate Exposure Induces Dopamine Neuron Loss")
    assert Reference.objects.get().study == study
    assert Evidence.objects.get().study == study
    assert len(crossref) == 1
    assert len(pubmed) == 1
    assert "esearch" in pubmed[0]
    queue = signed_in.get(response["Location"]).text
    assert "1 new draft claim;" in queue
    assert "1 cited studies fetched and stored" in queue


CITES_CONSTRUCTED_DOI = """Examplamine improves recall in adults (1).

References
1. Example A. A constructed randomised trial. J Constr Res. 2015.
doi:10.5555/constructed.retracted.1
"""


def test_a_doi_crossref_does_not_know_is_resolved_through_its_pubmed_record(compound, monkeypatch):
    """Constructed records: esearch finds PMID 990000001 for the DOI; efetch returns it."""
    asked = []

    def crossref(request, *args, **kwargs):
        asked.append(request.full_url)
        body = io.BytesIO(b"Resource not found.")
        raise HTTPError(request.full_url, 404, "Not Found", None, body)

    def entrez(request, *args, **kwargs):
        asked.append(request.full_url)
        name = "esearch_one_hit.xml" if "esearch" in request.full_url else "pubmed_retraction.xml"
        return FakeResponse((DATA / "constructed" / name).read_bytes(), request.full_url)

    serve(monkeypatch, CrossrefClient, crossref)
    serve(monkeypatch, EutilsClient, entrez)
    result = save_article(extract_article(CITES_CONSTRUCTED_DOI), compound=compound, fetch=True)
    # Only the record asked for is stored, not the others in the reply.
    study = Study.objects.get()
    assert (study.pmid, study.doi, study.retracted) == (
        "990000001",
        "10.5555/constructed.retracted.1",
        True,
    )
    assert Reference.objects.get().study == study
    assert result.unresolved == []
    assert any("Crossref does not know the DOI" in note for note in result.notes)
    assert [("crossref" in u, "esearch" in u, "efetch" in u) for u in asked] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]


def test_fetched_studies_are_stored_with_the_article_or_not_at_all(compound, pubmed_network):
    pubmed_network("eutils_efetch_23121403.xml")

    def keep(quote):
        raise RuntimeError("interrupted while saving the claims")

    with pytest.raises(RuntimeError):
        save_article(extract_article(CITES_PUBMED), compound=compound, fetch=True, keep=keep)
    assert counts() == [0, 0, 0, 0, 0, 0, 0]


def test_the_pending_article_round_trips_through_the_session_and_has_a_size_limit():
    article = extract_article(SEED_HTML.read_bytes(), url="https://example.org/cerebrolysin")
    session = {}
    kept = pending_store.start(session, article, compound_id=7)
    assert pending_store.load(session) == kept
    assert pending_store.load(session).article == article  # dates, references, claims, text
    big = extract_article(ARTICLE)
    big.text = "x" * pending_store.MAX_CHARS
    with pytest.raises(pending_store.TooLarge, match="too large to preview"):
        pending_store.start(session, big, compound_id=7)
    assert pending_store.load(session) == kept  # the earlier preview is untouched
    session[pending_store.SESSION_KEY] = {"token": "t", "article": {"title": "x"}}
    assert pending_store.load(session) is None  # not a preview any more: treated as expired


# ---------------------------------------------------------------------------------------------
# Where each sentence goes: an existing claim it restates, or a new claim


def test_a_sentence_restating_a_claim_is_preselected_and_attached_without_javascript(
    signed_in, compound, make_claim, make_study
):
    known = make_study(title="A constructed stored trial of examplamine", pmid="990000001")
    existing = make_claim(compound, statement="Examplamine reduces fatigue within two weeks")
    start(signed_in, compound)
    current = pending_store.load(signed_in.session)
    assert current.proposals[1].placement == existing.pk  # preselected
    assert current.proposals[1].matches[0]["claim"] == existing.pk
    assert current.proposals[0].placement == pending_store.NEW
    page = signed_in.get(reverse("editor:article-review")).text
    row = re.search(r'<li id="proposed-1".*?id="proposed-1-remove"', page, re.S).group(0)
    assert "<legend>Where sentence 3 goes</legend>" in row
    assert f"Same claim as: {existing.statement} — Not yet graded" in row
    assert re.search(rf'value="{existing.pk}"[^>]*checked', row)
    assert f"Preselected: claim {existing.pk}" in row

    # A claim the matching did not offer cannot be posted in.
    other = make_claim(compound, statement="Examplamine cures everything")
    refused = post(signed_in, "article-claim", 0, {"action": "place", "p0-placement": other.pk})
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.text
    confirmed = post(
        signed_in, "article-claim", 1, {"action": "place", "p1-placement": existing.pk}
    )
    assert confirmed["Location"] == reverse("editor:article-review") + "#proposed-1"
    page = signed_in.get(confirmed["Location"]).text
    assert f"Will be attached to claim {existing.pk}" in page
    assert "1 sentence will be attached" in page

    response = save(signed_in, compound)
    queue = signed_in.get(response["Location"]).text
    assert "1 sentence attached to existing claims, 2 new draft claims." in queue
    appearance = Appearance.objects.get(quote=QUOTES[1])
    assert appearance.claim == existing
    assert existing.appearances.count() == 2
    link = Evidence.objects.get(claim=existing, study=known)
    assert (link.stance, link.cited_by_source) == (None, True)


def test_an_editor_makes_a_new_claim_with_a_topic_instead(signed_in, compound, make_claim):
    from kb.models import Topic

    safety = Topic.objects.create(name="Safety", slug="safety", keywords=["tolerated"])
    dosing = Topic.objects.create(name="Dosing", slug="dosing", keywords=["dose"])
    existing = make_claim(compound, statement="Examplamine is well tolerated by most users")
    start(signed_in, compound)
    current = pending_store.load(signed_in.session)
    assert (current.proposals[2].placement, current.proposals[2].topic) == (existing.pk, safety.pk)
    answer = post(
        signed_in,
        "article-claim",
        2,
        {"action": "place", "p2-placement": "new", "p2-topic": dosing.pk},
        **HTMX,
    )
    assert answer.text.lstrip().startswith('<li id="proposed-2"')
    assert "Will become a new claim under Dosing." in answer.text
    save(signed_in, compound)
    made = Appearance.objects.get(quote=QUOTES[2]).claim
    assert made != existing
    assert (made.statement, made.topic, made.status) == (QUOTES[2], dosing, "draft")


def test_changing_the_compound_at_saving_matches_again_and_saves_nothing(
    signed_in, compound, make_compound, make_claim
):
    other = make_compound(name="Otherine")
    restated = make_claim(other, statement="Examplamine improves short-term memory in adults")
    start(signed_in, compound)
    assert pending_store.load(signed_in.session).proposals[0].placement == pending_store.NEW
    response = save(signed_in, other)
    assert response["Location"] == reverse("editor:article-review") + "#proposed-claims"
    assert Appearance.objects.count() == 1  # the one make_claim made
    current = pending_store.load(signed_in.session)
    assert (current.compound_id, current.proposals[0].placement) == (other.pk, restated.pk)
    assert "matched again" in signed_in.get(response["Location"]).text
    save(signed_in, other)
    assert Appearance.objects.get(quote=QUOTES[0]).claim == restated


def test_saving_with_fetching_runs_as_a_background_job(
    signed_in, compound, pubmed_network, settings
):
    """With a real queue the save answers at once with the job's page; the import happens when a
    worker runs the task (here the test runs it, as the worker would)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    requested = pubmed_network("eutils_efetch_23121403.xml")
    start(signed_in, compound, text=CITES_PUBMED)

    response = save(signed_in, compound, fetch=True)

    job = Job.objects.get()
    assert response["Location"] == reverse("editor:job", args=[job.pk])
    assert (job.kind, job.status) == ("import_article", "queued")
    assert (requested, Claim.objects.count(), Study.objects.count()) == ([], 0, 0)
    assert "Queued" in signed_in.get(response["Location"]).text

    import_article.call(job.pk)

    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.result["summary"] == (
        # The extractor takes the pasted text's first line as its title: here "References".
        "Saved from References: 0 sentences attached to existing claims, 1 new draft claim; "
        "1 cited studies fetched and stored."
    )
    assert Evidence.objects.get().study.pmid == "23121403"
    page = signed_in.get(response["Location"]).text
    assert f'href="{reverse("editor:queue")}?source={job.result["source"]}"' in page
    assert pending_store.SESSION_KEY not in signed_in.session
