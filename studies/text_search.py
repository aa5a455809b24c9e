"""Full-text search documents stored in the database, and the query that matches them.

Every searchable row carries a stored tsvector (a generated column, GIN-indexed), so a search
reads an index instead of parsing every row's text on every query. The text is fed in bounded
(studies.limits.SearchText): one huge abstract cannot make a row's vector exceed PostgreSQL's
limits.

British and American spellings find each other: the stored text and the query both pass through
`kb_american_spelling` (an immutable SQL function, created in studies' migration 0003), which
rewrites the common British medical spellings (ischaemic, haemorrhage, oedema, randomised,
tumour, paediatric, anaemia, oesophagus, ...) to American before stemming. A thesaurus
dictionary would do this inside a text search configuration, but installing its file needs
superuser access to the server's share directory; a function needs nothing.

A quoted phrase ("functional recovery") is the one query the GIN index cannot answer by itself:
it keeps which rows hold each word, not where, so every row holding both words had its stored
vector read to check that they are adjacent (at 200,000 studies, 111,000 rows for two words
that are adjacent in 2,000). `kb_word_pairs` (an immutable SQL function, studies' migration
0010) turns a stored vector into its adjacent word pairs, and a GIN index on it finds the rows
where a phrase's pairs occur; the phrase itself is still checked on the stored vector.
"""

import re
from dataclasses import dataclass
from itertools import pairwise

from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.db import connection
from django.db.models import BooleanField, F, Func, GeneratedField, JSONField, TextField, Value
from django.db.models.functions import Cast

from studies.limits import SearchText

CONFIG = "english"

# What a snippet (ts_headline) puts around a matched word: characters no text uses, replaced by
# <mark> after the text is escaped.
MARK_START, MARK_STOP = "\ue000", "\ue001"

# Stems whose British spelling kb_american_spelling rewrites, as (British, American). The SQL
# function holds the rewriting rules; this list gives the reverse direction, used only to
# highlight a British word in a snippet when the query was typed in American (a test checks
# that the function maps each British stem here to its American one).
BRITISH_STEMS = (
    ("ischaem", "ischem"),
    ("haem", "hem"),
    ("anaem", "anem"),
    ("leukaem", "leukem"),
    ("paed", "ped"),
    ("gynaec", "gynec"),
    ("anaesth", "anesth"),
    ("oedem", "edem"),
    ("oesophag", "esophag"),
    ("oestr", "estr"),
    ("foet", "fet"),
    ("diarrhoea", "diarrhea"),
    ("dyspnoea", "dyspnea"),
    ("tumour", "tumor"),
    ("behaviour", "behavior"),
    ("colour", "color"),
    ("labour", "labor"),
    ("randomis", "randomiz"),
    ("hospitalis", "hospitaliz"),
    ("characteris", "characteriz"),
    ("centre", "center"),
    ("fibre", "fiber"),
    ("litre", "liter"),
    ("ageing", "aging"),
)


class StoredVector(GeneratedField):
    """A stored generated column holding a search document.

    Django's own checks of a GeneratedField ask the server which kinds of generated column it
    supports, so `manage.py check` and `makemigrations --check` would need a running database;
    PostgreSQL (the only engine) has supported stored ones since version 12."""

    def _check_supported(self, databases):
        return []

    def _check_persistence(self, databases):
        return []


def american(expression) -> Func:
    """The text with British spellings rewritten to American (kb_american_spelling)."""
    return Func(expression, function="kb_american_spelling", output_field=TextField())


def vector(expression, weight: str) -> SearchVector:
    """A weighted part of a stored document: the text of `expression`, bounded (SearchText:
    one oversized row cannot break the index) and respelled."""
    return SearchVector(american(SearchText(expression)), config=CONFIG, weight=weight)


def field_vector(field: str, weight: str) -> SearchVector:
    """One text field's weighted part of a stored document."""
    return vector(F(field), weight)


def json_vector(field: str, weight: str) -> SearchVector:
    """The strings of a JSON list (e.g. a compound's aliases)."""
    return vector(Cast(F(field), TextField()), weight)


def names_vector(field: str, weight: str) -> SearchVector:
    """Authors (a JSON list of {"family", "collective", ...}): their family and group names."""
    names = [
        Cast(
            Func(
                F(field),
                Value(f"$[*].{key}"),
                function="jsonb_path_query_array",
                output_field=JSONField(),
            ),
            TextField(),
        )
        for key in ("family", "collective")
    ]
    joined = Func(names[0], Value(" "), names[1], template="(%(expressions)s)", arg_joiner=" || ")
    return vector(joined, weight)


def british(query: str) -> str:
    """The query with American stems spelled British (for highlighting only)."""
    for gb, us in BRITISH_STEMS:
        query = re.sub(rf"\b{us}", gb, query, flags=re.IGNORECASE)
    return query


class ParsedQuery(SearchQuery):
    """A tsquery PostgreSQL has parsed already, given in its text form ('ischem' & 'stroke')."""

    template = "(%(expressions)s)::tsquery"

    def __init__(self, text: str):
        super().__init__(Value(text))


@dataclass(frozen=True)
class Parsed:
    """A search's words as PostgreSQL parses them: `words` to match (spelled as the documents
    are), `marked` every spelling of them, for snippets (the stored text keeps its own), and
    the word `pairs` its phrases require (required_pairs)."""

    words: ParsedQuery
    marked: ParsedQuery
    pairs: list[str]


def parse(query: str) -> Parsed:
    """The query in websearch syntax ("phrase", -word, or), parsed once by one statement.

    A search uses its words in many places (each table's match, rank and snippets); given as
    parsed text, kb_american_spelling's regular expressions run once per search instead of once
    for each place whenever PostgreSQL plans a statement (8 ms of planning for the claims)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT websearch_to_tsquery(%(config)s, kb_american_spelling(%(query)s))::text,
                      (websearch_to_tsquery(%(config)s, %(query)s)
                       || websearch_to_tsquery(%(config)s, kb_american_spelling(%(query)s))
                       || websearch_to_tsquery(%(config)s, %(british)s))::text""",
            {"config": CONFIG, "query": query, "british": british(query)},
        )
        words, marked = cursor.fetchone()
    return Parsed(ParsedQuery(words), ParsedQuery(marked), required_pairs(words))


# A pair is kept in kb_word_pairs only if its two words together are shorter than this many
# bytes: the pairs of a 16,383-position vector (PostgreSQL's last position) then stay under the
# 1 MB a tsvector may hold. A phrase with a longer pair is checked without the pairs index.
PAIR_BYTES = 48

# A phrase in PostgreSQL's text form of a tsquery: quoted lexemes joined by <-> only.
LEXEME = r"'(?:[^'\\]|'')+'"
PHRASE = re.compile(rf"{LEXEME}(?: <-> {LEXEME})+")


def word_pairs(field: str) -> Func:
    """The adjacent word pairs of a stored vector ("function recoveri"), as the index holds them."""
    return Func(F(field), function="kb_word_pairs", output_field=SearchVectorField())


def _top_level(text: str, operator: str) -> list[str]:
    """The parts of a tsquery's text joined by `operator` outside parentheses."""
    parts, depth, start = [], 0, 0
    quoted = False
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted  # a doubled quote flips twice
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith(operator, i):
            parts.append(text[start:i])
            start = i + len(operator)
    parts.append(text[start:])
    return [part.strip() for part in parts]


def required_pairs(tsquery: str) -> list[str]:
    """The word pairs every match of a query must hold: those of the phrases it requires (a
    phrase joined to the rest by "and", not negated nor one side of an "or"). `tsquery` is the
    text form of the query (websearch_to_tsquery(...)::text)."""
    if len(_top_level(tsquery, " | ")) > 1:
        return []
    pairs = []
    for part in _top_level(tsquery, " & "):
        if not PHRASE.fullmatch(part):
            continue
        lexemes = [word[1:-1].replace("''", "'") for word in re.findall(LEXEME, part)]
        pairs += [
            f"{first} {second}"
            for first, second in pairwise(lexemes)
            if len(f"{first}{second}".encode()) < PAIR_BYTES
        ]
    return list(dict.fromkeys(pairs))


def pairs_match(field: str, pairs: list[str]) -> Func:
    """The stored vector (`field`) holds these word pairs: a condition the pairs index answers."""
    return Func(
        word_pairs(field),
        ParsedQuery(" & ".join("'" + pair.replace("'", "''") + "'" for pair in pairs)),
        arg_joiner=" @@ ",
        template="(%(expressions)s)",
        output_field=BooleanField(),
    )


def checked(field: str, query: SearchQuery) -> Func:
    """The stored vector matches the query, checked on the row rather than looked up in the
    words index: for a phrase whose rows the pairs index finds. (With both indexes, PostgreSQL
    would recheck each row against both conditions, computing its word pairs again.)"""
    return Func(F(field), query, function="ts_match_vq", output_field=BooleanField())
