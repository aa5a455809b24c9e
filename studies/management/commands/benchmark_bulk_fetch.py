"""Measure a bulk fetch of 500 PMIDs (the most an editor may paste) against recorded replies.

A fake PubMed answers each efetch request with the real records of tests/data/pubmed, renumbered
with fresh identifiers (PMIDs from 990000000, DOIs under 10.5555/, as benchmark_import does);
the requests go through the real client, transport and retry loop and, unless
--no-rate-limit, through NCBI's shared rate limit in PostgreSQL (3 requests/s, as without an API
key). The studies stored are deleted again, history included.
"""

import io
import time
from http.client import HTTPMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from studies.crossref import CrossrefClient
from studies.eutils import EFETCH_BATCH, EutilsClient
from studies.fetching import MAX_IDENTIFIERS, fetch_identifiers
from studies.management.commands.benchmark_import import (
    FIRST_PMID,
    real_records,
    with_fresh_identifiers,
)
from studies.models import Study
from studies.ratelimit import NCBI_RATE, RateLimit
from studies.transport import Transport


class RecordedPubMed:
    """An opener answering efetch requests with renumbered real records; counts requests."""

    def __init__(self, templates: list, count: int):
        self.records = {
            str(FIRST_PMID + n): with_fresh_identifiers(*templates[n % len(templates)], n)
            for n in range(count)
        }
        self.requests = 0

    def __call__(self, request, timeout=None):
        self.requests += 1
        # Bio.Entrez sends long id lists in a POST body, short ones in the query.
        query = request.data.decode() if request.data else urlsplit(request.full_url).query
        ids = parse_qs(query).get("id", [""])[0].split(",")
        body = "".join(self.records[pmid] for pmid in ids if pmid in self.records)
        xml = f'<?xml version="1.0" ?>\n<PubmedArticleSet>{body}</PubmedArticleSet>'
        return _Response(xml.encode("utf-8"), request.full_url)


class _Response(io.BytesIO):
    """What urlopen returns, as far as Bio.Entrez reads it."""

    def __init__(self, body: bytes, url: str):
        super().__init__(body)
        self.url = url
        self.headers = HTTPMessage()
        self.headers["Content-Type"] = "text/xml; charset=UTF-8"


class Command(BaseCommand):
    help = "Time a bulk fetch of 500 PMIDs against recorded PubMed replies (nothing is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--identifiers", type=int, default=MAX_IDENTIFIERS)
        parser.add_argument(
            "--no-rate-limit", action="store_true", help="leave NCBI's shared limit out"
        )

    def handle(self, *args, **options):
        count = options["identifiers"]
        data = Path(settings.BASE_DIR) / "tests" / "data" / "pubmed"
        network = RecordedPubMed(real_records(data), count)
        limit = None if options["no_rate_limit"] else RateLimit("benchmark", NCBI_RATE)
        pubmed = EutilsClient(transport=Transport(opener=network, throttle=limit))
        pmids = list(network.records)
        start = time.perf_counter()
        try:
            result = fetch_identifiers(
                [("pmid", pmid) for pmid in pmids], pubmed=pubmed, crossref=CrossrefClient()
            )
            elapsed = time.perf_counter() - start
        finally:
            Study.objects.filter(pmid__in=pmids).delete()
            # After the rows: deleting them writes history entries of its own.
            Study.history.filter(pmid__in=pmids).delete()
        self.stdout.write(
            f"{count} PMIDs in {network.requests} efetch requests of up to {EFETCH_BATCH}: "
            f"{elapsed:.2f} s ({count / elapsed:.0f} identifiers/s), "
            f"{'with' if limit else 'without'} the shared rate limit ({NCBI_RATE:.0f}/s)."
        )
        self.stdout.write(result.summary())
