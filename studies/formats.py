"""Which parser reads a file: PubMed XML, MEDLINE text or Crossref JSON, told by content."""

import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from studies.crossref_json import parse_crossref_json
from studies.medline import parse_medline
from studies.pubmed_xml import parse_pubmed_xml
from studies.records import ParseError, RawFormat, StudyRecord


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
    return parse_crossref_json(buffered, name)
