"""What search engines and reference managers read from our pages: schema.org JSON-LD
(ClaimReview on claim pages, ScholarlyArticle on study pages) and Highwire Press `citation_*`
meta tags (Zotero, Google Scholar). Built from objects the views already loaded: no queries."""

from __future__ import annotations

import json

from django.utils.safestring import SafeString, mark_safe

from kb.grading import verdict_words
from kb.vocabulary import Verdict

PUBLISHER = {"@type": "Organization", "name": "Evidence KB"}

# The ladder from worst to best for the reader's rating: 1 = the claim is false, 7 = it is true.
# `ungraded` has no place on it (ClaimReview then carries only the words).
RATING = {
    Verdict.CONTRADICTED: 1,
    Verdict.PROBABLY_NOT_SUPPORTED: 2,
    Verdict.POSSIBLY_NOT_SUPPORTED: 3,
    Verdict.UNPROVEN: 4,
    Verdict.POSSIBLY_SUPPORTED: 5,
    Verdict.PROBABLY_SUPPORTED: 6,
    Verdict.SUPPORTED: 7,
}
BEST_RATING, WORST_RATING = max(RATING.values()), min(RATING.values())

# json.dumps leaves these alone; inside <script> they could close the element or open a comment.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld(data: dict) -> SafeString:
    """A JSON-LD block. Imported text (titles, quotes) is escaped so it cannot end the script:
    the one place outside the methodology that marks text safe (tests/test_security.py)."""
    text = json.dumps(data, ensure_ascii=False, indent=1).translate(_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


def _page(source, absolute) -> dict:
    page = {"@type": "CreativeWork", "name": source.title, "url": source.url or absolute(source)}
    if source.published_on:
        page["datePublished"] = source.published_on.isoformat()
    if source.author:
        page["author"] = {"@type": "Person", "name": source.author}
    if source.publisher:
        page["publisher"] = {"@type": "Organization", "name": source.publisher}
    return page


def claim_review(claim, appearances, absolute) -> dict:
    """One ClaimReview for a claim page. `appearances` are the claim's, loaded with their
    source; `absolute(obj)` turns an object's page into a full URL."""
    sources = list({a.source_id: a.source for a in appearances}.values())
    rating = {"@type": "Rating", "alternateName": verdict_words(claim.verdict, claim.certainty)}
    if claim.verdict in RATING:
        rating |= {
            "ratingValue": RATING[claim.verdict],
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
        }
    item = {"@type": "Claim", "name": claim.statement}
    if sources:
        item["appearance"] = [_page(source, absolute) for source in sources]
        # The earliest page we know the date of; else the first one recorded.
        dated = [s for s in sources if s.published_on]
        first = min(dated, key=lambda s: s.published_on) if dated else sources[0]
        item["firstAppearance"] = _page(first, absolute)
    published = claim.graded_at or claim.created_at
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": absolute(claim),
        "claimReviewed": claim.statement,
        "reviewRating": rating,
        "itemReviewed": item,
        "author": PUBLISHER,
        "datePublished": published.date().isoformat(),
    }


def _person(author: dict) -> dict:
    if author.get("collective"):
        return {"@type": "Organization", "name": author["collective"]}
    name = " ".join(part for part in (author.get("given"), author.get("family")) if part)
    person = {"@type": "Person", "name": name or "Anonymous"}
    if author.get("family"):
        person["familyName"] = author["family"]
    if author.get("given"):
        person["givenName"] = author["given"]
    return person


def _page_range(pages: str) -> tuple[str, str]:
    first, _, last = pages.partition("-")
    return first.strip(), last.strip()


def scholarly_article(study, absolute) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "@id": absolute(study),
        "url": absolute(study),
        "headline": study.title[:110],
        "name": study.title,
        "author": [_person(author) for author in study.authors],
    }
    if study.year:
        data["datePublished"] = str(study.year)
    if study.journal:
        periodical = {"@type": "Periodical", "name": study.journal}
        if study.volume:
            periodical = {
                "@type": "PublicationVolume",
                "volumeNumber": study.volume,
                "isPartOf": periodical,
            }
        data["isPartOf"] = periodical
    if study.issue:
        data["issueNumber"] = study.issue
    if study.pages:
        data["pagination"] = study.pages
    identifiers = []
    if study.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": study.doi})
    if study.pmid:
        identifiers.append({"@type": "PropertyValue", "propertyID": "PMID", "value": study.pmid})
    if identifiers:
        data["identifier"] = identifiers
    same_as = [url for url in (study.doi_url, study.pubmed_url) if url]
    if same_as:
        data["sameAs"] = same_as
    if study.abstract:
        data["abstract"] = study.abstract
    return data


def highwire_meta(study) -> list[tuple[str, str]]:
    """Highwire Press tags as (name, content), one per value (an author per tag), as Google
    Scholar asks; the template writes them, escaped."""
    tags = [("citation_title", study.title)]
    for author in study.authors:
        if author.get("collective"):
            tags.append(("citation_author", author["collective"]))
        elif author.get("family"):
            given = author.get("given")
            name = f"{author['family']}, {given}" if given else author["family"]
            tags.append(("citation_author", name))
    if study.year:
        tags.append(("citation_publication_date", str(study.year)))
    if study.journal:
        tags.append(("citation_journal_title", study.journal))
    if study.volume:
        tags.append(("citation_volume", study.volume))
    if study.issue:
        tags.append(("citation_issue", study.issue))
    if study.pages:
        first, last = _page_range(study.pages)
        tags.append(("citation_firstpage", first))
        if last:
            tags.append(("citation_lastpage", last))
    if study.doi:
        tags.append(("citation_doi", study.doi))
    if study.pmid:
        tags.append(("citation_pmid", study.pmid))
    if study.language:
        tags.append(("citation_language", study.language))
    return tags
