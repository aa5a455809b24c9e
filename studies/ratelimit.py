"""NCBI's request rate, kept by every process together: 3 requests/s, 10/s with an API key.

Bio.Entrez spaces the requests of one process only; web servers, workers on several machines
and commands all share one PostgreSQL, so the schedule lives there. Each request takes the next
free slot of its service with one UPDATE (the row lock serialises concurrent takers) and then
waits until its slot comes: slots are 1/rate seconds apart whoever takes them.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

NCBI = "ncbi"
NCBI_RATE = 3.0  # requests per second without an API key (NCBI's rule)
NCBI_RATE_WITH_KEY = 10.0

# One statement, so that taking a slot never holds the row beyond it. clock_timestamp(), not
# now(): now() is the start of the surrounding transaction, which may be old.
_TAKE_SLOT = """
INSERT INTO studies_ratelimitslot (service, next_at)
VALUES (%(service)s, clock_timestamp() + make_interval(secs => %(spacing)s))
ON CONFLICT (service) DO UPDATE
SET next_at = GREATEST(clock_timestamp(), studies_ratelimitslot.next_at)
    + make_interval(secs => %(spacing)s)
RETURNING EXTRACT(EPOCH FROM next_at)::float8 - %(spacing)s,
    EXTRACT(EPOCH FROM (next_at - clock_timestamp()))::float8 - %(spacing)s
"""


@dataclass(frozen=True)
class RateLimit:
    """Requests to `service` at most `rate` per second across all processes."""

    service: str
    rate: float
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def ncbi(cls) -> "RateLimit":
        """NCBI's limit as configured: 10/s with NCBI_API_KEY, else 3/s."""
        has_key = bool(getattr(settings, "NCBI_API_KEY", ""))
        return cls(NCBI, NCBI_RATE_WITH_KEY if has_key else NCBI_RATE)

    def take_slot(self) -> tuple[float, float]:
        """Book the next free slot: when it starts (Unix time, by the database's clock) and the
        seconds until then (0 when it is now)."""
        with connection.cursor() as cursor:
            cursor.execute(_TAKE_SLOT, {"service": self.service, "spacing": 1.0 / self.rate})
            starts, wait = cursor.fetchone()
        return starts, max(0.0, wait)

    def __call__(self) -> None:
        """Wait for this process's turn to send one request."""
        _, wait = self.take_slot()
        if wait:
            self.sleep(wait)
