"""References without identifiers matched to stored studies by title, first author and year
(exact: resolved; near: a suggestion an editor confirms), and, online, PMIDs and DOIs suggested by
ECitMatch and Crossref. The stored studies are the demo's (fixtures/cerebrolysin.json); the
online replies are constructed in the services' documented formats (tests/data/README.md)."""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from kb.articles import extract_article
from kb.articles.model import ListedReference
from kb.models import Compound, Evidence, Reference, ReferenceSuggestion
from kb.reference_matching import (
    Citation,
    parse_crossref_query,
    parse_ecitmatch,
    read_citation,
    resolve,
)
from kb.services.articles import save_article
from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.models import Study
from studies.transport import Transport
from tests.fake_network import FakeNetwork

CONSTRUCTED = Path(__file__).resolve().parent / "data" / "constructed"
BRAININ = (
    "Brainin M. Cerebrolysin: a multi-target drug for recovery after stroke. "
    "Expert review of neurotherapeutics. 2018."
)
CHEN_SHORT = (
    "Chen CC, et al. Cerebrolysin enhances cognitive recovery of mild traumatic brain injury "
    "patients. Br J Neurosurg. 2013;27(6):803-7."
)
LANG = (
    "Lang, Wilfried et al. \u201cA prospective, randomized, placebo-controlled, double-blind "
    "trial about safety and efficacy of combined treatment with alteplase (rt-PA) and "
    "Cerebrolysin in acute ischaemic hemispheric stroke.\u201d International journal of stroke "
    "vol. 8,2 (2013): 95-104."
)


def test_a_citation_is_read_into_title_first_author_year_journal_volume_page():
    assert read_citation(BRAININ) == Citation(
        title="Cerebrolysin: a multi-target drug for recovery after stroke",
        first_author="Brainin",
        year=2018,
        journal="Expert review of neurotherapeutics",
    )
    lang = read_citation(LANG)
    assert (lang.first_author, lang.year, lang.volume, lang.first_page) == ("Lang", 2013, "8", "95")
    assert lang.title.startswith("A prospective, randomized")
    assert lang.title.endswith("stroke")
    assert read_citation("") == Citation()


def _refs(*texts):
    return [ListedReference(number=n, text=t) for n, t in enumerate(texts, start=1)]


def test_exact_titles_resolve_near_ones_are_suggestions(demo):
    wrong_year = BRAININ.replace("2018", "2009")
    unknown = "Smith J. Cerebrolysin improves the memory of rats in a water maze. J Neuro. 2016."
    resolution = resolve(_refs(BRAININ, CHEN_SHORT, wrong_year, unknown))
    brainin = demo.studies["brainin2018"]
    assert resolution.studies == {1: brainin}
    assert resolution.how == {1: "title"}
    assert resolution.as_json(1) == {
        "id": brainin.pk, "pmid": "30004268", "doi": "10.1080/14737175.2018.1500459",
        "match": "title",
    }  # fmt: skip
    near = resolution.near[2]
    assert near.study == demo.studies["chen2013"]
    assert (near.author_agrees, near.year_agrees) == (True, True)
    assert 0.45 <= near.confidence < 0.85
    # The same title with a year nine years off: a suggestion at half the confidence.
    assert resolution.near[3].study == brainin
    assert resolution.near[3].year_agrees is False
    assert resolution.near[3].confidence == pytest.approx(resolution.near[3].similarity / 2)
    assert 4 not in resolution.near


def test_import_resolves_by_title_suggests_and_an_editor_confirms(demo, signed_in):
    client = Client()  # anonymous; signed_in is the editor's
    page = (
        "<h1>Constructed page</h1><p>Cerebrolysin aids recovery after stroke [1]. Cerebrolysin "
        "speeds cognitive recovery after a mild brain injury [2].</p><h2>References</h2><ol>"
        f"<li>{BRAININ}</li><li>{CHEN_SHORT}</li></ol>"
    )
    compound = Compound.objects.get(slug="cerebrolysin")
    source = save_article(extract_article(page), compound=compound).source
    first, second = Reference.objects.filter(source=source).order_by("number")
    assert (first.study, first.match) == (demo.studies["brainin2018"], "title")
    assert second.study is None
    suggestion = ReferenceSuggestion.objects.get(reference=second)
    assert (suggestion.service, suggestion.study) == ("title", demo.studies["chen2013"])

    shown = signed_in.get(source.get_absolute_url()).text  # a page of drafts: editors only
    assert "matched by title, first author and year" in shown
    assert "Suggested (Similar title of a stored study, confidence" in shown
    assert "Confirm this study" in shown
    url = reverse("editor:confirm-reference", args=[suggestion.pk])
    assert client.post(url).status_code in (302, 403)
    assert Reference.objects.get(pk=second.pk).study is None

    response = signed_in.post(url)
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.study, second.match) == (demo.studies["chen2013"], "editor")
    assert not ReferenceSuggestion.objects.filter(reference=second).exists()
    claim = second.citations.get().appearance.claim
    assert Evidence.objects.filter(claim=claim, study=demo.studies["chen2013"]).exists()


def test_online_suggestions_from_ecitmatch_and_crossref(demo):
    ecitmatch = (CONSTRUCTED / "ecitmatch_lang2013.txt").read_bytes()
    crossref = (CONSTRUCTED / "crossref_bibliographic_chen2013.json").read_bytes()
    lang = parse_ecitmatch(ecitmatch)
    assert (lang.service, lang.pmid) == ("ecitmatch", "23009193")
    chen = parse_crossref_query(crossref)
    assert (chen.doi, chen.confidence) == ("10.3109/02688697.2013.793287", 0.874)
    assert parse_ecitmatch(b"int j stroke|2013|8|95|lang w|ref|NOT_FOUND\n") is None

    # A page whose two references have no identifier and match no stored title closely.
    Study.objects.filter(pk__in=[demo.studies["lang2013"].pk]).update(title="(renamed)")
    lang_text = (
        "Lang W, et al. Combined alteplase and Cerebrolysin in hemispheric stroke. "
        "Int J Stroke. 2013;8(2):95-104."
    )
    page = (
        "<h1>Constructed page</h1><p>Cerebrolysin is safe with alteplase [1].</p>"
        f"<h2>References</h2><ol><li>{lang_text}</li></ol>"
    )
    pubmed_net = FakeNetwork(ecitmatch, content_type="text/plain")
    crossref_net = FakeNetwork(crossref, content_type="application/json")
    source = save_article(
        extract_article(page),
        compound=Compound.objects.get(slug="cerebrolysin"),
        fetch=True,
        pubmed=EutilsClient(transport=Transport(opener=pubmed_net, sleep=lambda s: None)),
        crossref=CrossrefClient(transport=Transport(opener=crossref_net, sleep=lambda s: None)),
    ).source
    assert "ecitmatch.cgi" in pubmed_net.urls[0]
    assert "bdata=int+j+stroke|2013|8|95|lang|ref|" in pubmed_net.urls[0]
    assert "tool=evidence-kb" in pubmed_net.urls[0]
    assert "query.bibliographic=Lang+W" in crossref_net.urls[0]
    reference = Reference.objects.get(source=source)
    assert reference.study is None  # online finds are suggestions, never resolutions
    found = {(s.service, s.pmid, s.doi) for s in reference.suggestions.all()}
    assert found == {
        ("ecitmatch", "23009193", ""),
        ("crossref", "", "10.3109/02688697.2013.793287"),
    }
