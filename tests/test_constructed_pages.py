"""The importer on three page shapes the seed does not have, each constructed with its answers
written down (tests/data/articles/constructed-pages-expected.json): a WordPress post with footnote
superscripts, a shop's product page, and text pasted from a browser. The stored studies are the
demo's; `manage.py measure_import` prints the same figures."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ARTICLES = Path(__file__).resolve().parent / "data" / "articles"
EXPECTED = ARTICLES / "constructed-pages-expected.json"
PAGES = [
    "constructed-wordpress-footnotes.html",
    "constructed-shop-page.html",
    "constructed-pasted-text.txt",
]


@pytest.fixture(scope="module")
def figures(demo):
    out = StringIO()
    call_command(
        "measure_import", *(str(ARTICLES / p) for p in PAGES), "--expected", str(EXPECTED),
        "--json", stdout=out,
    )  # fmt: skip
    return json.loads(out.getvalue())


@pytest.mark.parametrize("page", PAGES)
def test_every_reference_resolves_as_a_reader_would(figures, page):
    page_figures = figures[page]
    assert page_figures["references"] == page_figures["references expected"]
    assert page_figures["references right"] == page_figures["references expected"]


@pytest.mark.parametrize("page", PAGES)
def test_every_citation_site_is_found(figures, page):
    page_figures = figures[page]
    assert page_figures["citation sites right"] == page_figures["citation sites expected"]
    assert page_figures["citation sites"] == page_figures["citation sites expected"]


@pytest.mark.parametrize("page", PAGES)
def test_uncited_claims_are_proposed_with_their_kinds(figures, page):
    page_figures = figures[page]
    assert page_figures["missed claims"] == []
    assert page_figures["extra claims"] == []
    assert page_figures["wrong kinds"] == []


@pytest.mark.parametrize("page", PAGES)
def test_conflicts_of_interest_by_kind(figures, page):
    assert figures[page]["conflicts"] == figures[page]["conflicts expected"]


def test_the_command_prints_figures_for_people(demo):
    out = StringIO()
    call_command(
        "measure_import", str(ARTICLES / PAGES[2]), "--expected", str(EXPECTED), stdout=out
    )
    text = out.getvalue()
    assert "constructed-pasted-text.txt" in text
    assert "by title: 1" in text
    assert "suggested: 1" in text
    assert "recall: " in text
