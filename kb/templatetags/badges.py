"""{% verdict_badge claim %}: a claim's verdict badge and certainty, as every list of claims
shows them.

A tag, not an included template: a compound page shows it for up to 150 claims (the harms and a
page of the list), and an include costs a template render with its own context each time."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def verdict_badge(claim) -> str:
    """The badge names the verdict in words, coloured by what it tells a reader (a warning
    borne out is bad news however "supported"), then the certainty in words."""
    warning = ": warning borne out" if claim.borne_out_warning else ""
    badge = format_html(
        '<span class="badge verdict-{} tone-{}">{}{}</span>',
        claim.verdict,
        claim.verdict_tone,
        claim.verdict_words,
        warning,
    )
    if not claim.certainty:
        return badge
    return format_html(
        '{} <span class="certainty">certainty: {}</span>',
        badge,
        claim.get_certainty_display().lower(),
    )
