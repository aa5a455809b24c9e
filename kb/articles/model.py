"""The records an article is read into. Plain dataclasses, so that every stage is a pure
function over them and kb.services.articles can save them without knowing how they were made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class ListedReference:
    """An entry of the article's reference list, as read (kb.models.Reference is the stored one)."""

    number: int
    text: str
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None
    pmcid: str | None = None


@dataclass
class ConflictOfInterest:
    """A sentence or link showing that the page earns from the product, and how
    (kb.vocabulary.ConflictKind: sells, affiliate, sponsored)."""

    text: str
    kind: str


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
    references: list[ListedReference] = field(default_factory=list)
    claims: list[ProposedClaim] = field(default_factory=list)
    conflicts_of_interest: list[ConflictOfInterest] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: str = ""  # the sanitised article as plain text, markers kept, for storing and display


# Working records of the pipeline, not part of the package's API.


@dataclass
class Link:
    href: str
    text: str
    rel: str = ""
    replaced: bool = False  # its text was taken out of the prose as a marker


@dataclass
class Block:
    kind: str  # "heading" | "paragraph" | "item" | "cell"
    text: str
    level: int = 0  # heading level, 1-6 (0 = unknown)
    number: int | None = None  # list item number, explicit or by position in an <ol>
    lines: int = 1  # plain text: how many lines the block was made of
