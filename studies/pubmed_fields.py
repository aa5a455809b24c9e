"""What the two PubMed formats (efetch XML, MEDLINE text) share: MeSH check tags, lenient
identifier and year reading, and the fields derived the same way whichever parser read a record.
"""

import re

from studies.identifiers import normalise_doi, normalise_pmcid
from studies.records import RecordKind, StudyRecord, is_notice, is_retracted

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

_YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")


def first_year(text: str) -> int | None:
    """The first plausible year (1500-2999) in free text such as "1998 Dec-1999 Jan"."""
    match = _YEAR.search(text or "")
    return int(match.group(1)) if match else None


def safe_doi(value: str) -> str | None:
    """The normalised DOI, or None for a value that is not one (PubMed has malformed ones)."""
    try:
        return normalise_doi(value)
    except ValueError:
        return None


def safe_pmcid(value: str) -> str | None:
    """The normalised PMCID, or None for a value that is not one."""
    try:
        return normalise_pmcid(value)
    except ValueError:
        return None


def finish(record: StudyRecord) -> StudyRecord:
    """Derived fields, computed the same way whichever parser built the record."""
    record.check_tags = [term for term in record.mesh_terms if term in CHECK_TAGS]
    record.retracted = is_retracted(record.publication_types, record.comments_corrections)
    if is_notice(record.publication_types):
        record.kind = RecordKind.NOTICE
    return record
