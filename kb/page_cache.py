"""Cacheable public pages: what an anonymous visitor gets is the same for every anonymous
visitor until public content changes, so it is cached by the content version
(studies.content_version).

`@public_page` on a view, for a GET or HEAD from a visitor without a session or messages cookie:
- ETag (the content version and the request's address and htmx headers) and Last-Modified (when
  content last changed), with Django's conditional-request rules: a conditional GET that still
  matches is answered 304 without running the view;
- a server-side cache (settings.CACHES: per process, or Redis shared by every app server) keyed
  by the same version: a new version is a new key, so invalidation is exact and nothing is
  deleted (old entries age out). The version is read from the database on every request (one
  primary-key read), so a change is seen by the very next request on every app server;
- `Cache-Control: public, no-cache`: browsers and proxies may keep the page but revalidate it
  every time, which costs one 304.
Signed-in editors (who have a session cookie) always get the view's own response.

`PublicPageMiddleware` answers stored pages and 304s before the session, CSRF, auth, messages,
htmx, history and axes middleware and the view; what it cannot answer goes on to the view, whose
decorator renders and stores the page.

Anonymous pages use no cookie (base.html renders no CSRF token for them), but Django's session
middleware adds `Vary: Cookie` whenever a template asked whether the visitor is signed in.
`PublicPageMiddleware` (before SessionMiddleware) takes it off the pages served here: they are
revalidated on every use (no-cache), and a request carrying a session cookie is never answered
from the anonymous ETag or cache, so a shared cache cannot serve one visitor's page to another.

Pages carry the request's CSP nonce (django-htmx's script tag). A stored page keeps the nonce it
was rendered with only to replace it: every copy served gets a fresh nonce, in its scripts and
its CSP header alike, and a 304 carries no CSP header, so that the browser keeps the header that
matches its copy.
"""

import hashlib
from functools import lru_cache, wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.csp import get_nonce
from django.urls import Resolver404, get_resolver
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

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


class _Lookup:
    """One anonymous request's validators and cache key, from the content version read once."""

    def __init__(self, request):
        version = content_version.current()
        key = _request_key(request)
        self.etag = f'W/"{version.number}-{key[:16]}"'
        self.last_modified = int(version.changed_at.timestamp())
        self.cache_key = f"page:{version.number}:{key}"
        # Whether the stored page and the conditional headers were already tried (by
        # PublicPageMiddleware), so that the view's decorator does not try them again.
        self.tried = False

    def answer(self, request):
        """The stored page, or 304 (or 412) when the request's conditions say so, else None."""
        self.tried = True
        stored = cache.get(self.cache_key) if settings.PUBLIC_PAGE_CACHE else None
        # A 304 carries the Vary its 200 would have (RFC 9110 15.4.5): the stored page's.
        response = get_conditional_response(
            request,
            etag=self.etag,
            last_modified=self.last_modified,
            response=_from_cache(stored, request) if stored is not None else None,
        )
        if response is not None and response.status_code == 304:
            # No CSP header: the browser keeps the one that came with its copy, whose nonce
            # is the one in that copy's scripts (a new header would not match them).
            response._csp_config = {}  # as django.views.decorators.csp.csp_override({})
        return response

    def store(self, request, response) -> None:
        if (
            settings.PUBLIC_PAGE_CACHE
            and response.status_code == 200
            and not response.cookies
            and not isinstance(response, StreamingHttpResponse)
        ):
            cache.set(self.cache_key, _for_cache(response, request), CACHE_SECONDS)

    def finish(self, response):
        """Validators and caching headers on what an anonymous visitor gets."""
        if response.status_code in (200, 304):
            if not response.has_header("Last-Modified"):
                response.headers["Last-Modified"] = http_date(self.last_modified)
            response.headers.setdefault("ETag", self.etag)
            patch_cache_control(response, public=True, no_cache=True)
            response.public_page = True  # PublicPageMiddleware: vary on no cookie
        return response


def public_page(view):
    """ETag, Last-Modified, 304 and a server-side cache for anonymous visitors (see module)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_anonymous_read(request):
            return view(request, *args, **kwargs)
        lookup = getattr(request, "public_page_lookup", None) or _Lookup(request)
        if not lookup.tried and (answer := lookup.answer(request)) is not None:
            return lookup.finish(answer)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response.render()
        lookup.store(request, response)
        return lookup.finish(response)

    wrapped.is_public_page = True  # PublicPageMiddleware answers for it
    return wrapped


def _for_cache(response, request) -> dict:
    # Bytes and a few strings, not the HttpResponse: cheap to pickle for any cache backend.
    nonce = get_nonce(request)
    return {
        "content": response.content,
        "headers": {name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
        # The CSP nonce the page was rendered with (django-htmx's script tag carries it), if it
        # read one: each copy served gets a fresh one in its scripts and its header alike.
        "nonce": str(nonce) if nonce else None,
    }


def _from_cache(stored: dict, request) -> HttpResponse:
    content = stored["content"]
    if stored.get("nonce") and (nonce := get_nonce(request)) is not None:
        # The old nonce is 128 random bits: it occurs only where the page put it. Reading the
        # request's LazyNonce makes the CSP middleware put the same new one in the header.
        content = content.replace(stored["nonce"].encode(), str(nonce).encode())
    response = HttpResponse(content)
    for name, value in stored["headers"].items():
        response[name] = value
    return response


def _serves_a_public_page(request) -> bool:
    return _is_public_page(get_resolver(getattr(request, "urlconf", None)), request.path_info)


# Remembered per address (the resolver is part of the key: Django makes a new one when the URL
# configuration changes), since the handler resolves every request again after this middleware.
@lru_cache(maxsize=4096)
def _is_public_page(resolver, path: str) -> bool:
    try:
        match = resolver.resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "is_public_page", False)


class PublicPageMiddleware:
    """Answers an anonymous read of a @public_page address from the stored page (or with 304)
    before the session, CSRF, authentication, messages, htmx, history and axes middleware run:
    none of them has anything to add to a page that uses no cookie, and skipping them and the
    view is most of what a stored page costs. Sits after the middleware that set headers on
    every response (security, CSP, X-Frame-Options) and before SessionMiddleware, whose
    `Vary: Cookie` it takes off public pages on the way out (see module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_anonymous_read(request) and _serves_a_public_page(request):
            lookup = request.public_page_lookup = _Lookup(request)
            if (answer := lookup.answer(request)) is not None:
                response = lookup.finish(answer)
                # What CommonMiddleware, skipped here, adds to every non-streamed response.
                response.headers["Content-Length"] = str(len(response.content))
                return _vary_on_no_cookie(response)
        return _vary_on_no_cookie(self.get_response(request))


def _vary_on_no_cookie(response):
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
