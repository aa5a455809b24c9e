"""DOIs, PMIDs and URLs as an article writes them: in links, in reference entries and in
the prose. Normalised with studies.identifiers so they match the studies table."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from studies.identifiers import normalise_doi, normalise_pmid

_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}(?:\.\d+)*/[^\s\"<>]+")
_PMID_IN_TEXT = re.compile(r"\bPMID\s*:?\s*(\d{1,9})\b", re.I)
_PUBMED_HOST = re.compile(r"^(?:pubmed\.ncbi\.nlm\.nih\.gov|(?:www\.)?ncbi\.nlm\.nih\.gov)$", re.I)
PMC_URL = re.compile(r"(?:pmc\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pmc)/articles/PMC\d+", re.I)
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"]+")
INLINE_ID = re.compile(
    r"https?://(?:dx\.|www\.)?doi\.org/\S+"
    r"|https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/(?:pubmed|pmc))/\S*"
    r"|https?://pmc\.ncbi\.nlm\.nih\.gov/\S*"
    r"|\bdoi:\s*10\.\d{4,9}/\S+"
    r"|\bPMID\s*:?\s*\d{1,9}\b",
    re.I,
)


def trim_trailing(text: str) -> str:
    """A DOI or URL as written in prose, without the punctuation that ends the sentence."""
    while text and text[-1] in ".,;:]}>'\"\u201d\u2019":
        text = text[:-1]
    while text.endswith(")") and text.count("(") < text.count(")"):
        text = text[:-1]
    return text


def identifiers_from_url(href: str) -> tuple[str | None, str | None]:
    """(doi, pmid) named by a doi.org or PubMed link, normalised; (None, None) otherwise."""
    parts = urlsplit(href or "")
    host = parts.netloc.lower()
    if host in ("doi.org", "dx.doi.org", "www.doi.org"):
        try:
            return normalise_doi(href), None
        except ValueError:
            return None, None
    if _PUBMED_HOST.match(host):
        match = re.match(r"^/(?:pubmed/)?(\d{1,9})/?$", parts.path)
        if match:
            try:
                return None, normalise_pmid(match.group(1))
            except ValueError:
                return None, None
    return None, None


def identifiers_from_text(text: str) -> tuple[str | None, str | None]:
    doi = pmid = None
    for match in _DOI_IN_TEXT.finditer(text):
        try:
            doi = normalise_doi(trim_trailing(match.group(0)))
            break
        except ValueError:
            continue
    for match in _PMID_IN_TEXT.finditer(text):
        try:
            pmid = normalise_pmid(match.group(1))
            break
        except ValueError:
            continue
    for url in URL_IN_TEXT.findall(text):
        url_doi, url_pmid = identifiers_from_url(trim_trailing(url))
        doi, pmid = doi or url_doi, pmid or url_pmid
    return doi, pmid


def safe_url(href: str | None) -> str | None:
    if not href:
        return None
    parts = urlsplit(href.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return href.strip()
    return None
