"""The plain record every parser produces, whatever the source format.

Parsers (PubMed XML, MEDLINE text, Crossref JSON) turn bytes into StudyRecord objects; the
importer turns StudyRecord objects into Study rows. Nothing here touches the database or the
network, so parsers can be tested on files alone.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import TextChoices


class RecordKind(StrEnum):
    # The first four are the Study.Kind codes.
    JOURNAL_ARTICLE = "journal_article"
    BOOK_CHAPTER = "book_chapter"
    BOOK = "book"
    OTHER = "other"
    # An erratum or similar notice about another record: recognised so it can be skipped.
    NOTICE = "notice"


class RawFormat(TextChoices):
    """The format a study's raw record is kept in (also Study.raw_format's choices)."""

    PUBMED_XML = "pubmed_xml", "PubMed XML"
    MEDLINE = "medline", "MEDLINE text"
    # Crossref REST works JSON and doi.org CSL-JSON alike.
    CROSSREF_JSON = "crossref_json", "Crossref JSON"


class ParseError(ValueError):
    """Input that is not the format it claims to be; the message says what is wrong and where."""


# PubMed CommentsCorrections RefTypes (and Crossref update types mapped onto them) that mean
# the record itself has been retracted.
RETRACTION_LINKS = frozenset({"RetractionIn"})
RETRACTED_PUBLICATION_TYPE = "Retracted Publication"
# Publication types of records that are notices about other records, not studies.
NOTICE_PUBLICATION_TYPES = frozenset(
    {
        "Published Erratum",
        "Retraction of Publication",
        "Expression of Concern",
    }
)


def author(
    family: str = "",
    given: str = "",
    suffix: str = "",
    collective: str = "",
    orcid: str = "",
) -> dict:
    """One author as stored: a person (family/given/suffix) or a collective name, plus ORCID."""
    return {
        "family": family,
        "given": given,
        "suffix": suffix,
        "collective": collective,
        "orcid": orcid,
    }


def link(ref_type: str, source: str = "", pmid: str = "", doi: str = "") -> dict:
    """One comment/correction link to another record (PubMed CommentsCorrections shape)."""
    return {"type": ref_type, "source": source, "pmid": pmid, "doi": doi}


@dataclass
class StudyRecord:
    """Bibliographic metadata of one study, as read from one source record."""

    pmid: str | None = None
    doi: str | None = None
    pmcid: str | None = None
    title: str = ""
    abstract: str = ""
    journal: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    authors: list[dict] = field(default_factory=list)
    language: str = ""
    publication_types: list[str] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)
    # MeSH check tags (Humans, Animals, Male, ...) are kept apart from topical headings
    # because design suggestion reads them (Animals without Humans -> animal study).
    check_tags: list[str] = field(default_factory=list)
    comments_corrections: list[dict] = field(default_factory=list)
    retracted: bool = False
    kind: str = RecordKind.JOURNAL_ARTICLE
    raw: str = ""
    raw_format: str = RawFormat.PUBMED_XML

    @property
    def is_notice(self) -> bool:
        return self.kind == RecordKind.NOTICE

    @property
    def label(self) -> str:
        """How to name this record in messages: its PMID, else its DOI, else its title."""
        if self.pmid:
            return f"PMID {self.pmid}"
        if self.doi:
            return f"DOI {self.doi}"
        return repr(self.title[:60]) if self.title else "a record without identifiers"


def is_retracted(publication_types: list[str], comments_corrections: list[dict]) -> bool:
    """A record is retracted when PubMed types it so or links it to a retraction notice."""
    return RETRACTED_PUBLICATION_TYPE in publication_types or any(
        item.get("type") in RETRACTION_LINKS for item in comments_corrections
    )


def is_notice(publication_types: list[str]) -> bool:
    """Errata and retraction notices describe other records; they are not studies.

    A record typed both as a notice and as something substantive (e.g. a Comment that is also
    a Published Erratum) is still a notice: PubMed only adds these types to notices.
    """
    return any(pt in NOTICE_PUBLICATION_TYPES for pt in publication_types)
