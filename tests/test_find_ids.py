"""Identifiers wherever a page writes them: links to doi.org, publishers, the Cochrane Library,
PubMed, PMC and Europe PMC, query parameters, URL-encoded, and "PMID: n" / "PMCID: PMCn" in text.

The DOIs, PMIDs and PMCIDs are those of real records in tests/data (PubMed XML and Crossref JSON)
and of the Cochrane stroke review the seed article mentions (shared/seed/sources.md)."""

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.articles import ArticleError, extract_article
from kb.articles.find_ids import Identifiers, identifiers_from_text, identifiers_from_url
from kb.models import Compound, Reference
from kb.selectors import stored_studies
from kb.services.articles import save_article
from studies.importer import import_batch
from studies.models import Study
from studies.pubmed_xml import parse_pubmed_xml
from tests.studies.studies_testdata import DATA

COCHRANE = "10.1002/14651858.cd007026.pub7"  # Cerebrolysin for acute ischaemic stroke, 2023


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://doi.org/10.1038/srep16696", Identifiers(doi="10.1038/srep16696")),
        ("http://dx.doi.org/10.1038%2Fsrep16696", Identifiers(doi="10.1038/srep16696")),
        (
            "https://www.cochranelibrary.com/cdsr/doi/10.1002/14651858.CD007026.pub7/full",
            Identifiers(doi=COCHRANE),
        ),
        (
            "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0033693",
            Identifiers(doi="10.1371/journal.pone.0033693"),
        ),
        (
            "https://jcp.bmj.com/lookup/doi/10.1136/jclinpath-2020-206745",
            Identifiers(doi="10.1136/jclinpath-2020-206745"),
        ),
        (
            "https://elifesciences.org/articles/10.7554/eLife.01567/pdf",
            Identifiers(doi="10.7554/elife.01567"),
        ),
        (
            "https://onlinelibrary.wiley.com/doi/abs/10.1111/j.1747-4949.2012.00901.x",
            Identifiers(doi="10.1111/j.1747-4949.2012.00901.x"),
        ),
        (
            "https://example.com/redirect?url=https%3A%2F%2Fdoi.org%2F10.1038%2Fsrep16696&x=1",
            Identifiers(doi="10.1038/srep16696"),
        ),
        ("https://pubmed.ncbi.nlm.nih.gov/27797938/", Identifiers(pmid="27797938")),
        ("https://www.ncbi.nlm.nih.gov/pubmed/23121403", Identifiers(pmid="23121403")),
        ("https://europepmc.org/article/MED/28775130", Identifiers(pmid="28775130")),
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC5442267/", Identifiers(pmcid="PMC5442267")),
        (
            "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4643289/#abstract",
            Identifiers(pmcid="PMC4643289"),
        ),
        ("https://europepmc.org/article/PMC/PMC5771820", Identifiers(pmcid="PMC5771820")),
        ("https://europepmc.org/articles/PMC5771820", Identifiers(pmcid="PMC5771820")),
        ("https://www.nature.com/articles/srep16696", Identifiers()),
        ("https://shop.example/cerebrolysin?aff=12", Identifiers()),
        ("javascript:alert(1)//10.1038/srep16696", Identifiers()),
        ("http://[broken", Identifiers()),
    ],
)
def test_identifiers_from_any_link(href, expected):
    assert identifiers_from_url(href) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Bornstein NM, et al. Neurol Sci. 2018. doi: 10.1038/srep16696.",
            Identifiers(doi="10.1038/srep16696"),
        ),
        (
            "Ziganshina LE et al. Cochrane Database Syst Rev. 2023. "
            "https://www.cochranelibrary.com/cdsr/doi/10.1002/14651858.CD007026.pub7/full.",
            Identifiers(doi=COCHRANE),
        ),
        (
            "Gut. 2017;66(6):1031-1038. PMID: 27797938; PMCID: PMC5442267.",
            Identifiers(pmid="27797938", pmcid="PMC5442267"),
        ),
        (
            "Available at (https://pmc.ncbi.nlm.nih.gov/articles/PMC4643289/).",
            Identifiers(pmcid="PMC4643289"),
        ),
        ("Smith J. A study with no identifier. J Neurol. 2019;1:1-9.", Identifiers()),
    ],
)
def test_identifiers_from_reference_text(text, expected):
    assert identifiers_from_text(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_identifiers_or_none_never_a_crash(text):
    found = identifiers_from_text(text)
    assert isinstance(found, Identifiers)
    for href in (text, "https://example.com/" + text, "https://doi.org/" + text):
        assert isinstance(identifiers_from_url(href), Identifiers)


_SUFFIX = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-_()", min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    registrant=st.integers(1000, 999999999),
    suffix=_SUFFIX.filter(lambda s: s[-1] not in ".()" and s[0] != "."),
    wrapper=st.sampled_from(
        [
            "https://doi.org/{}",
            "https://example.org/doi/{}/full",
            "https://www.cochranelibrary.com/cdsr/doi/{}/full",
            "https://example.org/articles/{}/pdf",
            "https://example.org/view?doi={}",
        ]
    ),
)
def test_a_doi_survives_any_wrapper(registrant, suffix, wrapper):
    doi = f"10.{registrant}/{suffix}"
    assert identifiers_from_url(wrapper.format(doi)).doi == doi
    assert identifiers_from_text(f"See {wrapper.format(doi)}.").doi == doi


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["10.1038/srep16696", "PMID: 27797938", "PMC5442267"]), max_size=6))
def test_an_extracted_reference_list_never_holds_one_identifier_twice(entries):
    # Constructed page: the same real identifiers cited again and again.
    body = "".join(f"<p>Claim {i} is true <a href='#r{i}'>{i + 1}</a>.</p>" for i in range(3))
    items = "".join(f"<li>Entry {i}. {entry}</li>" for i, entry in enumerate(entries))
    page = f"<h1>Page</h1>{body}<h2>References</h2><ol>{items}</ol>"
    article = extract_article(page)
    numbers = [r.number for r in article.references]
    assert len(numbers) == len(set(numbers))


def test_pmcid_is_stored_from_pubmed_and_matches_a_reference(db):
    with open(DATA / "pubmed" / "biopython_pubmed4.xml", "rb") as handle:
        import_batch(list(parse_pubmed_xml(handle)))
    study = Study.objects.get(pmid="27797938")
    assert study.pmcid == "PMC5442267"
    page = (
        "<h1>Constructed page</h1><p>Gut bacteria change with age "
        "<a href='https://pmc.ncbi.nlm.nih.gov/articles/PMC5442267/'>[1]</a>.</p>"
    )
    article = extract_article(page)
    assert [(r.pmcid, r.pmid, r.doi) for r in article.references] == [("PMC5442267", None, None)]
    assert stored_studies(article.references) == {1: study}
    compound = Compound.objects.create(name="Examplamine", slug="examplamine")
    save_article(article, compound=compound)
    reference = Reference.objects.get()
    assert (reference.pmcid, reference.study) == ("PMC5442267", study)


def test_two_studies_cannot_share_a_pmcid(db):
    Study.objects.create(pmid="27797938", title="One", pmcid="PMC5442267")
    with pytest.raises(IntegrityError), transaction.atomic():
        Study.objects.create(pmid="28775130", title="Two", pmcid="PMC5442267")
    Study.objects.create(pmid="28775130", title="Two", pmcid="")
    Study.objects.create(pmid="23121403", title="Three", pmcid="")
    assert Study.objects.count() == 3


_PAGE_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<h2>References</h2>", "<ol>", "<li>", "</li>", "</ol>", "<sup>1</sup>",
        "[1]", "(2)", " Cerebrolysin improves memory. ", "doi:10.1038/srep16696 ",
        "https://pubmed.ncbi.nlm.nih.gov/27797938/ ", "PMCID: PMC5442267 ", "\n\n", "References\n",
        "1. ", "<a href='https://doi.org/10.1038/srep16696'>", "</a>", "$69 ", "Buy now ",
    ]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(_PAGE_PIECES | st.text(max_size=20), max_size=30))
def test_any_page_gives_an_article_or_a_clear_error_never_a_duplicate_reference(pieces):
    try:
        article = extract_article("".join(pieces))
    except ArticleError as exc:
        message = str(exc)  # a clear error: says what is wrong
        article = None
    if article is None:
        assert message.endswith(".")
        return
    numbers = [r.number for r in article.references]
    assert len(numbers) == len(set(numbers))
    assert all(n in numbers for c in article.claims for n in c.references)
