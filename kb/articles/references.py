"""The article's reference list: finding where it is, reading its entries into References,
and adding the studies the prose links to without listing them."""

from __future__ import annotations

import re

from kb.articles.blocks import GENERIC_LINK_TEXT, NUMBER_LINE, REFERENCE_HEADING, URLISH_TEXT
from kb.articles.find_ids import (
    INLINE_ID,
    NONE,
    URL_IN_TEXT,
    Identifiers,
    identifiers_from_text,
    identifiers_from_url,
    safe_url,
    trim_trailing,
)
from kb.articles.model import Block, Link, ListedReference
from kb.articles.text import SENTINEL, plain, render_links, sentinel

_BACK_LINK = re.compile(r"\s*[\u21a9\u21b5\u2934\u2191][\ufe0e\ufe0f]?")
_CITATION_LIKE = re.compile(
    r"\b10\.\d{4,9}/|\bpmid\b|pubmed|doi\.org|\bet al\b"
    r"|\b(?:19|20)\d{2}\b.*\b\d+\s*[-\u2013]\s*\d+",
    re.I,
)


def _citation_count(blocks: list[Block], links: list[Link]) -> int:
    def cites(block: Block) -> bool:
        if _CITATION_LIKE.search(plain(block.text)):
            return True
        return any(
            identifiers_from_url(links[int(p[1:])].href).found()
            for p in SENTINEL.findall(block.text)
            if p[:1] == "l" and p[1:].isdigit()
        )

    return sum(1 for block in blocks if cites(block))


def split_reference_section(blocks: list[Block], links: list[Link]) -> tuple[int, int, int]:
    """(end of body, first reference block, end of references) as block indexes.

    A heading such as "References" or "Sources, Studies, and Scientific Research" followed by
    entries that read like citations; else the last list that mostly reads like citations.
    Whatever follows the reference list (author bio, comments) is not body text.
    """
    for i, block in enumerate(blocks):
        if block.kind == "heading" and REFERENCE_HEADING.match(plain(block.text)):
            j = i + 1
            while j < len(blocks) and (
                blocks[j].kind == "item"
                or (
                    blocks[j].kind == "paragraph"
                    and (
                        NUMBER_LINE.match(plain(blocks[j].text))
                        or _CITATION_LIKE.search(blocks[j].text)
                    )
                )
            ):
                j += 1
            # "Sources of caffeine" followed by a bullet list is not a reference list.
            entries = blocks[i + 1 : j]
            if entries and 2 * _citation_count(entries, links) >= len(entries):
                return i, i + 1, j
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(blocks):
        if blocks[i].kind == "item":
            j = i
            while j < len(blocks) and blocks[j].kind == "item":
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    for start, end in reversed(runs):
        if 2 * _citation_count(blocks[start:end], links) > end - start:
            body_end = start - 1 if start and blocks[start - 1].kind == "heading" else start
            return body_end, start, end
    return len(blocks), len(blocks), len(blocks)


def parse_references(
    blocks: list[Block], links: list[Link], warnings: list[str]
) -> list[ListedReference]:
    references: list[ListedReference] = []
    seen: set[int] = set()
    for position, block in enumerate(blocks, start=1):
        hrefs = [
            links[int(p[1:])].href
            for p in SENTINEL.findall(block.text)
            if p[:1] == "l" and p[1:].isdigit()  # "n3" is a numeric marker, not a link
        ]
        text = plain(render_links(block.text, links))
        text = _BACK_LINK.sub("", text).strip()  # a footnote's "↩︎" back to the text
        number = block.number
        numbered = re.match(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)])\s+", text)
        if numbered:
            number = int(numbered.group(1) or numbered.group(2))
            text = text[numbered.end() :]
        number = number or position
        if not text:
            continue
        if number in seen:
            warnings.append(
                f"The reference list numbers two entries {number}; the second "
                f"({text[:80]!r}) was ignored."
            )
            continue
        seen.add(number)
        ids = NONE
        for href in hrefs:
            ids = ids.merged(identifiers_from_url(href))
        ids = ids.merged(identifiers_from_text(text))
        url = next((u for u in map(safe_url, hrefs) if u), None)
        if url is None:
            found = URL_IN_TEXT.search(text)
            url = safe_url(trim_trailing(found.group(0))) if found else None
        references.append(
            ListedReference(
                number=number, text=text, doi=ids.doi, pmid=ids.pmid, pmcid=ids.pmcid, url=url
            )
        )
        if not ids.found():
            warnings.append(
                f"Reference {number} has no DOI or PMID, nor a PMCID ({text[:80]!r}); it can only "
                "be matched to a study by its title."
            )
    return sorted(references, key=lambda r: r.number)


def link_bare_identifiers(text: str, links: list[Link]) -> str:
    out, last = [], 0
    for match in INLINE_ID.finditer(text):
        raw = trim_trailing(match.group(0))
        href = raw
        if raw.lower().startswith("doi:"):
            href = "https://doi.org/" + raw[4:].strip()
        elif raw.lower().startswith("pmid"):
            href = "https://pubmed.ncbi.nlm.nih.gov/" + re.sub(r"\D", "", raw) + "/"
        elif raw.lower().startswith("pmcid"):
            href = "https://pmc.ncbi.nlm.nih.gov/articles/PMC" + re.sub(r"\D", "", raw) + "/"
        out.append(text[last : match.start()])
        out.append(sentinel(f"l{len(links)}"))
        links.append(Link(href=href, text=raw, replaced=True))
        last = match.start() + len(raw)
    out.append(text[last:])
    return "".join(out)


def identifier_keys(ids: Identifiers) -> list[tuple[str, str]]:
    """("doi", value), ("pmid", value), ("pmcid", value) for each identifier present."""
    return [(name, value) for name, value in ids._asdict().items() if value]


def reference_for_link(
    link: Link, ids: Identifiers, references, by_identifier, warnings, listed
) -> int:
    """The number of the reference a DOI/PubMed/PMC link points to; a new reference if none."""
    for key in identifier_keys(ids):
        if key in by_identifier:
            return by_identifier[key]
    number = (references[-1].number if references else 0) + 1  # the list is kept sorted
    text = plain(link.text)
    if not text or URLISH_TEXT.match(text) or GENERIC_LINK_TEXT.fullmatch(text):
        text = (
            f"doi:{ids.doi}" if ids.doi else f"PMID: {ids.pmid}" if ids.pmid else
            f"PMCID: {ids.pmcid}"
        )  # fmt: skip
    references.append(
        ListedReference(
            number=number,
            text=text,
            doi=ids.doi,
            pmid=ids.pmid,
            pmcid=ids.pmcid,
            url=safe_url(link.href),
        )
    )
    for key in identifier_keys(ids):
        by_identifier[key] = number
    if listed:
        warnings.append(
            f"The text links to {text!r}, which is not in the reference list; it was added "
            f"as reference {number}."
        )
    return number
