"""Citation markers ("(1)", "[2-4]", superscripts, sentinels for links) taken out of a
block's text, each remembered by its offset in what is left, so that it can be given to the
sentence it closes. The quote rules in kb.articles depend on exactly what is removed here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.articles.text import S_CLOSE, S_OPEN

_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_NUMS = r"\d{1,3}(?:\s*[,;\u2013\u2014-]\s*\d{1,3})*"
_MARKER = re.compile(
    rf"\s*(?:\((?P<paren>{_NUMS})\)"
    rf"|\[(?P<brack>{_NUMS})\]"
    rf"|[(\[]?\s*{S_OPEN}(?P<sent>[^{S_CLOSE}]*){S_CLOSE}\s*[)\]]?"
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
class Marker:
    offset: int  # in the text without markers
    numbers: list[int] = field(default_factory=list)
    link: int | None = None  # index into the document's links, for a link used as a citation


def strip_markers(text: str) -> tuple[str, list[Marker]]:
    """The text without its citation markers, and each marker with its offset in that text."""
    out: list[str] = []
    length = 0  # of "".join(out), kept as we go: a 2 MB page may hold many markers
    markers: list[Marker] = []
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
        marker = Marker(offset=length)
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
