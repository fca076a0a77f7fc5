"""The pdfplumber (pdfminer) backend: each page read into a `PageLayout`."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Container, Iterable, Iterator
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
from pdfminer.layout import LTChar, LTContainer, LTItem
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfexceptions import PDFObjectNotFound
from pdfminer.pdftypes import PDFObjRef
from pdfplumber.utils import curve_to_edges, line_to_edge, rect_to_edges

log = logging.getLogger(__name__)


def plumber_chars(page: pdfplumber.page.Page) -> list[TurnedChar]:
    """Visible chars with the quarter turns that bring each upright (page.quarter_turns);
    mirrored chars are left out. Boxes are pdfplumber's (`page.chars`: x0, top, x1, bottom in
    points from the top-left of the page box), taken from pdfminer's LTChar objects directly:
    pdfplumber's dict of every attribute of every object on the page cost a third of a page's
    reading where only its chars are wanted (the pdfium backend's fallback pages)."""
    height = page.height
    mb_x0, mb_top = page.mediabox[:2]
    out = []
    for c in _layout_chars(page.layout):
        text = c.get_text()
        if not text.strip():
            continue
        turns = quarter_turns(*c.matrix[:4])
        if turns is not None:
            # pdfplumber's page.process_object: pdfminer's y upwards, relative to the box
            top, bottom = height - c.y1 + mb_top, height - c.y0 + mb_top
            lift = _lift(c.matrix, c.y0, c.y1)
            out.append((Char(text, c.x0 + mb_x0, top - lift, c.x1 + mb_x0, bottom - lift), turns))
    return out


def _layout_chars(objs: Iterable[LTItem]) -> Iterator[LTChar]:
    """The LTChar objects among objs, in figures and other containers too, in stream order."""
    for obj in objs:
        if isinstance(obj, LTContainer):
            yield from _layout_chars(obj)
        elif isinstance(obj, LTChar):
            yield obj


def _lift(matrix: tuple[float, ...], y0: float, y1: float) -> float:
    """Points a char's box is raised where its font's descent is deeper than DEEPEST_DESCENT
    (y0, y1: pdfminer's box, upwards; matrix: its text matrix, whose f is the baseline)."""
    _, b, skew, d, _, baseline = matrix
    if b or skew or d <= 0:
        return 0.0
    return max(0.0, baseline - y0 + DEEPEST_DESCENT * (y1 - y0))


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


def _loops_read_as_null(getobj: Callable[[PDFDocument, int], object]) -> Callable:
    """PDFDocument.getobj that raises PDFObjectNotFound for an object that is a bare reference
    starting a loop of bare references (object 2 is `7 0 R`, 7 is `2 0 R`), and logs it.

    pdfminer resolves a reference to a reference until it reaches something else
    (pdftypes.resolve1), so such a file kept a worker busy until its time limit (15 minutes
    by default): the self_reference fault of tests/faults.py, whose loop pdfium refuses to
    open and so hands to pdfminer. A reference that leads nowhere is null in PDF, and pdfminer
    already reads a missing object so (PDFObjRef.resolve's default; the page scan of a
    document without a usable page tree skips it): a loop leads nowhere either. Anything
    else comes back as pdfminer returns it, references included."""

    @functools.wraps(getobj)
    def guarded(doc: PDFDocument, objid: int) -> object:
        obj = getobj(doc, objid)
        seen = {objid}
        ref = obj
        while isinstance(ref, PDFObjRef):
            if ref.objid in seen:
                log.warning("object %d is a loop of references: read as null", objid)
                raise PDFObjectNotFound(objid)
            seen.add(ref.objid)
            try:
                ref = getobj(doc, ref.objid)
            except PDFObjectNotFound:
                break  # a chain to a missing object: pdfminer's own null
        return obj

    return guarded


# On the class, not on a document: pdfplumber builds the PDFDocument, whose constructor
# already resolves the trailer's /Root, /Info and /Encrypt.
PDFDocument.getobj = _loops_read_as_null(PDFDocument.getobj)  # type: ignore[method-assign]


def read_pages(path: Path, pages: Container[int] | None = None) -> Iterator[PageLayout]:
    """Pages one at a time (only the 1-based numbers in pages, when given), releasing each
    page's parsed objects once read. Raises what pdfminer raises on a damaged file."""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            if pages is not None and page.page_number not in pages:
                continue
            yield read_page(page)
            page.close()
