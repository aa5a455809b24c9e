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
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import F, Func, GeneratedField, JSONField, TextField, Value
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


def words(query: str) -> SearchQuery:
    """The query in websearch syntax ("phrase", -word, or), spelled as the documents are."""
    return SearchQuery(american(Value(query)), search_type="websearch", config=CONFIG)


def british(query: str) -> str:
    """The query with American stems spelled British (for highlighting only)."""
    for gb, us in BRITISH_STEMS:
        query = re.sub(rf"\b{us}", gb, query, flags=re.IGNORECASE)
    return query


def highlight_words(query: str) -> SearchQuery:
    """Every spelling of the query's words, for snippets: the stored text keeps its own."""
    return (
        SearchQuery(query, search_type="websearch", config=CONFIG)
        | words(query)
        | SearchQuery(british(query), search_type="websearch", config=CONFIG)
    )
