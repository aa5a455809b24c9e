"""{{ snippet|highlighted }}: a search snippet with its matched words in <mark>.

The snippet is imported text (a title, an abstract, a page's sentence): every piece of it is
escaped (format_html), and only the markers PostgreSQL's ts_headline put around matched words
(studies.text_search) become markup.
"""

from django import template
from django.utils.html import format_html, format_html_join

from studies.text_search import MARK_START, MARK_STOP

register = template.Library()


@register.filter
def highlighted(value) -> str:
    if not value:
        return ""
    first, *rest = str(value).split(MARK_START)
    pairs = [piece.partition(MARK_STOP)[::2] for piece in rest]
    return format_html("{}", first) + format_html_join("", "<mark>{}</mark>{}", pairs)
