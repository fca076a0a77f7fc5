"""One document through the stages: extract → normalize → check → rows of the contract."""

from __future__ import annotations

import hashlib
import os
import time
import traceback
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from decimal import Decimal
from pathlib import Path

from budgetpdf import pipeline_version
from budgetpdf.check.engine import PrintedColumn, run_checks
from budgetpdf.contract.rows import DocumentResult, DocumentRow, FactRow, TableRow
from budgetpdf.extract.layout import TextLine
from budgetpdf.extract.ocr import OcrLayout
from budgetpdf.extract.page import PageLayout
from budgetpdf.extract.reader import ocr_enabled, open_pages
from budgetpdf.fetch.manifest import provenance
from budgetpdf.fetch.sniff import HEAD, ZIP_SIGNATURES, is_pdf, sniff
from budgetpdf.normalize.frame import ColumnMeaning, Record, TableFrame, build_frame
from budgetpdf.normalize.metadata import read_metadata
from budgetpdf.normalize.numbers import parse_amount, to_yuan
from budgetpdf.normalize.segment import UNNAMED, TableSegment, find_unit
from budgetpdf.normalize.stitch import DocumentReader, demote_fallbacks
from budgetpdf.schemas.knowledge import OTHER, Context, Knowledge

SNIFF_LIMIT = 16 * 2**20  # bytes of a file that is no PDF read to say what it is


class InputError(Exception):
    """A file that cannot be read as a PDF; the message says why in one line."""


def file_identity(path: Path) -> tuple[str, int]:
    """(SHA-256 hex digest, size in bytes) of a file, read by streaming, never whole."""
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256")
        return digest.hexdigest(), fh.tell()


def _doc_unit(segments: list[TableSegment], lines: list[TextLine], context: Context) -> str | None:
    """The document's unit: the commonest among its tables' printed units, else the
    commonest unit line anywhere in it (a note page's `单位：万元`); None where it prints
    no unit at all."""
    units = Counter(s.unit for s in segments if s.unit)
    if not units:
        units = Counter(u for line in lines if (u := find_unit([line], context)))
    return units.most_common(1)[0][0] if units else None


def _table_row(
    doc_id: str, table_no: int, seg: TableSegment, frame: TableFrame, unit: str | None
) -> TableRow:
    return {
        "doc_id": doc_id,
        "table_no": table_no,
        "table_id": seg.spec.id,
        "table_name": seg.name,
        "table_code": seg.table_code,
        "title_raw": seg.title_raw,
        "unit": unit,
        "unit_name": seg.unit_name,
        "page_first": frame.pages[0] if frame.pages else None,
        "page_last": frame.pages[-1] if frame.pages else None,
        "rows": frame.rows,
        "columns": frame.columns,
        "facts": len(frame.records),
        **_box(frame.box),
    }


def _box(box: tuple[float, float, float, float] | None) -> dict[str, float | None]:
    """x0, top, x1, bottom of a box (PDF points, rounded to 0.01), all None without one."""
    values = [round(v, 2) for v in box] if box else [None] * 4
    return dict(zip(("x0", "top", "x1", "bottom"), values, strict=True))


class OcrConfidence:
    """How sure OCR is of the amounts it read on one page: each amount's least sure reading
    (a recognised run that parses to it), else the page's median run (an amount the grid put
    together from pieces)."""

    def __init__(self, page: OcrLayout) -> None:
        self.amounts: dict[Decimal, float] = {}
        for run in page.texts:
            value = parse_amount(run.text)
            if value is not None:
                self.amounts[value] = min(run.confidence, self.amounts.get(value, 1.0))
        scores = sorted(run.confidence for run in page.texts)
        self.median = scores[len(scores) // 2] if scores else 0.0

    def of(self, value: Decimal) -> float:
        """The confidence (0–1, four decimals) of an amount read on this page."""
        return round(self.amounts.get(value, self.median), 4)


def _fact_rows(
    doc_id: str,
    table_no: int,
    seg: TableSegment,
    frame: TableFrame,
    table_unit: str | None,
    ocr: dict[int, OcrConfidence],
    money: Mapping[str, Decimal],
) -> list[FactRow]:
    name = seg.name
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
            "amount_yuan": to_yuan(r.value, unit, money),
            "page": r.page,
            "unit_name": r.unit_name or seg.unit_name,
            "measure": r.concepts.measure,
            "flow": r.concepts.flow,
            "fund": r.concepts.fund,
            "spending": r.concepts.spending,
            "expense_item": r.concepts.expense_item,
            **_box(r.box),
            "text_source": "ocr" if r.page in ocr else "pdf",
            "ocr_confidence": ocr[r.page].of(r.value) if r.page in ocr else None,
        }
        for r in frame.records
        for unit in [_fact_unit(r, table_unit)]
    ]


def _fact_unit(record: Record, table_unit: str | None) -> str | None:
    """The unit a figure is printed with (a rate's %, a score's 分, an indicator's 项 or
    万元; normalize/quantities.py), else the table's money unit; none for a figure that is
    not money and prints no unit."""
    if record.unit is not None:
        return record.unit
    return table_unit if record.money else None


def _column_row(meaning: ColumnMeaning) -> PrintedColumn:
    c = meaning.concepts
    return {
        "column_name": meaning.name,
        "column_id": meaning.id,
        "measure": c.measure,
        "flow": c.flow,
        "fund": c.fund,
        "spending": c.spending,
        "expense_item": c.expense_item,
    }


def document_row(path: Path, sha: str, size: int) -> DocumentRow:
    """The documents row of a file before it is read: identity (doc_id: the first 16 hex
    digits of sha, its SHA-256; size in bytes) and provenance (source_url, fetched_at from the
    manifest beside it, None for a file given by hand), status `failed` and every count 0
    until the reading fills them in."""
    source_url, fetched_at = provenance(path, sha) if sha else (None, None)
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
        "pipeline_version": pipeline_version(),
        "notes": None,
        "source_url": source_url,
        "fetched_at": fetched_at,
    }


def _open_error(exc: Exception) -> str:
    """One line a person can act on, from whatever pdfminer raised (it wraps its errors)."""
    causes = [exc, *exc.args, exc.__cause__, exc.__context__]
    names = " ".join(type(c).__name__ for c in causes if isinstance(c, BaseException))
    if "Password" in names or "Encrypt" in names:
        return "encrypted PDF: it needs a password to open; ask the publisher for an open copy"
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
    return f"corrupt or truncated PDF, cannot be parsed ({detail})"


def _pages_or_input_error(path: Path, numbers: Collection[int] | None) -> Iterator[PageLayout]:
    """Pages of the PDF (only numbers, 1-based, when given); whatever the PDF parser raises
    becomes an InputError."""
    pages = open_pages(path, numbers)
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


def _not_a_pdf(path: Path) -> str | None:
    """Why a file is no PDF (`HTML page «系统繁忙», not a PDF`, `ZIP archive …`), from its
    bytes as the fetcher judges a download (fetch/sniff.py); None for a PDF. Only a file
    that does not open as a PDF is read whole, and only when small (error pages are)."""
    with path.open("rb") as fh:
        head = fh.read(HEAD)
        if is_pdf(head) and not head.startswith(ZIP_SIGNATURES):
            return None
        data = head if len(head) < HEAD else head + fh.read(SNIFF_LIMIT)
    if not data.strip():
        return f"not a PDF: the file is empty ({len(data)} bytes)"
    verdict = sniff(data)
    if verdict.kind == "zip":
        return "a ZIP archive, not a PDF: unpack it and give the PDFs inside"
    return verdict.reason


def process_document(
    path: Path,
    knowledge: Knowledge,
    pages: Collection[int] | None = None,
    reader: DocumentReader | None = None,
) -> DocumentResult:
    """Every contract row for one file, read by `knowledge` (load_knowledge(), loaded once
    by the caller). Never raises for a bad input: the documents row
    says what went wrong. pages: read only these 1-based pages (`--pages`, to investigate):
    the document is then `partial`, its error says which pages were read, and its
    pipeline_version carries them, so that a run over all pages redoes it. reader: the
    DocumentReader to read into, for a caller that draws what was read (`budgetpdf show`);
    its own knowledge is the one used."""
    started = time.perf_counter()
    if reader is not None:
        knowledge = reader.knowledge
    sha, size = file_identity(path)
    doc = document_row(path, sha, size)
    result = DocumentResult(doc)
    try:
        if reason := _not_a_pdf(path):
            raise InputError(reason)
        reader = DocumentReader(knowledge) if reader is None else reader
        ocr: dict[int, OcrConfidence] = {}  # pages read by OCR
        for page in _pages_or_input_error(path, pages):
            if isinstance(page, OcrLayout):
                ocr[page.number] = OcrConfidence(page)
            reader.read(page)
        _fill(result, reader, ocr, knowledge)
        if not ocr_enabled() and (reader.unread_pages or reader.unmapped_glyphs):
            # read again once OCR is on: the reading depends on --no-ocr, so its version says so
            doc["pipeline_version"] = f"{doc['pipeline_version']} no-ocr"
        if pages is not None and doc["status"] in ("ok", "partial"):
            read = _page_list(pages)
            doc.update(
                status="partial",
                error="; ".join(filter(None, [f"only pages {read} read (--pages)", doc["error"]])),
                pipeline_version=f"{doc['pipeline_version']} pages={read}",
            )
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


def _page_list(pages: Collection[int]) -> str:
    """1-based page numbers as runs: {3, 4, 5, 9} → `3-5,9`."""
    runs: list[list[int]] = []
    for p in sorted(pages):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _fill(
    result: DocumentResult,
    reader: DocumentReader,
    ocr: dict[int, OcrConfidence],
    knowledge: Knowledge,
) -> None:
    doc = result.document
    doc["pages"] = reader.pages
    if reader.pages == 0:
        raise InputError("PDF has no pages")
    if reader.blank_pages == reader.pages:
        doc.update(
            status="skipped",
            error=f"image-only PDF: no text layer on any page (scanned); {_ocr_state()}"
            if reader.unread_pages
            else "image-only PDF: no text layer on any page, and OCR found no text on it",
        )
        return
    doc_id = doc["doc_id"]
    demote_fallbacks(reader.segments, knowledge)
    unit_default = _doc_unit(reader.segments, reader.lines, knowledge.context)
    printed = [s for s in reader.segments if s.fragments]  # a title alone is a 目录 entry
    kinds = Counter(s.spec.kind for s in printed if s.spec.kind)
    meta = read_metadata(
        reader.lines,
        knowledge,
        kinds,
        [s.unit_name for s in printed if s.unit_name],
        [s.title_raw for s in printed if s.title_raw],
    )
    # What a person should know about this reading that is not an error (contract 1.1).
    notes: list[str] = list(meta.notes)
    frames = []
    unit_taken: list[int] = []  # first pages of tables that print no unit
    for seg in printed:
        grids = [f.grid for f in seg.fragments if f.grid is not None]
        frame = build_frame(seg.spec, grids, knowledge, meta.fiscal_year, meta.doc_kind)
        on_toc = set(frame.pages) <= reader.toc_pages
        if not frame.records and (seg.spec == OTHER or on_toc):
            continue  # a ruled table of contents is not the table it lists
        unit = None if seg.spec.unit == "none" else (seg.unit or unit_default)
        frames.append((seg, frame))
        if seg.spec.unit != "none" and not seg.unit and frame.records:
            unit_taken.append(frame.pages[0])
        if seg.name == UNNAMED:
            notes.append(f"a table on page {frame.pages[0]} prints no title: named {UNNAMED}")
        result.tables.append(_table_row(doc_id, len(frames), seg, frame, unit))
        result.facts.extend(_fact_rows(doc_id, len(frames), seg, frame, unit, ocr, knowledge.money))
    doc.update(
        publisher=meta.publisher,
        fiscal_year=meta.fiscal_year,
        doc_kind=meta.doc_kind,
        scope=meta.scope,
        unit_default=unit_default,
        tables_found=sum(1 for seg, _ in frames if seg.spec != OTHER),
        facts=len(result.facts),
    )
    if unit_taken:
        notes.append(_unit_note(unit_taken, unit_default))
    unmapped = _unmapped_columns(frames)
    if unmapped:
        shown = ", ".join(unmapped[:3]) + (" …" if len(unmapped) > 3 else "")
        notes.append(f"{len(unmapped)} column(s) of standard tables map to no concept: {shown}")
    found = {seg.spec.id for seg, _ in frames}
    printed_columns = {
        no: [_column_row(m) for m in frame.amount_columns]
        for no, (_, frame) in enumerate(frames, start=1)
    }
    result.checks = run_checks(
        doc_id, result.facts, reader.lines, knowledge, reader.listed, found, printed_columns
    )
    doc["checks_failed"] = sum(1 for c in result.checks if c["passed"] is False)
    if doc["tables_found"] == 0:
        doc.update(status="skipped", error=_no_tables_reason(reader))
        # a skipped document contributes nothing: its status and its outputs never disagree
        result.tables.clear()
        result.facts.clear()
        result.checks.clear()
        doc.update(facts=0, checks_failed=0)
        notes.clear()
        if doc["doc_kind"] is None:
            doc["publisher"] = None  # not a budget or final account: no 部门 publishes it
    elif reader.unread_pages or reader.unmapped_glyphs:
        doc.update(status="partial", error=_partial_reason(reader))
    else:
        doc["status"] = "ok"
    doc["notes"] = "; ".join(notes) or None


def _unmapped_columns(frames: list[tuple[TableSegment, TableFrame]]) -> list[str]:
    """Printed paths of the amount columns of canonical tables that map to no concept."""
    return sorted(
        {
            m.name
            for seg, frame in frames
            if seg.spec != OTHER
            for m in frame.amount_columns
            if m.concepts.unmapped
        }
    )


def _unit_note(pages: list[int], unit: str | None) -> str:
    """One note for the tables that print no unit of their own."""
    where = ", ".join(str(p) for p in pages)
    if unit is None:
        return f"no unit printed, on the tables of pages {where} nor anywhere in the document"
    return f"no unit printed on the tables of pages {where}: the document's {unit} taken"


def _no_tables_reason(reader: DocumentReader) -> str:
    """Why a document yields no tables: mostly undecodable glyphs (a font without a usable
    ToUnicode map prints `(cid:N)`) say nothing of what it is, so it is never called "not a
    budget" then (case 67fe8550: a real budget whose only font has no map)."""
    if reader.unmapped_glyphs * 2 > reader.glyphs:
        return (
            f"text layer cannot be decoded: {reader.unmapped_glyphs} of {reader.glyphs} glyphs "
            f"have no Unicode mapping (fonts without ToUnicode); {_ocr_state()}"
        )
    return "no budget or final-account tables found in the text"


def _ocr_state() -> str:
    """Why a page without a readable text layer was left unread."""
    if os.environ.get("BUDGETPDF_OCR", "1") == "0":
        return "OCR is turned off (--no-ocr)"
    if not ocr_enabled():
        return "OCR is not available (install rapidocr, onnxruntime, opencv-python-headless)"
    return "OCR could not read it"


def _partial_reason(reader: DocumentReader) -> str:
    """The pages left unread, named: `pages 3, 7 of 40 have no text layer (scanned; …)`."""
    parts = []
    if reader.unread_pages:
        parts.append(
            f"{_pages(reader.unread_pages)} of {reader.pages} have no text layer "
            f"(scanned; {_ocr_state()})"
        )
    if reader.unmapped_glyphs:
        parts.append(
            f"{reader.unmapped_glyphs} glyphs without Unicode mapping (cid) on "
            f"{_pages(reader.undecoded_pages)}"
        )
    return "; ".join(parts) + ": their content is missing"


def _pages(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10]) + (" …" if len(numbers) > 10 else "")
    return f"page {shown}" if len(numbers) == 1 else f"pages {shown}"
