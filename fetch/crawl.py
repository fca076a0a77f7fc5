"""Walk the sources: listing pages → the links that lead to documents → PDFs stored by content.

Each source is walked on its own thread (`parallel` at once); requests to one host are spaced
by `delay` whatever the thread. A document is asked for conditionally (If-None-Match /
If-Modified-Since from the manifest), so a night with nothing new downloads nothing: every
answer is a 304. A PDF is stored as RAW/<sha256>.pdf — a file that is never overwritten,
since its name is its content — and a changed document at the same address is a new file,
the old one kept. What is not a PDF never reaches RAW; the manifest says what it was.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import regex
from budgetpdf.contract.files import OutputError, exclusive
from budgetpdf.fetch.http import Client, Reply
from budgetpdf.fetch.manifest import (
    ManifestError,
    ManifestRow,
    last_answers,
    read_manifest,
    write_manifest,
)
from budgetpdf.fetch.sniff import archive_pdfs, decode_html, sniff
from budgetpdf.fetch.sources import Source, SourcesFile
from selectolax.lexbor import LexborHTMLParser

PART = ".part"  # a PDF being written; renamed (linked) to <sha256>.pdf when whole
CHECKPOINT = 25  # documents between two writes of the manifest


class FetchError(Exception):
    """The fetch cannot run at all (RAW not writable, held by another fetch, its manifest
    unreadable); one line says why."""


@dataclass(frozen=True, slots=True)
class Link:
    """A link on a listing page: its absolute address (no fragment) and its text."""

    url: str
    text: str


@dataclass(slots=True)
class FetchReport:
    """Counts of one fetch: listing pages read, document links found, and what became of
    them — `saved` new PDFs (their files in `new_files`), `known` bytes RAW already held,
    `unchanged` (a 304, or the same bytes and validators as last time), `not_pdf`, `failed`
    (an HTTP error, a timeout; one line each in `failures`) — and the sources whose start
    pages could not be read, one line each in `unreachable` (not counted as failed)."""

    sources: int = 0
    listing_pages: int = 0
    document_links: int = 0
    saved: int = 0
    known: int = 0
    unchanged: int = 0
    not_pdf: int = 0
    failed: int = 0
    bytes_downloaded: int = 0
    seconds: float = 0.0
    unreachable: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # `address: reason`, failed rows
    new_files: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, int | float]:
        """The numbers, for the nightly log line."""
        names = ("sources", "listing_pages", "document_links", "saved", "known", "unchanged")
        names += ("not_pdf", "failed", "bytes_downloaded")
        return {
            **{n: getattr(self, n) for n in names},
            "sources_unreachable": len(self.unreachable),
            "seconds": round(self.seconds, 3),
        }

    def line(self) -> str:
        """The counts as the one line the command prints."""
        return (
            f"{self.sources} sources ({len(self.unreachable)} unreachable), "
            f"{self.listing_pages} listing pages, {self.document_links} document links: "
            f"{self.saved} new PDFs, {self.known} known, {self.unchanged} unchanged, "
            f"{self.not_pdf} not PDF, {self.failed} failed; "
            f"{self.bytes_downloaded / 1e6:.1f} MB in {self.seconds:.1f} s"
        )

    def exit_code(self) -> int:
        """3 when a source could not be reached, else 1 when a document could not be
        fetched, else 0."""
        return 3 if self.unreachable else 1 if self.failed else 0


# ---------------------------------------------------------------- links


def page_links(body: bytes, content_type: str | None, base: str) -> list[Link]:
    """The links of an HTML page in document order (`<a href>`, `<area href>`, and the
    `<iframe>`/`<embed>` a PDF is often shown in), made absolute against the page's
    address or its `<base href>`; javascript:, mailto:, other non-http and malformed links
    dropped."""
    tree = LexborHTMLParser(decode_html(body, content_type))
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = urljoin(base, (base_node.attributes.get("href") or "").strip())
    found = []
    for node in tree.css("a[href], area[href], iframe[src], embed[src]"):
        target = (node.attributes.get("href") or node.attributes.get("src") or "").strip()
        try:
            url = urldefrag(urljoin(base, target)).url
            if not target or urlsplit(url).scheme not in ("http", "https"):
                continue
        except ValueError:  # a malformed address (`http://[::1`): a link to nowhere
            continue
        words = [node.text(), node.attributes.get("title") or ""]
        found.append(Link(url, " ".join(" ".join(words).split())))
    return found


@cache
def _compiled(patterns: tuple[str, ...]) -> tuple[regex.Pattern, ...]:
    return tuple(regex.compile(p) for p in patterns)


def matches(patterns: list[str], link: Link) -> bool:
    """Whether a pattern is found in the link's address (percent-escapes decoded) or text."""
    address = unquote(link.url)
    return any(p.search(address) or p.search(link.text) for p in _compiled(tuple(patterns)))


# ---------------------------------------------------------------- storing


def store_pdf(raw: Path, body: bytes, sha: str) -> bool:
    """Keep body as RAW/<sha>.pdf; True when the file is new. Written under a temporary name
    and linked into place, so the name never holds part of a file and an existing one is
    never overwritten (two threads storing the same bytes: one links, one finds it there)."""
    target = raw / f"{sha}.pdf"
    if target.exists():
        return False
    part = raw / f".{sha}.{os.getpid()}.{threading.get_ident()}{PART}"
    try:
        with part.open("wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(part, target)
        return True
    except FileExistsError:
        return False
    finally:
        part.unlink(missing_ok=True)


# ---------------------------------------------------------------- the walk


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class _Night:
    """One fetch: the manifest's rows and each address's last answer, shared by the source
    threads under a lock; each source's rows are written out when it is done."""

    def __init__(self, raw: Path, sources: SourcesFile, client: Client) -> None:
        self.raw, self.sources, self.client = raw, sources, client
        self.rows = read_manifest(raw)
        self.answers = last_answers(self.rows)
        self.report = FetchReport(sources=len(sources.source))
        self.lock = threading.Lock()
        self.stop = threading.Event()  # set on Ctrl-C: each walk ends after its request
        self.saved = len(self.rows)  # rows on disk: a night with nothing new writes nothing

    def add(self, row: ManifestRow, count: str | None) -> None:
        """Add a row (and count it under `count`); a 2xx answer becomes its address's last."""
        with self.lock:
            self.rows.append(row)
            if row["http_status"] is not None and 200 <= row["http_status"] < 300:
                self.answers[row["url"]] = row
            if count is not None:
                setattr(self.report, count, getattr(self.report, count) + 1)
            if count == "failed":
                self.report.failures.append(f"{row['url']}: {row['reason']}")

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            setattr(self.report, name, getattr(self.report, name) + n)

    def save(self) -> None:
        with self.lock:
            if len(self.rows) > self.saved:
                write_manifest(self.raw, self.rows)
                self.saved = len(self.rows)

    def walk(self, source: Source) -> None:
        """Read the source's listing pages breadth first (start pages, then the links that
        match `follow` on the same hosts, up to max_depth steps and max_pages pages), then
        fetch each link matching `documents` once. The manifest is written every
        CHECKPOINT documents and when the walk ends, however it ends."""
        try:
            self._walk(source)
        except OSError:  # RAW cannot be written (a full disk): the whole fetch stops
            raise
        except Exception as exc:  # a bug of ours must not pass for a network failure, nor stop
            where = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:200]  # the other sources
            with self.lock:
                self.report.failed += 1
                self.report.failures.append(f"{source.id}: internal error, please report: {where}")
        finally:
            self.save()

    def _walk(self, source: Source) -> None:
        queue = deque((url, 0, None) for url in source.start)
        hosts = {urlsplit(u).hostname for u in source.start}
        seen = set(source.start)
        documents: dict[str, str] = {}  # address → the listing page it was found on
        pages = 0
        while queue and pages < source.max_pages and not self.stop.is_set():
            url, depth, referrer = queue.popleft()
            reply = self.client.get(url)
            pages += 1
            self.count("listing_pages")
            self.count("bytes_downloaded", len(reply.body))
            if reply.error is not None or (reply.status or 0) >= 400:
                reason = reply.error or _status_line(reply)
                row = self._row(source, reply, "listing", referrer, "failed", reason)
                self.add(row, "failed" if depth else None)  # a start page: the source's
                if depth == 0:
                    with self.lock:
                        self.report.unreachable.append(f"{source.id}: {url}: {reason}")
                continue
            if sniff(reply.body).kind != "other":  # the address is a document itself
                self.count("document_links")
                self._take(source, reply, referrer)
                continue
            if reply.final_url:
                hosts.add(urlsplit(reply.final_url).hostname)
            base = reply.final_url or url
            for link in page_links(reply.body, reply.header("Content-Type"), base):
                if link.url in documents or link.url in seen:
                    continue
                if matches(source.documents, link):
                    documents[link.url] = url
                elif (
                    depth < source.max_depth
                    and urlsplit(link.url).hostname in hosts
                    and matches(source.follow, link)
                ):
                    seen.add(link.url)
                    queue.append((link.url, depth + 1, url))
        self.count("document_links", len(documents))
        for n, (url, referrer) in enumerate(documents.items(), start=1):
            if self.stop.is_set():
                return
            self._document(source, url, referrer)
            if n % CHECKPOINT == 0:  # a killed fetch keeps the rows of what it stored
                self.save()

    def _last(self, url: str) -> ManifestRow | None:
        """The address's last answer, unless it was a PDF whose file has been removed from
        RAW since (then neither a 304 nor the same bytes may count as unchanged)."""
        with self.lock:
            last = self.answers.get(url)
        pdf = last is not None and last["outcome"] in ("saved", "known")
        if pdf and not (self.raw / f"{last['sha256']}.pdf").exists():
            return None
        return last

    def _document(self, source: Source, url: str, referrer: str) -> None:
        """Ask for a document, conditionally when its last answer had validators."""
        last = self._last(url)
        headers = {}
        if last is not None and last["etag"]:
            headers["If-None-Match"] = last["etag"]
        if last is not None and last["last_modified"]:
            headers["If-Modified-Since"] = last["last_modified"]
        reply = self.client.get(url, headers)
        self.count("bytes_downloaded", len(reply.body))
        if reply.status == 304 and reply.error is None:
            self.count("unchanged")
        elif reply.error is not None or (reply.status or 0) >= 400:
            reason = reply.error or _status_line(reply)
            self.add(self._row(source, reply, "document", referrer, "failed", reason), "failed")
        else:
            self._take(source, reply, referrer)

    def _take(self, source: Source, reply: Reply, referrer: str | None) -> None:
        """A document's body: stored when a PDF, opened when a ZIP, else recorded as what
        it is. Bytes and validators the address sent last time add no row."""
        body = reply.body
        sha = hashlib.sha256(body).hexdigest()
        last = self._last(reply.url)
        if (
            last is not None
            and last["sha256"] == sha
            and (last["etag"], last["last_modified"])
            == (reply.header("ETag"), reply.header("Last-Modified"))
        ):
            self.count("unchanged")
            return
        verdict = sniff(body, reply.header("Content-Type"))
        row = self._row(source, reply, "document", referrer, "not_pdf", verdict.reason)
        row["sha256"] = sha
        if verdict.kind == "pdf":
            self._keep(row, body)
        elif verdict.kind == "zip":
            pdfs, summary = archive_pdfs(body, self.sources.fetch.max_bytes)
            self.add({**row, "outcome": "archive", "reason": summary}, None)
            for name, member in pdfs:
                self._keep({**row, "url": f"{reply.url}#{name}", "kind": "member"}, member)
        else:
            self.add(row, "not_pdf")

    def _keep(self, row: ManifestRow, body: bytes) -> None:
        sha = hashlib.sha256(body).hexdigest()
        new = store_pdf(self.raw, body, sha)
        row.update(sha256=sha, bytes=len(body), outcome="saved" if new else "known", reason=None)
        self.add(row, "saved" if new else "known")
        if new:
            with self.lock:
                self.report.new_files.append(self.raw / f"{sha}.pdf")

    def _row(
        self,
        source: Source,
        reply: Reply,
        kind: str,
        referrer: str | None,
        outcome: str,
        reason: str | None,
    ) -> ManifestRow:
        received = reply.error is None or reply.status is not None
        return {
            "url": reply.url,
            "source_id": source.id,
            "fetched_at": _now(),
            "http_status": reply.status,
            "content_type": reply.header("Content-Type"),
            "bytes": len(reply.body) if received else None,
            "sha256": None,
            "outcome": outcome,
            "reason": reason,
            "kind": kind,
            "referrer": referrer,
            "final_url": reply.final_url if reply.final_url != reply.url else None,
            "etag": reply.header("ETag"),
            "last_modified": reply.header("Last-Modified"),
            "publisher_hint": source.publisher,
        }


def _status_line(reply: Reply) -> str:
    try:
        return f"HTTP {reply.status} {HTTPStatus(reply.status or 0).phrase}"
    except ValueError:
        return f"HTTP {reply.status}"


def fetch(sources: SourcesFile, raw: Path) -> FetchReport:
    """Walk every source into RAW (created if needed) and add what happened to its manifest.
    A failed request never raises: it is a manifest row, a count, and, for a start page, an
    unreachable source. Raises FetchError when RAW cannot be used."""
    started = time.perf_counter()
    try:
        raw.mkdir(parents=True, exist_ok=True)
        with exclusive(raw):
            for stale in raw.glob(f".*{PART}"):  # left by a fetch that was killed
                stale.unlink(missing_ok=True)
            with Client(sources.fetch) as client:
                night = _Night(raw, sources, client)
                with ThreadPoolExecutor(sources.fetch.parallel) as pool:
                    walks = [pool.submit(night.walk, source) for source in sources.source]
                    try:
                        for walk in walks:
                            walk.result()
                    except KeyboardInterrupt:
                        night.stop.set()  # the pool then waits for the requests under way
                        raise
    except ManifestError as exc:
        raise FetchError(str(exc)) from None
    except OutputError:
        raise FetchError(f"another fetch is writing to {raw}; wait for it to end") from None
    except OSError as exc:
        raise FetchError(f"cannot write to {raw}: {exc.strerror or exc}") from exc
    night.report.seconds = time.perf_counter() - started
    return night.report
