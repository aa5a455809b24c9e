"""How the PubMed and Crossref clients reach the network: one request, retried.

A Transport is handed to each client (EutilsClient, CrossrefClient). Its opener has
urllib.request.urlopen's signature and is the one place a request leaves the process, so tests
give the clients a Transport with a fake opener (and a sleep that does not wait) instead of
replacing anything by name.

The retry loop retries what time can fix (timeouts, cut bodies, HTTP 429 and 5xx), honours
Retry-After, and fails at once when the host cannot be reached at all.
"""

import email.utils
import random
import socket
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from urllib.error import HTTPError, URLError

from django.conf import settings

REQUEST_TIMEOUT = 30  # seconds for one HTTP request; a stalled connection then becomes retryable
RETRY_ATTEMPTS = 4
MAX_RETRY_WAIT = 60  # seconds; a Retry-After longer than this fails at once instead of waiting
# seconds of waiting between attempts, in all, before one call gives up: a caller (a request
# in the workbench, a task) is never kept waiting much longer than this by retries.
MAX_TOTAL_WAIT = 90


def equal_jitter(delay: float) -> float:
    """Half the backoff delay fixed, half random: clients that failed together (many workers
    after one outage) do not all retry at the same moment."""
    return delay / 2 + random.uniform(0, delay / 2)


# Network failures that retrying cannot fix: the host's name does not resolve, or there is no
# route to it. Reported at once so an offline command fails in a second, not after minutes.
_UNREACHABLE_ERRNOS = {101, 111, 113}  # ENETUNREACH, ECONNREFUSED, EHOSTUNREACH


class RemoteError(Exception):
    """A remote service (PubMed, Crossref) could not give an answer; the message says why."""


class Offline(RemoteError):
    """The service's host cannot be reached at all (no network, DNS failure): no retrying."""


def _unreachable(exc: BaseException) -> bool:
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, socket.gaierror):
        return True
    return isinstance(reason, OSError) and reason.errno in _UNREACHABLE_ERRNOS


def _retry_after(headers) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date), if any."""
    value = (headers.get("Retry-After") if headers else None) or ""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def call_with_retries(
    request: Callable[[], bytes],
    *,
    service: str,
    attempts: int = RETRY_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 1.0,
    jitter: Callable[[float], float] = equal_jitter,
    max_total_wait: float = MAX_TOTAL_WAIT,
) -> bytes:
    """Run request() and retry timeouts, truncated bodies, HTTP 429 and 5xx with backoff.

    HTTP 429 waits as long as Retry-After asks (up to MAX_RETRY_WAIT), otherwise the wait
    doubles from base_delay, with jitter. Waits add up to at most max_total_wait: a retry that
    would go beyond it is not made. An unreachable host raises Offline at once. Other HTTP
    errors are re-raised untouched for the caller, which knows what a 400 or 404 means for its
    service.
    """
    waited = 0.0
    for attempt in range(1, attempts + 1):
        last = attempt == attempts
        delay = jitter(base_delay * 2 ** (attempt - 1))
        try:
            return request()
        except HTTPError as exc:
            if exc.code != 429 and not 500 <= exc.code < 600:
                raise
            if exc.code == 429:
                asked = _retry_after(exc.headers)
                if asked is not None and asked > MAX_RETRY_WAIT:
                    raise RemoteError(
                        f"{service} is rate-limiting us and asks to wait {asked:.0f} s; "
                        "try again later."
                    ) from exc
                delay = asked if asked is not None else delay
            if last:
                raise RemoteError(
                    f"{service} answered HTTP {exc.code} ({exc.reason}) {attempts} times in a "
                    "row; try again later."
                ) from exc
        except (URLError, OSError, HTTPException) as exc:
            if _unreachable(exc):
                raise Offline(
                    f"Cannot reach {service}: {_reason(exc)}. Is this machine offline?"
                ) from exc
            if last:
                raise RemoteError(
                    f"{service} did not answer properly {attempts} times in a row "
                    f"({_reason(exc)}); try again later."
                ) from exc
        if waited + delay > max_total_wait:
            raise RemoteError(
                f"{service} did not answer properly after {attempt} tries in {waited:.0f} s "
                "of waiting; try again later."
            )
        sleep(delay)
        waited += delay
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises


def _reason(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, URLError) else exc
    text = str(reason) or type(reason).__name__
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"timed out ({text})" if text != "timed out" else "timed out"
    return text


def error_body(exc: HTTPError) -> str:
    """The body of an HTTP error reply as text ("" when there is none or it cannot be read)."""
    try:
        body = exc.read() if exc.fp is not None else b""
    except OSError:
        return ""
    return body.decode("utf-8", errors="replace")


def contact_from_settings() -> dict[str, str]:
    """How the clients name themselves, as configured: NCBI_TOOL and NCBI_EMAIL (NCBI and
    Crossref both ask for a tool name and a contact address)."""
    return {
        "email": getattr(settings, "NCBI_EMAIL", "") or "",
        "tool": getattr(settings, "NCBI_TOOL", "") or "evidence-kb",
    }


@dataclass(frozen=True)
class Transport:
    """One client's way to the network: the opener, one request's timeout, the retry policy.

    `opener(request, timeout=...)` is called like urllib.request.urlopen and returns a binary
    response; `sleep(seconds)` is how the retry loop waits between attempts and `jitter(delay)`
    spreads those waits (tests pass an exact one). `throttle()`, when given, is called before
    every request and waits for the service's rate limit (studies.ratelimit).
    """

    opener: Callable = urllib.request.urlopen
    sleep: Callable[[float], None] = time.sleep
    timeout: float = REQUEST_TIMEOUT
    attempts: int = RETRY_ATTEMPTS
    jitter: Callable[[float], float] = equal_jitter
    max_total_wait: float = MAX_TOTAL_WAIT
    throttle: Callable[[], None] | None = None

    def open(self, request: urllib.request.Request):
        """Send one request (no retrying); the clients only ever pass https:// requests."""
        if self.throttle is not None:
            self.throttle()
        return self.opener(request, timeout=self.timeout)

    def call(self, request: Callable[[], bytes], *, service: str) -> bytes:
        """request() through the retry loop; `service` names the host in error messages."""
        return call_with_retries(
            request,
            service=service,
            attempts=self.attempts,
            sleep=self.sleep,
            jitter=self.jitter,
            max_total_wait=self.max_total_wait,
        )
