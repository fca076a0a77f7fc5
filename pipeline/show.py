"""`budgetpdf show`: the visual debugger. A PNG per page with the grids as read, each cell
outlined by its role (header, code, label, amount, layout), each amount's column written
small in its cell (its column_id), and the cells of failed checks in red — what camelot's
`plot` or pdfplumber's `debug_tablefinder` show for their own readings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from pathlib import Path

from budgetpdf.emit.draw import COLOURS, PageCanvas
from budgetpdf.emit.report import BOX, check_cells
from budgetpdf.extract.grid import Grid
from budgetpdf.extract.pdfium import page_count
from budgetpdf.normalize.frame import layout_of
from budgetpdf.normalize.stitch import DocumentReader
from budgetpdf.pipeline.document import process_document
from budgetpdf.schemas.knowledge import Knowledge, TableSpec
from pypdfium2 import PdfiumError


class ShowError(Exception):
    """The PDF cannot be shown (not read, no such page); the message says why in one line."""


def _roles(
    grid: Grid, spec: TableSpec, knowledge: Knowledge, year: int | None, kind: str | None
) -> tuple[int, dict[int, str]]:
    """The header rows of a grid and each column's role, as its layout reads them; a column
    of no group is layout (栏次, 行次, blank)."""
    layout = layout_of(grid, spec, knowledge, year, kind)
    roles = dict.fromkeys(range(grid.n_cols), "layout")
    for group in layout.groups:
        roles.update(dict.fromkeys(group.code_cols, "code"))
        roles.update(dict.fromkeys(group.label_cols, "label"))
        roles.update(dict.fromkeys(group.amount_cols, "amount"))
    return layout.header_rows, roles


def show(
    pdf: Path, out: Path, knowledge: Knowledge, pages: Collection[int] | None = None
) -> list[Path]:
    """Draw the pages (1-based; default every page with a grid) of pdf, read by the loaded
    knowledge, into out as `<stem>_p<N>.png`; returns the files written. Raises ShowError
    when the PDF is not read (its one-line reason) or a page asked for is not in it."""
    try:
        count = page_count(pdf)
    except PdfiumError:
        count = None  # not for pdfium: process_document says why, or reads it with pdfminer
    beyond = sorted(p for p in pages or () if count is not None and p > count)
    if beyond:
        raise ShowError(f"{pdf.name} has no page {beyond[0]} (it has {count})")
    reader = DocumentReader(knowledge)
    result = process_document(pdf, knowledge, pages, reader)
    doc = result.document
    if doc["status"] == "failed":
        raise ShowError(f"{pdf.name}: {doc['error']}")
    grids: dict[int, list[tuple[Grid, TableSpec]]] = defaultdict(list)
    for seg in reader.segments:
        for fragment in seg.fragments:
            if fragment.grid is not None:
                grids[fragment.page].append((fragment.grid, seg.spec))
    facts: dict[int, list[dict]] = defaultdict(list)
    for f in result.facts:
        facts[f["page"]].append(f)
    failed: set[tuple] = set()
    for check in result.checks:
        if check["passed"] is False:
            printed, parts = check_cells(check, result.facts)
            failed.update(tuple(f[k] for k in ("page", *BOX)) for f in printed + parts)
    wanted = sorted(pages) if pages else sorted(grids)
    written = []
    for number in wanted:
        try:
            canvas = PageCanvas(pdf, number)
        except IndexError as exc:
            raise ShowError(str(exc)) from None
        for grid, spec in grids.get(number, []):
            roles = _roles(grid, spec, knowledge, doc["fiscal_year"], doc["doc_kind"])
            _draw_grid(canvas, grid, *roles)
        for f in facts.get(number, []):
            box = tuple(f[k] for k in BOX)
            canvas.label(box, f["column_id"], COLOURS["amount"])
            if (number, *box) in failed:
                canvas.outline(box, COLOURS["failed"], 3)
        written.append(canvas.save(out / f"{pdf.stem}_p{number}.png"))
    return written


def _draw_grid(canvas: PageCanvas, grid: Grid, header_rows: int, roles: dict[int, str]) -> None:
    for cell in grid.cells:
        role = "header" if cell.row < header_rows else roles.get(cell.col, "layout")
        canvas.outline(cell.bbox, COLOURS[role], 2 if role == "amount" else 1)
