"""One template for a page and its fragments: htmx requests get a partial, others the page.

Django 6 names a template partial "template.html#name"; a view renders the whole page for a
normal request and only the named partial for an htmx request, so every form works with and
without JavaScript from the same markup (after radiofeed-app's radiofeed/partials.py).
"""

from django.http import HttpRequest
from django.template.response import TemplateResponse


def render_partial(
    request: HttpRequest,
    template_name: str,
    context: dict | None = None,
    *,
    partial: str,
    target: str | None = None,
    **response_kwargs,
) -> TemplateResponse:
    """The partial `partial` of `template_name` for htmx requests, else the full page.

    With `target`, only an htmx request aimed at that element id (HX-Target) gets the partial:
    a request from elsewhere on the page, or a boosted navigation, still gets the page.
    """
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted and (target is None or htmx.target == target):
        template_name = f"{template_name}#{partial}"
    return TemplateResponse(request, template_name, context or {}, **response_kwargs)
