"""PubMed efetch XML (db=pubmed retmode=xml): a streaming parser, bytes in, StudyRecords out.

Pure: never a network call. In particular PubMed XML is NOT read with Bio.Entrez.read, which
resolves the DTD named in the DOCTYPE and may fetch it from NCBI; xml.etree's expat parser
ignores external DTDs.
"""

import re
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

from studies.identifiers import normalise_pmid
from studies.pubmed_fields import finish, first_year, safe_doi, safe_pmcid
from studies.records import ParseError, RawFormat, RecordKind, StudyRecord, author, link

# CommentsCorrections RefTypes kept on the record. "Cites" links are the reference list in
# another guise (hundreds per record) and say nothing about the record's standing.
_SKIPPED_LINKS = frozenset({"Cites"})

_RECORD_TAGS = frozenset({"PubmedArticle", "PubmedBookArticle"})
_SET_TAGS = frozenset({"PubmedArticleSet", "PubmedBookArticleSet"})


def text_of(elem: ET.Element | None) -> str:
    """All text inside an element, inline markup (<i>, <sub>, ...) flattened, spaces collapsed.

    The result is plain text: a "<" that was "&lt;" in the XML stays "<"; templates escape it.
    """
    if elem is None:
        return ""
    if len(elem) == 0:  # no inline markup: the common case, and cheaper
        return " ".join(elem.text.split()) if elem.text else ""
    return " ".join("".join(elem.itertext()).split())


def _bare_orcid(value: str) -> str:
    # PubMed gives ORCIDs bare, as URLs, or with stray spaces; store the 16-character form.
    match = re.search(r"(\d{4}-?\d{4}-?\d{4}-?\d{3}[\dXx])", value or "")
    if not match:
        return ""
    digits = match.group(1).replace("-", "").upper()
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def _pub_date_year(pub_date: ET.Element | None) -> int | None:
    if pub_date is None:
        return None
    year = pub_date.findtext("Year")
    if year and year.strip().isdigit():
        return int(year.strip())
    # MedlineDate is free text such as "1998 Dec-1999 Jan" or "Spring 2001": the first year.
    return first_year(pub_date.findtext("MedlineDate") or "")


def _abstract(abstract: ET.Element | None) -> str:
    if abstract is None:
        return ""
    sections = []
    for part in abstract.iterfind("AbstractText"):
        body = text_of(part)
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
                parts[child.tag] = text_of(child)
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
    medline = text_of(pagination.find("MedlinePgn"))
    if medline:
        return medline
    start, end = text_of(pagination.find("StartPage")), text_of(pagination.find("EndPage"))
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
                source=text_of(item.find("RefSource")),
                pmid=text_of(item.find("PMID")),
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
    return [text_of(heading.find("DescriptorName")) for heading in headings]


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

    doi = safe_doi(ids.get("doi", ""))
    if doi is None:
        for location in article.iterfind("ELocationID"):
            if location.get("EIdType") == "doi" and location.get("ValidYN", "Y") == "Y":
                doi = safe_doi(location.text or "")
                if doi:
                    break

    year = _pub_date_year(issue.find("PubDate") if issue is not None else None)
    if year is None:
        year = first_year(article.findtext("ArticleDate/Year") or "")

    return StudyRecord(
        pmid=normalise_pmid(citation.findtext("PMID") or ""),
        doi=doi,
        pmcid=safe_pmcid(ids.get("pmc", "")),
        title=text_of(article.find("ArticleTitle")) or text_of(article.find("VernacularTitle")),
        abstract=_abstract(article.find("Abstract")),
        journal=text_of(journal.find("Title")) if journal is not None else "",
        year=year,
        volume=text_of(issue.find("Volume")) if issue is not None else "",
        issue=text_of(issue.find("Issue")) if issue is not None else "",
        pages=_pages(article.find("Pagination")),
        authors=_authors(article.find("AuthorList")),
        language=text_of(article.find("Language")),
        publication_types=[
            text_of(pt) for pt in article.iterfind("PublicationTypeList/PublicationType")
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
    doi = safe_doi(ids.get("doi", ""))
    if doi is None:
        for location in document.iterfind("ELocationID"):
            if location.get("EIdType") == "doi":
                doi = safe_doi(location.text or "")
                if doi:
                    break
    # A BookDocument has one AuthorList per role; only the chapter's own authors are wanted.
    author_list = None
    for candidate in document.iterfind("AuthorList"):
        if candidate.get("Type", "authors") == "authors":
            author_list = candidate
            break
    book_title = text_of(book.find("BookTitle")) if book is not None else ""
    year = _pub_date_year(book.find("PubDate")) if book is not None else None
    return StudyRecord(
        pmid=normalise_pmid(document.findtext("PMID") or ""),
        doi=doi,
        pmcid=safe_pmcid(ids.get("pmc", "")),
        title=text_of(document.find("ArticleTitle")) or book_title,
        abstract=_abstract(document.find("Abstract")),
        journal=book_title,
        year=year,
        volume=text_of(book.find("Volume")) if book is not None else "",
        pages=_pages(document.find("Pagination")),
        authors=_authors(author_list),
        language=text_of(document.find("Language")),
        publication_types=[text_of(pt) for pt in document.iterfind("PublicationType")],
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
        # The bytes of the record being read (or a marker's worth of tail between records),
        # grown in place: copying it on every read made one huge record take quadratic time.
        self._buffer = bytearray()
        self._in_record = False
        self.segments: deque[bytes] = deque()

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if data:
            self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        buffer = self._buffer
        # Only what arrived since the last read is searched (with a margin for a split marker).
        searched = max(0, len(buffer) - self._MARGIN)
        buffer += data
        pos = 0
        while True:
            if not self._in_record:
                start = self._START.search(buffer, max(pos, searched))
                if start is None:
                    del buffer[: max(pos, len(buffer) - self._MARGIN)]
                    return
                self._in_record = True
                pos = searched = start.start()
            end = self._END.search(buffer, max(pos, searched))
            if end is None:
                del buffer[:pos]
                return
            self.segments.append(bytes(buffer[pos : end.end()]))
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
                yield finish(record)
                root.clear()  # the record just mapped and anything before it (DeleteCitation)
    except ET.ParseError as exc:
        raise ParseError(f"{name}: malformed XML ({exc}).") from exc


def _not_pubmed(name: str, root_tag: str, events) -> str:
    """The message for a document that is not PubMed article XML, with NCBI's own words."""
    detail = ""
    if root_tag == "eFetchResult":  # NCBI's error reply: small, read it for the ERROR text
        errors = [text_of(elem) for event, elem in events if event == "end" and elem.tag == "ERROR"]
        detail = f" NCBI said: {'; '.join(errors)}" if errors else ""
    return (
        f"{name}: not PubMed article XML (the root element is <{root_tag}>, expected "
        f"<PubmedArticleSet>).{detail}"
    )


def _record_hint(elem: ET.Element) -> str:
    pmid = elem.findtext("MedlineCitation/PMID") or elem.findtext("BookDocument/PMID")
    return f"PMID {pmid.strip()}" if pmid else "without a PMID"
