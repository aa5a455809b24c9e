"""MEDLINE text (efetch rettype=medline): a streaming parser via Bio.Medline, one record in
memory at a time. Pure: never a network call."""

import io
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from Bio import Medline

from studies.identifiers import normalise_pmid
from studies.pubmed_fields import finish, first_year, safe_doi, safe_pmcid
from studies.records import ParseError, RawFormat, RecordKind, StudyRecord, author, link


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
            doi = safe_doi(value)
    if fields.get("PMC"):
        pmcid = safe_pmcid(fields["PMC"])

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
        year=first_year(fields.get("DP", "")),
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
            yield finish(record)
    finally:
        # Hand the caller's file back open: a discarded wrapper would close it.
        text.detach()
