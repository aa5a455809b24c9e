"""PubMed: streaming parsers for efetch XML and MEDLINE text, and an E-utilities client.

Parsers are pure: bytes in, StudyRecord objects out, never a network call. In particular PubMed
XML is NOT read with Bio.Entrez.read, which resolves the DTD named in the DOCTYPE and may fetch
it from NCBI; xml.etree's expat parser ignores external DTDs.

The client (fetch_pubmed_batches, search_pmid_for_doi) goes through Bio.Entrez, whose module
attribute Bio.Entrez.urlopen is the one network seam tests replace. Bio.Entrez keeps to NCBI's
rate limits itself (requests at least 0.37 s apart, 0.1 s with NCBI_API_KEY); our own retry loop
replaces its retries so that Retry-After is honoured and an offline machine fails at once.
"""

import email.utils
import io
import re
import socket
import time
import urllib.request
import warnings
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from http.client import HTTPException
from typing import BinaryIO
from urllib.error import HTTPError, URLError

from Bio import Entrez, Medline
from django.conf import settings

from studies.identifiers import normalise_doi, normalise_pmcid, normalise_pmid
from studies.records import (
    ParseError,
    RawFormat,
    RecordKind,
    StudyRecord,
    author,
    is_notice,
    is_retracted,
    link,
)

# ---------------------------------------------------------------------------------------------
# Vocabulary shared by the XML and MEDLINE parsers

# MeSH check tags: descriptors NLM indexers add to every applicable record (species, sex, age
# groups). Topical headings and check tags arrive in one list; design suggestion needs the tags.
CHECK_TAGS = frozenset(
    {
        "Humans",
        "Animals",
        "Male",
        "Female",
        "Pregnancy",
        "Infant, Newborn",
        "Infant",
        "Child, Preschool",
        "Child",
        "Adolescent",
        "Young Adult",
        "Adult",
        "Middle Aged",
        "Aged",
        "Aged, 80 and over",
        "Cats",
        "Cattle",
        "Chick Embryo",
        "Dogs",
        "Guinea Pigs",
        "Cricetinae",
        "Mice",
        "Rabbits",
        "Rats",
        "Swine",
        "Sheep",
        "Horses",
        "Macaca mulatta",
    }
)

# CommentsCorrections RefTypes kept on the record. "Cites" links are the reference list in
# another guise (hundreds per record) and say nothing about the record's standing.
_SKIPPED_LINKS = frozenset({"Cites"})

_RECORD_TAGS = frozenset({"PubmedArticle", "PubmedBookArticle"})
_SET_TAGS = frozenset({"PubmedArticleSet", "PubmedBookArticleSet"})
_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")


def _text(elem: ET.Element | None) -> str:
    """All text inside an element, inline markup (<i>, <sub>, ...) flattened, spaces collapsed.

    The result is plain text: a "<" that was "&lt;" in the XML stays "<"; templates escape it.
    """
    if elem is None:
        return ""
    if len(elem) == 0:  # no inline markup: the common case, and cheaper
        return " ".join(elem.text.split()) if elem.text else ""
    return " ".join("".join(elem.itertext()).split())


def _year(text: str) -> int | None:
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def _safe_doi(value: str) -> str | None:
    try:
        return normalise_doi(value)
    except ValueError:
        return None


def _safe_pmcid(value: str) -> str | None:
    try:
        return normalise_pmcid(value)
    except ValueError:
        return None


def _bare_orcid(value: str) -> str:
    # PubMed gives ORCIDs bare, as URLs, or with stray spaces; store the 16-character form.
    match = re.search(r"(\d{4}-?\d{4}-?\d{4}-?\d{3}[\dXx])", value or "")
    if not match:
        return ""
    digits = match.group(1).replace("-", "").upper()
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def _finish(record: StudyRecord) -> StudyRecord:
    """Derived fields, computed the same way whichever parser built the record."""
    record.check_tags = [term for term in record.mesh_terms if term in CHECK_TAGS]
    record.retracted = is_retracted(record.publication_types, record.comments_corrections)
    if is_notice(record.publication_types):
        record.kind = RecordKind.NOTICE
    return record


# ---------------------------------------------------------------------------------------------
# PubMed XML (efetch db=pubmed retmode=xml)


def _pub_date_year(pub_date: ET.Element | None) -> int | None:
    if pub_date is None:
        return None
    year = pub_date.findtext("Year")
    if year and year.strip().isdigit():
        return int(year.strip())
    # MedlineDate is free text such as "1998 Dec-1999 Jan" or "Spring 2001": the first year.
    return _year(pub_date.findtext("MedlineDate") or "")


def _abstract(abstract: ET.Element | None) -> str:
    if abstract is None:
        return ""
    sections = []
    for part in abstract.iterfind("AbstractText"):
        body = _text(part)
        label = (part.get("Label") or "").strip()
        if label and label.upper() != "UNLABELLED":
            sections.append(f"{label}: {body}" if body else f"{label}:")
        elif body:
            sections.append(body)
    return "\n\n".join(sections)


_NAME_PARTS = frozenset({"LastName", "ForeName", "Initials", "Suffix", "CollectiveName"})


def _authors(author_list: ET.Element | None) -> list[dict]:
    if author_list is None:
        return []
    people = []
    for person in author_list:
        if person.tag != "Author" or person.get("ValidYN") == "N":
            continue  # PubMed keeps misspelt names as invalid entries next to the corrected one
        # One pass over the author's children: this runs for every author of every record.
        parts: dict[str, str] = {}
        orcid = ""
        for child in person:
            if child.tag in _NAME_PARTS:
                parts[child.tag] = _text(child)
            elif (
                child.tag == "Identifier"
                and not orcid
                and (child.get("Source") or "").upper() == "ORCID"
            ):
                orcid = _bare_orcid(child.text or "")
        people.append(
            author(
                family=parts.get("LastName", ""),
                given=parts.get("ForeName") or parts.get("Initials", ""),
                suffix=parts.get("Suffix", ""),
                collective=parts.get("CollectiveName", ""),
                orcid=orcid,
            )
        )
    return people


def _pages(pagination: ET.Element | None) -> str:
    if pagination is None:
        return ""
    medline = _text(pagination.find("MedlinePgn"))
    if medline:
        return medline
    start, end = _text(pagination.find("StartPage")), _text(pagination.find("EndPage"))
    return f"{start}-{end}" if start and end else start


def _links(comments: ET.Element | None) -> list[dict]:
    if comments is None:
        return []
    found = []
    for item in comments.iterfind("CommentsCorrections"):
        ref_type = item.get("RefType") or ""
        if ref_type in _SKIPPED_LINKS:
            continue
        found.append(
            link(
                ref_type,
                source=_text(item.find("RefSource")),
                pmid=_text(item.find("PMID")),
            )
        )
    return found


def _article_ids(id_list: ET.Element | None) -> dict[str, str]:
    # Only the record's own ArticleIdList: ReferenceList entries carry ArticleIdLists too.
    ids: dict[str, str] = {}
    if id_list is not None:
        for article_id in id_list.iterfind("ArticleId"):
            kind = article_id.get("IdType") or ""
            if kind and kind not in ids and article_id.text:
                ids[kind] = article_id.text.strip()
    return ids


def _mesh(citation: ET.Element) -> list[str]:
    headings = citation.find("MeshHeadingList")
    if headings is None:
        return []
    return [_text(heading.find("DescriptorName")) for heading in headings]


def _map_pubmed_article(elem: ET.Element) -> StudyRecord:
    citation = elem.find("MedlineCitation")
    if citation is None:
        raise ParseError("PubmedArticle without MedlineCitation")
    article = citation.find("Article")
    if article is None:
        raise ParseError(f"PubmedArticle {citation.findtext('PMID')} without Article")
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    ids = _article_ids(elem.find("PubmedData/ArticleIdList"))

    doi = _safe_doi(ids.get("doi", ""))
    if doi is None:
        for location in article.iterfind("ELocationID"):
            if location.get("EIdType") == "doi" and location.get("ValidYN", "Y") == "Y":
                doi = _safe_doi(location.text or "")
                if doi:
                    break

    year = _pub_date_year(issue.find("PubDate") if issue is not None else None)
    if year is None:
        year = _year(article.findtext("ArticleDate/Year") or "")

    return StudyRecord(
        pmid=normalise_pmid(citation.findtext("PMID") or ""),
        doi=doi,
        pmcid=_safe_pmcid(ids.get("pmc", "")),
        title=_text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle")),
        abstract=_abstract(article.find("Abstract")),
        journal=_text(journal.find("Title")) if journal is not None else "",
        year=year,
        volume=_text(issue.find("Volume")) if issue is not None else "",
        issue=_text(issue.find("Issue")) if issue is not None else "",
        pages=_pages(article.find("Pagination")),
        authors=_authors(article.find("AuthorList")),
        language=_text(article.find("Language")),
        publication_types=[
            _text(pt) for pt in article.iterfind("PublicationTypeList/PublicationType")
        ],
        mesh_terms=_mesh(citation),
        comments_corrections=_links(citation.find("CommentsCorrectionsList")),
        kind=RecordKind.JOURNAL_ARTICLE,
        raw_format=RawFormat.PUBMED_XML,
    )


def _map_book_article(elem: ET.Element) -> StudyRecord:
    document = elem.find("BookDocument")
    if document is None:
        raise ParseError("PubmedBookArticle without BookDocument")
    book = document.find("Book")
    ids = _article_ids(elem.find("PubmedBookData/ArticleIdList"))
    doi = _safe_doi(ids.get("doi", ""))
    if doi is None:
        for location in document.iterfind("ELocationID"):
            if location.get("EIdType") == "doi":
                doi = _safe_doi(location.text or "")
                if doi:
                    break
    # A BookDocument has one AuthorList per role; only the chapter's own authors are wanted.
    author_list = None
    for candidate in document.iterfind("AuthorList"):
        if candidate.get("Type", "authors") == "authors":
            author_list = candidate
            break
    book_title = _text(book.find("BookTitle")) if book is not None else ""
    year = _pub_date_year(book.find("PubDate")) if book is not None else None
    return StudyRecord(
        pmid=normalise_pmid(document.findtext("PMID") or ""),
        doi=doi,
        pmcid=_safe_pmcid(ids.get("pmc", "")),
        title=_text(document.find("ArticleTitle")) or book_title,
        abstract=_abstract(document.find("Abstract")),
        journal=book_title,
        year=year,
        volume=_text(book.find("Volume")) if book is not None else "",
        pages=_pages(document.find("Pagination")),
        authors=_authors(author_list),
        language=_text(document.find("Language")),
        publication_types=[_text(pt) for pt in document.iterfind("PublicationType")],
        mesh_terms=_mesh(document),
        comments_corrections=_links(document.find("CommentsCorrectionsList")),
        kind=RecordKind.BOOK_CHAPTER,
        raw_format=RawFormat.PUBMED_XML,
    )


class _RawRecordTap:
    """Wraps the input and cuts each record's raw bytes out of the stream as the parser reads it.

    Serialising every parsed element back to text (ET.tostring) would cost more than parsing
    it; finding "<PubmedArticle>" ... "</PubmedArticle>" in the bytes already read is cheap.
    The parser sees exactly the bytes that pass through here, so the Nth record closed by the
    parser is the Nth segment found; the caller checks the PMID and falls back to tostring.
    """

    _START = re.compile(rb"<(?:PubmedArticle|PubmedBookArticle)[\s>]")
    _END = re.compile(rb"</(?:PubmedArticle|PubmedBookArticle)\s*>")
    _MARGIN = 32  # longer than any marker, so a marker split across reads is still found

    def __init__(self, source: BinaryIO):
        self._source = source
        self._buffer = b""
        self._in_record = False
        self.segments: deque[bytes] = deque()

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if data:
            self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        searched = max(0, len(self._buffer) - self._MARGIN)
        buffer = self._buffer + data
        pos = 0
        while True:
            if not self._in_record:
                start = self._START.search(buffer, max(pos, searched))
                if start is None:
                    self._buffer = buffer[max(pos, len(buffer) - self._MARGIN) :]
                    return
                self._in_record = True
                pos = start.start()
                searched = pos
            end = self._END.search(buffer, max(pos, searched))
            if end is None:
                self._buffer = buffer[pos:]
                return
            self.segments.append(buffer[pos : end.end()])
            self._in_record = False
            pos = searched = end.end()


def _raw_text(tap: _RawRecordTap, elem: ET.Element, pmid: str | None) -> str:
    if tap.segments:
        segment = tap.segments.popleft()
        if pmid is None or f">{pmid}</PMID>".encode() in segment:
            return segment.decode("utf-8", errors="replace")
        tap.segments.clear()  # out of step (a marker inside a comment?): stop trusting them
    return ET.tostring(elem, encoding="unicode")


def parse_pubmed_xml(source: BinaryIO, name: str = "input") -> Iterator[StudyRecord]:
    """Stream StudyRecords out of efetch PubMed XML (PubmedArticleSet), memory bounded.

    Each PubmedArticle / PubmedBookArticle is mapped when its end tag is read and then cleared
    from the tree, so memory holds one record at a time however large the file. A record that
    cannot be mapped raises ParseError naming it; malformed XML raises ParseError with the line
    and column expat reports. Notices (errata) are yielded with kind=notice for the caller to
    skip and count.
    """
    tap = _RawRecordTap(source)
    # expat never fetches external entities or DTDs, and its built-in amplification limits
    # stop entity-expansion bombs, so plain ElementTree is safe for this input.
    events = ET.iterparse(tap, events=("start", "end"))  # noqa: S314
    try:
        # The first event is the root's start: kept so that it can be emptied after each
        # record (clearing the record alone would leave an empty husk per record behind).
        _, root = next(events)
    except (ET.ParseError, StopIteration) as exc:
        raise ParseError(f"{name}: empty input or not XML ({exc or 'no data'}).") from exc
    try:
        if root.tag not in _SET_TAGS:
            raise ParseError(_not_pubmed(name, root.tag, events))
        # The hot loop: runs for every element of the file, so it does as little as it can.
        for event, elem in events:
            if event == "end" and elem.tag in _RECORD_TAGS:
                try:
                    if elem.tag == "PubmedArticle":
                        record = _map_pubmed_article(elem)
                    else:
                        record = _map_book_article(elem)
                except ValueError as exc:
                    raise ParseError(f"{name}: record {_record_hint(elem)}: {exc}") from exc
                record.raw = _raw_text(tap, elem, record.pmid)
                yield _finish(record)
                root.clear()  # the record just mapped and anything before it (DeleteCitation)
    except ET.ParseError as exc:
        raise ParseError(f"{name}: malformed XML ({exc}).") from exc


def _not_pubmed(name: str, root_tag: str, events) -> str:
    """The message for a document that is not PubMed article XML, with NCBI's own words."""
    detail = ""
    if root_tag == "eFetchResult":  # NCBI's error reply: small, read it for the ERROR text
        errors = [_text(elem) for event, elem in events if event == "end" and elem.tag == "ERROR"]
        detail = f" NCBI said: {'; '.join(errors)}" if errors else ""
    return (
        f"{name}: not PubMed article XML (the root element is <{root_tag}>, expected "
        f"<PubmedArticleSet>).{detail}"
    )


def _record_hint(elem: ET.Element) -> str:
    pmid = elem.findtext("MedlineCitation/PMID") or elem.findtext("BookDocument/PMID")
    return f"PMID {pmid.strip()}" if pmid else "without a PMID"


# ---------------------------------------------------------------------------------------------
# MEDLINE text (efetch rettype=medline), via Bio.Medline


def _medline_author(full_name: str, orcid: str = "") -> dict:
    # FAU is "Family, Given" (sometimes "Family, Given, Jr"); a name without a comma is kept
    # as the family name.
    family, _, given = full_name.partition(",")
    suffix = ""
    given = given.strip()
    if "," in given:
        given, _, suffix = (part.strip() for part in given.partition(","))
    return author(family=family.strip(), given=given, suffix=suffix, orcid=orcid)


def _medline_record(fields: dict, raw: str) -> StudyRecord:
    doi = None
    pmcid = None
    for entry in _as_list(fields.get("AID")) + _as_list(fields.get("LID")):
        value, _, kind = entry.rpartition(" ")
        if kind == "[doi]" and doi is None:
            doi = _safe_doi(value)
    if fields.get("PMC"):
        pmcid = _safe_pmcid(fields["PMC"])

    authors = [_medline_author(name) for name in fields.get("FAU", [])]
    if not authors:
        authors = [author(family=name) for name in fields.get("AU", [])]
    authors += [author(collective=name) for name in _as_list(fields.get("CN"))]

    links = []
    for tag, ref_type in _MEDLINE_LINK_TAGS.items():
        for value in _as_list(fields.get(tag)):
            pmid_match = re.search(r"PMID:\s*(\d+)", value)
            links.append(
                link(ref_type, source=value, pmid=pmid_match.group(1) if pmid_match else "")
            )

    # Bio.Medline gives MH as "Descriptor/qualifier..." with "*" marking major topics.
    mesh = [term.split("/")[0].lstrip("*").strip() for term in fields.get("MH", [])]
    languages = _as_list(fields.get("LA"))
    return StudyRecord(
        pmid=normalise_pmid(fields.get("PMID", "")),
        doi=doi,
        pmcid=pmcid,
        title=" ".join((fields.get("TI") or fields.get("BTI") or "").split()),
        abstract=fields.get("AB", "").strip(),
        journal=fields.get("JT") or fields.get("TA") or fields.get("BTI") or "",
        year=_year(fields.get("DP", "")),
        volume=fields.get("VI", ""),
        issue=fields.get("IP", ""),
        pages=fields.get("PG", ""),
        authors=authors,
        language=languages[0] if languages else "",
        publication_types=_as_list(fields.get("PT")),
        mesh_terms=mesh,
        comments_corrections=links,
        kind=RecordKind.BOOK_CHAPTER if fields.get("BTI") else RecordKind.JOURNAL_ARTICLE,
        raw=raw,
        raw_format=RawFormat.MEDLINE,
    )


# MEDLINE tags for comments and corrections, mapped to the XML RefType names.
_MEDLINE_LINK_TAGS = {
    "RIN": "RetractionIn",
    "ROF": "RetractionOf",
    "EIN": "ErratumIn",
    "EFR": "ErratumFor",
    "ECI": "ExpressionOfConcernIn",
    "ECF": "ExpressionOfConcernFor",
    "CIN": "CommentIn",
    "CON": "CommentOn",
    "UIN": "UpdateIn",
    "UOF": "UpdateOf",
    "RPI": "RepublishedIn",
    "RPF": "RepublishedFrom",
}


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _medline_chunks(lines: Iterable[str]) -> Iterator[str]:
    """The raw text of each MEDLINE record (records are separated by blank lines)."""
    chunk: list[str] = []
    for line in lines:
        if line.strip():
            chunk.append(line)
        elif chunk:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def parse_medline(source: BinaryIO, name: str = "input") -> Iterator[StudyRecord]:
    """Stream StudyRecords out of MEDLINE text, one record in memory at a time."""
    text = io.TextIOWrapper(source, encoding="utf-8", errors="replace", newline=None)
    try:
        for number, chunk in enumerate(_medline_chunks(text), start=1):
            parsed = list(Medline.parse(io.StringIO(chunk)))
            if not parsed or "PMID" not in parsed[0]:
                raise ParseError(
                    f"{name}: MEDLINE record {number} has no PMID line; is this MEDLINE text?"
                )
            try:
                record = _medline_record(parsed[0], chunk)
            except ValueError as exc:
                raise ParseError(f"{name}: MEDLINE record {number}: {exc}") from exc
            yield _finish(record)
    finally:
        # Hand the caller's file back open: a discarded wrapper would close it.
        text.detach()


# ---------------------------------------------------------------------------------------------
# Format detection


def sniff_format(head: bytes) -> str:
    """Which parser reads a file, from its first bytes: PubMed XML, MEDLINE text or JSON."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return RawFormat.PUBMED_XML
    if text.startswith((b"{", b"[")):
        return RawFormat.CROSSREF_JSON
    if re.match(rb"PMID- ", text):
        return RawFormat.MEDLINE
    raise ParseError(
        "Unrecognised file: expected PubMed XML (efetch retmode=xml), MEDLINE text "
        "(starting with 'PMID- ') or Crossref JSON."
    )


def parse_file(source: BinaryIO, name: str = "input") -> Iterator[StudyRecord]:
    """Records from a PubMed XML, MEDLINE or Crossref JSON file, detected by content."""
    buffered = source if hasattr(source, "peek") else io.BufferedReader(source)
    kind = sniff_format(buffered.peek(512)[:512])
    if kind == RawFormat.PUBMED_XML:
        return parse_pubmed_xml(buffered, name)
    if kind == RawFormat.MEDLINE:
        return parse_medline(buffered, name)
    from studies.crossref import parse_crossref_json  # crossref imports this module

    return parse_crossref_json(buffered, name)


# ---------------------------------------------------------------------------------------------
# E-utilities client


class RemoteError(Exception):
    """A remote service (PubMed, Crossref) could not give an answer; the message says why."""


class Offline(RemoteError):
    """The service's host cannot be reached at all (no network, DNS failure): no retrying."""


class PubMedError(RemoteError):
    """E-utilities refused the request or answered with something unusable."""


# How the retry loop waits; tests replace it so that no test sleeps.
pause = time.sleep

REQUEST_TIMEOUT = 30  # seconds for one HTTP request; a stalled connection then becomes retryable
RETRY_ATTEMPTS = 4
MAX_RETRY_WAIT = 60  # seconds; a Retry-After longer than this fails at once instead of waiting
EFETCH_BATCH = 200  # NCBI's advice for ids per efetch request

# Network failures that retrying cannot fix: the host's name does not resolve, or there is no
# route to it. Reported at once so an offline command fails in a second, not after minutes.
_UNREACHABLE_ERRNOS = {101, 111, 113}  # ENETUNREACH, ECONNREFUSED, EHOSTUNREACH


def _unreachable(exc: BaseException) -> bool:
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, socket.gaierror):
        return True
    return isinstance(reason, OSError) and reason.errno in _UNREACHABLE_ERRNOS


def _retry_after(headers) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date), if any."""
    value = (headers.get("Retry-After") if headers else None) or ""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def call_with_retries(
    request: Callable[[], bytes],
    *,
    service: str,
    attempts: int = RETRY_ATTEMPTS,
    sleep: Callable[[float], None] | None = None,
    base_delay: float = 1.0,
) -> bytes:
    """Run request() and retry timeouts, truncated bodies, HTTP 429 and 5xx with backoff.

    HTTP 429 waits as long as Retry-After asks (up to MAX_RETRY_WAIT), otherwise the wait
    doubles from base_delay. An unreachable host raises Offline at once. Other HTTP errors are
    re-raised untouched for the caller, which knows what a 400 or 404 means for its service.
    """
    sleep = sleep or pause
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        delay = base_delay * 2 ** (attempt - 1)
        try:
            return request()
        except HTTPError as exc:
            if exc.code != 429 and not 500 <= exc.code < 600:
                raise
            if exc.code == 429:
                asked = _retry_after(exc.headers)
                if asked is not None and asked > MAX_RETRY_WAIT:
                    raise RemoteError(
                        f"{service} is rate-limiting us and asks to wait {asked:.0f} s; "
                        "try again later."
                    ) from exc
                delay = asked if asked is not None else delay
            if last:
                raise RemoteError(
                    f"{service} answered HTTP {exc.code} ({exc.reason}) {attempts} times in a "
                    "row; try again later."
                ) from exc
        except (URLError, OSError, HTTPException) as exc:
            if _unreachable(exc):
                raise Offline(
                    f"Cannot reach {service}: {_reason(exc)}. Is this machine offline?"
                ) from exc
            if last:
                raise RemoteError(
                    f"{service} did not answer properly {attempts} times in a row "
                    f"({_reason(exc)}); try again later."
                ) from exc
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises


def _reason(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, URLError) else exc
    text = str(reason) or type(reason).__name__
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"timed out ({text})" if text != "timed out" else "timed out"
    return text


def _urlopen_with_timeout(request, *args, **kwargs):
    kwargs.setdefault("timeout", REQUEST_TIMEOUT)
    # Only Bio.Entrez calls this, always with an https://eutils.ncbi.nlm.nih.gov request.
    return urllib.request.urlopen(request, *args, **kwargs)  # noqa: S310


def _entrez_params() -> dict:
    """Identification NCBI asks for, from settings; empty values are left out."""
    params = {
        "tool": getattr(settings, "NCBI_TOOL", "") or "evidence-kb",
        "email": getattr(settings, "NCBI_EMAIL", "") or None,
        "api_key": getattr(settings, "NCBI_API_KEY", "") or None,
    }
    # Our own loop retries (honouring Retry-After); Bio.Entrez's would sleep 15 s per try.
    Entrez.max_tries = 1
    # Bio.Entrez opens URLs without a timeout, so a stalled connection would hang forever.
    # Tests replace Bio.Entrez.urlopen with a fake; only the stdlib one is swapped here.
    if Entrez.urlopen is urllib.request.urlopen:
        Entrez.urlopen = _urlopen_with_timeout
    return params


def _read_entrez(open_handle: Callable[[], object]) -> bytes:
    """Open an Entrez handle and read the whole body inside the retry loop.

    Reading inside the loop means a connection cut mid-body (IncompleteRead, a timeout while
    reading) is retried like any other transient failure.
    """

    def request() -> bytes:
        with warnings.catch_warnings():
            # Bio.Entrez warns on every call without an email; the commands say it once.
            warnings.filterwarnings("ignore", message=r"\s*Email address is not specified")
            handle = open_handle()
        try:
            body = handle.read()
        finally:
            handle.close()
        return body.encode("utf-8") if isinstance(body, str) else body

    try:
        return call_with_retries(request, service="PubMed (eutils.ncbi.nlm.nih.gov)")
    except HTTPError as exc:
        raise PubMedError(
            f"PubMed refused the request: HTTP {exc.code} {exc.reason}".rstrip()
            + (f" ({detail})" if (detail := _http_error_text(exc)) else "")
        ) from exc


def _http_error_text(exc: HTTPError) -> str:
    try:
        body = exc.read() if exc.fp is not None else b""
    except OSError:
        return ""
    text = re.sub(r"<[^>]+>", " ", body.decode("utf-8", errors="replace"))
    return " ".join(text.split())[:200]


def fetch_pubmed_batches(
    pmids: Iterable[str],
) -> Iterator[tuple[list[str], list[StudyRecord]]]:
    """Fetch PubMed records for PMIDs, EFETCH_BATCH at a time: (asked PMIDs, records found).

    A PMID PubMed does not know is simply absent from the records; the caller reports it.
    Raises RemoteError (Offline when there is no network) or ParseError for unusable replies.
    """
    wanted = list(dict.fromkeys(normalise_pmid(pmid) for pmid in pmids))
    for start in range(0, len(wanted), EFETCH_BATCH):
        batch = wanted[start : start + EFETCH_BATCH]
        params = _entrez_params()
        body = _read_entrez(
            lambda batch=batch, params=params: Entrez.efetch(
                db="pubmed", id=",".join(batch), retmode="xml", **params
            )
        )
        name = f"PubMed efetch reply for {len(batch)} PMID(s) starting {batch[0]}"
        if not body.strip():
            yield batch, []
            continue
        yield batch, list(parse_pubmed_xml(io.BytesIO(body), name=name))


def parse_esearch_ids(body: bytes, name: str = "esearch reply") -> tuple[int, list[str]]:
    """(Count, Ids) from an E-utilities esearch XML reply."""
    try:
        root = ET.fromstring(body)  # noqa: S314 - see parse_pubmed_xml on expat's safety
    except ET.ParseError as exc:
        raise ParseError(f"{name}: malformed XML ({exc}).") from exc
    if root.tag != "eSearchResult":
        raise ParseError(f"{name}: expected <eSearchResult>, got <{root.tag}>.")
    errors = [_text(item) for item in root.iterfind("ERROR")]
    if errors:
        raise PubMedError(f"PubMed search failed: {'; '.join(errors)}")
    count_text = (root.findtext("Count") or "0").strip()
    count = int(count_text) if count_text.isdigit() else 0
    return count, [(item.text or "").strip() for item in root.iterfind("IdList/Id")]


def search_pmid_for_doi(doi: str) -> str | None:
    """The PMID of the PubMed record with this DOI, None when PubMed has none (or several)."""
    doi = normalise_doi(doi)
    params = _entrez_params()
    body = _read_entrez(lambda: Entrez.esearch(db="pubmed", term=f"{doi}[doi]", **params))
    count, ids = parse_esearch_ids(body, name=f"PubMed search for DOI {doi}")
    if count != 1 or len(ids) != 1:
        return None
    return normalise_pmid(ids[0])
