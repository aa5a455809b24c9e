"""Conflicts of interest: what shows that the page earns from the product it writes about, and
how (ConflictKind: it sells the product, it earns commission as an affiliate, it is sponsored).

Read from words (prices, discount codes, "buy", shipping, affiliate disclosures, "our partner"
commissions, sponsorship) and from markup (rel="sponsored" links, affiliate parameters such as
?aff= or tag=, "Buy now" buttons, "Where to buy" and shop boxes, which often sit in an <aside> or
a <form> that the article's own text leaves out). Pure functions over sanitised HTML and text."""

from __future__ import annotations

import re
from contextlib import suppress
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from kb.articles.model import ConflictOfInterest, Link
from kb.articles.sentences import sentence_spans
from kb.articles.text import collapse, plain
from kb.vocabulary import ConflictKind

_SPONSORED = re.compile(
    r"\bsponsor(?:ed|ship|s)?\b|\bpaid (?:partnership|promotion|post|content|placement)\b|"
    r"\badvertorial\b|\bpaid for by\b|\bin (?:paid )?partnership with\b",
    re.I,
)
_AFFILIATE = re.compile(
    r"\baffiliates?\b|\bcommissions?\b|\bour partners?\b|\bpartner (?:shop|store|vendor|link)s?\b|"
    r"\bwe (?:may |might )?(?:earn|receive|get|make) (?:a |an )?(?:small )?"
    r"(?:fee|commission|compensation|share|percentage|referral)\b|"
    r"\bat no (?:extra|additional) cost to you\b|\breferral (?:links?|fees?|programs?)\b",
    re.I,
)
_SELLS = re.compile(
    r"\b(?:buy(?:ing)?|purchas\w*|vendors?|coupons?|discount(?:ed)?|promo(?:tional)? codes?|"
    r"(?:use|with) (?:the )?code\b|shipping|ships|shipped|top pick|in stock|out of stock|checkout|"
    r"add to (?:cart|basket)|order (?:now|here|from|online|today)|shop now|prices?|pricing|"
    r"where to (?:buy|order|get)|money[- ]back|free delivery)\b"
    r"|\$\s?\d|€\s?\d|£\s?\d|\b\d+(?:\.\d+)?\s?(?:USD|EUR|GBP)\b|\b\d{1,2}\s?% off\b",
    re.I,
)
# Headings of boxes whose every sentence is about selling: "Where to buy", "Shop", "Best deals".
SHOP_HEADING = re.compile(
    r"\bwhere to (?:buy|order|get)\b|\b(?:shop|deals?|pricing|prices|buy(?:ing)?)\b|"
    r"\bour (?:top )?picks?\b|\bbest place to buy\b",
    re.I,
)
_BUY_BUTTON = re.compile(
    r"^\W*(?:buy|order|shop|get|add to (?:cart|basket)|check (?:the )?(?:price|availability)|"
    r"see (?:the )?(?:price|deal|offer)|claim (?:your )?discount)\b.{0,40}$",
    re.I,
)
_AFFILIATE_PARAMS = {
    "aff", "affid", "aff_id", "affiliate", "affiliate_id", "tag", "ref", "refid", "ref_id",
    "partner", "partnerid", "coupon", "discount", "irclickid", "clickid", "awc", "sscid",
}  # fmt: skip
_AFFILIATE_PATH = re.compile(r"/(?:go|recommends?|aff|affiliate|refer|out|visit)/", re.I)

_ORDER = [ConflictKind.SPONSORED, ConflictKind.AFFILIATE, ConflictKind.SELLS]


def conflict_kind(sentence: str) -> str | None:
    """The kind of conflict a sentence's words show (sponsored before affiliate before sells),
    or None when it shows none."""
    for kind, words in zip(_ORDER, (_SPONSORED, _AFFILIATE, _SELLS), strict=True):
        if words.search(sentence):
            return kind.value
    return None


def link_conflict_kind(link: Link) -> str | None:
    """The kind of conflict a link's markup shows: rel="sponsored", affiliate parameters or
    paths, or a "Buy now" button; None for an ordinary link."""
    rel = (link.rel or "").lower().split()
    if "sponsored" in rel:
        return ConflictKind.SPONSORED.value
    try:
        parts = urlsplit(link.href or "")
    except ValueError:
        return None
    params = {name.lower() for name, _value in parse_qsl(parts.query, keep_blank_values=True)}
    if "affiliate" in rel or params & _AFFILIATE_PARAMS or _AFFILIATE_PATH.search(parts.path):
        return ConflictKind.AFFILIATE.value
    if _BUY_BUTTON.match(plain(link.text)):
        return ConflictKind.SELLS.value
    return None


def strongest(*kinds: str | None) -> str | None:
    """The first kind present in the order sponsored, affiliate, sells."""
    present = {k for k in kinds if k}
    return next((kind.value for kind in _ORDER if kind.value in present), None)


def add_conflict(conflicts: list[ConflictOfInterest], text: str, kind: str) -> None:
    """Record a conflict once per text; the same text seen again keeps the strongest kind."""
    text = plain(text)[:500]
    if not text:
        return
    for existing in conflicts:
        if existing.text == text:
            existing.kind = strongest(existing.kind, kind)
            return
    conflicts.append(ConflictOfInterest(text=text, kind=kind))


class _Boxes(HTMLParser):
    """The text and links of what the article's blocks leave out (<aside>, <form>, <nav>), where
    shop boxes, "Buy now" buttons and affiliate widgets usually sit."""

    _BOXES = {"aside", "form", "nav"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.boxes: list[tuple[list[str], list[Link]]] = []
        self._depth = 0
        self._anchor: tuple[str, str, int] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag in self._BOXES:
            if not self._depth:
                self.boxes.append(([], []))
            self._depth += 1
        elif self._depth and tag == "a":
            self._anchor = (attrs.get("href", ""), attrs.get("rel", ""), len(self.boxes[-1][0]))
        elif self._depth and tag in ("p", "li", "div", "h2", "h3", "h4", "br", "td"):
            self.boxes[-1][0].append("\n")

    def handle_endtag(self, tag):
        if tag in self._BOXES and self._depth:
            self._depth -= 1
        elif tag == "a" and self._anchor and self._depth:
            href, rel, start = self._anchor
            text = collapse("".join(self.boxes[-1][0][start:]))
            self.boxes[-1][1].append(Link(href=href, text=text, rel=rel))
            self._anchor = None

    def handle_data(self, data):
        if self._depth:
            self.boxes[-1][0].append(data)


def boxed_conflicts(sanitised_html: str) -> list[ConflictOfInterest]:
    """Conflicts in the boxes the article's text leaves out: each line of a box that reads like
    selling (every line when the box is headed "Where to buy" or the like) and each sponsored,
    affiliate or buy link in it."""
    parser = _Boxes()
    parser.feed(sanitised_html)
    parser.close()
    conflicts: list[ConflictOfInterest] = []
    for parts, links in parser.boxes:
        lines = [collapse(line) for line in "".join(parts).split("\n")]
        lines = [line for line in lines if line]
        shop = bool(lines) and len(lines[0]) < 80 and bool(SHOP_HEADING.search(lines[0]))
        found = [(link, kind) for link in links if (kind := link_conflict_kind(link))]
        # A line that is only a link's text is reported as that link, with where it goes.
        link_texts = {plain(link.text) for link, _kind in found}
        for line in lines:
            if line in link_texts or (shop and line == lines[0]):
                continue
            for start, end in sentence_spans(line) or [(0, len(line))]:
                sentence = plain(line[start:end])
                kind = conflict_kind(sentence) or (ConflictKind.SELLS.value if shop else None)
                if kind:
                    add_conflict(conflicts, sentence, kind)
        for link, kind in found:
            add_conflict(conflicts, link_description(link, kind), kind)
    return conflicts


def link_description(link: Link, kind: str) -> str:
    host = ""
    with suppress(ValueError):
        host = urlsplit(link.href).netloc
    what = {
        ConflictKind.SPONSORED.value: "sponsored link",
        ConflictKind.AFFILIATE.value: "affiliate link",
        ConflictKind.SELLS.value: "buy link",
    }[kind]
    text = plain(link.text) or "(no text)"
    return f"{text} ({what}{' to ' + host if host else ''})"
