"""DOIs, PMIDs, PMCIDs and URLs as an article writes them: in links (doi.org, publisher paths,
the Cochrane Library, query parameters, URL-encoded), in reference entries and in the prose.
Normalised with studies.identifiers so they match the studies table."""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from studies.identifiers import normalise_doi, normalise_pmcid, normalise_pmid

_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}(?:\.\d+)*/[^\s\"<>]+")
_PMID_IN_TEXT = re.compile(r"\bPMID\s*:?\s*(\d{1,9})\b", re.I)
_PMCID_IN_TEXT = re.compile(r"\bPMC\s*(?:ID\s*:?\s*(?:PMC)?)?\s*(\d{1,9})\b", re.I)
_PUBMED_HOST = re.compile(r"^(?:pubmed\.ncbi\.nlm\.nih\.gov|(?:www\.)?ncbi\.nlm\.nih\.gov)$", re.I)
_PMC_HOST = re.compile(r"^(?:pmc\.ncbi\.nlm\.nih\.gov|(?:www\.)?ncbi\.nlm\.nih\.gov)$", re.I)
_EUROPE_PMC_HOST = re.compile(r"^(?:www\.)?europepmc\.org$", re.I)
_DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")
# What publishers append after the DOI in a path: /doi/<DOI>/full, /articles/<DOI>/pdf,
# /cdsr/doi/<DOI>/full (Cochrane Library).
_VIEW_SUFFIX = re.compile(
    r"/(?:full|abstract|abs|pdf|epdf|pdfft|fulltext|full-text|html|summary|references|"
    r"figures|tables|epub|meta|info|citation|suppl|supplemental|media|read|download|"
    r"full\.pdf|pdf\+html)/?$",
    re.I,
)
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"]+")
INLINE_ID = re.compile(
    r"https?://(?:dx\.|www\.)?doi\.org/\S+"
    r"|https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/(?:pubmed|pmc))/\S*"
    r"|https?://pmc\.ncbi\.nlm\.nih\.gov/\S*"
    r"|https?://(?:www\.)?europepmc\.org/\S*"
    r"|\bdoi:\s*10\.\d{4,9}/\S+"
    r"|\bPMID\s*:?\s*\d{1,9}\b"
    r"|\bPMCID\s*:?\s*PMC\d{1,9}\b",
    re.I,
)


class Identifiers(NamedTuple):
    """What one link or one reference entry names; None for what it does not."""

    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None

    def found(self) -> bool:
        return any(self)

    def merged(self, other: Identifiers) -> Identifiers:
        """These identifiers, completed by the other's where these have none."""
        return Identifiers(*(mine or theirs for mine, theirs in zip(self, other, strict=True)))


NONE = Identifiers()


def trim_trailing(text: str) -> str:
    """A DOI or URL as written in prose, without the punctuation that ends the sentence."""
    while text and text[-1] in ".,;:]}>'\"\u201d\u2019":
        text = text[:-1]
    while text.endswith(")") and text.count("(") < text.count(")"):
        text = text[:-1]
    return text


def _doi(value: str) -> str | None:
    try:
        return normalise_doi(trim_trailing(value))
    except ValueError:
        return None


def _doi_in_path(path: str) -> str | None:
    """The DOI a publisher path carries, from its "10." to the end, without view suffixes."""
    match = re.search(r"(?:^|/)(10\.\d{4,9}(?:\.\d+)*/.+)$", path)
    if not match:
        return None
    value = match.group(1).rstrip("/")
    # One view suffix at most: "10.1234/full" is a DOI whose suffix is "full".
    return _doi(_VIEW_SUFFIX.sub("", value)) or _doi(value)


def _pmid(value: str) -> str | None:
    try:
        return normalise_pmid(value)
    except ValueError:
        return None


def _pmcid(value: str) -> str | None:
    try:
        return normalise_pmcid(value)
    except ValueError:
        return None


def identifiers_from_url(href: str) -> Identifiers:
    """The DOI, PMID or PMCID a link names, normalised; Identifiers() when it names none."""
    try:
        parts = urlsplit((href or "").strip())
    except ValueError:  # "http://[" and other unparseable addresses
        return NONE
    if parts.scheme.lower() not in ("http", "https", "") or not parts.netloc:
        return NONE
    host = parts.netloc.lower().rsplit("@", 1)[-1].split(":", 1)[0]
    path = unquote(parts.path)
    if host in _DOI_HOSTS:
        return Identifiers(doi=_doi(path.lstrip("/")))
    if _PUBMED_HOST.match(host):
        pubmed = re.match(r"^/(?:pubmed/)?(\d{1,9})/?$", path)
        if pubmed:
            return Identifiers(pmid=_pmid(pubmed.group(1)))
    if _PMC_HOST.match(host):
        pmc = re.match(r"^/(?:pmc/)?articles/(PMC\d{1,9})\b", path, re.I)
        if pmc:
            return Identifiers(pmcid=_pmcid(pmc.group(1)))
    if _EUROPE_PMC_HOST.match(host):
        # europepmc.org/article/MED/<PMID>, /abstract/MED/<PMID>, /article/PMC/PMC<n>,
        # /articles/PMC<n>
        med = re.match(r"^/(?:article|abstract)/MED/(\d{1,9})\b", path, re.I)
        if med:
            return Identifiers(pmid=_pmid(med.group(1)))
        pmc = re.match(r"^/(?:article/PMC|articles?|abstract/PMC)/(PMC\d{1,9})\b", path, re.I)
        if pmc:
            return Identifiers(pmcid=_pmcid(pmc.group(1)))
    doi = _doi_in_path(path)
    if doi is None:
        # ?doi=10.1038%2Fsrep16696, ?url=https%3A%2F%2Fdoi.org%2F10..., ?id=doi:10...
        for _name, value in parse_qsl(parts.query):
            found = _DOI_IN_TEXT.search(unquote(value))
            if found and (doi := _doi(found.group(0))):
                break
    return Identifiers(doi=doi)


def identifiers_from_text(text: str) -> Identifiers:
    """The identifiers a reference entry writes: DOIs, "PMID: n", "PMCID: PMCn" and URLs."""
    doi = pmid = pmcid = None
    for url in URL_IN_TEXT.findall(text):
        found = identifiers_from_url(trim_trailing(url))
        doi, pmid, pmcid = doi or found.doi, pmid or found.pmid, pmcid or found.pmcid
    if doi is None:
        for match in _DOI_IN_TEXT.finditer(text):
            if doi := _doi(match.group(0)):
                break
    if pmid is None:
        for match in _PMID_IN_TEXT.finditer(text):
            if pmid := _pmid(match.group(1)):
                break
    if pmcid is None:
        match = _PMCID_IN_TEXT.search(text)
        pmcid = _pmcid(match.group(1)) if match else None
    return Identifiers(doi, pmid, pmcid)


def safe_url(href: str | None) -> str | None:
    if not href:
        return None
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and parts.netloc:
        return href.strip()
    return None
