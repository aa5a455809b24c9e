"""Conflicts of interest from words and markup, stored with their kind and shown as a badge on
the source page and beside every sentence the source contributes to a claim."""

from pathlib import Path

import pytest

from kb.articles import extract_article
from kb.articles.conflicts import conflict_kind, link_conflict_kind
from kb.articles.model import Link
from kb.models import Appearance, Compound, SourceConflict
from kb.services.articles import save_article

ARTICLES = Path(__file__).resolve().parent / "data" / "articles"
SHOP = ARTICLES / "constructed-shop-page.html"


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("This post is sponsored by Example Labs.", "sponsored"),
        ("Paid partnership with Example Labs.", "sponsored"),
        ("This page contains affiliate links.", "affiliate"),
        ("We may earn a small commission if you buy through our links.", "affiliate"),
        ("Buy examplamine from our partner shop at a discount.", "affiliate"),
        ("Starting from $69 USD.", "sells"),
        ("Use code BRAIN15 for 15% off.", "sells"),
        ("Add to cart", "sells"),
        ("Where to buy Cerebrolysin", "sells"),
        ("Cerebrolysin improves memory in older adults.", None),
        ("The trial was sponsored by nobody", "sponsored"),  # words alone decide; an editor checks
    ],
)
def test_the_words_of_a_sentence_give_its_kind(sentence, kind):
    assert conflict_kind(sentence) == kind


@pytest.mark.parametrize(
    ("link", "kind"),
    [
        (
            Link(href="https://shop.example.com/x", text="Example Shop", rel="sponsored"),
            "sponsored",
        ),
        (Link(href="https://shop.example.com/x?aff=42", text="this one"), "affiliate"),
        (Link(href="https://www.example.net/dp/B0?tag=site-20", text="Example"), "affiliate"),
        (Link(href="https://example.com/go/cerebrolysin/", text="this vendor"), "affiliate"),
        (Link(href="https://shop.example.com/cart", text="Buy now"), "sells"),
        (Link(href="https://doi.org/10.1111/j.1747-4949.2012.00901.x", text="Lang 2013"), None),
        (Link(href="https://example.com/about?page=2", text="About us"), None),
    ],
)
def test_the_markup_of_a_link_gives_its_kind(link, kind):
    assert link_conflict_kind(link) == kind


def test_a_shop_page_yields_every_conflict_with_its_kind():
    article = extract_article(SHOP.read_bytes())
    assert [(c.kind, c.text) for c in article.conflicts_of_interest] == [
        ("sells", "Price: $69.00."),
        ("sells", "Use code BRAIN15 at checkout for 15% off your first order."),
        ("sells", "Add to cart"),
        ("sells", "Every order ships within 24 hours in discreet packaging."),
        # The "Where to buy" box sits in an <aside>, outside the article's text.
        ("affiliate", "In stock at our partner pharmacy, 5 ampoules for $64."),
        (
            "affiliate",
            "We earn a commission on purchases made through these links, at no extra cost to you.",
        ),
        ("sponsored", "Buy now (sponsored link to pharmacy.example.org)"),
        ("affiliate", "Check the price on Example Marketplace (affiliate link to www.example.net)"),
    ]
    # Selling is not proposed as a claim.
    assert not any("$" in c.quote or "order" in c.quote for c in article.claims)


def test_conflicts_are_stored_once_with_their_kind(db):
    compound = Compound.objects.create(name="Cerebrolysin", slug="cerebrolysin")
    article = extract_article(SHOP.read_bytes())
    source = save_article(article, compound=compound).source
    save_article(extract_article(SHOP.read_bytes()), compound=compound)
    stored = [(c.kind, c.text) for c in SourceConflict.objects.filter(source=source)]
    assert stored == [(c.kind, c.text) for c in article.conflicts_of_interest]
    assert source.conflict_labels == ["Sponsored", "Affiliate", "Sells the product"]


def test_the_badge_shows_on_the_source_page_and_beside_each_sentence_of_a_claim(client, demo):
    source = demo.source
    page = client.get(source.get_absolute_url()).text
    assert "Conflict of interest: Sells the product" in page
    assert "Sells the product:</strong> We recommend purchasing Cerebrolysin from" in page
    appearance = Appearance.objects.filter(source=source, claim__status="published").first()
    claim_page = client.get(appearance.claim.get_absolute_url()).text
    figure = claim_page[claim_page.index(f'id="appearance-{appearance.pk}"') :]
    figure = figure[: figure.index("</figcaption>")]
    assert f'href="{source.get_absolute_url()}#conflicts-of-interest"' in figure
    assert "Conflict of interest: Sells the product" in figure
