"""Text helpers every stage shares: the sentinels that stand for citation markers found in
HTML, whitespace collapsing, and the plain text that is safe to show anywhere.

Markers found while walking HTML (superscripts, numeric or identifier links) are left in the text
as private-use "sentinels", so that plain-text and HTML markers are removed by one function at
one point (kb.articles.markers) and their offsets stay right.
"""

from __future__ import annotations

import re

from kb.articles.model import Link

S_OPEN, S_CLOSE = "\ue000", "\ue001"
SENTINEL = re.compile(f"{S_OPEN}([^{S_CLOSE}]*){S_CLOSE}")


def sentinel(payload: str) -> str:
    return f"{S_OPEN}{payload}{S_CLOSE}"


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", _INVISIBLE.sub("", text)).strip()


_TAG_LIKE = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>")


def plain(text: str) -> str:
    """Text safe to show anywhere: no sentinels, no control characters, nothing tag-shaped."""
    text = SENTINEL.sub("", text).replace(S_OPEN, "").replace(S_CLOSE, "")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text)
    previous = None
    while previous != text:  # "<scr<b>ipt>" must not reassemble into a tag
        previous, text = text, _TAG_LIKE.sub("", text)
    return collapse(text)


def render_links(text: str, links: list[Link]) -> str:
    """Text with markers shown as written: numeric ones as [n], links by their own text."""

    def render(match: re.Match) -> str:
        payload = match.group(1)
        if payload.startswith("n"):
            return f"[{payload[1:]}]"
        if payload.startswith("l") and payload[1:].isdigit() and int(payload[1:]) < len(links):
            link = links[int(payload[1:])]
            return link.text if link.replaced else ""
        return ""

    return SENTINEL.sub(render, text)
