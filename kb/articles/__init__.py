"""Reading a marketing article: its references, the sentences that cite them, the other sentences
that promise something about the compound, and its conflicts of interest.

Pure functions over text and plain dataclasses; nothing here touches the database (saving is
kb.services.articles). The pipeline (kb.articles.extract) is:

    bytes/str --decode_input--> text --(HTML? sanitise_html, walk DOM | plain text: lines)-->
    blocks (heading / paragraph / item / cell) --> reference section split off --> per block:
    citation markers removed and remembered by offset --> sentences --> claims, conflicts.

Quote rules (kb.services.articles, the grading file and the UI rely on them being exactly this):
a quote is the sentence's text as it appears in the article with
  * its citation markers removed ("(1)", "[1]", "(1,3)", "(2-4)", superscripts, links to
    PubMed/DOI whose text is a number or a URL) together with the whitespace before them;
  * a doubled full stop left in front of a removed marker ("events..(1)") reduced to one;
  * every run of whitespace (including non-breaking spaces) collapsed to one space and the
    ends stripped; zero-width characters dropped;
  * for list items, the bullet glyph or the list number ("•", "-", "1.") removed; a
    "Label: text" item keeps its label.
Nothing else is changed: typos, curly quotes and the final punctuation stay as written.
"""

from kb.articles.classify import suggest_kind
from kb.articles.extract import article_to_json, extract_article, extract_from_url
from kb.articles.model import Article, ConflictOfInterest, ListedReference, ProposedClaim
from kb.articles.source import MAX_BYTES, ArticleError, decode_input, looks_like_html, sanitise_html
from kb.articles.web import FETCH_TIMEOUT, USER_AGENT, fetch_url

__all__ = [
    "FETCH_TIMEOUT",
    "MAX_BYTES",
    "USER_AGENT",
    "Article",
    "ArticleError",
    "ConflictOfInterest",
    "ListedReference",
    "ProposedClaim",
    "article_to_json",
    "decode_input",
    "extract_article",
    "extract_from_url",
    "fetch_url",
    "looks_like_html",
    "sanitise_html",
    "suggest_kind",
]
