"""Crossref works JSON (REST API replies) and doi.org CSL-JSON: a parser, bytes in, StudyRecords
out. Pure: never a network call."""

import html
import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from studies import limits
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


# Crossref's JSON is loosely typed in practice: every value is read through these, so a value
# of the wrong type ("author": "Smith", "issued": "2020") ends in a ParseError naming the field
# rather than in a TypeError, or in a wrong value stored silently.


def _wrong(field: str, expected: str, value) -> ParseError:
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ParseError(f"'{field}' should be {expected}, not {shown}")


def _text(work: dict, field: str) -> str:
    """A text field: Crossref gives titles as lists of texts, CSL-JSON as one text."""
    value = work.get(field)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if not isinstance(value, str):
        raise _wrong(field, "a text or a list of texts", work.get(field))
    return value


def _code(work: dict, field: str) -> str:
    """A short code (volume, issue, pages): a text or a whole number."""
    value = work.get(field)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _wrong(field, "a text or a number", value)
    return str(value)


def _list_of_objects(work: dict, field: str) -> list[dict]:
    value = work.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _wrong(field, "a list of objects", value)
    return value


def _year(work: dict) -> int | None:
    for key in ("issued", "published-print", "published-online", "published", "created"):
        date = work.get(key)
        if date is None:
            continue
        if not isinstance(date, dict):
            raise _wrong(key, 'an object with "date-parts"', date)
        parts = date.get("date-parts")
        if parts is None:
            continue
        if not isinstance(parts, list) or not all(isinstance(p, list) for p in parts):
            raise _wrong(f"{key}.date-parts", "a list of [year, month, day] lists", parts)
        if not parts or not parts[0] or parts[0][0] is None:
            continue
        year = parts[0][0]
        if isinstance(year, str) and year.isdigit():
            year = int(year)
        if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 2999:
            raise _wrong(f"{key}.date-parts", "a list of [year, month, day] lists", parts)
        return year
    return None


def _orcid(value: str) -> str:
    match = re.search(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", value or "", re.IGNORECASE)
    return match.group(1).upper() if match else ""


def _authors(work: dict) -> list[dict]:
    people = []
    for number, person in enumerate(_list_of_objects(work, "author"), start=1):
        for key in ("family", "given", "suffix", "ORCID", "name", "literal"):
            if person.get(key) is not None and not isinstance(person[key], str):
                raise _wrong(f"author {number}: {key}", "a text", person[key])
        if person.get("family") or person.get("given"):
            people.append(
                author(
                    family=(person.get("family") or "").strip(),
                    given=(person.get("given") or "").strip(),
                    suffix=(person.get("suffix") or "").strip(),
                    orcid=_orcid(person.get("ORCID") or ""),
                )
            )
        elif person.get("name") or person.get("literal"):
            people.append(author(collective=(person.get("name") or person.get("literal")).strip()))
    return people


def _safe_doi(value) -> str:
    try:
        return normalise_doi(value) if isinstance(value, str) else ""
    except ValueError:
        return ""


def _update_type(update: dict, field: str) -> str:
    kind = update.get("type") or ""
    if not isinstance(kind, str):
        raise _wrong(f"{field}: type", "a text", kind)
    return kind.lower().replace("-", "_")


def _links(work: dict) -> list[dict]:
    found = []
    for key, names in (("updated-by", _UPDATED_BY), ("update-to", _UPDATE_TO)):
        for update in _list_of_objects(work, key):
            kind = _update_type(update, key)
            label = update.get("label")
            found.append(
                link(
                    names.get(kind, kind),
                    source=label if isinstance(label, str) and label else kind,
                    doi=_safe_doi(update.get("DOI", "")),
                )
            )
    return found


def map_work(work: dict, raw: str = "") -> StudyRecord:
    """One Crossref work (REST "message" or CSL-JSON item) as a StudyRecord; ParseError naming
    the field when a value has the wrong type."""
    if not isinstance(work, dict):
        raise _wrong("work", "an object", work)
    doi = work.get("DOI") or work.get("doi")
    if not doi:
        raise ParseError("Crossref work without a DOI")
    if not isinstance(doi, str):
        raise _wrong("DOI", "a text", doi)
    crossref_type = _text(work, "type").lower()
    links = _links(work)
    notice = any(
        _update_type(update, "update-to") in _NOTICE_UPDATES
        for update in _list_of_objects(work, "update-to")
    )
    abstract = work.get("abstract") or ""
    if not isinstance(abstract, str):
        raise _wrong("abstract", "a text", abstract)
    language = _text(work, "language").lower()
    try:
        doi = normalise_doi(doi)
    except ValueError as exc:
        raise ParseError(f"'DOI': {exc}") from exc
    record = StudyRecord(
        pmid=None,
        doi=doi,
        title=_plain(_text(work, "title")),
        abstract=jats_to_text(abstract),
        journal=_plain(_text(work, "container-title")),
        year=_year(work),
        volume=_code(work, "volume"),
        issue=_code(work, "issue"),
        pages=_code(work, "page") or _code(work, "article-number"),
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
            items = message.get("items") or []
            if not isinstance(items, list):
                raise _wrong("message.items", "a list of works", items)
            return items
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

    JSON cannot be streamed with the standard library, so a file over limits.CROSSREF_FILE is
    refused before it is read into memory (Crossref pages work lists at most 1,000 items, a
    few MB).
    """
    data = source.read(limits.CROSSREF_FILE + 1)
    if len(data) > limits.CROSSREF_FILE:
        raise ParseError(
            f"{name}: a Crossref JSON file may be at most {limits.CROSSREF_FILE // 2**20} MB; "
            "split it into smaller files. Nothing was imported."
        )
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParseError(f"{name}: not valid JSON ({exc}).") from exc
    except RecursionError:
        raise ParseError(f"{name}: JSON nested too deeply to be a Crossref reply.") from None
    try:
        works = works_in(document)
    except ParseError as exc:
        raise ParseError(f"{name}: {exc}") from exc
    for number, work in enumerate(works, start=1):
        try:
            yield map_work(work)
        except (ParseError, ValueError) as exc:
            raise ParseError(f"{name}: work {number}: {exc}") from exc
