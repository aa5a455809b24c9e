"""{% verdict_changelog claim as changes %}: the public record of a claim's verdict changes."""

from django import template

from kb.history import public_changelog

register = template.Library()


@register.simple_tag
def verdict_changelog(claim):
    return public_changelog(claim)
