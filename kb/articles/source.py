"""Getting an article's text: decoding uploads and sanitising HTML before anything reads it
(fetching a page is kb.articles.web). Every way in ends in ArticleError with a message the user
can act on."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

MAX_BYTES = 2 * 1024 * 1024  # an article is tens of KB; 2 MB is a page with its junk


class ArticleError(ValueError):
    """The input cannot be read as an article at all (empty, binary, too large, unreachable)."""


def decode_input(data: bytes | str) -> str:
    """The input as text, or ArticleError saying why it is not a readable article."""
    if isinstance(data, str):
        if len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise ArticleError(too_large(len(data.encode("utf-8", "surrogatepass"))))
        text = data
    else:
        if len(data) > MAX_BYTES:
            raise ArticleError(too_large(len(data)))
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


def too_large(size: int) -> str:
    return (
        f"The article is too large ({size / 1024 / 1024:.1f} MB; the limit is "
        f"{MAX_BYTES // 1024 // 1024} MB). Paste only the article's text."
    )


def looks_like_html(text: str) -> bool:
    return bool(
        re.search(
            r"<(?:!doctype\s+html|html|head|body|p|div|article|section|h[1-6]|ul|ol|li|table|"
            r"span|a|br|sup|script|style|iframe|img|meta|title)\b[^<>]*>",
            text[:20000],
            re.I,
        )
    )


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


def sanitising_warning(html: str) -> str | None:
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
