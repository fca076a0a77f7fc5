"""A polite HTTP client: one request at a time per host, spaced by `delay`; timeouts; bounded
retries with exponential backoff; bodies capped in size. Built on httpx (sync): connection
pooling, redirects and timeouts done right, and no failure of a request is ever raised to the
walk — it comes back as a Reply with the reason.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from budgetpdf import pipeline_version
from budgetpdf.fetch.sources import Politeness

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0  # seconds: a server asking to wait longer is tried on another night
USER_AGENT = f"budgetpdf-fetch/{pipeline_version()} (public-finance disclosures; polite crawler)"


class HostPacer:
    """Spaces requests to each host by `delay` seconds, across threads: each caller is given
    the next free slot of its host and sleeps until then."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.delay
        if slot > now:
            time.sleep(slot - now)


@dataclass(frozen=True, slots=True)
class Reply:
    """What one GET came to: status (None when no response came), the final address after
    redirects, headers, body, and `error`, one line, when there is no usable response."""

    url: str
    status: int | None = None
    final_url: str | None = None
    headers: httpx.Headers | None = None
    body: bytes = b""
    error: str | None = None
    transient: bool = False  # an error worth another try: a timeout, a dropped connection

    @property
    def retryable(self) -> bool:
        """Whether another try may go better: a transient error, or 429/5xx."""
        return self.transient or (self.error is None and self.status in RETRY_STATUS)

    def header(self, name: str) -> str | None:
        """A response header's value (None when absent or when no response came)."""
        return self.headers.get(name) if self.headers is not None else None


class Client:
    """GETs under the politeness settings; use as a context manager (closes the pool)."""

    def __init__(self, politeness: Politeness) -> None:
        self.politeness = politeness
        self.pacer = HostPacer(politeness.delay)
        self._http = httpx.Client(
            follow_redirects=True,
            max_redirects=5,
            timeout=httpx.Timeout(politeness.timeout),
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def get(self, url: str, headers: dict[str, str] | None = None) -> Reply:
        """GET url (conditional when headers carry If-None-Match / If-Modified-Since). A
        timeout, a dropped connection, 429 or 5xx is tried again up to `retries` times,
        waiting backoff, 2×backoff, … seconds (or the server's Retry-After, up to 60 s); the
        last answer or error is returned. A body over max_bytes is an error."""
        p = self.politeness
        reply = Reply(url, error="not tried")
        for attempt in range(p.retries + 1):
            if attempt:
                time.sleep(_wait(reply, p.backoff * 2 ** (attempt - 1)))
            self.pacer.wait(url)
            reply = self._once(url, headers or {})
            if not reply.retryable:
                return reply
        return reply

    def _once(self, url: str, headers: dict[str, str]) -> Reply:
        p = self.politeness
        try:
            with self._http.stream("GET", url, headers=headers) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > p.max_bytes:
                        return Reply(
                            url,
                            response.status_code,
                            str(response.url),
                            response.headers,
                            error=f"larger than {p.max_bytes} bytes (limit max_bytes); not taken",
                        )
                final = str(response.url)
                return Reply(url, response.status_code, final, response.headers, bytes(body))
        except httpx.TimeoutException as exc:
            reason = f"timed out after {p.timeout:g} s ({type(exc).__name__})"
            return Reply(url, error=reason, transient=True)
        except httpx.TooManyRedirects:
            return Reply(url, error="too many redirects (more than 5)")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:  # before TransportError,
            return Reply(url, error=f"bad address: {exc}"[:200])  # UnsupportedProtocol's base
        except httpx.TransportError as exc:  # refused, reset, DNS, TLS, a broken response
            reason = f"connection failed: {type(exc).__name__}: {exc}"[:200]
            return Reply(url, error=reason, transient=True)


def _wait(reply: Reply, backoff: float) -> float:
    """Seconds before the next try: the server's Retry-After (seconds or a date, at most
    MAX_RETRY_AFTER) on 429/503, else backoff."""
    value = reply.header("Retry-After")
    if value is None:
        return backoff
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return backoff
    return min(max(seconds, backoff), MAX_RETRY_AFTER)
