"""Cacheable public pages: what an anonymous visitor gets is the same for every anonymous
visitor until public content changes, so it is cached by the content version
(studies.content_version).

`@public_page` on a view, for a GET or HEAD from a visitor without a session or messages cookie:
- ETag (the content version and the request's address and htmx headers) and Last-Modified (when
  content last changed), through Django's `condition` decorator: a conditional GET that still
  matches is answered 304 without running the view;
- a server-side cache (settings.CACHES: per process, or Redis shared by every app server) keyed
  by the same version: a new version is a new key, so invalidation is exact and nothing is
  deleted (old entries age out);
- `Cache-Control: public, no-cache`: browsers and proxies may keep the page but revalidate it
  every time, which costs one 304.
Signed-in editors (who have a session cookie) always get the view's own response.

Anonymous pages use no cookie (base.html renders no CSRF token for them), but Django's session
middleware adds `Vary: Cookie` whenever a template asked whether the visitor is signed in.
`AnonymousPagesVaryOnNothing` (before SessionMiddleware) takes it off the pages served here:
they are revalidated on every use (no-cache), and a request carrying a session cookie is never
answered from the anonymous ETag or cache, so a shared cache cannot serve one visitor's page to
another.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition

from studies import content_version

# The request headers a view may answer differently to (htmx fragments): part of every key.
HTMX_HEADERS = ("HX-Request", "HX-Boosted", "HX-Target", "HX-Trigger", "HX-History-Restore-Request")
# Headers kept with a cached page (the rest are set per request by the middleware).
KEPT_HEADERS = ("Content-Type", "Vary", "Content-Language", "Content-Disposition")
CACHE_SECONDS = 24 * 3600


def is_anonymous_read(request) -> bool:
    """A GET or HEAD from a visitor who is not signed in and has no message waiting."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _request_key(request) -> str:
    # The whole address, scheme and host included: pages carry absolute links (feeds, sitemap).
    parts = [request.build_absolute_uri(), *(request.headers.get(h, "") for h in HTMX_HEADERS)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def public_page(view):
    """ETag, Last-Modified, 304 and a server-side cache for anonymous visitors (see module)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_anonymous_read(request):
            return view(request, *args, **kwargs)
        version = content_version.current()
        key = _request_key(request)
        etag = f'"{version.number}-{key[:16]}"'
        cache_key = f"page:{version.number}:{key}"

        def cached_or_rendered(request, *args, **kwargs):
            stored = cache.get(cache_key) if settings.PUBLIC_PAGE_CACHE else None
            if stored is not None:
                return _from_cache(stored)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response.render()
            if (
                settings.PUBLIC_PAGE_CACHE
                and response.status_code == 200
                and not response.cookies
                and not isinstance(response, StreamingHttpResponse)
            ):
                cache.set(cache_key, _for_cache(response), CACHE_SECONDS)
            return response

        response = condition(
            etag_func=lambda *a, **k: etag, last_modified_func=lambda *a, **k: version.changed_at
        )(cached_or_rendered)(request, *args, **kwargs)
        if response.status_code == 304 and settings.PUBLIC_PAGE_CACHE:
            # A 304 carries the Vary its 200 would have (RFC 9110 15.4.5): the cached copy's.
            stored = cache.get(cache_key)
            if stored is not None and "Vary" in stored["headers"]:
                response["Vary"] = stored["headers"]["Vary"]
        if response.status_code in (200, 304):
            patch_cache_control(response, public=True, no_cache=True)
            response.public_page = True  # AnonymousPagesVaryOnNothing
        return response

    return wrapped


def _for_cache(response) -> dict:
    return {
        "content": response.content,
        "headers": {name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
    }


def _from_cache(stored: dict) -> HttpResponse:
    response = HttpResponse(stored["content"])
    for name, value in stored["headers"].items():
        response[name] = value
    return response


class AnonymousPagesVaryOnNothing:
    """Takes `Cookie` off the Vary header of the pages @public_page served to anonymous visitors
    (see module); sits before SessionMiddleware, so it sees the response after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "public_page", False) and response.has_header("Vary"):
            kept = [
                value.strip()
                for value in response["Vary"].split(",")
                if value.strip() and value.strip().lower() != "cookie"
            ]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
