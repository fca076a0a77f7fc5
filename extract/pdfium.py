"""The same page layouts as extract/plumber.py, read with pdfium (C speed) instead of pdfminer.

Coordinates follow pdfplumber: pdfminer's page matrix (mediabox offset and /Rotate), then
pdfplumber's flip to a top-left origin. Ruling comes from the page's path objects, turned
into edges the way pdfminer and pdfplumber classify paths, then pdfplumber's own pure table
functions build the cells, so ruled grids match the pdfplumber backend.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Container, Iterator
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as raw
from budgetpdf.extract.layout import Char
from budgetpdf.extract.page import (
    BACKDROP,
    DEEPEST_DESCENT,
    MIN_EDGES_FOR_RULED,
    PageLayout,
    TurnedChar,
    is_backdrop,
    is_invisible,
    make_edge,
    page_layout,
    quarter_turns,
    reading_orientation,
    ruled_boxes,
    ruled_grids,
)
from budgetpdf.extract.plumber import plumber_chars as pdf_chars
from pdfminer.fontmetrics import FONT_METRICS

Matrix = tuple[float, float, float, float, float, float]
Point = tuple[float, float]
Edge = dict[str, Any]

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
SUBPATH = re.compile(r"m[^m]+")
_SEGMENT_OP = {raw.FPDF_SEGMENT_MOVETO: "m", raw.FPDF_SEGMENT_LINETO: "l"}
FLAT = 1e-6  # a matrix coefficient this small is zero (text turned a quarter, no skew)
ZERO_WIDTH = 1e-4  # points: a text object narrower has no glyph box (pdfium skips it)
HAIRLINE = 0.01  # points: the stroke that gives such an object a width (never painted)


def _mult(m: Matrix, n: Matrix) -> Matrix:
    """m then n (PDF row-vector convention, like pdfminer's mult_matrix(m, n))."""
    a, b, c, d, e, f = m
    a1, b1, c1, d1, e1, f1 = n
    return (
        a * a1 + b * c1,
        a * b1 + b * d1,
        c * a1 + d * c1,
        c * b1 + d * d1,
        e * a1 + f * c1 + e1,
        e * b1 + f * d1 + f1,
    )


def _apply(m: Matrix, x: float, y: float) -> Point:
    a, b, c, d, e, f = m
    return (a * x + c * y + e, b * x + d * y + f)


class _Space:
    """PDF user space to pdfplumber's coordinates for one page."""

    def __init__(self, page: pdfium.PdfPage) -> None:
        rx0, ry0, rx1, ry1 = page.get_mediabox()
        x0, x1 = sorted((rx0, rx1))
        y0, y1 = sorted((ry0, ry1))
        rotation = page.get_rotation() % 360
        self.rotation = rotation
        # pdfminer's PDFPageInterpreter.process_page, on the mediabox put in order
        self.ctm: Matrix = _page_ctm(rotation, x0, y0, x1, y1)
        # pdfminer itself takes the mediabox as written: a box written top-down
        # ([0 595 842 0]) moves its chars off the page by the page's height
        raw_ctm = _page_ctm(rotation, rx0, ry0, rx1, ry1)
        self.pdfminer_shift: Point = (self.ctm[4] - raw_ctm[4], raw_ctm[5] - self.ctm[5])
        # pdfplumber's Page: the mediabox normalized for the rotation, then inverted
        nx0, ny0, nx1, ny1 = (y0, x0, y1, x1) if rotation in (90, 270) else (x0, y0, x1, y1)
        self.width = nx1 - nx0
        self.height = ny1 - ny0
        # x = X + x0 and top = (height - Y) + mediabox top, which is height - ny1
        self.flip: Matrix = _mult(self.ctm, (1, 0, 0, -1, nx0, 2 * self.height - ny1))

    def point(self, x: float, y: float) -> Point:
        return _apply(self.flip, x, y)

    def from_pdfminer(self, chars: list[TurnedChar]) -> list[TurnedChar]:
        """pdfplumber's chars (pdfminer's page matrix) in these coordinates."""
        dx, dy = self.pdfminer_shift
        if not (dx or dy):
            return chars
        return [
            (Char(c.text, c.x0 + dx, c.top + dy, c.x1 + dx, c.bottom + dy), t) for c, t in chars
        ]


def _page_ctm(rotation: int, x0: float, y0: float, x1: float, y1: float) -> Matrix:
    return {
        90: (0, -1, 1, 0, -y0, x1),
        180: (-1, 0, 0, -1, x1, y1),
        270: (0, 1, -1, 0, y1, -x0),
    }.get(rotation, (1, 0, 0, 1, -x0, -y0))


def _descent(font: Any, cache: dict[int, float]) -> float:
    """The font's descent per unit of size, as pdfminer reads it (AFM for the base 14)."""
    key = ctypes.cast(font, ctypes.c_void_p).value or 0
    if key not in cache:
        buf = ctypes.create_string_buffer(256)
        raw.FPDFFont_GetBaseFontName(font, buf, 256)
        metrics = FONT_METRICS.get(buf.value.decode("latin-1"))
        if metrics is not None:
            cache[key] = float(metrics[0].get("Descent", 0)) / 1000
        else:
            out = ctypes.c_float()
            raw.FPDFFont_GetDescent(font, ctypes.c_float(1.0), out)
            cache[key] = max(out.value, DEEPEST_DESCENT)
    return cache[key]


def _chars(textpage: pdfium.PdfTextPage, space: _Space) -> list[TurnedChar]:
    """Chars with pdfminer's boxes (the advance across, the font size tall from its descent)
    and the quarter turns that bring each upright; mirrored chars are left out."""
    tp = textpage.raw
    rect = raw.FS_RECTF()
    fm = raw.FS_MATRIX()
    ox, oy = ctypes.c_double(), ctypes.c_double()
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    descents: dict[int, float] = {}
    chars: list[TurnedChar] = []
    for i in range(raw.FPDFText_CountChars(tp)):
        if raw.FPDFText_IsGenerated(tp, i):
            continue
        code = raw.FPDFText_GetUnicode(tp, i)
        text = chr(code) if 0 < code < 0x110000 else "\ufffd"
        if code == 2:  # pdfium's mark for a hyphen that ends a line: the `-` pdfminer reads
            text = "-"
        if raw.FPDFText_HasUnicodeMapError(tp, i):
            text = f"(cid:{code})"
        elif not text.strip():
            continue
        raw.FPDFText_GetMatrix(tp, i, fm)
        turns = quarter_turns(*_mult((fm.a, fm.b, fm.c, fm.d, 0, 0), space.ctm)[:4])
        if turns is None:
            continue
        raw.FPDFText_GetLooseCharBox(tp, i, rect)  # across: origin to origin + advance
        if abs(fm.a) < FLAT:  # turned a quarter: the loose box is flat, the glyph's is not
            raw.FPDFText_GetCharBox(tp, i, left, right, bottom, top)
            adv = (top.value - bottom.value) / fm.b if abs(fm.b) > FLAT else 0.0
        else:
            adv = (rect.right - rect.left) / fm.a
        raw.FPDFText_GetCharOrigin(tp, i, ox, oy)
        size = raw.FPDFText_GetFontSize(tp, i)
        low = _descent(raw.FPDFTextObj_GetFont(raw.FPDFText_GetTextObject(tp, i)), descents) * size
        corners = [
            space.point(ox.value + fm.a * u + fm.c * v, oy.value + fm.b * u + fm.d * v)
            for u in (0.0, adv)
            for v in (low, low + size)
        ]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        chars.append((Char(text, min(xs), min(ys), max(xs), max(ys)), turns))
    return chars


def _matrix(obj: Any) -> Matrix:
    m = raw.FS_MATRIX()
    raw.FPDFPageObj_GetMatrix(obj, m)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _objects(page: pdfium.PdfPage) -> Iterator[tuple[Any, int, Matrix]]:
    """Path and text objects of the page and of its form XObjects, with their type and,
    for paths, the matrix to user space."""
    stack: list[tuple[Any, Matrix]] = []
    n = raw.FPDFPage_CountObjects(page.raw)
    stack.extend((raw.FPDFPage_GetObject(page.raw, i), IDENTITY) for i in reversed(range(n)))
    while stack:
        obj, parent = stack.pop()
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            yield obj, kind, _mult(_matrix(obj), parent)
        elif kind == raw.FPDF_PAGEOBJ_TEXT:
            yield obj, kind, parent
        elif kind == raw.FPDF_PAGEOBJ_FORM:
            m = _mult(_matrix(obj), parent)
            n = raw.FPDFFormObj_CountObjects(obj)
            stack.extend((raw.FPDFFormObj_GetObject(obj, i), m) for i in reversed(range(n)))


def _paint(obj: Any) -> tuple[bool, bool]:
    """(backdrop, invisible) of a path: painted white behind text, not stroked
    (extract.page.is_backdrop), or painting nothing on a white page (is_invisible)."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    raw.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke))

    def white(get: Any) -> bool:
        r, g, b, a = (ctypes.c_uint() for _ in range(4))
        get(obj, r, g, b, a)
        return (r.value, g.value, b.value) == (255, 255, 255)

    fill_white, stroke_white = (
        white(raw.FPDFPageObj_GetFillColor),
        white(raw.FPDFPageObj_GetStrokeColor),
    )
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
    filled, stroked = bool(fill.value), bool(stroke.value)
    backdrop = is_backdrop(
        filled, stroked, fill_white, right.value - left.value, top.value - bottom.value
    )
    return backdrop, not backdrop and is_invisible(filled, stroked, fill_white, stroke_white)


def _zero_width(obj: Any) -> bool:
    """A text object pdfium leaves out of its text page: no glyph box (a space, or a CJK
    font that is neither embedded nor installed) on a single char gives it no width."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
    return abs(right.value - left.value) < ZERO_WIDTH


def _measurable(objs: list[Any]) -> None:
    """Give zero-width text objects a width so that pdfium's text page keeps their chars.

    pdfium's text page skips a text object whose bounds have no width; the bounds come
    from the glyph boxes only, except that stroked text is inflated by half its line
    width. So stroke them with a hair line and set the matrix again (which recomputes the
    bounds). Their chars then come out of the text page like any other, the loose box
    across from origin to origin + the font's width for the char (what pdfminer uses),
    and the page is never rendered or saved, so the changed paint does not matter.
    """
    m = raw.FS_MATRIX()
    for obj in objs:
        raw.FPDFTextObj_SetTextRenderMode(obj, raw.FPDF_TEXTRENDERMODE_STROKE)
        raw.FPDFPageObj_SetStrokeWidth(obj, ctypes.c_float(HAIRLINE))
        raw.FPDFPageObj_GetMatrix(obj, m)
        raw.FPDFPageObj_SetMatrix(obj, m)


def _text(obj: Any, textpage: pdfium.PdfTextPage) -> str:
    n = raw.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
    if n <= 2:
        return ""
    buf = ctypes.create_string_buffer(n)
    raw.FPDFTextObj_GetText(obj, textpage.raw, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), n)
    return buf.raw[: n - 2].decode("utf-16-le", errors="replace")


def _unsure(objs: list[Any], textpage: pdfium.PdfTextPage) -> bool:
    """Whether some zero-width object prints text in a font that is not embedded.

    Such a font has no glyphs here, and pdfium then measures and maps its chars through a
    substitute (its own CID tables and the substitute's widths), which can disagree with
    pdfminer's (the PDF's /W widths and CMap): a `%` 0.78 em wide instead of 0.5, a Kangxi
    radical instead of the ideograph. pdfminer keeps reading those pages. A zero-width
    object in an embedded font is a glyph without outline, a space nearly always; its
    chars, if any, are measured from the font's own widths like the rest.
    """
    for obj in objs:
        if raw.FPDFFont_GetIsEmbedded(raw.FPDFTextObj_GetFont(obj)):
            continue
        if _text(obj, textpage).strip():
            return True
    return False


def _segments(path: Any, m: Matrix, space: _Space) -> list[tuple[str, Point]]:
    """The path as pdfminer's (operator, end point) list, in pdfplumber coordinates."""
    x, y = ctypes.c_float(), ctypes.c_float()
    out: list[tuple[str, Point]] = []
    start: Point | None = None
    pending_curve = 0
    for i in range(raw.FPDFPath_CountSegments(path)):
        seg = raw.FPDFPath_GetPathSegment(path, i)
        raw.FPDFPathSegment_GetPoint(seg, x, y)
        pt = space.point(*_apply(m, x.value, y.value))
        kind = raw.FPDFPathSegment_GetType(seg)
        if kind == raw.FPDF_SEGMENT_BEZIERTO:
            pending_curve += 1
            if pending_curve == 3:  # pdfium lists a curve as its two controls and its end
                out.append(("c", pt))
                pending_curve = 0
        else:
            out.append((_SEGMENT_OP.get(kind, "l"), pt))
        if kind == raw.FPDF_SEGMENT_MOVETO:
            start = pt
        if raw.FPDFPathSegment_GetClose(seg) and start is not None and not pending_curve:
            out.append(("h", start))
    return out


def _shape_edges(path: list[tuple[str, Point]]) -> tuple[list[Edge], list[Edge], list[Edge]]:
    """pdfminer's paint_path (lines, rects, curves) and pdfplumber's *_to_edges."""
    shape = "".join(op for op, _ in path)
    if not shape.startswith("m"):
        return [], [], []
    if shape.count("m") > 1:
        lines: list[Edge] = []
        rects: list[Edge] = []
        curves: list[Edge] = []
        for found in SUBPATH.finditer(shape):
            sub = _shape_edges(path[found.start() : found.end()])
            lines += sub[0]
            rects += sub[1]
            curves += sub[2]
        return lines, rects, curves
    pts = [pt for _, pt in path]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in {"mlh", "ml"}:
        (xa, ya), (xb, yb) = pts[0], pts[1]
        top, bottom = min(ya, yb), max(ya, yb)
        edge = make_edge("line", min(xa, xb), top, max(xa, xb), bottom)
        edge["orientation"] = "h" if top == bottom else "v"
        return [edge], [], []
    if shape in {"mlllh", "mllll"}:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        if pts[0] == pts[4] and (
            (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0)
            or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        ):
            left, right = min(x0, x2), max(x0, x2)
            top, bottom = min(y0, y2), max(y0, y2)
            rect = [
                make_edge("rect_edge", left, top, right, top, "h"),
                make_edge("rect_edge", left, bottom, right, bottom, "h"),
                make_edge("rect_edge", left, top, left, bottom, "v"),
                make_edge("rect_edge", right, top, right, bottom, "v"),
            ]
            return [], rect, []
    curve = []
    for (xa, ya), (xb, yb) in zip(pts, pts[1:], strict=False):
        orientation = "v" if xa == xb else ("h" if ya == yb else None)
        curve.append(
            make_edge("curve_edge", min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb), orientation)
        )
    return [], [], curve


def page_objects(page: pdfium.PdfPage, space: _Space) -> tuple[list[Edge], list[Any]]:
    """pdfplumber's page.edges (line edges, then rect edges, then curve edges), and the text
    objects pdfium's text page would miss (zero width)."""
    lines: list[Edge] = []
    rects: list[Edge] = []
    curves: list[Edge] = []
    missing: list[Any] = []
    for obj, kind, m in _objects(page):
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            if _zero_width(obj):
                missing.append(obj)
            continue
        backdrop, invisible = _paint(obj)
        if invisible:
            continue
        found = _shape_edges(_segments(obj, m, space))
        if backdrop:
            found = tuple([{**e, BACKDROP: True} for e in edges] for edges in found)
        lines += found[0]
        rects += found[1]
        curves += found[2]
    return lines + rects + curves, missing


def read_page(page: pdfium.PdfPage, number: int, fallback: PlumberPages) -> PageLayout:
    """One page (number 1-based) as a PageLayout in pdfplumber's coordinates, turned to its
    reading orientation (page.reading_orientation). The chars come from pdfminer (through
    fallback, counted in fallback.used) when a text object prints in a font that is not
    embedded and has no width here (`_unsure`)."""
    space = _Space(page)
    edges, missing = page_objects(page, space)
    _measurable(missing)
    textpage = page.get_textpage()
    try:
        unsure = _unsure(missing, textpage)
        if not unsure:
            chars = _chars(textpage, space)
    finally:
        textpage.close()
    if unsure:  # pdfium would measure chars its own way: take them from pdfminer
        fallback.used += 1
        plumber = fallback.page(number)
        chars = space.from_pdfminer(pdf_chars(plumber))
        plumber.close()
    chars, edges, width, height = reading_orientation(
        chars, edges, space.width, space.height, space.rotation
    )
    tables = ruled_boxes(edges) if len(edges) >= MIN_EDGES_FOR_RULED else []
    return page_layout(number, width, height, chars, ruled_grids(number, tables, chars))


class PlumberPages:
    """pdfplumber's pages of the same file, opened only when a page needs them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pdf: pdfplumber.PDF | None = None
        self.used = 0  # pages read through it

    def page(self, number: int) -> pdfplumber.page.Page:
        if self._pdf is None:
            self._pdf = pdfplumber.open(self.path)
        return self._pdf.pages[number - 1]

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()


def read_pages(path: Path, pages: Container[int] | None = None) -> Iterator[PageLayout]:
    """Pages one at a time (only the 1-based numbers in pages, when given), closing each
    pdfium page once read."""
    pdf = pdfium.PdfDocument(path)
    fallback = PlumberPages(path)
    try:
        for i in range(len(pdf)):
            if pages is not None and i + 1 not in pages:
                continue
            page = pdf[i]
            try:
                yield read_page(page, i + 1, fallback)
            finally:
                page.close()
    finally:
        fallback.close()
        pdf.close()


def can_open(path: Path) -> bool:
    """Whether pdfium opens the file (False for what it rejects: damaged, encrypted, not a
    PDF); the caller then reads it with pdfminer."""
    try:
        pdfium.PdfDocument(path).close()
    except pdfium.PdfiumError:
        return False
    return True


def page_count(path: Path) -> int:
    """Pages in the PDF. Raises pypdfium2.PdfiumError when pdfium cannot open it."""
    pdf = pdfium.PdfDocument(path)
    try:
        return len(pdf)
    finally:
        pdf.close()
