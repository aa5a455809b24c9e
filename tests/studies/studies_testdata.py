"""Paths to the recorded test data and fakes of the network seams, for the studies tests."""

import io
from http.client import HTTPMessage
from pathlib import Path
from urllib.error import HTTPError

DATA = Path(__file__).resolve().parent.parent / "data"
PUBMED = DATA / "pubmed"
CROSSREF = DATA / "crossref"
CONSTRUCTED = DATA / "constructed"

# Every real efetch PubMed XML file (esearch/esummary replies are other formats).
PUBMED_XML_FILES = sorted(
    path
    for path in PUBMED.glob("*.xml")
    if "esearch" not in path.name and "esummary" not in path.name
)
MEDLINE_FILES = sorted(PUBMED.glob("*.txt"))


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
    """Serves queued replies (bytes) or raises queued exceptions, recording each request."""

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
