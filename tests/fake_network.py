"""The one stand-in for the network in the tests: recorded replies served to the PubMed and
Crossref clients (and to the article fetcher) instead of the internet.

The clients reach the network only through their Transport's opener. `serve` makes every client
the code builds at its edges (`EutilsClient.from_settings()`, `CrossrefClient.from_settings()`:
the views, the commands and kb's defaults) use a fake opener, and a sleep that does not wait.
"""

import io
from http.client import HTTPMessage
from urllib.error import HTTPError

from studies.transport import Transport


def headers(content_type="text/xml; charset=UTF-8", **extra):
    message = HTTPMessage()
    message["Content-Type"] = content_type
    for name, value in extra.items():
        message[name.replace("_", "-")] = value
    return message


class FakeResponse(io.BytesIO):
    """What urlopen returns: a binary file-like with .headers and .url."""

    def __init__(self, body, url, content_type="text/xml; charset=UTF-8"):
        super().__init__(body)
        self.headers = headers(content_type)
        self.url = url
        self.status = 200


class FakeNetwork:
    """An opener serving queued replies (bytes) or raising queued exceptions, recording each
    request."""

    def __init__(self, *replies, content_type="text/xml; charset=UTF-8"):
        self.replies = list(replies)
        self.requests = []
        self.content_type = content_type

    def __call__(self, request, *args, **kwargs):
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request to {request.full_url}")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            return reply(request)
        return FakeResponse(reply, request.full_url, self.content_type)

    @staticmethod
    def http_error(code, body_path):
        return http_error(code, "", body_path.read_bytes())

    @property
    def urls(self):
        return [request.full_url for request in self.requests]


def http_error(code, reason="", body=b"", content_type="text/plain", **extra):
    return HTTPError(
        "https://example.invalid/", code, reason, headers(content_type, **extra), io.BytesIO(body)
    )


def serve(monkeypatch, client_class, opener, *, sleep=lambda seconds: None):
    """Clients of client_class built from settings reach `opener`, and wait through `sleep`.

    Serving again in the same test replaces the opener (the latest transport is passed down).
    """
    build = client_class.from_settings
    # Exact waits, so tests can say how long each retry waited.
    transport = Transport(opener=opener, sleep=sleep, jitter=lambda delay: delay)
    monkeypatch.setattr(
        client_class,
        "from_settings",
        staticmethod(lambda *, transport=transport: build(transport=transport)),
    )
