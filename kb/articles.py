"""Reading a marketing article: its references, the sentences that cite them, the other sentences
that promise something about the compound, and its conflicts of interest.

Pure functions over text and plain dataclasses; nothing here touches the database (saving is
kb.article_import). The pipeline is:

    bytes/str --decode_input--> text --(HTML? sanitise_html, walk DOM | plain text: lines)-->
    blocks (heading / paragraph / item / cell) --> reference section split off --> per block:
    citation markers removed and remembered by offset --> sentences --> claims, conflicts.

Quote rules (kb.article_import, the grading file and the UI rely on them being exactly this):
a quote is the sentence's text as it appears in the article with
  * its citation markers removed ("(1)", "[1]", "(1,3)", "(2-4)", superscripts, links to
    PubMed/DOI whose text is a number or a URL) together with the whitespace before them;
  * a doubled full stop left in front of a removed marker ("events..(1)") reduced to one;
  * every run of whitespace (including non-breaking spaces) collapsed to one space and the
    ends stripped; zero-width characters dropped;
  * for list items, the bullet glyph or the list number ("•", "-", "1.") removed; a
    "Label: text" item keeps its label.
Nothing else is changed: typos, curly quotes and the final punctuation stay as written.
"""

from __future__ import annotations

import bisect
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import nh3

from kb.vocabulary import ClaimKind
from studies.identifiers import normalise_doi, normalise_pmid

MAX_BYTES = 2 * 1024 * 1024  # an article is tens of KB; 2 MB is a page with its junk
FETCH_TIMEOUT = 10  # seconds; offline, urlopen fails at once on DNS, this bounds a dead server
USER_AGENT = "EvidenceKB/0.1 (article import; +https://example.org/evidence-kb)"


class ArticleError(ValueError):
    """The input cannot be read as an article at all (empty, binary, too large, unreachable)."""


@dataclass
class Reference:
    number: int
    text: str
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None


@dataclass
class ProposedClaim:
    quote: str
    references: list[int]
    kind: str
    position: int  # index of the sentence among all sentences of the article's body
    section: str = ""  # the nearest heading above the sentence, for context in review


@dataclass
class Article:
    title: str
    author: str = ""
    publisher: str = ""
    published: date | None = None
    url: str | None = None
    references: list[Reference] = field(default_factory=list)
    claims: list[ProposedClaim] = field(default_factory=list)
    conflicts_of_interest: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # the sanitised article as plain text, markers kept, for storing and display


# --------------------------------------------------------------------------------------------
# Input: decoding, size and type checks, fetching


def decode_input(data: bytes | str) -> str:
    """The input as text, or ArticleError saying why it is not a readable article."""
    if isinstance(data, str):
        if len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise ArticleError(_too_large(len(data.encode("utf-8", "surrogatepass"))))
        text = data
    else:
        if len(data) > MAX_BYTES:
            raise ArticleError(_too_large(len(data)))
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            try:
                text = data.decode("utf-16")
            except UnicodeDecodeError as exc:
                raise ArticleError(f"The file claims to be UTF-16 but is not: {exc}.") from None
        else:
            if b"\x00" in data[:8192]:
                raise ArticleError(
                    "This looks like a binary file (it contains NUL bytes), not an article. "
                    "Upload the page as HTML or plain text."
                )
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ArticleError(
                    f"The file is not UTF-8 text (byte 0x{data[exc.start]:02x} at position "
                    f"{exc.start}). Save it as UTF-8 and upload it again."
                ) from None
    if "\x00" in text[:8192]:
        raise ArticleError("This looks like a binary file (it contains NUL characters).")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > 8:
        raise ArticleError(
            "This looks like a binary file (it is full of control characters), not an article."
        )
    if not text.strip():
        raise ArticleError("The article is empty.")
    return text


def _too_large(size: int) -> str:
    return (
        f"The article is too large ({size / 1024 / 1024:.1f} MB; the limit is "
        f"{MAX_BYTES // 1024 // 1024} MB). Paste only the article's text."
    )


def fetch_url(url: str, *, opener=None, timeout: float = FETCH_TIMEOUT) -> tuple[bytes, str]:
    """The body and Content-Type of a page, or ArticleError.

    `opener(request, timeout=...)` is the one seam for tests and for a proxy-aware client; it
    must return an object with .read(n) and .headers (like urllib's response).
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ArticleError(f"Not a web address: {url[:200]!r}. Give an http(s):// URL.")
    opener = opener or urllib.request.urlopen
    # The scheme was checked above: only http(s) reaches urlopen.
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with opener(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
            content_type = response.headers.get("Content-Type", "") or ""
    except urllib.error.HTTPError as exc:
        raise ArticleError(f"Could not fetch {url}: the server answered {exc.code}.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ArticleError(
            f"Could not fetch {url} ({reason}). The network may be unavailable: "
            "paste the article's text or upload its HTML instead."
        ) from None
    if len(body) > MAX_BYTES:
        raise ArticleError(_too_large(len(body)))
    media = content_type.split(";")[0].strip().lower()
    if media and not (media.startswith("text/") or media in ("application/xhtml+xml",)):
        raise ArticleError(f"{url} is not a web page (Content-Type {media}).")
    charset = re.search(r"charset=([\w.-]+)", content_type, re.I)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        try:
            body = body.decode(charset.group(1)).encode("utf-8")
        except (LookupError, UnicodeDecodeError):
            raise ArticleError(f"{url} is not readable as {charset.group(1)} text.") from None
    return body, media


def extract_from_url(url: str, *, opener=None) -> Article:
    body, media = fetch_url(url, opener=opener)
    return extract_article(body, fmt="text" if media == "text/plain" else "auto", url=url)


# --------------------------------------------------------------------------------------------
# HTML sanitising

_ALLOWED_TAGS = {
    "a", "abbr", "article", "aside", "b", "blockquote", "br", "caption", "cite", "code", "dd",
    "div", "dl", "dt", "em", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "header", "hr", "i", "li", "main", "meta", "nav", "ol", "p", "pre", "q",
    "section", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "title", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "rel", "title"},
    "meta": {"name", "property", "content"},  # http-equiv is not allowed: no refresh
    "ol": {"start"},
    "li": {"value"},
    "time": {"datetime"},
}


def sanitise_html(html: str) -> str:
    """HTML with nothing executable left: no scripts, styles, frames, event handlers, or
    non-http(s) links. Everything downstream reads this, never the raw input."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        clean_content_tags={"script", "style", "noscript", "template", "iframe", "object"},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )


class _DangerCounter(HTMLParser):
    """Counts what the sanitiser is about to remove, so the report can say so."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: dict[str, int] = {}
        self.handlers: set[str] = set()
        self.bad_links = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "iframe", "object", "embed", "applet", "base", "frame"):
            self.elements[tag] = self.elements.get(tag, 0) + 1
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.add(name)
            elif name in ("href", "src", "action", "formaction") and re.match(
                r"\s*(?:javascript|vbscript|data):", value or "", re.I
            ):
                self.bad_links += 1


def _sanitising_warning(html: str) -> str | None:
    counter = _DangerCounter()
    counter.feed(html)
    counter.close()
    removed = [f"{n} {tag} element{'s' if n > 1 else ''}" for tag, n in counter.elements.items()]
    if counter.handlers:
        removed.append(f"event-handler attributes ({', '.join(sorted(counter.handlers))})")
    if counter.bad_links:
        removed.append(f"{counter.bad_links} link(s) to javascript or data addresses")
    if not removed:
        return None
    return "Removed from the HTML before analysis: " + "; ".join(removed) + "."


# --------------------------------------------------------------------------------------------
# Blocks: the article as a flat sequence of headings, paragraphs, list items and table cells.
# Citation markers found while walking HTML (superscripts, numeric or identifier links) are
# left in the text as private-use "sentinels", so that plain-text and HTML markers are removed
# by one function at one point and their offsets stay right.

_S_OPEN, _S_CLOSE = "\ue000", "\ue001"
_SENTINEL = re.compile(f"{_S_OPEN}([^{_S_CLOSE}]*){_S_CLOSE}")


def _sentinel(payload: str) -> str:
    return f"{_S_OPEN}{payload}{_S_CLOSE}"


@dataclass
class _Link:
    href: str
    text: str
    rel: str = ""
    replaced: bool = False  # its text was taken out of the prose as a marker


@dataclass
class _Block:
    kind: str  # "heading" | "paragraph" | "item" | "cell"
    text: str
    level: int = 0  # heading level, 1-6 (0 = unknown)
    number: int | None = None  # list item number, explicit or by position in an <ol>
    lines: int = 1  # plain text: how many lines the block was made of


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", _INVISIBLE.sub("", text)).strip()


_NUMERIC_TEXT = re.compile(r"[\[(]?\s*\d{1,3}(?:\s*[,;\u2013\u2014-]\s*\d{1,3})*\s*[\])]?")
_URLISH_TEXT = re.compile(r"(?:https?://|www\.|doi:|10\.\d{4,9}/|pmid\b)", re.I)
_GENERIC_LINK_TEXT = re.compile(
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


class _HtmlBlocks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.links: list[_Link] = []
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
        text = _collapse(_SENTINEL.sub("", raw))
        if not href or (href.startswith("#") and not _NUMERIC_TEXT.fullmatch(text)):
            return
        ident = bool(_identifiers_from_url(href)[0] or _identifiers_from_url(href)[1])
        if _NUMERIC_TEXT.fullmatch(text) and not ident:
            # "<a href="#ref-3">3</a>": a marker pointing into the reference list.
            self._buf[pos:] = [_sentinel("n" + text.strip("[]() "))]
            return
        index = len(self.links)
        self.links.append(_Link(href=href, text=text, rel=rel))
        if (
            _NUMERIC_TEXT.fullmatch(text)
            or _URLISH_TEXT.match(text)
            or (ident and _GENERIC_LINK_TEXT.fullmatch(text))
        ):
            self.links[index].replaced = True
            self._buf[pos:] = [_sentinel(f"l{index}")]
        else:
            self._buf.append(_sentinel(f"l{index}"))

    def _close_sup(self, pos: int):
        pos = min(pos, len(self._buf))
        raw = "".join(self._buf[pos:])
        text = _collapse(raw)
        if _SENTINEL.search(text) and not _SENTINEL.sub("", text).strip("[](), "):
            return  # already a marker (a numeric link inside the superscript)
        before = "".join(self._buf[:pos])
        if _NUMERIC_TEXT.fullmatch(text) and not _UNIT_BEFORE_SUP.search(before):
            self._buf[pos:] = [_sentinel("n" + text.strip("[]() "))]

    def _flush(self):
        raw = "".join(self._buf)
        self._buf.clear()
        self._anchors = [(0, href, rel) for _, href, rel in self._anchors]
        self._sups = [0 for _ in self._sups]
        text = _collapse(raw)
        if not _collapse(_SENTINEL.sub("", text)) and not _SENTINEL.search(text):
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
        self.blocks.append(_Block(kind=kind, text=text, level=level, number=number))


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


_BULLET_LINE = re.compile(r"^\s*[•●▪◦‣∙·○■□➢➤►▶✓✔*\u2013\u2014-]\s+(.*)$")
_NUMBER_LINE = re.compile(r"^\s*(?:(\d{1,3})[.)]|\[(\d{1,3})\])\s+(.*)$")
_TERMINAL = re.compile(r"[.!?:;…][\"'\u201d\u2019)\]]*$")


def _text_blocks(text: str) -> list[_Block]:
    """Plain text as blocks: blank lines separate blocks; a line starting with a bullet or a
    list number starts an item; other lines continue the item or paragraph before them (so
    hard-wrapped text reads as one paragraph)."""
    blocks: list[_Block] = []
    group: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            group.append(line)
            continue
        if not group:
            continue
        units: list[_Block] = []
        for raw in group:
            bullet, numbered = _BULLET_LINE.match(raw), _NUMBER_LINE.match(raw)
            if bullet:
                units.append(_Block("item", _collapse(bullet.group(1))))
            elif numbered:
                number = int(numbered.group(1) or numbered.group(2))
                units.append(_Block("item", _collapse(numbered.group(3)), number=number))
            elif units:
                units[-1].text = f"{units[-1].text} {_collapse(raw)}"
                units[-1].lines += 1
            else:
                units.append(_Block("paragraph", _collapse(raw)))
        first = units[0]
        short_line = first.lines == 1 and len(first.text) <= 120
        if first.kind == "paragraph" and short_line and not _TERMINAL.search(first.text):
            first.kind = "heading"
        elif first.kind == "paragraph" and short_line and first.text.endswith("?"):
            first.kind = "heading"  # FAQ questions
        elif (
            len(units) == 1
            and first.number is not None
            and short_line
            and not _TERMINAL.search(first.text)
        ):
            # "1. Cognitive Improvement" alone between blank lines: a numbered heading.
            first.kind, first.text = "heading", _collapse(group[0])
        blocks.extend(units)
        group = []
    return blocks


# --------------------------------------------------------------------------------------------
# Identifiers

_DOI_IN_TEXT = re.compile(r"\b10\.\d{4,9}(?:\.\d+)*/[^\s\"<>]+")
_PMID_IN_TEXT = re.compile(r"\bPMID\s*:?\s*(\d{1,9})\b", re.I)
_PUBMED_HOST = re.compile(r"^(?:pubmed\.ncbi\.nlm\.nih\.gov|(?:www\.)?ncbi\.nlm\.nih\.gov)$", re.I)
_PMC_URL = re.compile(r"(?:pmc\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pmc)/articles/PMC\d+", re.I)
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"]+")
_INLINE_ID = re.compile(
    r"https?://(?:dx\.|www\.)?doi\.org/\S+"
    r"|https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/(?:pubmed|pmc))/\S*"
    r"|https?://pmc\.ncbi\.nlm\.nih\.gov/\S*"
    r"|\bdoi:\s*10\.\d{4,9}/\S+"
    r"|\bPMID\s*:?\s*\d{1,9}\b",
    re.I,
)


def _trim_trailing(text: str) -> str:
    """A DOI or URL as written in prose, without the punctuation that ends the sentence."""
    while text and text[-1] in ".,;:]}>'\"\u201d\u2019":
        text = text[:-1]
    while text.endswith(")") and text.count("(") < text.count(")"):
        text = text[:-1]
    return text


def _identifiers_from_url(href: str) -> tuple[str | None, str | None]:
    """(doi, pmid) named by a doi.org or PubMed link, normalised; (None, None) otherwise."""
    parts = urlsplit(href or "")
    host = parts.netloc.lower()
    if host in ("doi.org", "dx.doi.org", "www.doi.org"):
        try:
            return normalise_doi(href), None
        except ValueError:
            return None, None
    if _PUBMED_HOST.match(host):
        match = re.match(r"^/(?:pubmed/)?(\d{1,9})/?$", parts.path)
        if match:
            try:
                return None, normalise_pmid(match.group(1))
            except ValueError:
                return None, None
    return None, None


def _identifiers_from_text(text: str) -> tuple[str | None, str | None]:
    doi = pmid = None
    for match in _DOI_IN_TEXT.finditer(text):
        try:
            doi = normalise_doi(_trim_trailing(match.group(0)))
            break
        except ValueError:
            continue
    for match in _PMID_IN_TEXT.finditer(text):
        try:
            pmid = normalise_pmid(match.group(1))
            break
        except ValueError:
            continue
    for url in _URL_IN_TEXT.findall(text):
        url_doi, url_pmid = _identifiers_from_url(_trim_trailing(url))
        doi, pmid = doi or url_doi, pmid or url_pmid
    return doi, pmid


def _safe_url(href: str | None) -> str | None:
    if not href:
        return None
    parts = urlsplit(href.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return href.strip()
    return None


# --------------------------------------------------------------------------------------------
# Markers and sentences

_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_NUMS = r"\d{1,3}(?:\s*[,;\u2013\u2014-]\s*\d{1,3})*"
_MARKER = re.compile(
    rf"\s*(?:\((?P<paren>{_NUMS})\)"
    rf"|\[(?P<brack>{_NUMS})\]"
    rf"|[(\[]?\s*{_S_OPEN}(?P<sent>[^{_S_CLOSE}]*){_S_CLOSE}\s*[)\]]?"
    rf"|(?<=[^\W\d]|[.,;:)])(?P<usup>[{_SUPERSCRIPTS}]+(?:[,\u207b\u2013-][{_SUPERSCRIPTS}]+)*))"
)
# Pasted text keeps superscript citations as Unicode superscript digits ("memory.\u00b9").
_SUPERSCRIPT_TO_DIGIT = str.maketrans(_SUPERSCRIPTS, "0123456789", "")
_UNIT_BEFORE = re.compile(r"(?:\b(?:m|cm|mm|km|nm|kg|ft|in|s))$", re.I)


def _parse_numbers(text: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", text.strip()):
        bounds = [int(n) for n in re.split(r"\s*[\u2013\u2014-]\s*", part) if n.isdigit()]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] <= 50:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


@dataclass
class _Marker:
    offset: int  # in the text without markers
    numbers: list[int] = field(default_factory=list)
    link: int | None = None  # index into the document's links, for a link used as a citation


def _strip_markers(text: str) -> tuple[str, list[_Marker]]:
    """The text without its citation markers, and each marker with its offset in that text."""
    out: list[str] = []
    length = 0  # of "".join(out), kept as we go: a 2 MB page may hold many markers
    markers: list[_Marker] = []
    last = 0
    for match in _MARKER.finditer(text):
        if match.group("usup") and _UNIT_BEFORE.search(
            text, max(0, match.start() - 4), match.start()
        ):
            continue  # "5 m\u00b2" is an area, not a citation
        piece = text[last : match.start()]
        last = match.end()
        # "...adverse events..(1)": the second full stop belongs to the marker's notation.
        tail = (out[-1][-3:] if out else "") + piece if len(piece) < 3 else piece[-3:]
        if tail.endswith("..") and not tail.endswith("..."):
            if piece:
                piece = piece[:-1]
            else:
                out[-1] = out[-1][:-1]
                length -= 1
        out.append(piece)
        length += len(piece)
        last_char = piece[-1:] or (out[-2][-1:] if len(out) > 1 else "")
        marker = _Marker(offset=length)
        if match.group("sent") is not None:
            payload = match.group("sent")
            if payload.startswith("n"):
                marker.numbers = _parse_numbers(payload[1:])
            elif payload.startswith("l") and payload[1:].isdigit():
                marker.link = int(payload[1:])
        elif match.group("usup"):
            digits = match.group("usup").translate(_SUPERSCRIPT_TO_DIGIT).replace("\u207b", "-")
            marker.numbers = _parse_numbers(digits)
        else:
            marker.numbers = _parse_numbers(match.group("paren") or match.group("brack"))
        markers.append(marker)
        if last_char.strip() and text[last : last + 1].isalnum():
            out.append(" ")  # "abilities.(5)However" must still read as two sentences
            length += 1
    out.append(text[last:])
    return "".join(out), markers


_ABBREVIATIONS = {
    "al", "approx", "ca", "cf", "co", "dept", "dr", "e.g", "eg", "etc.,", "fig", "figs", "i.e",
    "ie", "inc", "jr", "ltd", "mr", "mrs", "ms", "no", "nos", "p", "pp", "prof", "ref", "refs",
    "sr", "st", "vol", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "mt", "u.s", "u.k",
}  # fmt: skip
_BOUNDARY = re.compile(r"[.!?…]+[\"'\u201d\u2019)\]]*(?=\s+[\"\u201c\u2018'(\[]?[A-Z0-9])")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries: terminal punctuation, then a space, then a capital or a digit;
    not after a known abbreviation or an initial ("J. Smith")."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        # Only the word before the stop matters; a bounded window keeps long runs linear.
        token = re.search(r"(\S+)$", text[max(start, match.start() - 40) : match.start()])
        word = token.group(1).lstrip("([\"'\u201c\u2018").lower() if token else ""
        if word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word):
            continue
        if re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
            continue
        end = match.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


# --------------------------------------------------------------------------------------------
# What a sentence is: claim, conflict of interest, or neither

_REFERENCE_HEADING = re.compile(
    r"^\W*(?:references?|sources?|bibliography|citations?|works cited|literature|"
    r"further reading|footnotes|notes|studies cited)\b",
    re.I,
)
_CITATION_LIKE = re.compile(
    r"\b10\.\d{4,9}/|\bpmid\b|pubmed|doi\.org|\bet al\b"
    r"|\b(?:19|20)\d{2}\b.*\b\d+\s*[-\u2013]\s*\d+",
    re.I,
)
_CONFLICT = re.compile(
    r"\b(?:buy(?:ing)?|purchas\w*|vendors?|coupons?|discount|promo(?:tional)? codes?|"
    r"affiliate|commissions?|sponsor(?:ed|ship|s)?|shipping|shipped|top pick|in stock|"
    r"checkout|add to cart|order (?:now|here|from|online)|prices?|pricing)\b"
    r"|\$\s?\d|€\s?\d|£\s?\d|\b\d+(?:\.\d+)?\s?(?:USD|EUR|GBP)\b",
    re.I,
)
_AFFILIATE_PARAMS = {"ref", "aff", "affid", "affiliate", "tag", "coupon", "discount", "partner"}
_META = re.compile(
    r"^(?:this (?:article|post|guide|page|review)\b|in this (?:article|post|guide)\b|"
    r"we will\b|we['\u2019]ll\b|here['\u2019]s\b|here is\b|here are\b|below\b|read on\b|"
    r"let['\u2019]s\b|"
    r"so what\b|(?:an? |the )?(?:comprehensive|complete|ultimate|in-depth|detailed) "
    r"(?:review|guide|overview)\b)"
    r"|\bwe will (?:also )?(?:discuss|explore|cover|look)\b",
    re.I,
)
_BIO = re.compile(
    r"^(?P<author>[A-Z][\w'\u2019.-]+(?:\s+[A-Z][\w'\u2019.-]+){1,3}) is an? [^.]{0,150}?"
    r"\b(?:author|writer|editor|contributor|founder)\b (?:at|for|with|of) "
    r"(?P<publisher>[A-Z][\w.&'\u2019-]*(?:\s+[A-Z][\w.&'\u2019-]*){0,3})"
)
_UNKNOWN = re.compile(
    r"\b(?:is|are|remains?) (?:still )?(?:unclear|unknown|"
    r"not (?:clearly |well |yet |fully )?(?:defined|known|established|understood))\b"
    r"|\bremains? under investigation\b"
    r"|\bmore (?:\w+ ){0,2}(?:studies|research|trials|evidence|data) (?:is|are) (?:still )?"
    r"(?:needed|required|necessary)\b",
    re.I,
)
_ADVICE_START = re.compile(
    r"^(?:remember|consult|avoid|take|administer|rotate|ensure|apply|consider|visit|seek|"
    r"stay|make sure|talk|ask|always|never|do not|don['\u2019]t|keep|store|discontinue|stop|"
    r"check|read|click|try|if you)\b",
    re.I,
)
_ADVICE_ANY = re.compile(
    r"\b(?:consult(?:ing)? (?:a|your|with)|seek (?:immediate )?medical|"
    r"see a (?:doctor|physician|medical)|visit a (?:hospital|doctor)|talk to your|"
    r"speak (?:to|with) your|it is (?:important|recommended|advisable|essential|crucial)|"
    r"it['\u2019]s (?:important|recommended|advisable|essential|crucial)|is advisable|"
    r"should exercise|exercise caution|make sure|be sure to)\b",
    re.I,
)
_DOSE_QUANTITY = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:[-\u2013]\s*\d+(?:[.,]\d+)?\s*)?(?:ml|mg|mcg|µg|g|iu|units?)\b", re.I
)
# How often something happens: "5-15% of users", "1 in 100", "rare", "uncommon".
_RATE = re.compile(
    r"\d\s*%|\bpercent\b|\b\d+\s+(?:in|of)\s+\d+\b|\b(?:rare|rarely|uncommon|very common)\b",
    re.I,
)
_LABEL = re.compile(r"^[^:.]{1,60}:\s+")
_HARM_LEAD_IN = re.compile(
    r"side[- ]effects?|adverse|avoid|contraindicat|likelihood|\brisks?\b|managed|"
    r"interventions|warnings?|precautions?",
    re.I,
)
_VERB = re.compile(
    r"\b(?:may|can|could|might|will|would|is|are|was|were|has|have|had|does|do|appears?|"
    r"seems?|shows?|remains?|requires?|provides?|offers?|causes?|increases|reduces|leads?|"
    r"results?)\b",
    re.I,
)

# Suggested kind: the first family whose words the sentence uses, in this order (a sentence
# about adverse events that also mentions a dose is about safety).
_KIND_WORDS = [
    (
        ClaimKind.SAFETY,
        r"side[- ]effects?|adverse|safety|\bsafe\b|toxic|contraindicat|interact|\brisks?\b|"
        r"\bharm|death|dying|mortality|seizure|allerg|caution|sensitiv|reactions?|tolerat\w*",
    ),
    (
        ClaimKind.REGULATORY,
        r"\bapprov\w*|licen[cs]ed|prescription|regulat\w*|\bFDA\b|\bEMA\b|\blegal|registered|"
        r"banned|controlled substance",
    ),
    (
        ClaimKind.DOSING,
        r"\b\d+(?:[.,]\d+)?\s*(?:[-\u2013]\s*\d+\s*)?(?:ml|mg|mcg|µg|iu)\b|\bdos(?:e|es|age|ing)\b|"
        r"\bdaily\b|\binject\w*|intramuscular|intravenous|\badminist\w*|\bcycles?\b|"
        r"course of treatment|half-life|\boral(?:ly)?\b",
    ),
    (
        ClaimKind.MECHANISM,
        r"mechanism|works? (?:by|as)|\bcontains?\b|derived|peptides?|neurotrophic factors?|"
        r"\bBDNF\b|\bGDNF\b|\bNGF\b|\bCNTF\b|pathways?|receptors?|blood-brain barrier|"
        r"synthesis|modulat\w*|oxidative|free radicals?|amyloid|\bAPP\b|neurotransmitter|"
        r"synap\w*|apoptosis|inflammat\w*|metabolism|mitochondria\w*|neuroplasticity",
    ),
    (
        ClaimKind.BENEFIT,
        r"improv\w*|enhanc\w*|benefi\w*|reduc\w*|increas\w*|protect\w*|promot\w*|help\w*|"
        r"support\w*|boost\w*|better|efficac\w*|effective\w*|outcomes?|recover\w*|treat\w*|"
        r"therap\w*|slow\w*|prevent\w*|restor\w*|memory|cognit\w*|focus|mood",
    ),
]
_KIND_RES = [(kind, re.compile(words, re.I)) for kind, words in _KIND_WORDS]
_CLAIM_CUE = re.compile(
    "|".join(f"(?:{words})" for _, words in _KIND_WORDS)
    + r"|effects?\b|neur\w*|brain|onset|within|weeks?|hours?|compared|unlike|than\b|"
    r"nootropic\w*|studies|shown|suggest\w*|users?\b|patients?\b",
    re.I,
)


def suggest_kind(sentence: str, context: str = "") -> str:
    """A first guess at the claim's kind, for the editor to confirm."""
    for text in (sentence, context):
        for kind, pattern in _KIND_RES:
            if pattern.search(text):
                return kind.value
    return ClaimKind.OTHER.value


def _is_advice(sentence: str) -> bool:
    body = _LABEL.sub("", sentence, count=1)
    advice = bool(_ADVICE_START.match(sentence) or _ADVICE_START.match(body))
    advice = advice or bool(_ADVICE_ANY.search(sentence))
    return advice and not _DOSE_QUANTITY.search(sentence)


def _is_claim(sentence: str, block: _Block, lead_in: str) -> bool:
    """Whether an uncited sentence states something checkable about the compound.

    Deliberately a short list of readable rules (see the module's report for precision and
    recall on the seed article): editors review every proposed claim anyway.
    """
    if block.kind not in ("paragraph", "item") or not sentence:
        return False
    if sentence.endswith("?") or _META.search(sentence) or _BIO.search(sentence):
        return False
    if _UNKNOWN.search(sentence) or _is_advice(sentence):
        return False
    if block.kind == "paragraph":
        if sentence[0].islower() or not _TERMINAL.search(sentence):
            return False  # a fragment (a line broken off its sentence) or a stray heading
        if sentence.endswith(":"):
            return bool(_RATE.search(sentence))  # a list's lead-in, unless it states a rate
        return bool(_CLAIM_CUE.search(sentence))
    if _HARM_LEAD_IN.search(lead_in):
        # Items of a side-effect or contraindication list ("Headache") name a symptom, they
        # promise nothing; those that make a statement ("Age: Elderly individuals may be...") do.
        return bool(_VERB.search(_LABEL.sub("", sentence, count=1)))
    return bool(_CLAIM_CUE.search(sentence))


def _is_affiliate(link: _Link) -> bool:
    if re.search(r"\b(?:sponsored|affiliate)\b", link.rel or "", re.I):
        return True
    query = parse_qs(urlsplit(link.href).query)
    return any(key.lower() in _AFFILIATE_PARAMS or key.lower().startswith("utm_") for key in query)


# --------------------------------------------------------------------------------------------
# Output safety

_TAG_LIKE = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>")


def _plain(text: str) -> str:
    """Text safe to show anywhere: no sentinels, no control characters, nothing tag-shaped."""
    text = _SENTINEL.sub("", text).replace(_S_OPEN, "").replace(_S_CLOSE, "")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text)
    previous = None
    while previous != text:  # "<scr<b>ipt>" must not reassemble into a tag
        previous, text = text, _TAG_LIKE.sub("", text)
    return _collapse(text)


# --------------------------------------------------------------------------------------------
# The pipeline


def looks_like_html(text: str) -> bool:
    return bool(
        re.search(
            r"<(?:!doctype\s+html|html|head|body|p|div|article|section|h[1-6]|ul|ol|li|table|"
            r"span|a|br|sup|script|style|iframe|img|meta|title)\b[^<>]*>",
            text[:20000],
            re.I,
        )
    )


def extract_article(data: bytes | str, *, fmt: str = "auto", url: str | None = None) -> Article:
    """Read an article (HTML or plain text) into an Article.

    fmt: "auto" (HTML if it contains HTML tags), "html" or "text". Raises ArticleError when the
    input is not a readable article; everything less serious goes to Article.warnings.
    """
    if fmt not in ("auto", "html", "text"):
        raise ValueError(f"fmt must be auto, html or text, not {fmt!r}")
    text = decode_input(data)
    text = text.replace(_S_OPEN, "").replace(_S_CLOSE, "")  # input cannot forge a marker
    warnings: list[str] = []
    meta: dict[str, str] = {}
    links: list[_Link] = []
    html_title = ""
    times: list[str] = []
    if fmt == "html" or (fmt == "auto" and looks_like_html(text)):
        notice = _sanitising_warning(text)
        if notice:
            warnings.append(notice)
        parser = _HtmlBlocks()
        parser.feed(sanitise_html(text))
        parser.close()
        blocks, links, meta, times = parser.blocks, parser.links, parser.meta, parser.times
        html_title = _collapse("".join(parser.title_parts))
    else:
        blocks = _text_blocks(text)
    if not any(_plain(b.text) for b in blocks):
        raise ArticleError("No readable text was found in the article.")
    return _analyse(blocks, links, meta, html_title, times, url, warnings)


def _citation_count(blocks: list[_Block], links: list[_Link]) -> int:
    def cites(block: _Block) -> bool:
        if _CITATION_LIKE.search(_plain(block.text)):
            return True
        return any(
            any(_identifiers_from_url(links[int(p[1:])].href))
            for p in _SENTINEL.findall(block.text)
            if p[:1] == "l" and p[1:].isdigit()
        )

    return sum(1 for block in blocks if cites(block))


def _split_reference_section(blocks: list[_Block], links: list[_Link]) -> tuple[int, int, int]:
    """(end of body, first reference block, end of references) as block indexes.

    A heading such as "References" or "Sources, Studies, and Scientific Research" followed by
    entries that read like citations; else the last list that mostly reads like citations.
    Whatever follows the reference list (author bio, comments) is not body text.
    """
    for i, block in enumerate(blocks):
        if block.kind == "heading" and _REFERENCE_HEADING.match(_plain(block.text)):
            j = i + 1
            while j < len(blocks) and (
                blocks[j].kind == "item"
                or (
                    blocks[j].kind == "paragraph"
                    and (
                        _NUMBER_LINE.match(_plain(blocks[j].text))
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


def _parse_references(
    blocks: list[_Block], links: list[_Link], warnings: list[str]
) -> list[Reference]:
    references: list[Reference] = []
    seen: set[int] = set()
    for position, block in enumerate(blocks, start=1):
        hrefs = [links[int(p[1:])].href for p in _SENTINEL.findall(block.text) if p[1:].isdigit()]
        text = _plain(_render_links(block.text, links))
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
        doi = pmid = None
        for href in hrefs:
            link_doi, link_pmid = _identifiers_from_url(href)
            doi, pmid = doi or link_doi, pmid or link_pmid
        text_doi, text_pmid = _identifiers_from_text(text)
        doi, pmid = doi or text_doi, pmid or text_pmid
        url = next((u for u in map(_safe_url, hrefs) if u), None)
        if url is None:
            found = _URL_IN_TEXT.search(text)
            url = _safe_url(_trim_trailing(found.group(0))) if found else None
        if _PMC_URL.search(text) and not url:
            url = "https://" + _PMC_URL.search(text).group(0)
        references.append(Reference(number=number, text=text, doi=doi, pmid=pmid, url=url))
        if not doi and not pmid:
            warnings.append(
                f"Reference {number} has no DOI or PMID ({text[:80]!r}); match it to a "
                "study by hand."
            )
    return sorted(references, key=lambda r: r.number)


def _analyse(
    blocks: list[_Block],
    links: list[_Link],
    meta: dict[str, str],
    html_title: str,
    times: list[str],
    url: str | None,
    warnings: list[str],
) -> Article:
    body_end, refs_start, refs_end = _split_reference_section(blocks, links)
    references = _parse_references(blocks[refs_start:refs_end], links, warnings)
    listed = bool(references)

    body = blocks[:body_end]
    # Bare identifiers written in the prose ("https://doi.org/10...", "PMID: 123") cite too.
    for block in body:
        block.text = _link_bare_identifiers(block.text, links)

    claims: list[ProposedClaim] = []
    conflicts: list[str] = []
    position = 0
    section = ""
    lead_in = ""
    unmatched: dict[int, list[str]] = {}
    any_marker = False
    listed_numbers = {r.number for r in references}
    by_identifier = {}
    for ref in references:
        for key in (ref.doi and ("doi", ref.doi), ref.pmid and ("pmid", ref.pmid)):
            if key:
                by_identifier.setdefault(key, ref.number)

    for block in body:
        clean, markers = _strip_markers(block.text)
        spans = _sentence_spans(clean)
        if block.kind == "heading":
            section = _plain(clean)
            lead_in = section
            if section and _RATE.search(section) and not section.endswith("?"):
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
        sentence_affiliate = [False for _ in spans]
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
                doi, pmid = _identifiers_from_url(link.href)
                if doi or pmid:
                    numbers = [
                        _reference_for_link(
                            link, doi, pmid, references, by_identifier, warnings, listed
                        )
                    ]
                    listed_numbers.update(numbers)
                elif _is_affiliate(link):
                    sentence_affiliate[index] = True
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
                        f"({_plain(clean[start : min(end, start + 200)])[:80]!r}); "
                        "counted once."
                    )
        for k, (start, end) in enumerate(spans):
            quote = _plain(clean[start:end])
            known = [n for n in sentence_refs[k] if n in listed_numbers]
            for n in sentence_refs[k]:
                if n not in known:
                    unmatched.setdefault(n, []).append(quote)
            if not quote:
                position += 1
                continue
            conflict = bool(_CONFLICT.search(quote) or sentence_affiliate[k])
            if conflict and quote not in conflicts:
                conflicts.append(quote)
            # A cited sentence is always proposed, even a vendor's; an uncited one if it reads
            # as a claim and is not a sales pitch.
            if sentence_refs[k] or (
                not conflict and _is_claim(quote, block, f"{lead_in} {section}")
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
            lead_in = _plain(clean)

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

    article = Article(title="", url=_safe_url(url or meta.get("og:url")))
    _fill_metadata(article, blocks, meta, html_title, times)
    article.references = references
    article.claims = claims
    article.conflicts_of_interest = conflicts
    article.warnings = [_plain(w) for w in warnings]
    article.text = _plain_text(blocks, links)
    return article


def _link_bare_identifiers(text: str, links: list[_Link]) -> str:
    out, last = [], 0
    for match in _INLINE_ID.finditer(text):
        raw = _trim_trailing(match.group(0))
        href = raw
        if raw.lower().startswith("doi:"):
            href = "https://doi.org/" + raw[4:].strip()
        elif raw.lower().startswith("pmid"):
            href = "https://pubmed.ncbi.nlm.nih.gov/" + re.sub(r"\D", "", raw) + "/"
        out.append(text[last : match.start()])
        out.append(_sentinel(f"l{len(links)}"))
        links.append(_Link(href=href, text=raw, replaced=True))
        last = match.start() + len(raw)
    out.append(text[last:])
    return "".join(out)


def _reference_for_link(link, doi, pmid, references, by_identifier, warnings, listed) -> int:
    """The number of the reference a DOI/PubMed link points to; a new reference if none."""
    for key in (doi and ("doi", doi), pmid and ("pmid", pmid)):
        if key and key in by_identifier:
            return by_identifier[key]
    number = (references[-1].number if references else 0) + 1  # the list is kept sorted
    text = _plain(link.text)
    if not text or _URLISH_TEXT.match(text) or _GENERIC_LINK_TEXT.fullmatch(text):
        text = f"doi:{doi}" if doi else f"PMID: {pmid}"
    references.append(
        Reference(number=number, text=text, doi=doi, pmid=pmid, url=_safe_url(link.href))
    )
    for key in (doi and ("doi", doi), pmid and ("pmid", pmid)):
        if key:
            by_identifier[key] = number
    if listed:
        warnings.append(
            f"The text links to {text!r}, which is not in the reference list; it was added "
            f"as reference {number}."
        )
    return number


def _fill_metadata(article, blocks, meta, html_title, times) -> None:
    first_heading = next((b for b in blocks if b.kind == "heading" and (b.level in (0, 1))), None)
    title = (
        (first_heading and _plain(first_heading.text))
        or meta.get("og:title")
        or html_title
        or (_plain(blocks[0].text)[:300] if blocks else "")
    )
    article.title = _plain(title)[:500] or "Untitled article"
    author = meta.get("author") or meta.get("article:author") or ""
    publisher = meta.get("og:site_name") or meta.get("publisher") or ""
    for block in blocks:
        text = _plain(block.text)
        bio = _BIO.search(text)
        if bio:
            author = author or bio.group("author")
            publisher = publisher or bio.group("publisher").rstrip(".")
            break
        byline = re.match(
            r"^(?:written )?by\s+([A-Z][\w'\u2019.-]+(?:\s+[A-Z][\w'\u2019.-]+){1,3})", text
        )
        if byline and not author and len(text) < 80:
            author = byline.group(1)
    article.author = _plain(author)[:200]
    article.publisher = _plain(publisher)[:200]
    candidates = [
        meta.get(key, "")
        for key in (
            "article:published_time",
            "citation_publication_date",
            "dc.date",
            "date",
            "pubdate",
        )
    ] + times
    for value in candidates:
        match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value or "")
        if match:
            try:
                article.published = date(*map(int, match.groups()))
                break
            except ValueError:
                continue


def _render_links(text: str, links: list[_Link]) -> str:
    """Text with markers shown as written: numeric ones as [n], links by their own text."""

    def render(match: re.Match) -> str:
        payload = match.group(1)
        if payload.startswith("n"):
            return f"[{payload[1:]}]"
        if payload.startswith("l") and payload[1:].isdigit() and int(payload[1:]) < len(links):
            link = links[int(payload[1:])]
            return link.text if link.replaced else ""
        return ""

    return _SENTINEL.sub(render, text)


def _plain_text(blocks: list[_Block], links: list[_Link]) -> str:
    parts = []
    for block in blocks:
        text = _plain(_render_links(block.text, links))
        if not text:
            continue
        if block.kind == "item":
            prefix = f"{block.number}. " if block.number is not None else "• "
            parts.append(prefix + text)
        else:
            parts.append(text)
    return "\n\n".join(parts)


def article_to_json(article: Article) -> dict:
    """The shape `import_article --json` prints; None where a value is absent."""
    return {
        "source": {
            "title": article.title,
            "url": article.url,
            "conflicts_of_interest": list(article.conflicts_of_interest),
        },
        "references": [
            {"number": r.number, "text": r.text, "doi": r.doi, "pmid": r.pmid}
            for r in article.references
        ],
        "claims": [{"quote": c.quote, "references": list(c.references)} for c in article.claims],
    }
