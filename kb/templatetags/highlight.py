"""{{ snippet|highlighted }}: a search snippet with its matched words in <mark>.

The snippet is imported text (a title, an abstract, a page's sentence): every piece of it is
escaped, and only the markers PostgreSQL's ts_headline put around matched words
(studies.text_search) become markup.
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

from studies.text_search import MARK_START, MARK_STOP

register = template.Library()


@register.filter
def highlighted(value) -> str:
    if not value:
        return ""
    # Escaped once, as a whole (escaping leaves the markers as they are), then each marked word
    # is wrapped: one pass instead of a format_html per word (40 snippets a search page).
    first, *rest = escape(str(value)).split(MARK_START)
    marked = (piece.partition(MARK_STOP) for piece in rest)
    return SafeString(first + "".join(f"<mark>{word}</mark>{after}" for word, _, after in marked))
