"""{{ url|web_address }}: a stored address, only if it is safe to put in an href.

Sources and references keep the addresses their article gave; URLField checks them only in
forms, so a row written another way (a script, a fixture, a future importer) could hold a
javascript: or data: address. Pages link http(s) addresses only and show anything else as text.
"""

from django import template

from kb.articles.find_ids import safe_url

register = template.Library()


@register.filter
def web_address(value) -> str:
    """The address if it is http(s) with a host, else ""."""
    return (safe_url(value) or "") if isinstance(value, str) else ""
