"""The fetch manifest: one row per thing that happened to an address (a new PDF stored, bytes
already held, a page that is not a PDF, a failure), kept beside the PDFs it stored as
`RAW/manifest.parquet` and `RAW/manifest.csv`.

It is also the fetcher's memory — each address's last validators (ETag, Last-Modified) make
the next request conditional — and the provenance of every stored PDF: the documents table
joins `source_url` and `fetched_at` from it by SHA-256 (`provenance`). Rows are only ever
added; a night on which nothing changed adds none.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypedDict

import pyarrow as pa
import pyarrow.parquet as pq
from budgetpdf.contract.files import write_csv, write_parquet
from budgetpdf.contract.rows import OptInt32, OptStr, Str, arrow_schema

MANIFEST = "manifest"
OUTCOMES = ("saved", "known", "archive", "not_pdf", "failed")
"""saved: a PDF new to RAW, stored as RAW/<sha256>.pdf · known: a PDF whose bytes RAW already
holds · archive: a ZIP whose PDFs were taken (each has its own row, its address the archive's
with `#member name`) · not_pdf: bytes that are not a PDF, reason says what they are ·
failed: no usable answer (HTTP error, timeout, refused connection), reason says which."""

Timestamp = Annotated[datetime, pa.timestamp("s", tz="UTC")]


class ManifestRow(TypedDict):
    """One event of the fetcher. kind is `listing` (a listing page: recorded when it fails),
    `document` (a link to a document) or `member` (a PDF inside an archive); bytes and
    sha256 are of the body as received; fetched_at is when the answer came (UTC)."""

    url: Str
    source_id: Str
    fetched_at: Timestamp
    http_status: OptInt32
    content_type: OptStr
    bytes: Annotated[int | None, pa.int64()]
    sha256: OptStr
    outcome: Str
    reason: OptStr
    kind: Str
    referrer: OptStr  # the listing page the link was found on
    final_url: OptStr  # after redirects
    etag: OptStr
    last_modified: OptStr
    publisher_hint: OptStr  # the source's `publisher`, as written in the sources file


SCHEMA = arrow_schema(ManifestRow)


class ManifestError(Exception):
    """A manifest that cannot be read; one line says which file and why."""


def manifest_path(raw: Path) -> Path:
    """RAW/manifest.parquet: the fetch record of a raw folder (its CSV twin sits beside it)."""
    return raw / f"{MANIFEST}.parquet"


def read_manifest(raw: Path) -> list[ManifestRow]:
    """The manifest's rows in the order they were added ([] when RAW has none yet). Raises
    ManifestError when the file is there but unreadable."""
    path = manifest_path(raw)
    if not path.exists():
        return []
    try:
        return pq.read_table(path, schema=SCHEMA).to_pylist()  # type: ignore[return-value]
    except (OSError, pa.ArrowException) as exc:
        raise ManifestError(f"{path}: cannot be read ({exc}); move it away to start anew") from exc


def write_manifest(raw: Path, rows: list[ManifestRow]) -> None:
    """All rows as RAW/manifest.parquet and RAW/manifest.csv (UTF-8 with BOM), each written
    to a temporary name and renamed into place."""
    table = pa.Table.from_pylist([dict(r) for r in rows], SCHEMA)
    write_parquet(table, manifest_path(raw))
    write_csv(table, raw / f"{MANIFEST}.csv")


def last_answers(rows: list[ManifestRow]) -> dict[str, ManifestRow]:
    """Each address's latest row that came with a 200 answer: its validators make the next
    request conditional, its sha256 says which bytes the address served last."""
    latest: dict[str, ManifestRow] = {}
    for row in rows:
        if row["http_status"] == 200:
            latest[row["url"]] = row
    return latest


# ---------------------------------------------------------------- provenance

_Provenance = dict[str, tuple[str, datetime]]
_cache: dict[Path, tuple[tuple[int, int], _Provenance]] = {}


def _first_seen(path: Path) -> _Provenance:
    """sha256 → (address, fetched_at) of the first row that received those bytes."""
    table = pq.read_table(path, columns=["url", "fetched_at", "sha256", "outcome"])
    found: _Provenance = {}
    for row in table.to_pylist():
        if row["outcome"] in ("saved", "known") and row["sha256"]:
            found.setdefault(row["sha256"], (row["url"], row["fetched_at"]))
    return found


def provenance(pdf: Path, sha256: str) -> tuple[str | None, datetime | None]:
    """(source_url, fetched_at) of a PDF from the manifest of the folder it lies in: the
    address its bytes were first fetched from and when (UTC). (None, None) for a file given
    by hand — no manifest there, or its bytes not in it — and when the manifest cannot be
    read (provenance never fails a document)."""
    path = manifest_path(pdf.parent)
    try:
        info = os.stat(path)
        stamp = (info.st_mtime_ns, info.st_size)
        cached = _cache.get(path)
        if cached is None or cached[0] != stamp:
            cached = (stamp, _first_seen(path))
            _cache[path] = cached
    except (OSError, pa.ArrowException, KeyError):
        return None, None
    return cached[1].get(sha256, (None, None))
