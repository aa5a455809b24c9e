"""The article's title, author, publisher, date and address, from whichever the page has: JSON-LD
(Article, BlogPosting, NewsArticle), OpenGraph and other meta tags, <time datetime>, the
canonical link, the first heading, a byline or the author's bio.

JSON-LD sits in a <script> and the canonical address in a <link>, both of which the sanitiser
removes, so read_structured() reads the raw page first. Only these values are taken from the raw
page, each as plain text, and nothing else of it is used."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

from kb.articles.classify import BIO
from kb.articles.text import plain

_ARTICLE_TYPES = {
    "article", "blogposting", "newsarticle", "scholarlyarticle", "medicalwebpage",
    "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle", "review", "webpage",
}  # fmt: skip
_MAX_JSON_LD = 256 * 1024  # one script; a page's JSON-LD is a few KB


@dataclass
class Structured:
    """What the raw page states about itself in JSON-LD and <link rel="canonical">."""

    headline: str = ""
    author: str = ""
    published: str = ""
    publisher: str = ""
    canonical: str = ""
    problems: list[str] = field(default_factory=list)


class _RawHead(HTMLParser):
    """Collects JSON-LD script bodies and the canonical link of the unsanitised page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.canonical = ""
        self._in_json_ld = False
        self._parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "script" and attrs.get("type", "").strip().lower() == "application/ld+json":
            self._in_json_ld, self._parts = True, []
        elif tag == "link" and "canonical" in attrs.get("rel", "").lower().split():
            self.canonical = self.canonical or attrs.get("href", "").strip()

    def handle_endtag(self, tag):
        if tag == "script" and self._in_json_ld:
            self._in_json_ld = False
            self.scripts.append("".join(self._parts))

    def handle_data(self, data):
        if self._in_json_ld:
            self._parts.append(data)


def _name(value) -> str:
    """A person's or organisation's name from a JSON-LD value: a string, {"name"}, or a list."""
    if isinstance(value, str):
        return "" if re.match(r"https?://", value) else value
    if isinstance(value, dict):
        return _name(value.get("name", ""))
    if isinstance(value, list):
        return ", ".join(n for n in map(_name, value) if n)
    return ""


def _nodes(data):
    """Every JSON-LD object in a document: top level, lists and @graph."""
    if isinstance(data, list):
        for item in data:
            yield from _nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _nodes(data.get("@graph", []))


def _is_article(node: dict) -> bool:
    types = node.get("@type", "")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types)


def read_structured(html: str) -> Structured:
    """JSON-LD and the canonical link of a raw page; a script that is not JSON is a problem
    noted, never an error."""
    head = _RawHead()
    head.feed(html)
    head.close()
    found = Structured(canonical=head.canonical)
    articles = []
    for number, script in enumerate(head.scripts, start=1):
        if len(script) > _MAX_JSON_LD:
            found.problems.append(f"JSON-LD block {number} is too large to read; ignored.")
            continue
        try:
            data = json.loads(script)
        except ValueError:
            found.problems.append(f"JSON-LD block {number} is not valid JSON; ignored.")
            continue
        articles += [node for node in _nodes(data) if _is_article(node)]
    # A WebPage node often wraps the Article: the article's own values win.
    articles.sort(key=lambda node: str(node.get("@type", "")).lower() == "webpage")
    for node in articles:
        found.headline = found.headline or plain(_name(node.get("headline") or node.get("name")))
        found.author = found.author or plain(_name(node.get("author")))
        found.published = found.published or plain(str(node.get("datePublished") or ""))
        found.publisher = found.publisher or plain(_name(node.get("publisher")))
    return found


def _date(value: str) -> date | None:
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value or "")
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def fill_metadata(article, blocks, meta, html_title, times, structured: Structured) -> None:
    first_heading = next((b for b in blocks if b.kind == "heading" and (b.level in (0, 1))), None)
    title = (
        (first_heading and plain(first_heading.text))
        or structured.headline
        or meta.get("og:title")
        or html_title
        or (plain(blocks[0].text)[:300] if blocks else "")
    )
    article.title = plain(title)[:500] or "Untitled article"
    author = structured.author or meta.get("author") or _name(meta.get("article:author", ""))
    publisher = structured.publisher or meta.get("og:site_name") or meta.get("publisher") or ""
    for block in blocks:
        text = plain(block.text)
        bio = BIO.search(text)
        if bio:
            author = author or bio.group("author")
            publisher = publisher or bio.group("publisher").rstrip(".")
            break
        byline = re.match(
            r"^(?:written )?by\s+([A-Z][\w'\u2019.-]+(?:\s+[A-Z][\w'\u2019.-]+){1,3})", text
        )
        if byline and not author and len(text) < 80:
            author = byline.group(1)
    article.author = plain(author)[:200]
    article.publisher = plain(publisher)[:200]
    candidates = [
        structured.published,
        *(
            meta.get(key, "")
            for key in (
                "article:published_time",
                "citation_publication_date",
                "dc.date",
                "date",
                "pubdate",
            )
        ),
        *times,
    ]
    article.published = next((d for d in map(_date, candidates) if d), None)
