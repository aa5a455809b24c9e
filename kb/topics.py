"""Proposing a claim's topic from the words of the sentence that makes it.

Plain functions over plain data: each topic brings its keywords (Topic.keywords, editable in the
admin), and the topic whose keywords the sentence uses most is proposed. An editor confirms or
changes it in the import preview and the workbench; the proposal only saves a choice.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TopicWords:
    key: int | str  # the topic's id (or slug), handed back as the proposal
    keywords: tuple[str, ...]


def _normalise(text: str) -> str:
    # Curly apostrophes and hyphens as typed on marketing pages; keywords are matched on word
    # boundaries so "dose" does not match inside "overdosed".
    text = text.lower().replace("\u2019", "'").replace("\u2010", "-").replace("\u2011", "-")
    return " ".join(re.findall(r"[a-z0-9%<>'\-.]+", text))


def _hits(text: str, keyword: str) -> int:
    keyword = _normalise(keyword)
    if not keyword:
        return 0
    return len(re.findall(rf"(?<![a-z0-9]){re.escape(keyword)}", text))


def propose_topic(sentence: str, topics: Iterable[TopicWords]) -> int | str | None:
    """The key of the topic whose keywords occur most often in the sentence; on a tie, the
    first topic listed; None when no keyword occurs."""
    text = _normalise(sentence)
    best, best_hits = None, 0
    for topic in topics:
        hits = sum(_hits(text, keyword) for keyword in topic.keywords)
        if hits > best_hits:
            best, best_hits = topic.key, hits
    return best
