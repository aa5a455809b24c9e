"""Fetching an article's page from the public web, and from nowhere else.

Every caller that reads an article from a URL (the workbench, the import_article command) comes
through fetch_url, whose only way out is open_public_page: it refuses private, loopback and
link-local addresses and connects to the very address it vetted.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from kb.articles.source import MAX_BYTES, ArticleError, too_large

FETCH_TIMEOUT = 10  # seconds; offline, urlopen fails at once on DNS, this bounds a dead server
USER_AGENT = "EvidenceKB/0.1 (article import; +https://example.org/evidence-kb)"

# # An editor's URL must not make the server read its own network or cloud metadata (SSRF). Checking
# the host's addresses and then letting urllib connect is not enough: urllib resolves the name
# again, and a hostile DNS server can answer a public address to the check and a private one to
# the connection (DNS rebinding). So the connections below resolve the name once, refuse it
# unless every address is public, and connect to one of those very addresses; the Host header,
# TLS SNI and the certificate check still use the name. require_public, called before the
# request and on each redirect, only refuses early with the same message.


def _is_public(address: str) -> bool:
    return ipaddress.ip_address(address.split("%")[0]).is_global


def _public_addresses(host: str, port: int) -> list[tuple]:
    """getaddrinfo's answers for host, or ArticleError if any of them is not a public address.

    Every address must be public, not just the one used: the answers are all the server's.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        if not _is_public(sockaddr[0]):
            raise ArticleError(
                f"{host} is not a public web address: the workbench fetches public pages only. "
                "Paste the article's text or upload its HTML instead."
            )
    return infos


def _connect_public(host: str, port: int, timeout, source_address) -> socket.socket:
    """A socket connected to one of host's vetted addresses (tried in turn, as urllib does)."""
    error = None
    for *_, sockaddr in _public_addresses(host, port):
        try:
            # A numeric address: create_connection does no DNS lookup that could be rebound.
            return socket.create_connection(sockaddr[:2], timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host} has no address")


class _PublicHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = _connect_public(self.host, self.port, self.timeout, self.source_address)


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        sock = _connect_public(self.host, self.port, self.timeout, self.source_address)
        # SNI and certificate verification against the name asked for, not the IP connected to.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PublicHTTPSConnection, req, context=self._context)


class _PublicRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        require_public(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# No proxies: through a proxy, the proxy would resolve the name and the checks above would vet
# the proxy's address instead of the page's.
_OPENER = urllib.request.build_opener(
    urllib.request.ProxyHandler({}), _PublicHTTPHandler, _PublicHTTPSHandler, _PublicRedirects
)


def require_public(url: str) -> None:
    """ArticleError unless the URL is http(s) and every address of its host is a public one.

    Refuses early, with a clear message, before any request; the connections above check the
    addresses they connect to again. A host that does not resolve raises URLError, which
    kb.articles.fetch_url reports as a network failure.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise ArticleError(f"Not a web address: {url[:200]!r}. Give an http(s):// URL.")
    try:
        _public_addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
    except ArticleError:
        raise
    except ValueError:  # a bad port, or a name IDNA cannot encode
        raise ArticleError(f"Not a web address: {url[:200]!r}.") from None
    except OSError as exc:
        raise urllib.error.URLError(exc) from None


def open_public_page(request, timeout):
    """Open a request to a public web server only: the opener fetch_url uses unless given
    another (a test's stand-in)."""
    require_public(request.full_url)
    return _OPENER.open(request, timeout=timeout)


def fetch_url(url: str, *, opener=None, timeout: float = FETCH_TIMEOUT) -> tuple[bytes, str]:
    """The body and Content-Type of a page, or ArticleError.

    Connects to public web servers only (open_public_page). `opener(request, timeout=...)`
    replaces that for tests; it must return an object with .read(n) and .headers (like
    urllib's response).
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ArticleError(f"Not a web address: {url[:200]!r}. Give an http(s):// URL.")
    opener = opener or open_public_page
    # The scheme was checked above: only http(s) reaches the opener.
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with opener(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
            content_type = response.headers.get("Content-Type", "") or ""
    except urllib.error.HTTPError as exc:
        raise ArticleError(f"Could not fetch {url}: the server answered {exc.code}.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ArticleError(
            f"Could not fetch {url} ({reason}). The network may be unavailable: "
            "paste the article's text or upload its HTML instead."
        ) from None
    if len(body) > MAX_BYTES:
        raise ArticleError(too_large(len(body)))
    media = content_type.split(";")[0].strip().lower()
    if media and not (media.startswith("text/") or media in ("application/xhtml+xml",)):
        raise ArticleError(f"{url} is not a web page (Content-Type {media}).")
    charset = re.search(r"charset=([\w.-]+)", content_type, re.I)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        try:
            body = body.decode(charset.group(1)).encode("utf-8")
        except (LookupError, UnicodeDecodeError):
            raise ArticleError(f"{url} is not readable as {charset.group(1)} text.") from None
    return body, media
