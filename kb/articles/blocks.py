"""The article as a flat sequence of blocks (headings, paragraphs, list items, table cells),
from sanitised HTML or from plain text. Later stages only ever see blocks, so both inputs are
read by the same rules."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from kb.articles.find_ids import identifiers_from_url
from kb.articles.model import Block, Link
from kb.articles.text import SENTINEL, collapse, sentinel

_NUMERIC_TEXT = re.compile(r"[\[(]?\s*\d{1,3}(?:\s*[,;\u2013\u2014-]\s*\d{1,3})*\s*[\])]?")
URLISH_TEXT = re.compile(r"(?:https?://|www\.|doi:|10\.\d{4,9}/|pmid\b)", re.I)
GENERIC_LINK_TEXT = re.compile(
    r"(?:pubmed|pmc|doi|link|source|study|ref|reference|here|abstract|full text)\W*", re.I
)
_UNIT_BEFORE_SUP = re.compile(r"(?:\d|\b(?:m|cm|mm|km|µm|um|nm|kg|ft|in|s|x))\s*$", re.I)
_SKIPPED_CONTAINERS = {"nav", "aside", "form"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKISH = {
    "address", "article", "blockquote", "body", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "header", "hr", "html", "li", "main", "ol", "p", "pre", "section",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
} | _HEADINGS  # fmt: skip
_VOID = {"br", "hr", "img", "meta", "link", "wbr", "input", "source", "col", "area", "base"}


class HtmlBlocks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.links: list[Link] = []
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.times: list[str] = []
        self._buf: list[str] = []
        self._stack: list[str] = []
        self._lists: list[list] = []  # [ordered, counter]
        self._anchors: list[tuple[int, str, str]] = []
        self._sups: list[int] = []
        self._in_title = False
        self._skip = 0

    # The sanitiser re-serialises, so tags are balanced; only <li>/<p> may be implied.
    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "meta":
            key = (attrs.get("name") or attrs.get("property") or "").lower()
            if key and attrs.get("content"):
                self.meta.setdefault(key, attrs["content"])
            return
        if tag == "title":
            self._in_title = True
            return
        if tag in _SKIPPED_CONTAINERS:
            self._flush()
            self._skip += 1
            self._stack.append(tag)
            return
        if tag == "time" and attrs.get("datetime"):
            self.times.append(attrs["datetime"])
        if tag == "br":
            self._buf.append(" ")
            return
        if tag in _VOID:
            return
        if tag in _BLOCKISH:
            self._flush()
        if tag in ("ul", "ol"):
            self._lists.append([tag == "ol", _int(attrs.get("start"), 1) - 1])
        elif tag == "li" and self._lists:
            current = self._lists[-1]
            current[1] = _int(attrs.get("value"), current[1] + 1)
        elif tag == "a":
            self._anchors.append((len(self._buf), attrs.get("href", ""), attrs.get("rel", "")))
        elif tag == "sup":
            self._sups.append(len(self._buf))
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
            return
        if tag in _VOID or tag not in self._stack:
            return
        if tag in _SKIPPED_CONTAINERS:
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._anchors:
            self._close_anchor(*self._anchors.pop())
        elif tag == "sup" and self._sups:
            self._close_sup(self._sups.pop())
        if tag in _BLOCKISH:
            self._flush()
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        while self._stack:
            if self._stack.pop() == tag:
                break

    def handle_data(self, data):
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip:
            self._buf.append(data)

    def close(self):
        super().close()
        self._flush()

    def _close_anchor(self, pos: int, href: str, rel: str):
        pos = min(pos, len(self._buf))
        raw = "".join(self._buf[pos:])
        text = collapse(SENTINEL.sub("", raw))
        if not href or (href.startswith("#") and not _NUMERIC_TEXT.fullmatch(text)):
            return
        ident = identifiers_from_url(href).found()
        if _NUMERIC_TEXT.fullmatch(text) and not ident:
            # "<a href="#ref-3">3</a>": a marker pointing into the reference list.
            self._buf[pos:] = [sentinel("n" + text.strip("[]() "))]
            return
        index = len(self.links)
        self.links.append(Link(href=href, text=text, rel=rel))
        if (
            _NUMERIC_TEXT.fullmatch(text)
            or URLISH_TEXT.match(text)
            or (ident and GENERIC_LINK_TEXT.fullmatch(text))
        ):
            self.links[index].replaced = True
            self._buf[pos:] = [sentinel(f"l{index}")]
        else:
            self._buf.append(sentinel(f"l{index}"))

    def _close_sup(self, pos: int):
        pos = min(pos, len(self._buf))
        raw = "".join(self._buf[pos:])
        text = collapse(raw)
        if SENTINEL.search(text) and not SENTINEL.sub("", text).strip("[](), "):
            return  # already a marker (a numeric link inside the superscript)
        before = "".join(self._buf[:pos])
        if _NUMERIC_TEXT.fullmatch(text) and not _UNIT_BEFORE_SUP.search(before):
            self._buf[pos:] = [sentinel("n" + text.strip("[]() "))]

    def _flush(self):
        raw = "".join(self._buf)
        self._buf.clear()
        self._anchors = [(0, href, rel) for _, href, rel in self._anchors]
        self._sups = [0 for _ in self._sups]
        text = collapse(raw)
        if not collapse(SENTINEL.sub("", text)) and not SENTINEL.search(text):
            return
        kind, level, number = "paragraph", 0, None
        for tag in reversed(self._stack):
            if tag == "li":
                kind = "item"
                if self._lists and self._lists[-1][0]:
                    number = self._lists[-1][1]
                break
            if tag in _HEADINGS:
                kind, level = "heading", int(tag[1])
                break
            if tag in ("td", "th", "caption"):
                kind = "cell"
                break
        self.blocks.append(Block(kind=kind, text=text, level=level, number=number))


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


_BULLET_LINE = re.compile(r"^\s*[•●▪◦‣∙·○■□➢➤►▶✓✔*\u2013\u2014-]\s+(.*)$")
NUMBER_LINE = re.compile(r"^\s*(?:(\d{1,3})[.)]|\[(\d{1,3})\])\s+(.*)$")
REFERENCE_HEADING = re.compile(
    r"^\W*(?:references?|sources?|bibliography|citations?|works cited|literature|"
    r"further reading|footnotes|notes|studies cited)\b",
    re.I,
)
TERMINAL = re.compile(r"[.!?:;…][\"'\u201d\u2019)\]]*$")


def text_blocks(text: str) -> list[Block]:
    """Plain text as blocks: blank lines separate blocks; a line starting with a bullet or a
    list number starts an item; other lines continue the item or paragraph before them (so
    hard-wrapped text reads as one paragraph)."""
    blocks: list[Block] = []
    group: list[str] = []
    in_references = False
    for line in [*text.splitlines(), ""]:
        if line.strip():
            group.append(line)
            continue
        if not group:
            continue
        # Text copied from a browser: a heading sits right above its text, with no blank line.
        if (
            len(group) > 1
            and len(group[0].strip()) <= 80
            and not TERMINAL.search(group[0])
            and not (_BULLET_LINE.match(group[0]) or NUMBER_LINE.match(group[0]))
            and group[1].strip()[:1].isupper()
        ):
            heading = collapse(group.pop(0))
            blocks.append(Block("heading", heading))
            in_references = bool(REFERENCE_HEADING.match(heading))
        units: list[Block] = []
        for raw in group:
            bullet, numbered = _BULLET_LINE.match(raw), NUMBER_LINE.match(raw)
            if in_references and not (bullet or numbered) and raw.strip()[:1].isupper():
                # A reference list whose numbers were lost in copying: one entry per line.
                units.append(Block("item", collapse(raw)))
            elif bullet:
                units.append(Block("item", collapse(bullet.group(1))))
            elif numbered:
                number = int(numbered.group(1) or numbered.group(2))
                units.append(Block("item", collapse(numbered.group(3)), number=number))
            elif units:
                units[-1].text = f"{units[-1].text} {collapse(raw)}"
                units[-1].lines += 1
            else:
                units.append(Block("paragraph", collapse(raw)))
        first = units[0]
        short_line = first.lines == 1 and len(first.text) <= 120
        if first.kind == "paragraph" and short_line and not TERMINAL.search(first.text):
            first.kind = "heading"
        elif first.kind == "paragraph" and short_line and first.text.endswith("?"):
            first.kind = "heading"  # FAQ questions
        elif (
            len(units) == 1
            and first.number is not None
            and short_line
            and not TERMINAL.search(first.text)
        ):
            # "1. Cognitive Improvement" alone between blank lines: a numbered heading.
            first.kind, first.text = "heading", collapse(group[0])
        blocks.extend(units)
        group = []
        in_references = False  # only lines pasted right under the heading lost their numbers
    return blocks
