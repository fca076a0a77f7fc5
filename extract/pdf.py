"""Open a PDF and read each page into positioned text lines and ruled table grids."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pdfplumber

from extract.grid import Grid, grid_from_boxes
from extract.layout import BBox, Char, TextLine, drop_overprints, text_lines

# Ruled tables only: unruled ones are inferred from text positions (extract/stream.py),
# which measured better on the corpus than pdfplumber's or camelot's text strategies.
RULED_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}
MIN_EDGES_FOR_RULED = 4


@dataclass(slots=True)
class PageLayout:
    number: int  # 1-based
    width: float
    height: float
    chars: list[Char]
    lines: list[TextLine]
    grids: list[Grid]
    unmapped_glyphs: int  # chars a font could not map to Unicode, `(cid:123)`


def plumber_chars(page: pdfplumber.page.Page) -> list[Char]:
    """Upright, visible chars, each overprinted char once."""
    return drop_overprints(
        Char(c["text"], c["x0"], c["top"], c["x1"], c["bottom"])
        for c in page.chars
        if c.get("upright", True) and c["text"].strip()
    )


def ruled_grids(number: int, tables: Iterable[Sequence[BBox]], chars: list[Char]) -> list[Grid]:
    """Grids from the cell boxes of each ruled table; a few stray boxes are no table."""
    grids = []
    for cells in tables:
        boxes = [tuple(b) for b in cells]
        if len(boxes) < 4:
            continue
        grid = grid_from_boxes(number, boxes, chars, ruled=True)
        if grid.n_rows >= 1 and grid.n_cols >= 2:
            grids.append(grid)
    return grids


def page_layout(
    number: int, width: float, height: float, chars: list[Char], grids: list[Grid]
) -> PageLayout:
    return PageLayout(
        number=number,
        width=float(width),
        height=float(height),
        chars=chars,
        lines=text_lines(chars),
        grids=grids,
        unmapped_glyphs=sum(1 for c in chars if c.text.startswith("(cid:")),
    )


def read_page(page: pdfplumber.page.Page) -> PageLayout:
    number = page.page_number
    chars = plumber_chars(page)
    tables = (
        [t.cells for t in page.find_tables(RULED_SETTINGS)]
        if len(page.edges) >= MIN_EDGES_FOR_RULED
        else []
    )
    return page_layout(number, page.width, page.height, chars, ruled_grids(number, tables, chars))


def read_pages(path: Path) -> Iterator[PageLayout]:
    """Pages one at a time, releasing each page's parsed objects once read."""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            yield read_page(page)
            page.close()


def open_pages(path: Path) -> Iterator[PageLayout]:
    """Pages through the backend chosen by BUDGETPDF_BACKEND: `pdfium` (default; C speed,
    falling back to pdfminer on pages whose fonts pdfium cannot measure) or `pdfplumber`.
    Both give the same layouts; the corpus comparison is in the README."""
    if os.environ.get("BUDGETPDF_BACKEND", "pdfium") == "pdfplumber":
        return read_pages(path)
    from extract import pdfium

    if not pdfium.can_open(path):
        return read_pages(path)  # pdfminer is more forgiving, and says why when it is not
    return pdfium.read_pages(path)
