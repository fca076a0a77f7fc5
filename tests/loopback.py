"""A real HTTP server on a loopback address, inside the test process, for the fetch tests:
routes of bytes with ETag/Last-Modified (answering conditional requests with 304),
redirects, error statuses, delays past a client's timeout; every request is recorded."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What one path answers: body with content_type and status; `location` for a redirect;
    `delay` seconds before answering; validators (an ETag of the body's hash, a fixed
    Last-Modified) unless turned off; `fail_first` answers of 503 before the real one. The
    ETag is computed once: replace a route to change its body."""

    body: bytes = b""
    content_type: str = "application/pdf"
    status: int = 200
    location: str | None = None
    delay: float = 0.0
    etag: bool = True
    last_modified: float | None = 1_700_000_000.0
    fail_first: int = 0

    def __post_init__(self) -> None:
        self.tag = f'"{hashlib.sha256(self.body).hexdigest()[:16]}"' if self.etag else None


class Site:
    """Serves routes (path with query → Route) on host:port (port chosen by the system);
    `asked` lists the path of every request as it arrives, `hits` (path, status) of every
    answer as it is sent. Use as a context manager."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.asked: list[str] = []
        self.hits: list[tuple[str, int]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                site._answer(self)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.host, self.port = host, self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        self.asked.append(h.path)
        route = self.routes.get(h.path)
        try:
            if route is None:
                self._send(h, 404, b"<html><title>404 Not Found</title></html>", "text/html")
                return
            if route.delay:
                time.sleep(route.delay)
            if route.fail_first:
                route.fail_first -= 1
                self._send(h, 503, b"busy", "text/plain", {"Retry-After": "0"})
                return
            if route.location is not None:
                self._send(h, route.status, b"", "text/html", {"Location": route.location})
                return
            headers = {}
            etag = route.tag
            if etag:
                headers["ETag"] = etag
            if route.last_modified is not None:
                headers["Last-Modified"] = formatdate(route.last_modified, usegmt=True)
            if self._not_modified(h, etag, route.last_modified):
                self._send(h, 304, b"", None, headers)
                return
            self._send(h, route.status, route.body, route.content_type, headers)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            pass

    @staticmethod
    def _not_modified(h: BaseHTTPRequestHandler, etag: str | None, modified: float | None) -> bool:
        asked = h.headers.get("If-None-Match")
        if asked is not None:
            return etag is not None and asked == etag
        since = h.headers.get("If-Modified-Since")
        if since is None or modified is None:
            return False
        return parsedate_to_datetime(since).timestamp() >= int(modified)

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.hits.append((h.path, status))
        h.send_response(status)
        if content_type:
            h.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
