"""The article's title, author, publisher and date, from HTML meta tags, the first heading,
a byline or the author's bio, whichever the page has."""

from __future__ import annotations

import re
from datetime import date

from kb.articles.classify import BIO
from kb.articles.text import plain


def fill_metadata(article, blocks, meta, html_title, times) -> None:
    first_heading = next((b for b in blocks if b.kind == "heading" and (b.level in (0, 1))), None)
    title = (
        (first_heading and plain(first_heading.text))
        or meta.get("og:title")
        or html_title
        or (plain(blocks[0].text)[:300] if blocks else "")
    )
    article.title = plain(title)[:500] or "Untitled article"
    author = meta.get("author") or meta.get("article:author") or ""
    publisher = meta.get("og:site_name") or meta.get("publisher") or ""
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
        meta.get(key, "")
        for key in (
            "article:published_time",
            "citation_publication_date",
            "dc.date",
            "date",
            "pubdate",
        )
    ] + times
    for value in candidates:
        match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value or "")
        if match:
            try:
                article.published = date(*map(int, match.groups()))
                break
            except ValueError:
                continue
