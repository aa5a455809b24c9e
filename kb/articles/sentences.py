"""Sentence boundaries, by a few readable rules (a stop, a space, a capital; not after an
abbreviation or an initial): marketing prose is regular enough, and every quote stays checkable
against the article by eye."""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "al", "approx", "ca", "cf", "co", "dept", "dr", "e.g", "eg", "etc.,", "fig", "figs", "i.e",
    "ie", "inc", "jr", "ltd", "mr", "mrs", "ms", "no", "nos", "p", "pp", "prof", "ref", "refs",
    "sr", "st", "vol", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "mt", "u.s", "u.k",
}  # fmt: skip
_BOUNDARY = re.compile(r"[.!?…]+[\"'\u201d\u2019)\]]*(?=\s+[\"\u201c\u2018'(\[]?[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
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
