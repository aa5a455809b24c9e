"""How long a text field may be, decided once: the models, the importers and the editors'
forms all read these numbers, so a value refused at one door is refused at every other.

Each limit is generous for real data (the longest real PubMed abstracts are about 10,000
characters) and small enough that one row cannot break a page or the search: PostgreSQL
refuses a tsvector over 1 MB, so one 2.6 MB abstract used to make every search fail.
"""

import re

from django.db.models import F, TextField, Value
from django.db.models.functions import Coalesce, Left

TITLE = 2_000  # a study's title
ABSTRACT = 100_000  # a study's abstract
STATEMENT = 2_000  # a claim's proposition
QUOTE = 2_000  # one sentence of a page (an appearance)
NOTE = 20_000  # an editor's note or reasoning on a study or an evidence link
ARTICLE_TEXT = 2 * 1024 * 1024  # a page's whole text, as imported
CROSSREF_FILE = 64 * 2**20  # bytes of Crossref JSON read at once (JSON does not stream)

# At most this many characters of one field are fed to full-text search: rows stored before
# the limits above (or written around them) still search, on their first 100,000 characters.
# The worst case (every word distinct) stays well under PostgreSQL's 1 MB tsvector limit even
# for the four fields of a study or a claim's statement and all its sentences together.
SEARCH_TEXT = 100_000


def too_long(what: str, length: int, limit: int) -> str:
    """The message for a value over its limit, the same at every door."""
    return f"{what} is {length:,} characters long; the limit is {limit:,}."


def SearchText(expression):
    """The text of `expression` as fed to full-text search: never null, at most SEARCH_TEXT
    characters."""
    if isinstance(expression, str):
        expression = F(expression)
    return Left(
        Coalesce(expression, Value(""), output_field=TextField()),
        SEARCH_TEXT,
        output_field=TextField(),
    )


def has_words(text: str) -> bool:
    """Whether the text has a word (a letter or digit), as a claim's statement must: the same
    test as the database's claim_statement_has_words constraint."""
    return re.search(r"\w", text or "") is not None
