"""Page metadata (title, author, date, publisher, address) from JSON-LD, OpenGraph, meta tags,
<time datetime> and the canonical link, read before the sanitiser drops scripts and links.
Every page here is constructed; none cites anything."""

import pytest

from kb.articles import extract_article

BODY = "<h1>Examplamine and memory</h1><p>Examplamine improves memory in adults.</p>"


def page(head: str, body: str = BODY) -> str:
    return f"<!DOCTYPE html><html><head><title>Shop | Examplamine</title>{head}</head><body>{body}"


@pytest.mark.parametrize(
    "json_ld",
    [
        # Yoast-style @graph with a WebPage wrapping the Article
        """{"@context": "https://schema.org", "@graph": [
             {"@type": "WebPage", "name": "Shop | Examplamine", "datePublished": "2020-01-01"},
             {"@type": "Article", "headline": "Examplamine and memory",
              "author": {"@type": "Person", "name": "Dana Quill"},
              "datePublished": "2023-11-07T08:00:00+00:00",
              "publisher": {"@type": "Organization", "name": "Nootropic Weekly"}}]}""",
        # a list of nodes, BlogPosting, authors as a list
        """[{"@type": "Organization", "name": "Someone else"},
            {"@type": ["BlogPosting"], "headline": "Examplamine and memory",
             "author": [{"@type": "Person", "name": "Dana Quill"}],
             "datePublished": "2023-11-07", "publisher": "Nootropic Weekly"}]""",
        # NewsArticle with a plain-string author
        """{"@type": "NewsArticle", "headline": "Examplamine and memory",
            "author": "Dana Quill", "datePublished": "2023-11-07",
            "publisher": {"name": "Nootropic Weekly"}}""",
    ],
)
def test_json_ld_gives_author_date_and_publisher(json_ld):
    article = extract_article(page(f'<script type="application/ld+json">{json_ld}</script>'))
    assert (article.author, article.publisher, article.published.isoformat()) == (
        "Dana Quill",
        "Nootropic Weekly",
        "2023-11-07",
    )
    assert article.title == "Examplamine and memory"
    assert "Dana Quill" not in article.text  # read for metadata, never shown as the article


def test_opengraph_meta_author_time_and_canonical():
    article = extract_article(
        page(
            '<meta property="og:site_name" content="Nootropic Weekly">'
            '<meta name="author" content="Dana Quill">'
            '<link rel="canonical" href="https://nootropics.example/examplamine/">',
            BODY + '<p>Posted <time datetime="2022-05-04T09:00">May 4</time>.</p>',
        )
    )
    assert (article.author, article.publisher, article.published.isoformat(), article.url) == (
        "Dana Quill",
        "Nootropic Weekly",
        "2022-05-04",
        "https://nootropics.example/examplamine/",
    )


def test_the_address_it_was_fetched_from_wins_over_the_canonical_link():
    article = extract_article(
        page('<link rel="canonical" href="https://other.example/page/">'),
        url="https://nootropics.example/examplamine/",
    )
    assert article.url == "https://nootropics.example/examplamine/"


def test_broken_or_hostile_json_ld_is_noted_and_changes_nothing():
    article = extract_article(
        page(
            '<script type="application/ld+json">{"@type": "Article", </script>'
            '<script type="application/ld+json">{"@type": "Article", '
            '"author": {"name": "<img src=x onerror=alert(1)>Dana"}}</script>'
            '<link rel="canonical" href="javascript:alert(1)">'
        )
    )
    assert any("JSON-LD block 1 is not valid JSON" in w for w in article.warnings)
    assert article.author == "Dana"
    assert article.url is None
    assert article.published is None
