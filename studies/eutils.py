"""PubMed's E-utilities: a client that fetches records by PMID (efetch), finds a DOI's PMID
and searches PubMed for new records (esearch).

Requests go through Bio.Entrez, which builds them and spaces one process's requests; the client
built from settings also keeps NCBI's rate limit across every process and machine sharing the
database (studies.ratelimit: 3 requests/s, 10/s with NCBI_API_KEY). Bio.Entrez opens URLs
through its module attribute `urlopen`; that is pointed once at a dispatcher handing each
request to the Transport of the client asking (a context variable, so concurrent clients do not
mix), which also gives every request a timeout. Our own retry loop replaces Bio.Entrez's retries
so that Retry-After is honoured and an offline machine fails at once.
"""

import io
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import date
from typing import Self
from urllib.error import HTTPError

from Bio import Entrez
from django.conf import settings

from studies.identifiers import normalise_doi, normalise_pmid
from studies.pubmed_xml import parse_pubmed_xml, text_of
from studies.ratelimit import RateLimit
from studies.records import ParseError, StudyRecord
from studies.transport import RemoteError, Transport, contact_from_settings, error_body

EFETCH_BATCH = 200  # NCBI's advice for ids per efetch request
SEARCH_PAGE = 500  # PMIDs per esearch reply when paging through a search's results
SERVICE = "PubMed (eutils.ncbi.nlm.nih.gov)"


class PubMedError(RemoteError):
    """E-utilities refused the request or answered with something unusable."""


# The Transport of the EutilsClient whose request Bio.Entrez is opening right now.
_asking: ContextVar[Transport | None] = ContextVar("eutils_transport", default=None)


def _entrez_urlopen(request):
    """Bio.Entrez's urlopen: the asking client's transport opens the request, with a timeout.

    Only Bio.Entrez calls this, always with an https://eutils.ncbi.nlm.nih.gov request.
    """
    return (_asking.get() or Transport()).open(request)


class EutilsClient:
    """NCBI E-utilities for PubMed, identified as NCBI asks (tool, email, optional API key)."""

    def __init__(
        self,
        *,
        email: str = "",
        tool: str = "evidence-kb",
        api_key: str = "",
        transport: Transport | None = None,
    ):
        self.email = email
        self.tool = tool or "evidence-kb"
        self.api_key = api_key
        self.transport = transport or Transport()

    @classmethod
    def from_settings(cls, *, transport: Transport | None = None) -> Self:
        """The client as configured: NCBI_EMAIL, NCBI_TOOL and NCBI_API_KEY, its requests spaced
        by the rate limit all processes share."""
        api_key = getattr(settings, "NCBI_API_KEY", "") or ""
        transport = transport or Transport(throttle=RateLimit.ncbi())
        return cls(**contact_from_settings(), api_key=api_key, transport=transport)

    def fetch_batches(self, pmids: Iterable[str]) -> Iterator[tuple[list[str], list[StudyRecord]]]:
        """Fetch PubMed records for PMIDs, EFETCH_BATCH at a time: (asked PMIDs, records found).

        A PMID PubMed does not know is simply absent from the records; the caller reports it.
        Raises RemoteError (Offline when there is no network) or ParseError for unusable
        replies.
        """
        wanted = list(dict.fromkeys(normalise_pmid(pmid) for pmid in pmids))
        for start in range(0, len(wanted), EFETCH_BATCH):
            batch = wanted[start : start + EFETCH_BATCH]
            body = self._read(
                lambda batch=batch: Entrez.efetch(
                    db="pubmed", id=",".join(batch), retmode="xml", **self._params()
                )
            )
            name = f"PubMed efetch reply for {len(batch)} PMID(s) starting {batch[0]}"
            if not body.strip():
                yield batch, []
                continue
            yield batch, list(parse_pubmed_xml(io.BytesIO(body), name=name))

    def search_pmid_for_doi(self, doi: str) -> str | None:
        """The PMID of the PubMed record with this DOI, None when PubMed has none (or several)."""
        doi = normalise_doi(doi)
        body = self._read(lambda: Entrez.esearch(db="pubmed", term=f"{doi}[doi]", **self._params()))
        count, ids = parse_esearch_ids(body, name=f"PubMed search for DOI {doi}")
        if count != 1 or len(ids) != 1:
            return None
        return normalise_pmid(ids[0])

    def search(
        self, term: str, *, mindate: date, maxdate: date, datetype: str = "edat"
    ) -> list[str]:
        """PMIDs of the records matching an E-utilities query that entered PubMed (edat) between
        two dates, both included; all pages of the reply, newest first as PubMed sorts them."""
        pmids: list[str] = []
        while True:
            start = len(pmids)
            body = self._read(
                lambda start=start: Entrez.esearch(
                    db="pubmed",
                    term=term,
                    datetype=datetype,
                    mindate=mindate.strftime("%Y/%m/%d"),
                    maxdate=maxdate.strftime("%Y/%m/%d"),
                    retstart=start,
                    retmax=SEARCH_PAGE,
                    **self._params(),
                )
            )
            count, page = parse_esearch_ids(body, name=f"PubMed search for {term!r}")
            pmids.extend(normalise_pmid(pmid) for pmid in page)
            if not page or len(pmids) >= count:
                return list(dict.fromkeys(pmids))

    def _params(self) -> dict:
        """Identification NCBI asks for; empty values are left out."""
        return {"tool": self.tool, "email": self.email or None, "api_key": self.api_key or None}

    def _read(self, open_handle: Callable[[], object]) -> bytes:
        """Open an Entrez handle and read the whole body inside the retry loop.

        Reading inside the loop means a connection cut mid-body (IncompleteRead, a timeout
        while reading) is retried like any other transient failure.
        """
        # Our own loop retries (honouring Retry-After); Bio.Entrez's would sleep 15 s per try.
        Entrez.max_tries = 1
        Entrez.urlopen = _entrez_urlopen

        def request() -> bytes:
            asking = _asking.set(self.transport)
            try:
                with warnings.catch_warnings():
                    # Bio.Entrez warns on every call without an email; the commands say it once.
                    warnings.filterwarnings("ignore", message=r"\s*Email address is not specified")
                    handle = open_handle()
            finally:
                _asking.reset(asking)
            try:
                body = handle.read()
            finally:
                handle.close()
            return body.encode("utf-8") if isinstance(body, str) else body

        try:
            return self.transport.call(request, service=SERVICE)
        except HTTPError as exc:
            raise PubMedError(
                f"PubMed refused the request: HTTP {exc.code} {exc.reason}".rstrip()
                + (f" ({detail})" if (detail := _error_detail(exc)) else "")
            ) from exc


def _error_detail(exc: HTTPError) -> str:
    text = re.sub(r"<[^>]+>", " ", error_body(exc))
    return " ".join(text.split())[:200]


def parse_esearch_ids(body: bytes, name: str = "esearch reply") -> tuple[int, list[str]]:
    """(Count, Ids) from an E-utilities esearch XML reply."""
    try:
        root = ET.fromstring(body)  # noqa: S314 - see parse_pubmed_xml on expat's safety
    except ET.ParseError as exc:
        raise ParseError(f"{name}: malformed XML ({exc}).") from exc
    if root.tag != "eSearchResult":
        raise ParseError(f"{name}: expected <eSearchResult>, got <{root.tag}>.")
    errors = [text_of(item) for item in root.iterfind("ERROR")]
    if errors:
        raise PubMedError(f"PubMed search failed: {'; '.join(errors)}")
    count_text = (root.findtext("Count") or "0").strip()
    count = int(count_text) if count_text.isdigit() else 0
    return count, [(item.text or "").strip() for item in root.iterfind("IdList/Id")]
