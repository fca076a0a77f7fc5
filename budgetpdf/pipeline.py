"""One document through the stages: extract → normalize → check → rows of the contract."""

from __future__ import annotations

import hashlib
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import regex

from budgetpdf import __version__
from budgetpdf.model import DocumentResult, Row
from check.engine import run_checks
from extract.grid import Grid
from extract.layout import TextLine, Word
from extract.pdf import PageLayout, open_pages
from extract.stream import infer_grid
from normalize.frame import TableFrame, build_frame, header_row_count
from normalize.metadata import read_metadata
from normalize.numbers import to_yuan
from normalize.schema import OTHER
from normalize.segment import (
    Fragment,
    TableSegment,
    body_top,
    context,
    describe,
    find_label,
    listed_tables,
    segment_page,
)
from normalize.text import squash

PDF_MAGIC = b"%PDF"
PAGE_NUMBER = regex.compile(r"^[-—–]?\d{1,4}[-—–]?$|^第\d+页")


class InputError(Exception):
    """A file that cannot be read as a PDF; the message says why in one line."""


def file_identity(path: Path) -> tuple[str, int]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), len(data)


@dataclass(slots=True)
class _Reader:
    """Walks the pages once, stitching fragments into tables as it goes."""

    segments: list[TableSegment] = field(default_factory=list)
    lines: list[TextLine] = field(default_factory=list)
    pages: int = 0
    blank_pages: int = 0
    unmapped_glyphs: int = 0
    _open: TableSegment | None = None
    _runs_on: bool = False
    listed: dict[str, str] = field(default_factory=dict)  # tables the 目录 names
    toc_pages: set[int] = field(default_factory=set)

    def read(self, page: PageLayout) -> None:
        self.pages += 1
        self.lines.extend(page.lines)
        self.unmapped_glyphs += page.unmapped_glyphs
        if not page.chars:
            self.blank_pages += 1
            self._open = None
            return
        listed = listed_tables(page)
        if listed:
            self.listed.update(listed)
            self.toc_pages.add(page.number)
        for title, fragment in segment_page(page):
            if title is None:
                self._continue(page, fragment)
            else:
                self._start(page, title, fragment)
        self._runs_on = self._last_thing_on(page)

    def _last_thing_on(self, page: PageLayout) -> bool:
        """Whether the open table ends this page, with nothing but a page number below it."""
        last = self._open.fragments[-1] if self._open and self._open.fragments else None
        if last is None or last.page != page.number:
            return False
        below = [ln for ln in page.lines if ln.top > last.grid.ys[-1] + 2]
        return all(PAGE_NUMBER.match(squash(ln.text)) for ln in below)

    def _start(self, page: PageLayout, title, fragment: Fragment) -> None:
        table_top = body_top(fragment.grid) if fragment.grid else fragment.region[1] + 60
        label, unit, unit_name = describe(page, title, table_top)
        if self._open and self._open.fragments and self._open.fragments[-1].title is title:
            segment = self._open  # a second grid under the same title
        elif self._repeats_open_title(page, title, unit_name):
            segment = self._open  # a continuation page that prints the title again
        else:
            segment = TableSegment(
                title.spec, title.text, label, unit, unit_name, fallback=title.fallback
            )
            self.segments.append(segment)
        if fragment.grid is None:
            fragment.grid = infer_grid(
                page.number, _words(page), _below_context(page, fragment), None
            )
        if fragment.grid is not None:
            segment.fragments.append(fragment)
        self._open = segment

    def _repeats_open_title(self, page: PageLayout, title, unit_name: str | None) -> bool:
        seg = self._open
        return (
            seg is not None
            and bool(seg.fragments)
            and seg.fragments[-1].page == page.number - 1
            and seg.spec is title.spec
            and squash(seg.title_raw) == squash(title.text)
            and seg.unit_name == unit_name
        )

    def _continue(self, page: PageLayout, fragment: Fragment) -> None:
        previous = self._open
        last = previous.fragments[-1] if previous and previous.fragments else None
        continues = last is not None and last.page == page.number - 1
        if fragment.grid is None:
            # An unruled table runs on only when nothing followed it on its page.
            if not continues or last.grid.ruled or not self._runs_on:
                return
            fragment.grid = infer_grid(page.number, _words(page), fragment.region, last.grid)
            if fragment.grid is None:
                return
        if continues and (
            fragment.grid.n_cols == last.grid.n_cols
            or self._runs_on
            and _same_width(fragment.grid, last.grid)
            and header_row_count(fragment.grid) == 0
        ):
            previous.fragments.append(fragment)
            return
        if fragment.grid.ruled:
            segment = TableSegment(OTHER, "", None, None, None, [fragment])
            self.segments.append(segment)
            self._open = segment


def _same_width(grid: Grid, before: Grid) -> bool:
    """A continuation spans (nearly) the same width as the table it continues."""
    (a0, _, a1, _), (b0, _, b1, _) = grid.bbox, before.bbox
    shared = max(0.0, min(a1, b1) - max(a0, b0))
    return shared >= 0.9 * max(a1 - a0, b1 - b0)


def _words(page: PageLayout) -> list[Word]:
    return [w for line in page.lines for w in line.words]


def _below_context(page: PageLayout, fragment: Fragment) -> tuple[float, float, float, float]:
    """A titled region without ruling, less the label/unit lines printed under the title."""
    x0, top, x1, bottom = fragment.region
    below = sorted((ln for ln in page.lines if top - 1 <= ln.top < bottom), key=lambda ln: ln.top)
    for line in below:
        if not _is_context_line(line):
            break
        top = max(top, line.bottom)
    return (x0, top, x1, bottom)


def _is_context_line(line: TextLine) -> bool:
    s = squash(line.text)
    return bool(context().unit.search(s) or find_label(s) and len(s) < 20)


def _demote_fallbacks(segments: list[TableSegment]) -> None:
    """A fallback title (财政拨款支出表 for 一般公共预算支出表) names the canonical table only
    where its unit prints no primary twin; beside one it is another table."""
    primary = {(s.spec.id, s.unit_name) for s in segments if s.fragments and not s.fallback}
    for seg in segments:
        if seg.fallback and (seg.spec.id, seg.unit_name) in primary:
            seg.spec = OTHER


def _doc_unit(segments: list[TableSegment]) -> str | None:
    units = Counter(s.unit for s in segments if s.unit)
    return units.most_common(1)[0][0] if units else None


def _table_row(
    doc_id: str, table_no: int, seg: TableSegment, frame: TableFrame, unit: str | None
) -> Row:
    return {
        "doc_id": doc_id,
        "table_no": table_no,
        "table_id": seg.spec.id,
        "table_name": seg.spec.name or squash(seg.title_raw),
        "table_code": seg.table_code,
        "title_raw": seg.title_raw,
        "unit": unit,
        "unit_name": seg.unit_name,
        "page_first": frame.pages[0] if frame.pages else None,
        "page_last": frame.pages[-1] if frame.pages else None,
        "rows": frame.rows,
        "columns": frame.columns,
        "facts": len(frame.records),
    }


def _fact_rows(
    doc_id: str, table_no: int, seg: TableSegment, frame: TableFrame, unit: str | None
) -> list[Row]:
    name = seg.spec.name or squash(seg.title_raw)
    return [
        {
            "doc_id": doc_id,
            "table_no": table_no,
            "table_id": seg.spec.id,
            "table_name": name,
            "table_code": seg.table_code,
            "section": r.section,
            "row_no": r.row_no,
            "item_code": r.classification.item_code,
            "code_system": r.classification.code_system,
            "code_level": r.classification.code_level,
            "parent_code": r.classification.parent_code,
            "item_name": r.item_name,
            "item_raw": r.item_raw,
            "column_name": r.column_name,
            "column_id": r.column_id,
            "value": r.value,
            "unit": unit,
            "amount_yuan": to_yuan(r.value, unit),
            "page": r.page,
            "unit_name": r.unit_name or seg.unit_name,
        }
        for r in frame.records
    ]


def _document_row(path: Path, sha: str, size: int) -> Row:
    return {
        "doc_id": sha[:16],
        "source": path.name,
        "sha256": sha,
        "bytes": size,
        "pages": 0,
        "publisher": None,
        "fiscal_year": None,
        "doc_kind": None,
        "scope": None,
        "unit_default": None,
        "status": "failed",
        "error": None,
        "tables_found": 0,
        "facts": 0,
        "checks_failed": 0,
        "seconds": 0.0,
        "pipeline_version": __version__,
    }


def _open_error(exc: Exception) -> str:
    """One line a person can act on, from whatever pdfminer raised (it wraps its errors)."""
    causes = [exc, *exc.args, exc.__cause__, exc.__context__]
    names = " ".join(type(c).__name__ for c in causes if isinstance(c, BaseException))
    if "Password" in names or "Encrypt" in names:
        return "encrypted PDF: it needs a password to open; ask the publisher for an open copy"
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
    return f"corrupt or truncated PDF, cannot be parsed ({detail})"


def _pages_or_input_error(path: Path) -> Iterator[PageLayout]:
    """Pages of the PDF; whatever the PDF parser raises becomes an InputError."""
    pages = open_pages(path)
    while True:
        try:
            page = next(pages)
        except StopIteration:
            return
        except MemoryError:
            raise
        except Exception as exc:  # pdfminer raises many unrelated types on broken files
            if any(isinstance(a, MemoryError) for a in exc.args):
                raise MemoryError from exc
            raise InputError(_open_error(exc)) from exc
        yield page


def process_document(path: Path) -> DocumentResult:
    """Every contract row for one file. Never raises for a bad input: the documents row
    says what went wrong."""
    started = time.perf_counter()
    sha, size = file_identity(path)
    doc = _document_row(path, sha, size)
    result = DocumentResult(doc)
    try:
        with path.open("rb") as fh:
            if fh.read(1024).find(PDF_MAGIC) < 0:
                raise InputError("not a PDF: the file does not start with %PDF")
        reader = _Reader()
        for page in _pages_or_input_error(path):
            reader.read(page)
        _fill(result, reader)
    except InputError as exc:
        doc.update(status="failed", error=str(exc))
    except MemoryError:
        raise
    except Exception as exc:  # a bug of ours must not pass for a bad input, nor stop the run
        where = traceback.extract_tb(exc.__traceback__)[-1]
        doc.update(
            status="failed",
            error=f"internal error, please report: {type(exc).__name__}: {exc} "
            f"({Path(where.filename).name}:{where.lineno})".replace("\n", " "),
        )
    doc["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _fill(result: DocumentResult, reader: _Reader) -> None:
    doc = result.document
    doc["pages"] = reader.pages
    if reader.pages == 0:
        raise InputError("PDF has no pages")
    if reader.blank_pages == reader.pages:
        doc.update(
            status="skipped",
            error="image-only PDF: no text layer on any page (scanned); OCR is not available",
        )
        return
    doc_id = doc["doc_id"]
    _demote_fallbacks(reader.segments)
    unit_default = _doc_unit(reader.segments)
    printed = [s for s in reader.segments if s.fragments]  # a title alone is a 目录 entry
    kinds = Counter(s.spec.kind for s in printed if s.spec.kind)
    meta = read_metadata(reader.lines, kinds, [s.unit_name for s in printed if s.unit_name])
    frames = []
    for seg in printed:
        grids = [f.grid for f in seg.fragments if f.grid is not None]
        frame = build_frame(seg.spec, grids, meta.fiscal_year)
        on_toc = set(frame.pages) <= reader.toc_pages
        if not frame.records and (seg.spec is OTHER or on_toc):
            continue  # a ruled table of contents is not the table it lists
        unit = None if seg.spec.unit == "none" else (seg.unit or unit_default)
        frames.append((seg, frame))
        result.tables.append(_table_row(doc_id, len(frames), seg, frame, unit))
        result.facts.extend(_fact_rows(doc_id, len(frames), seg, frame, unit))
    doc.update(
        publisher=meta.publisher,
        fiscal_year=meta.fiscal_year,
        doc_kind=meta.doc_kind,
        scope=meta.scope,
        unit_default=unit_default,
        tables_found=sum(1 for seg, _ in frames if seg.spec is not OTHER),
        facts=len(result.facts),
    )
    found = {seg.spec.id for seg, _ in frames}
    result.checks = run_checks(doc_id, result.facts, reader.lines, reader.listed, found)
    doc["checks_failed"] = sum(1 for c in result.checks if not c["passed"])
    if doc["tables_found"] == 0:
        doc.update(status="skipped", error="no budget or final-account tables found in the text")
    elif reader.blank_pages or reader.unmapped_glyphs:
        doc.update(status="partial", error=_partial_reason(reader))
    else:
        doc["status"] = "ok"


def _partial_reason(reader: _Reader) -> str:
    parts = []
    if reader.blank_pages:
        parts.append(f"{reader.blank_pages} of {reader.pages} pages have no text layer (scanned)")
    if reader.unmapped_glyphs:
        parts.append(f"{reader.unmapped_glyphs} glyphs without Unicode mapping (cid)")
    return "; ".join(parts) + ": their content is missing"
