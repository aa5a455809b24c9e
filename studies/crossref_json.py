"""Crossref works JSON (REST API replies) and doi.org CSL-JSON: a parser, bytes in, StudyRecords
out. Pure: never a network call."""

import html
import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from studies.identifiers import normalise_doi
from studies.records import (
    ParseError,
    RawFormat,
    RecordKind,
    StudyRecord,
    author,
    is_retracted,
    link,
)

# Crossref update types, as PubMed CommentsCorrections RefTypes. On the updated work they
# arrive in "updated-by"; on the notice itself in "update-to".
_UPDATED_BY = {
    "retraction": "RetractionIn",
    "partial_retraction": "RetractionIn",
    "withdrawal": "RetractionIn",
    "removal": "RetractionIn",
    "correction": "ErratumIn",
    "erratum": "ErratumIn",
    "corrigendum": "ErratumIn",
    "expression_of_concern": "ExpressionOfConcernIn",
    "new_version": "UpdateIn",
}
_UPDATE_TO = {
    "retraction": "RetractionOf",
    "partial_retraction": "RetractionOf",
    "withdrawal": "RetractionOf",
    "removal": "RetractionOf",
    "correction": "ErratumFor",
    "erratum": "ErratumFor",
    "corrigendum": "ErratumFor",
    "expression_of_concern": "ExpressionOfConcernFor",
    "new_version": "UpdateOf",
}
# A work that updates another with one of these is a notice about it, not a study.
_NOTICE_UPDATES = frozenset(_UPDATE_TO) - {"new_version"}

_KINDS = {
    "journal-article": RecordKind.JOURNAL_ARTICLE,
    "book-chapter": RecordKind.BOOK_CHAPTER,
    "book-section": RecordKind.BOOK_CHAPTER,
    "book-part": RecordKind.BOOK_CHAPTER,
    "reference-entry": RecordKind.BOOK_CHAPTER,
    "book": RecordKind.BOOK,
    "monograph": RecordKind.BOOK,
    "edited-book": RecordKind.BOOK,
    "reference-book": RecordKind.BOOK,
    # CSL types, as doi.org content negotiation may give them
    "article-journal": RecordKind.JOURNAL_ARTICLE,
    "chapter": RecordKind.BOOK_CHAPTER,
}

# Crossref gives ISO 639-1 codes; PubMed (and so most stored studies) uses MARC codes.
_LANGUAGES = {
    "en": "eng",
    "de": "ger",
    "fr": "fre",
    "es": "spa",
    "it": "ita",
    "ru": "rus",
    "zh": "chi",
    "ja": "jpn",
    "pt": "por",
    "nl": "dut",
    "pl": "pol",
    "uk": "ukr",
}

_TAG = re.compile(r"<(/?)([A-Za-z][\w:.-]*)(?:\s[^<>]*)?(/?)>")
_BLOCKS = frozenset({"p", "sec", "list-item", "title", "abstract", "trans-abstract"})


_SPACE_INSIDE_BRACKETS = re.compile(r"([(\[])\s+|\s+([)\],;.])")


def _plain(fragment: str) -> str:
    """Inline markup removed, entities decoded, whitespace collapsed: one line of plain text."""
    text = " ".join(html.unescape(_TAG.sub("", fragment or "")).split())
    # Pretty-printed JATS puts line breaks around inline tags: "( <italic>KRAS</italic> )".
    return _SPACE_INSIDE_BRACKETS.sub(lambda m: m.group(1) or m.group(2), text)


def jats_to_text(jats: str) -> str:
    """A JATS (or HTML) abstract as plain text: paragraphs split by blank lines.

    A leading title "Abstract" is dropped; other section titles become labels in PubMed's
    style ("Background: ..."). Tags are matched by name only, so a stray "<" as in "P<0.05" or
    an undeclared "jats:" prefix cannot break it. The result contains no markup at all.
    """
    paragraphs: list[str] = []
    pending_label = ""
    buffer: list[str] = []
    in_title = False
    title_parts: list[str] = []

    def flush() -> None:
        nonlocal pending_label
        text = _plain("".join(buffer))
        buffer.clear()
        if not text:
            return
        if pending_label:
            text = f"{pending_label}: {text}"
            pending_label = ""
        paragraphs.append(text)

    pos = 0
    for match in _TAG.finditer(jats or ""):
        chunk = jats[pos : match.start()]
        (title_parts if in_title else buffer).append(chunk)
        pos = match.end()
        closing, name = match.group(1) == "/", match.group(2).split(":")[-1].lower()
        if name not in _BLOCKS:
            continue
        if name == "title":
            if not closing:
                flush()
                in_title, title_parts = True, []
            else:
                in_title = False
                title = _plain("".join(title_parts))
                if title.lower() != "abstract" or paragraphs or pending_label:
                    if pending_label:  # a section title with no text of its own
                        paragraphs.append(f"{pending_label}:")
                    pending_label = title.rstrip(":")
        else:
            flush()
    buffer.append(jats[pos:] if jats else "")
    flush()
    if pending_label:
        paragraphs.append(f"{pending_label}:")
    return "\n\n".join(paragraphs)


def _first(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _year(work: dict) -> int | None:
    for key in ("issued", "published-print", "published-online", "published", "created"):
        parts = (work.get(key) or {}).get("date-parts") or []
        if parts and parts[0] and parts[0][0]:
            try:
                return int(parts[0][0])
            except (TypeError, ValueError):
                continue
    return None


def _orcid(value: str) -> str:
    match = re.search(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", value or "", re.IGNORECASE)
    return match.group(1).upper() if match else ""


def _authors(work: dict) -> list[dict]:
    people = []
    for person in work.get("author") or []:
        if person.get("family") or person.get("given"):
            people.append(
                author(
                    family=person.get("family", "").strip(),
                    given=person.get("given", "").strip(),
                    suffix=person.get("suffix", "").strip(),
                    orcid=_orcid(person.get("ORCID", "")),
                )
            )
        elif person.get("name") or person.get("literal"):
            people.append(author(collective=(person.get("name") or person.get("literal")).strip()))
    return people


def _safe_doi(value: str) -> str:
    try:
        return normalise_doi(value)
    except ValueError:
        return ""


def _links(work: dict) -> list[dict]:
    found = []
    for key, names in (("updated-by", _UPDATED_BY), ("update-to", _UPDATE_TO)):
        for update in work.get(key) or []:
            kind = (update.get("type") or "").lower().replace("-", "_")
            found.append(
                link(
                    names.get(kind, kind),
                    source=update.get("label") or kind,
                    doi=_safe_doi(update.get("DOI", "")),
                )
            )
    return found


def map_work(work: dict, raw: str = "") -> StudyRecord:
    """One Crossref work (REST "message" or CSL-JSON item) as a StudyRecord."""
    doi = work.get("DOI") or work.get("doi")
    if not doi:
        raise ParseError("Crossref work without a DOI")
    crossref_type = (work.get("type") or "").lower()
    links = _links(work)
    notice = any(
        (update.get("type") or "").lower().replace("-", "_") in _NOTICE_UPDATES
        for update in work.get("update-to") or []
    )
    language = (work.get("language") or "").lower()
    record = StudyRecord(
        pmid=None,
        doi=normalise_doi(doi),
        title=_plain(_first(work.get("title"))),
        abstract=jats_to_text(work.get("abstract") or ""),
        journal=_plain(_first(work.get("container-title"))),
        year=_year(work),
        volume=str(work.get("volume") or ""),
        issue=str(work.get("issue") or ""),
        pages=str(work.get("page") or work.get("article-number") or ""),
        authors=_authors(work),
        language=_LANGUAGES.get(language, language),
        publication_types=["Journal Article"] if crossref_type == "journal-article" else [],
        comments_corrections=links,
        kind=RecordKind.NOTICE if notice else _KINDS.get(crossref_type, RecordKind.OTHER),
        raw=raw or json.dumps(work, ensure_ascii=False),
        raw_format=RawFormat.CROSSREF_JSON,
    )
    record.retracted = is_retracted(record.publication_types, links)
    return record


def works_in(document) -> list[dict]:
    """The works in a Crossref reply: single-work envelope, work-list envelope or CSL-JSON.

    A failure envelope (status "failed", e.g. a 400 validation failure) raises ParseError with
    Crossref's own messages.
    """
    if isinstance(document, list):
        return [item for item in document if isinstance(item, dict)]
    if not isinstance(document, dict):
        raise ParseError("Crossref JSON is neither an object nor a list")
    if "message-type" in document or "status" in document:
        if document.get("status") != "ok":
            raise ParseError(f"Crossref reported a failure: {failure_text(document)}")
        message = document.get("message")
        kind = document.get("message-type")
        if kind == "work" and isinstance(message, dict):
            return [message]
        if kind == "work-list" and isinstance(message, dict):
            return list(message.get("items") or [])
        raise ParseError(f"Crossref reply of type {kind!r} holds no works")
    if "DOI" in document or "doi" in document:
        return [document]  # CSL-JSON from doi.org content negotiation
    raise ParseError("JSON without Crossref works (no 'message' and no 'DOI')")


def failure_text(document: dict) -> str:
    """Crossref's own words from a failure envelope ({"status": "failed", "message": ...})."""
    message = document.get("message")
    if isinstance(message, list):
        parts = [
            item.get("message") or json.dumps(item) if isinstance(item, dict) else str(item)
            for item in message
        ]
        return "; ".join(parts) or document.get("message-type", "unknown error")
    return str(message or document.get("message-type") or "unknown error")


def parse_crossref_json(source: BinaryIO, name: str = "input") -> Iterator[StudyRecord]:
    """StudyRecords from Crossref works JSON or CSL-JSON.

    JSON cannot be streamed with the standard library; Crossref pages work lists at most
    1,000 items, so a reply fits in memory comfortably.
    """
    try:
        document = json.load(source)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"{name}: not valid JSON ({exc}).") from exc
    try:
        works = works_in(document)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from exc
    for number, work in enumerate(works, start=1):
        try:
            yield map_work(work)
        except (ParseError, ValueError) as exc:
            raise ParseError(f"{name}: work {number}: {exc}") from exc
