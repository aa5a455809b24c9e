"""Crossref: a REST client for the work of one DOI (api.crossref.org/works/DOI).

The client is an object the caller passes in (built at the edge, usually from settings); its
Transport is its only way to the network, so tests give it one with a fake opener.
"""

import json
from typing import Self
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import Request

from studies.crossref_json import failure_text, map_work, works_in
from studies.identifiers import normalise_doi
from studies.records import ParseError, StudyRecord
from studies.transport import RemoteError, Transport, contact_from_settings, error_body

API_WORKS = "https://api.crossref.org/works/"
SERVICE = "Crossref (api.crossref.org)"


class CrossrefError(RemoteError):
    """Crossref refused the request or answered with something unusable."""


class UnknownDOI(CrossrefError):
    """Crossref has no work with this DOI (HTTP 404)."""


class CrossrefClient:
    """Crossref's REST API, asked politely: identified by tool name and contact email."""

    def __init__(
        self, *, email: str = "", tool: str = "evidence-kb", transport: Transport | None = None
    ):
        self.email = email
        self.tool = tool or "evidence-kb"
        self.transport = transport or Transport()

    @classmethod
    def from_settings(cls, *, transport: Transport | None = None) -> Self:
        """The client as configured: NCBI_EMAIL and NCBI_TOOL identify us to Crossref too."""
        return cls(**contact_from_settings(), transport=transport)

    def _polite_identity(self) -> tuple[dict, dict]:
        """Query parameters and headers that put us in Crossref's "polite" pool."""
        agent = f"{self.tool}/1.0" + (f" (mailto:{self.email})" if self.email else "")
        return ({"mailto": self.email} if self.email else {}), {"User-Agent": agent}

    def work_url(self, doi: str) -> str:
        params, _ = self._polite_identity()
        url = API_WORKS + quote(normalise_doi(doi), safe="/")
        return f"{url}?{urlencode(params)}" if params else url

    def fetch_work(self, doi: str) -> StudyRecord:
        """The Crossref record of one DOI.

        Raises UnknownDOI on 404, CrossrefError on other refusals (with Crossref's validation
        message for 400), Offline without network, RemoteError after repeated transient
        failures.
        """
        doi = normalise_doi(doi)
        _, headers = self._polite_identity()
        url = self.work_url(doi)  # always https://api.crossref.org/...
        request = Request(url, headers={**headers, "Accept": "application/json"})  # noqa: S310

        def get() -> bytes:
            with self.transport.open(request) as response:
                return response.read()

        try:
            body = self.transport.call(get, service=SERVICE)
        except HTTPError as exc:
            detail = _error_detail(exc)
            if exc.code == 404:
                raise UnknownDOI(
                    f"Crossref does not know the DOI {doi} ({detail or 'not found'})."
                ) from exc
            raise CrossrefError(
                f"Crossref refused the request for DOI {doi}: HTTP {exc.code}"
                + (f", {detail}" if detail else "")
            ) from exc
        try:
            works = works_in(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise CrossrefError(
                f"Crossref's reply for DOI {doi} is not valid JSON ({exc})."
            ) from exc
        except ParseError as exc:
            raise CrossrefError(f"Crossref's reply for DOI {doi}: {exc}") from exc
        if len(works) != 1:
            raise CrossrefError(
                f"Crossref's reply for DOI {doi} holds {len(works)} works, not one."
            )
        try:
            return map_work(works[0], raw=json.dumps(works[0], ensure_ascii=False))
        except ParseError as exc:
            raise CrossrefError(f"Crossref's reply for DOI {doi}: {exc}") from exc


def _error_detail(exc: HTTPError) -> str:
    """Crossref's explanation: a JSON failure envelope (400) or a plain-text line (404)."""
    text = error_body(exc).strip()
    try:
        document = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:200]
    if isinstance(document, dict):
        return failure_text(document)
    return text[:200]
