"""The sources file: which publishers' pages to walk, which links lead to documents, and how
politely. TOML, validated by pydantic like the knowledge in schemas/ (an unknown key, a
pattern that does not compile or a start address that is not http(s) is one line naming the
file and the key).

    [fetch]                    # optional; the values shown are the defaults
    delay = 1.0                # seconds between two requests to one host
    timeout = 30.0             # seconds to connect, and between two reads of a response
    retries = 2                # further tries after a timeout, a dropped connection, 429 or 5xx
    backoff = 2.0              # seconds before the first retry; doubled for each next one
    max_bytes = 200_000_000    # a response larger than this is not taken
    parallel = 8               # sources walked at once (each host still gets `delay`)

    [[source]]
    id = "finance-bureau"                          # names the source in the manifest
    start = ["https://www.example.gov.cn/yjs/"]    # listing pages
    follow = ['/yjs/index_\\d+\\.html', '/yjs/\\d+/t\\d+_\\d+\\.html']  # more listing pages
    documents = ['\\.pdf$', '/attach/']            # links that lead to documents
    publisher = "某市财政局"                        # optional hint, kept in the manifest
    max_pages = 50                                 # listing pages fetched, start pages included
    max_depth = 2                                  # link steps from a start page

A pattern is a regular expression searched in a link's absolute address (percent-escapes
decoded, so Chinese can be written as such) and in the link's text.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from budgetpdf.schemas.knowledge import compiles, read_toml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# Without patterns of its own a source takes links to `.pdf` and links that look like
# attachments (download scripts, upload/attachment folders, archive and office files, a link
# text saying 附件 or 下载): their bytes decide whether they are PDFs.
DEFAULT_DOCUMENTS = (
    r"(?i)\.pdf(?:$|[?#])",
    r"(?i)\.(?:zip|rar|7z|docx?|xlsx?|wps|et|ofd)(?:$|[?#])",
    r"(?i)download|attach|upload|getfile|downfile|fileid",
    r"附件|下载",
)


class SourcesError(ValueError):
    """A sources file that cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Politeness(_Strict):
    """How the fetcher treats every host (seconds, bytes)."""

    delay: float = Field(1.0, ge=0)
    timeout: float = Field(30.0, gt=0)
    retries: int = Field(2, ge=0, le=10)
    backoff: float = Field(2.0, ge=0)
    max_bytes: int = Field(200_000_000, gt=0)
    parallel: int = Field(8, ge=1, le=32)


class Source(_Strict):
    """One publisher's pages: start pages, the links to follow and the links to take."""

    id: str = Field(pattern=r"^[\w.-]+$")
    start: list[str] = Field(min_length=1)
    documents: list[str] = list(DEFAULT_DOCUMENTS)
    follow: list[str] = []
    publisher: str | None = None
    max_pages: int = Field(50, ge=1)
    max_depth: int = Field(2, ge=0)

    @field_validator("start")
    @classmethod
    def _http(cls, v: list[str]) -> list[str]:
        for url in v:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an http(s) address: {url!r}")
        return v

    @field_validator("documents", "follow")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        return [compiles(p) for p in v]


class SourcesFile(_Strict):
    """The whole file: politeness for every host, and the sources."""

    fetch: Politeness = Politeness()
    source: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> SourcesFile:
        ids = [s.id for s in self.source]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"source ids must be unique: {', '.join(dupes)}")
        return self


def load_sources(path: Path) -> SourcesFile:
    """The sources file at path, validated. Raises SourcesError with one line, e.g.
    `sources.toml: source.0.follow.1: Value error, bad pattern '(': missing )`."""
    return read_toml(path, SourcesFile, str(path), SourcesError)


def sources_from_urls(urls: list[str]) -> SourcesFile:
    """Listing pages given on the command line: one source per address (id `url1`, `url2`…),
    default patterns, no further pages followed. Raises SourcesError for an address that is
    not http(s)."""
    try:
        return SourcesFile(
            source=[Source(id=f"url{i}", start=[u]) for i, u in enumerate(urls, start=1)]
        )
    except ValidationError as exc:
        raise SourcesError(exc.errors()[0]["msg"]) from exc
