"""The page layer both backends fill: a page's positioned text and its ruled table grids.

`PageLayout` is what extract hands on; the backends (`plumber.py`, `pdfium.py`) differ only in
how they get characters and ruling edges, and build grids with the functions here, which wrap
pdfplumber's own cell finding. Coordinates are PDF points, top-left origin.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from budgetpdf.extract.grid import SNAP, Grid, grid_from_boxes, snap
from budgetpdf.extract.layout import BBox, Char, TextLine, drop_overprints, text_lines
from pdfplumber.table import (
    cells_to_tables,
    edges_to_intersections,
    intersections_to_cells,
    merge_edges,
)
from pdfplumber.utils.geometry import filter_edges

# Ruled tables only: unruled ones are inferred from text positions (extract/stream.py),
# which measured better on the corpus than pdfplumber's or camelot's text strategies.
RULED_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}
MIN_EDGES_FOR_RULED = 4  # edges on a page before a ruled table is looked for (one box)
MIN_CELLS = 4  # cell boxes a ruled table needs; fewer are stray boxes (a framed note)
MIN_EDGE_LENGTH = 3  # points: shorter merged rules are dropped (pdfplumber's edge_min_length)
MIN_EDGE_PREFILTER = 1  # points: shorter edges are dropped before merging (pdfplumber's
#   edge_min_length_prefilter)
BACKDROP_SHARED = 0.5  # of a backdrop side's length: running along a rule this far, it is
#   that rule's inset, not a boundary
BACKDROP_MIN_SIZE = 3.0  # points: a filled box thinner than this is drawn as a rule
BACKDROP_INSET = 8.0  # points: how far inside a rule a backdrop's side still cuts a sliver
BACKDROP = "backdrop"  # edge key: a side of a white box painted behind text
MIN_RULES_TO_CLOSE = 3  # vertical rules that must start together to imply a top rule
# A font's descent deeper than half its size is no glyph's: some embedded fonts declare a
# Descent near a whole em (-1033), which would drop every box a line below its glyphs and
# out of its ruled cell. Boxes of such fonts straddle the baseline instead.
DEEPEST_DESCENT = -0.5


@dataclass(slots=True)
class PageLayout:
    """What extract hands on for one page: size and positions in PDF points (top-left
    origin), chars, text lines and ruled grids."""

    number: int  # 1-based
    width: float
    height: float
    chars: list[Char]
    lines: list[TextLine]
    grids: list[Grid]
    unmapped_glyphs: int  # chars a font could not map to Unicode, `(cid:123)`


Edge = dict[str, Any]


def ruled_boxes(edges: list[Edge]) -> list[list[BBox]]:
    """pdfplumber's TableFinder with RULED_SETTINGS: the cell boxes (x0, top, x1, bottom,
    PDF points) of each ruled table, with the top rule of a row continued from the page
    before implied. edges: pdfplumber edge dicts, backdrop sides marked BACKDROP."""
    tol = RULED_SETTINGS["snap_tolerance"]
    join = RULED_SETTINGS["join_tolerance"]
    cross = RULED_SETTINGS["intersection_tolerance"]
    edges = _without_backdrop_insets(edges)
    found = filter_edges(edges, "v", min_length=MIN_EDGE_PREFILTER) + filter_edges(
        edges, "h", min_length=MIN_EDGE_PREFILTER
    )
    merged = filter_edges(merge_edges(found, tol, tol, join, join), min_length=MIN_EDGE_LENGTH)
    merged += _closing_rules(merged, tol)
    cells = intersections_to_cells(edges_to_intersections(merged, cross, cross))
    return cells_to_tables(cells)


def _without_backdrop_insets(edges: list[Edge]) -> list[Edge]:
    """A backdrop box's side just inside a rule (a white box inset in its cell) is no rule: it
    would cut a sliver off the cell. A side far from any rule may be the only boundary drawn
    (cells painted as white boxes), so it stays."""
    rules = [e for e in edges if not e.get(BACKDROP)]
    return [e for e in edges if not e.get(BACKDROP) or not _beside_a_rule(e, rules)]


def _beside_a_rule(side: Edge, rules: list[Edge]) -> bool:
    across, along = (
        ("top", ("x0", "x1")) if side["orientation"] == "h" else ("x0", ("top", "bottom"))
    )
    a0, a1 = side[along[0]], side[along[1]]
    for rule in rules:
        if rule["orientation"] != side["orientation"]:
            continue
        if (
            not RULED_SETTINGS["snap_tolerance"]
            < abs(rule[across] - side[across])
            <= BACKDROP_INSET
        ):
            continue
        shared = min(a1, rule[along[1]]) - max(a0, rule[along[0]])
        if shared >= BACKDROP_SHARED * (a1 - a0):
            return True
    return False


def _closing_rules(edges: list[Edge], tol: float) -> list[Edge]:
    """A row continued from the page before prints its column rules but not the rule above
    them: where several vertical rules start together with no horizontal rule across them
    there or above, the table's top rule is implied."""
    verticals = [e for e in edges if e["orientation"] == "v"]
    horizontals = [e for e in edges if e["orientation"] == "h"]
    out: list[Edge] = []
    for y in snap(e["top"] for e in verticals):
        ends = [e for e in verticals if abs(e["top"] - y) <= tol]
        if len(ends) < MIN_RULES_TO_CLOSE:
            continue
        x0, x1 = min(e["x0"] for e in ends), max(e["x0"] for e in ends)
        if any(
            h["top"] <= y + tol and h["x0"] <= x1 + tol and h["x1"] >= x0 - tol for h in horizontals
        ):
            continue  # ruled there, or a start inside the table (a header's sub-columns)
        out.append(
            {
                "object_type": "line",
                "orientation": "h",
                "x0": x0,
                "x1": x1,
                "top": y,
                "bottom": y,
                "doctop": y,
                "width": x1 - x0,
                "height": 0.0,
            }
        )
    return out


def _frames(boxes: list[BBox]) -> list[BBox]:
    """Boxes drawn around the table (and its title), a frame or background, not cells: each
    reaches out alone past all the other boxes on a side and holds two boxes or more."""
    out = []
    for side, sign in ((0, -1), (1, -1), (2, 1), (3, 1)):
        ranked = sorted(boxes, key=lambda b: b[side] * sign, reverse=True)
        if len(ranked) < 3 or (ranked[0][side] - ranked[1][side]) * sign <= SNAP:
            continue
        big = ranked[0]
        held = sum(
            b is not big
            and big[0] - SNAP <= b[0]
            and b[2] <= big[2] + SNAP
            and big[1] - SNAP <= b[1]
            and b[3] <= big[3] + SNAP
            for b in boxes
        )
        if held >= 2 and big not in out:
            out.append(big)
    return out


def ruled_grids(number: int, tables: Iterable[Sequence[BBox]], chars: list[Char]) -> list[Grid]:
    """Grids from the cell boxes of each ruled table (ruled_boxes) and the page's chars;
    fewer than MIN_CELLS boxes, or a grid under one row or two columns, is no table. Frames
    around the table are dropped first."""
    grids = []
    for cells in tables:
        boxes = [tuple(b) for b in cells]
        frames = _frames(boxes)
        boxes = [b for b in boxes if b not in frames]
        if len(boxes) < MIN_CELLS:
            continue
        grid = grid_from_boxes(number, boxes, chars, ruled=True)
        if grid.n_rows >= 1 and grid.n_cols >= 2:
            grids.append(grid)
    return grids


def page_layout(
    number: int, width: float, height: float, chars: list[Char], grids: list[Grid]
) -> PageLayout:
    """A PageLayout, with the text lines of chars and the count of unmapped `(cid:N)` chars."""
    return PageLayout(
        number=number,
        width=float(width),
        height=float(height),
        chars=chars,
        lines=text_lines(chars),
        grids=grids,
        unmapped_glyphs=sum(1 for c in chars if c.text.startswith("(cid:")),
    )


def on_page(chars: list[Char], width: float, height: float) -> list[Char]:
    """The chars whose centre lies on the page (width × height, PDF points): text placed
    beyond the page box (a spreadsheet's overflow) is not printed."""
    return [
        c
        for c in chars
        if 0 <= (c.x0 + c.x1) / 2 <= width and 0 <= (c.top + c.bottom) / 2 <= height
    ]


def is_invisible(filled: bool, stroked: bool, fill_white: bool, stroke_white: bool) -> bool:
    """A path that paints nothing on a white page: stroked only in white, or filled only in
    white (a white box behind text is a backdrop instead, `is_backdrop`). Its edges are no
    rules: a white rule drawn between the two lines of a wrapped 项 name cut the name and
    added rows (pdfplumber #488)."""
    return (stroked and stroke_white or filled and fill_white) and not (
        stroked and not stroke_white or filled and not fill_white
    )


def is_backdrop(filled: bool, stroked: bool, white: bool, width: float, height: float) -> bool:
    """A box painted white behind a cell's text (filled, not stroked, wider and taller than a
    rule): its sides are no rules, and taken as rules they cut slivers off the cells."""
    return filled and not stroked and white and min(width, height) > BACKDROP_MIN_SIZE


# ---------------------------------------------------------------- reading orientation

TurnedChar = tuple[Char, int]  # a char and the quarter turns that bring it upright


def quarter_turns(a: float, b: float, c: float, d: float) -> int | None:
    """Quarter turns clockwise (0-3) a reader gives the page to read a char whose matrix,
    page rotation included, is (a, b, c, d) (PDF space, y up): 0 upright, 1 for text running
    up the page, 3 running down, 2 upside down. None for mirrored text (never printed)."""
    if a * d - b * c <= 0:
        return None
    return round(math.atan2(b, a) / (math.pi / 2)) % 4


def _turn_box(box: BBox, turns: int, width: float, height: float) -> BBox:
    """A box (x0, top, x1, bottom; top-left origin) on a width × height page, after the page
    is turned clockwise by `turns` quarters."""
    x0, top, x1, bottom = box
    if turns == 1:
        return (height - bottom, x0, height - top, x1)
    if turns == 2:
        return (width - x1, height - bottom, width - x0, height - top)
    if turns == 3:
        return (top, width - x1, bottom, width - x0)
    return box


def make_edge(
    kind: str, x0: float, top: float, x1: float, bottom: float, orientation: str | None = None
) -> Edge:
    """A pdfplumber edge dict (`line`, `rect_edge`, `curve_edge`): PDF points from the page's
    top-left, orientation `h`, `v` or None (a slanted curve side)."""
    return {
        "object_type": kind,
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": orientation,
    }


def _turn_edge(edge: Edge, turns: int, width: float, height: float) -> Edge:
    x0, top, x1, bottom = _turn_box(
        (edge["x0"], edge["top"], edge["x1"], edge["bottom"]), turns, width, height
    )
    orientation = edge.get("orientation")
    if turns % 2 and orientation:
        orientation = "h" if orientation == "v" else "v"
    return {**edge, **make_edge(edge["object_type"], x0, top, x1, bottom, orientation)}


def reading_orientation(
    turned: Iterable[TurnedChar], edges: list[Edge], width: float, height: float, rotate: int
) -> tuple[list[Char], list[Edge], float, float]:
    """The page as a reader turns it to read its text: (chars, edges, width, height).

    turned: the page's chars in the coordinates of its /Rotate (top-left origin, PDF points),
    each with its quarter_turns; rotate: the page's /Rotate. The page is turned the way most
    of its chars need (a table printed sideways on a portrait page without /Rotate reads like
    any landscape table); chars running another way are left out, as pdfminer leaves out
    chars that are not upright. Each overprinted char counts once, and chars off the page
    are dropped (on_page), where the page is the box its text was drawn in: a page with a
    quarter /Rotate whose text lies beyond the rotated box but inside it unrotated was laid
    out for its mediabox as written (case d8d35da5: a /Rotate 90 page whose table runs 782
    points across a 595-point-wide turned page)."""
    turned = list(turned)
    counts = Counter(t for _, t in turned)
    turns = counts.most_common(1)[0][0] if counts else 0
    chars = [ch for ch, t in turned if t == turns]
    if turns:
        chars = [Char(ch.text, *_turn_box(_box(ch), turns, width, height)) for ch in chars]
        edges = [_turn_edge(e, turns, width, height) for e in edges]
        if turns % 2:
            width, height = height, width
    chars = drop_overprints(chars)
    if rotate % 180 == 90 and _beyond(chars, width, height) and not _beyond(chars, height, width):
        width, height = height, width
    return on_page(chars, width, height), edges, width, height


def _box(ch: Char) -> BBox:
    return (ch.x0, ch.top, ch.x1, ch.bottom)


def _beyond(chars: list[Char], width: float, height: float) -> bool:
    return len(on_page(chars, width, height)) < len(chars)
