"""The pipeline: input to blocks, reference list split off, then each block's markers,
sentences, claims and conflicts; and the JSON shape the import command prints."""

from __future__ import annotations

import bisect

from kb.articles.blocks import HtmlBlocks, text_blocks
from kb.articles.classify import RATE, is_claim, suggest_kind
from kb.articles.conflicts import (
    add_conflict,
    boxed_conflicts,
    conflict_kind,
    link_conflict_kind,
    strongest,
)
from kb.articles.find_ids import Identifiers, identifiers_from_url, safe_url
from kb.articles.markers import strip_markers
from kb.articles.metadata import Structured, fill_metadata, read_structured
from kb.articles.model import Article, Block, ConflictOfInterest, Link, ProposedClaim
from kb.articles.references import (
    identifier_keys,
    link_bare_identifiers,
    parse_references,
    reference_for_link,
    split_reference_section,
)
from kb.articles.sentences import sentence_spans
from kb.articles.source import (
    ArticleError,
    decode_input,
    looks_like_html,
    sanitise_html,
    sanitising_warning,
)
from kb.articles.text import S_CLOSE, S_OPEN, collapse, plain, render_links
from kb.articles.web import fetch_url


def extract_article(data: bytes | str, *, fmt: str = "auto", url: str | None = None) -> Article:
    """Read an article (HTML or plain text) into an Article.

    fmt: "auto" (HTML if it contains HTML tags), "html" or "text". Raises ArticleError when the
    input is not a readable article; everything less serious goes to Article.warnings.
    """
    if fmt not in ("auto", "html", "text"):
        raise ValueError(f"fmt must be auto, html or text, not {fmt!r}")
    text = decode_input(data)
    text = text.replace(S_OPEN, "").replace(S_CLOSE, "")  # input cannot forge a marker
    warnings: list[str] = []
    meta: dict[str, str] = {}
    links: list[Link] = []
    html_title = ""
    times: list[str] = []
    boxed: list[ConflictOfInterest] = []
    structured = Structured()
    if fmt == "html" or (fmt == "auto" and looks_like_html(text)):
        # JSON-LD and the canonical link do not survive sanitising: read them first.
        structured = read_structured(text)
        warnings.extend(structured.problems)
        notice = sanitising_warning(text)
        if notice:
            warnings.append(notice)
        parser = HtmlBlocks()
        clean_html = sanitise_html(text)
        parser.feed(clean_html)
        parser.close()
        boxed = boxed_conflicts(clean_html)
        blocks, links, meta, times = parser.blocks, parser.links, parser.meta, parser.times
        html_title = collapse("".join(parser.title_parts))
    else:
        blocks = text_blocks(text)
    if not any(plain(b.text) for b in blocks):
        raise ArticleError("No readable text was found in the article.")
    article = _analyse(blocks, links, meta, html_title, times, structured, url, warnings)
    for conflict in boxed:
        add_conflict(article.conflicts_of_interest, conflict.text, conflict.kind)
    return article


def extract_from_url(url: str, *, opener=None) -> Article:
    body, media = fetch_url(url, opener=opener)
    return extract_article(body, fmt="text" if media == "text/plain" else "auto", url=url)


def _analyse(
    blocks: list[Block],
    links: list[Link],
    meta: dict[str, str],
    html_title: str,
    times: list[str],
    structured: Structured,
    url: str | None,
    warnings: list[str],
) -> Article:
    body_end, refs_start, refs_end = split_reference_section(blocks, links)
    references = parse_references(blocks[refs_start:refs_end], links, warnings)
    listed = bool(references)

    body = blocks[:body_end]
    # Bare identifiers written in the prose ("https://doi.org/10...", "PMID: 123") cite too.
    for block in body:
        block.text = link_bare_identifiers(block.text, links)

    claims: list[ProposedClaim] = []
    conflicts: list[ConflictOfInterest] = []
    position = 0
    section = ""
    lead_in = ""
    unmatched: dict[int, list[str]] = {}
    any_marker = False
    listed_numbers = {r.number for r in references}
    by_identifier = {}
    for ref in references:
        for key in identifier_keys(Identifiers(ref.doi, ref.pmid, ref.pmcid)):
            by_identifier.setdefault(key, ref.number)

    for block in body:
        clean, markers = strip_markers(block.text)
        spans = sentence_spans(clean)
        if block.kind == "heading":
            section = plain(clean)
            lead_in = section
            if section and RATE.search(section) and not section.endswith("?"):
                # "Severe Side Effects (Rare, <1% of users)": a heading that states a rate.
                claims.append(
                    ProposedClaim(
                        quote=section,
                        references=[],
                        kind=suggest_kind(section),
                        position=position,
                        section=section,
                    )
                )
            position += max(1, len(spans))
            continue
        sentence_refs: list[list[int]] = [[] for _ in spans]
        sentence_affiliate: list[str | None] = [None for _ in spans]
        starts = [start for start, _end in spans]
        doubled: set[tuple[int, int]] = set()
        for marker in markers:
            if not spans:
                continue
            # The last sentence starting before the marker: a marker right after a full stop
            # belongs to the sentence it closes.
            index = max(0, bisect.bisect_left(starts, marker.offset) - 1)
            numbers = marker.numbers
            if marker.link is not None:
                link = links[marker.link]
                ids = identifiers_from_url(link.href)
                if ids.found():
                    numbers = [
                        reference_for_link(link, ids, references, by_identifier, warnings, listed)
                    ]
                    listed_numbers.update(numbers)
                elif kind := link_conflict_kind(link):
                    sentence_affiliate[index] = strongest(sentence_affiliate[index], kind)
                    continue
                else:
                    continue
            any_marker = any_marker or bool(numbers)
            for number in numbers:
                if number not in sentence_refs[index]:
                    sentence_refs[index].append(number)
                elif (index, number) not in doubled:
                    doubled.add((index, number))
                    start, end = spans[index]
                    warnings.append(
                        f"Reference {number} is cited twice in one sentence "
                        f"({plain(clean[start : min(end, start + 200)])[:80]!r}); "
                        "counted once."
                    )
        for k, (start, end) in enumerate(spans):
            quote = plain(clean[start:end])
            known = [n for n in sentence_refs[k] if n in listed_numbers]
            for n in sentence_refs[k]:
                if n not in known:
                    unmatched.setdefault(n, []).append(quote)
            if not quote:
                position += 1
                continue
            # By its words only: articles run on after a "Where to buy" heading (the seed's
            # dosing follows its vendor paragraph), unlike the boxes boxed_conflicts reads.
            conflict = strongest(conflict_kind(quote), sentence_affiliate[k])
            if conflict:
                add_conflict(conflicts, quote, conflict)
            # A cited sentence is always proposed, even a vendor's; an uncited one if it reads
            # as a claim and is not a sales pitch.
            if sentence_refs[k] or (
                not conflict and is_claim(quote, block, f"{lead_in} {section}")
            ):
                claims.append(
                    ProposedClaim(
                        quote=quote,
                        references=known,
                        kind=suggest_kind(quote, f"{lead_in} {section}"),
                        position=position,
                        section=section,
                    )
                )
            position += 1
        if block.kind == "paragraph":
            lead_in = plain(clean)

    for number, quotes in sorted(unmatched.items()):
        warnings.append(
            f"Citation marker {number} has no matching entry in the reference list "
            f"(in {quotes[0][:80]!r}"
            + (f" and {len(quotes) - 1} more" if len(quotes) > 1 else "")
            + ")."
        )
    cited = {n for claim in claims for n in claim.references}
    if listed and not any_marker:
        warnings.append(
            f"The article lists {len(references)} references but its text carries no "
            "citation markers, so no sentence can be tied to a reference."
        )
    elif listed:
        uncited = [r.number for r in references if r.number not in cited]
        if uncited:
            warnings.append(
                "Listed but never cited in the text: reference "
                + ", ".join(map(str, uncited))
                + "."
            )
    if not references and not any_marker:
        warnings.append(
            "No reference list and no citations were found; the claims are proposed without "
            "references."
        )

    article = Article(
        title="",
        url=safe_url(url) or safe_url(structured.canonical) or safe_url(meta.get("og:url")),
    )
    fill_metadata(article, blocks, meta, html_title, times, structured)
    article.references = references
    article.claims = claims
    article.conflicts_of_interest = conflicts
    article.warnings = [plain(w) for w in warnings]
    article.text = _plain_text(blocks, links)
    return article


def _plain_text(blocks: list[Block], links: list[Link]) -> str:
    parts = []
    for block in blocks:
        text = plain(render_links(block.text, links))
        if not text:
            continue
        if block.kind == "item":
            prefix = f"{block.number}. " if block.number is not None else "• "
            parts.append(prefix + text)
        else:
            parts.append(text)
    return "\n\n".join(parts)


def article_to_json(article: Article, studies: dict | None = None) -> dict:
    """The shape `import_article --json` prints; None where a value is absent.

    `studies` maps a reference number to the stored study it resolves to, as
    {"id", "pmid", "doi", "match": "identifier" | "title"} (the caller looks them up)."""
    studies = studies or {}
    return {
        "source": {
            "title": article.title,
            "url": article.url,
            "author": article.author or None,
            "published": article.published.isoformat() if article.published else None,
            "publisher": article.publisher or None,
            "conflicts_of_interest": [
                {"text": c.text, "kind": c.kind} for c in article.conflicts_of_interest
            ],
        },
        "references": [
            {
                "number": r.number,
                "text": r.text,
                "doi": r.doi,
                "pmid": r.pmid,
                "pmcid": r.pmcid,
                "study": studies.get(r.number),
            }
            for r in article.references
        ],
        "claims": [
            {"quote": c.quote, "references": list(c.references), "kind": c.kind}
            for c in article.claims
        ],
    }
