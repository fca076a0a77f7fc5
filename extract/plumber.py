"""The pdfplumber (pdfminer) backend: each page read into a `PageLayout`."""

from __future__ import annotations

from collections.abc import Container, Iterator
from pathlib import Path
from typing import Any

import pdfplumber
from budgetpdf.extract.layout import Char
from budgetpdf.extract.page import (
    BACKDROP,
    DEEPEST_DESCENT,
    MIN_EDGES_FOR_RULED,
    Edge,
    PageLayout,
    TurnedChar,
    is_backdrop,
    is_invisible,
    page_layout,
    quarter_turns,
    reading_orientation,
    ruled_boxes,
    ruled_grids,
)
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.pdftypes import PDFObjRef
from pdfplumber.utils import curve_to_edges, line_to_edge, rect_to_edges


def plumber_chars(page: pdfplumber.page.Page) -> list[TurnedChar]:
    """Visible chars with the quarter turns that bring each upright (page.quarter_turns);
    mirrored chars are left out."""
    out = []
    for c in page.chars:
        if not c["text"].strip():
            continue
        turns = quarter_turns(*(c.get("matrix") or (1, 0, 0, 1, 0, 0))[:4])
        if turns is not None:
            out.append((_char(c), turns))
    return out


def _char(c: dict) -> Char:
    """pdfminer's box, lifted where its font's descent is deeper than DEEPEST_DESCENT."""
    lift = 0.0
    _, b, skew, d, _, baseline = c.get("matrix") or (1, 0, 0, 1, 0, 0)
    if not b and not skew and d > 0:
        lift = max(0.0, baseline - c["y0"] + DEEPEST_DESCENT * (c["y1"] - c["y0"]))
    return Char(c["text"], c["x0"], c["top"] - lift, c["x1"], c["bottom"] - lift)


def _is_white(color: Any) -> bool:
    """pdfminer's colour as gray, RGB or CMYK."""
    if isinstance(color, (int, float)):
        return color == 1
    if not isinstance(color, (tuple, list)):
        return False
    return (
        all(v == 1 for v in color) if len(color) in (1, 3) else len(color) == 4 and not any(color)
    )


def plumber_edges(page: pdfplumber.page.Page) -> list[Edge]:
    """page.edges, the sides of backdrop boxes marked."""

    def backdrop(obj: dict) -> bool:
        return is_backdrop(
            bool(obj.get("fill")),
            bool(obj.get("stroke")),
            _is_white(obj.get("non_stroking_color")),
            obj["width"],
            obj["height"],
        )

    def marked(edges: list[Edge], obj: dict) -> list[Edge]:
        return [{**e, BACKDROP: True} for e in edges] if backdrop(obj) else edges

    def visible(obj: dict) -> bool:
        return backdrop(obj) or not is_invisible(
            bool(obj.get("fill")),
            bool(obj.get("stroke")),
            _is_white(obj.get("non_stroking_color")),
            _is_white(obj.get("stroking_color")),
        )

    return (
        [line_to_edge(o) for o in page.lines if visible(o)]
        + [e for r in page.rects if visible(r) for e in marked(rect_to_edges(r), r)]
        + [e for c in page.curves if visible(c) for e in marked(curve_to_edges(c), c)]
    )


def read_page(page: pdfplumber.page.Page) -> PageLayout:
    """One pdfplumber page as a PageLayout in reading orientation (page.reading_orientation):
    chars on the page, ruled grids from its edges."""
    number = page.page_number
    chars, edges, width, height = reading_orientation(
        plumber_chars(page), plumber_edges(page), page.width, page.height, page.rotation
    )
    tables = ruled_boxes(edges) if len(edges) >= MIN_EDGES_FOR_RULED else []
    return page_layout(number, width, height, chars, ruled_grids(number, tables, chars))


def open_pdf(path: Path) -> pdfplumber.PDF:
    """pdfplumber's PDF, whose objects that are bare references looping back to themselves
    raise PDFSyntaxError when looked up, instead of hanging.

    pdfminer resolves a reference to a reference until it reaches something else
    (pdftypes.resolve1), so a file whose object 2 is `7 0 R` and 7 is `2 0 R` kept a worker
    busy until its time limit (15 minutes by default): the self_reference fault of
    tests/faults.py. pdfium refuses to open such a file, which is why it reaches pdfminer."""
    pdf = pdfplumber.open(path)
    _refuse_reference_loops(pdf.doc)
    return pdf


def _refuse_reference_loops(doc: PDFDocument) -> None:
    """Wrap doc.getobj (PDFObjRef.resolve looks it up on the document on every call) to
    follow a chain of bare references itself, raising PDFSyntaxError on a loop."""
    getobj = doc.getobj

    def resolved(objid: int) -> object:
        seen = {objid}
        obj = getobj(objid)
        while isinstance(obj, PDFObjRef):
            if obj.objid in seen:
                raise PDFSyntaxError(f"object {objid} is a loop of references to itself")
            seen.add(obj.objid)
            obj = getobj(obj.objid)
        return obj

    doc.getobj = resolved  # type: ignore[method-assign]


def read_pages(path: Path, pages: Container[int] | None = None) -> Iterator[PageLayout]:
    """Pages one at a time (only the 1-based numbers in pages, when given), releasing each
    page's parsed objects once read. Raises what pdfminer raises on a damaged file."""
    with open_pdf(path) as pdf:
        for page in pdf.pages:
            if pages is not None and page.page_number not in pages:
                continue
            yield read_page(page)
            page.close()
