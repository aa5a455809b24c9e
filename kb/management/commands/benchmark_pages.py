"""Measure the public pages as a compound grows: SQL queries per request (which must not grow
with the number of claims) and the median response time.

For each size N it builds a constructed compound with N published, graded claims, each with three
evidence links to constructed studies (PMIDs from 990000000 up, DOIs under 10.5555/) and two
sentences making it on constructed pages (three pages shared by all claims, the first sentence
citing the first study), requests the compound page, the API, the search page, the CSV export
and the first page's source page with Django's test client, and rolls the whole transaction
back: nothing is left in the database.
"""

import statistics
import time
from dataclasses import dataclass
from itertools import cycle

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from kb.models import (
    GRADE_FIELDS,
    Appearance,
    Citation,
    Claim,
    Compound,
    Evidence,
    Reference,
    Source,
)
from kb.services.grades import appearance_changes, apply_grade
from kb.vocabulary import ClaimKind, ClaimStatus, Stance
from studies.designs import Design
from studies.models import Study

DEFAULT_SIZES = (50, 200, 1000)
FIRST_PMID = 990_000_000
DOI_PREFIX = "10.5555/benchmark-pages."
SLUG = "benchmarkolin-constructed"
WORD = "benchmarkolin"  # in every constructed claim and study: what the search page looks for
LINKS_PER_CLAIM = 3
APPEARANCES_PER_CLAIM = 2
SOURCES = 3


@dataclass
class Measurement:
    page: str
    url: str
    queries: int
    median_ms: float


def pages(compound: Compound) -> dict[str, str]:
    slug = compound.slug
    source = Source.objects.filter(appearances__claim__compound=compound).order_by("pk").first()
    return {
        "compound page": f"/compounds/{slug}/",
        "API": f"/api/compounds/{slug}/",
        "search page": f"/search/?q={WORD}",
        "CSV export": f"/compounds/{slug}/claims.csv",
        "source page": source.get_absolute_url(),
    }


def free_pmids(count: int) -> list[str]:
    """`count` PMIDs from 990000000 up that no stored study has (an earlier benchmark's or a
    test's constructed studies may hold some)."""
    taken = set(Study.objects.filter(pmid__startswith="99").values_list("pmid", flat=True))
    found, number = [], FIRST_PMID
    while len(found) < count:
        if str(number) not in taken:
            found.append(str(number))
        number += 1
    return found


def build_compound(size: int) -> Compound:
    """A constructed compound with `size` published, graded claims, three links and two
    sentences each, on three shared pages."""
    if Compound.objects.filter(slug=SLUG).exists():
        raise CommandError(f"A compound with the slug '{SLUG}' exists already; remove it first.")
    compound = Compound.objects.create(name="Benchmarkolin (constructed)", slug=SLUG)
    sources = [
        Source.objects.create(title=f"A constructed page for the page benchmark, number {n}")
        for n in range(SOURCES)
    ]
    designs = cycle([Design.SYSTEMATIC_REVIEW, Design.RCT, Design.CASE_SERIES, Design.ANIMAL])
    studies = Study.objects.bulk_create(
        Study(
            pmid=pmid,
            doi=f"{DOI_PREFIX}{pmid}",
            title=f"A constructed {WORD} study number {number}",
            journal="Constructed Journal of Benchmarks",
            year=2000 + number % 25,
            pages=f"{number}-{number + 9}",
            authors=[{"family": "Constructed", "given": "A"}],
            design=next(designs),
        )
        for number, pmid in enumerate(free_pmids(size + LINKS_PER_CLAIM - 1))
    )
    kinds = cycle(ClaimKind.values)
    now = timezone.now()
    claims = Claim.objects.bulk_create(
        Claim(
            compound=compound,
            statement=f"In adults after stroke, {WORD} improves recovery (claim {number}).",
            kind=next(kinds),
            status=ClaimStatus.PUBLISHED,
            graded_at=now,
            risk_of_bias="serious",
            risk_of_bias_reason="Constructed for the benchmark.",
        )
        for number in range(size)
    )
    stances = cycle(
        [Stance.SUPPORTS, Stance.NO_EFFECT, Stance.PARTIALLY_SUPPORTS, Stance.CONTRADICTS]
    )
    Evidence.objects.bulk_create(
        Evidence(claim=claim, study=studies[number + k], stance=next(stances))
        for number, claim in enumerate(claims)
        for k in range(LINKS_PER_CLAIM)
    )
    # Claim n is said on pages n and n + 1 (of three, in turn): every page is shared.
    appearances = Appearance.objects.bulk_create(
        Appearance(
            claim=claim,
            source=sources[(number + k) % SOURCES],
            position=number,
            quote=f"{WORD.title()} (constructed) claim {number} speeds recovery, sentence {k}.",
        )
        for number, claim in enumerate(claims)
        for k in range(APPEARANCES_PER_CLAIM)
    )
    # The first sentence of each claim cites its first study, through its page's reference list.
    first = appearances[::APPEARANCES_PER_CLAIM]
    references = Reference.objects.bulk_create(
        Reference(
            source=appearance.source,
            number=number + 1,
            text=f"Constructed reference to {studies[number].title}",
            study=studies[number],
        )
        for number, appearance in enumerate(first)
    )
    Citation.objects.bulk_create(
        Citation(appearance=appearance, reference=reference)
        for appearance, reference in zip(first, references, strict=True)
    )
    # Bulk inserts skip the services: derive the grades and sentence flags now, as regrading
    # would.
    for claim in claims:
        apply_grade(claim)
    Claim.objects.bulk_update(claims, GRADE_FIELDS)
    flagged = [appearance for claim in claims for appearance in appearance_changes(claim)]
    Appearance.objects.bulk_update(flagged, ["flags"])
    return compound


def fetch(client: Client, url: str):
    """The response, its body read: a streamed one (the API, the downloads) runs its queries
    as it is read."""
    response = client.get(url, secure=True)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def measure(client: Client, page: str, url: str, repeat: int) -> Measurement:
    fetch(client, url)  # warm-up: templates compiled, caches filled
    with CaptureQueriesContext(connection) as captured:
        response = fetch(client, url)
    # Counted now: the captured list is read from the connection's log, which the next request
    # empties.
    queries = len(captured)
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}.")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fetch(client, url)
        times.append((time.perf_counter() - start) * 1000)
    return Measurement(page, url, queries, statistics.median(times))


def run_benchmark(sizes, repeat: int) -> dict[int, list[Measurement]]:
    """{size: measurements}; every size is built and rolled back in its own transaction."""
    results = {}
    # The test client's host; production settings would refuse it.
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        for size in sizes:
            with transaction.atomic():
                compound = build_compound(size)
                client = Client(raise_request_exception=True)
                results[size] = [
                    measure(client, page, url, repeat) for page, url in pages(compound).items()
                ]
                transaction.set_rollback(True)
    return results


def growing_pages(results: dict[int, list[Measurement]]) -> list[str]:
    """The pages whose query count differs between sizes."""
    counts: dict[str, set[int]] = {}
    for measurements in results.values():
        for m in measurements:
            counts.setdefault(m.page, set()).add(m.queries)
    return [page for page, seen in counts.items() if len(seen) > 1]


def table(size: int, measurements: list[Measurement]) -> str:
    lines = [
        f"{size} claims, {size * LINKS_PER_CLAIM} evidence links, "
        f"{size * APPEARANCES_PER_CLAIM} appearances on {SOURCES} pages",
        f"{'Page':<16}{'SQL queries':>12}{'Median ms':>12}",
    ]
    lines += [f"{m.page:<16}{m.queries:>12}{m.median_ms:>12.1f}" for m in measurements]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Query counts and median response times of the compound page, API, search, CSV "
        "export and source page for constructed compounds of several sizes (rolled back "
        "afterwards)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--claims",
            type=int,
            nargs="+",
            default=list(DEFAULT_SIZES),
            metavar="N",
            help="Numbers of claims to measure with (default: 50 200 1000).",
        )
        parser.add_argument(
            "--repeat", type=int, default=5, help="Timed requests per page (default 5)."
        )

    def handle(self, *args, claims, repeat, **options):
        if any(size < 1 for size in claims) or repeat < 1:
            raise CommandError("--claims and --repeat take whole numbers of 1 or more.")
        self.stdout.write(f"Database: {connection.vendor}; median of {repeat} requests per page.")
        results = run_benchmark(claims, repeat)
        for size, measurements in results.items():
            self.stdout.write("\n" + table(size, measurements))
        growing = growing_pages(results)
        if growing:
            raise CommandError(
                f"Query counts change with the number of claims on: {', '.join(growing)}."
            )
        self.stdout.write("\nQuery counts are the same for every number of claims.")
