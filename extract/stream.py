"""Tables printed without ruling lines: columns and rows inferred from text positions.

Columns are the x-intervals that body text covers (amounts, codes, labels), completed by
header words that sit over an empty column. Rows are the lines that carry a number or a
code; text lines between them are wrapped label fragments and join the nearest such line.
Header words are stacked per column; a short word centred over several columns (收入,
本年支出, 预算数) becomes a merged parent cell over the columns it is centred on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import regex
from budgetpdf.extract.grid import Cell, Grid
from budgetpdf.extract.layout import BBox, Word, WordBounds
from budgetpdf.schemas.knowledge import StreamVocabulary

_NUMBER = regex.compile(r"^[-+(]?(?:\d+(?:,\d{3})+|\d+)(?:\.\d+)?\)?$")
_DECIMAL = regex.compile(r"^[-+(]?(?:\d+(?:,\d{3})+|\d+)\.\d+\)?$|^\d+(?:,\d{3})+$")
_CJK = regex.compile(r"^\p{Han}$")
# What a code, a 栏次 line, a page number and a note look like is knowledge: `vocab`
# (schemas/tables.toml [unruled] and [context], `Knowledge.stream`).

# Tolerances. "× height" is a fraction of a word's or line's box height, i.e. of its font
# size; everything else is PDF points. What they were measured against: the seed's unruled
# rendering (seed_stream.pdf, p. 7) sets body text in 9 pt (boxes 9.4 pt tall), rows 18 pt
# apart (1.9 heights), a two-line heading half a line (5.5 pt, 0.6 height) off the one-line
# headings beside it, code and name columns 8.5 pt apart, amount columns 11 pt. "seed: ..."
# records what varying that one value does to the seed's 253 distinct facts (same = none
# move); where the seed does not react, the value is the one the unruled reader was first
# written with (commit f8f92c7) and nothing measured moves it.

# Lines and words
SAME_LINE = 0.3  # × height: middles closer are one line; half the 0.6 of a half-offset line
#   (seed: same from 0.15 to 0.6)
LETTER_SPACING = 1.6  # × height: a narrower gap beside a single CJK char is letter spacing
#   (`合 计`), a wider one is the next column (seed: same 0.8-2.2; 3.2 moves 12 facts)
LAYOUT_LINE_WORDS = 2  # words a 栏次 line may carry besides its column numbers (栏次, 项目)
#   (seed: same 1-3)

# Columns
COLUMN_GAP = 3.0  # points: body words closer share a column, well under the 8.5 pt between
#   the seed's code and name columns (seed: same 1-5; at 8, 66 facts lost, 28 gained)
NUMBER_REACH = 1.5  # × height: a 栏次 number this near a column's text numbers that column
#   (seed: same at 1.0; 0.5 moves 6 facts, 2.5 moves 19)
EDGE_PAD = 2.0  # points: a column edge lies this far past its outermost text (right-aligned
#   amounts end on it; seed: same 1-4, 0 moves 19 facts)
OUTER_NUMBER_REACH = 20.0  # points: a 栏次 number this far outside the table's outer edge
#   numbers its outer column (an empty outer column has only its number; seed: same 5-40)
HEADING_INSIDE = 2.0  # points: a heading this far past a column interval still heads it
#   (seed: same 0-5)
SAME_HEADING_LINE = 2.0  # points: headings whose middles differ less share a line (seed:
#   same 0.5-5)
LANE_MARGIN = 0.5  # points: an interval split at a clear lane ends this far either side
#   (seed: same 0-2)
MIN_SHARE = 0.25  # of the word or the column, the narrower: a heading over this much of a
#   column heads it (seed: same 0.4-0.6; 0.1 moves 8 facts)
MIN_WIDTH = 1.0  # points: the least width a word counts with for MIN_SHARE (seed: same)

# Headings
WRAP_CENTRE = 0.5  # × height: the lines of one wrapped heading share a centre this closely
#   (seed: same 0.2-1.0)
WRAP_GAP = 0.6  # × height: a wrapped heading's next line starts less than this below it
#   (seed: same 0.3-1.2)
STACK_OVERLAP = 1.0  # points: a heading box may reach this far into the box stacked above or
#   below it and still count as above or below (seed: same 0-3)
CHILD_LEVEL = 0.5  # × height: a heading below a parent this much higher than the parent's
#   children is a sibling spanning both levels, not a child (seed: same 0-1)
CENTRE_SLACK = 1.5  # points: spans whose centres lie within this of the best-centred one are
#   equally centred, and the widest wins (seed: same at 5; 0 moves 21 facts, 0.5 moves 19)

# Rows and the table's end
WRAP_REACH = 1.6  # × line height: a label line this near a row's anchor line wraps with it;
#   under one row pitch (1.9) (seed: same 1.2-2.5; 0.8 moves 25 facts)
PROSE_WIDTH = 0.45  # × region width: a word wider than this and no number is prose
#   (seed: same 0.3-0.6)
PROSE_GAP = 3  # × line height: text after a wider gap, once rows have begun, is prose
#   (seed: same 1.5-5)
LARGER_FONT = 1.2  # × median body height: text set larger after the rows is the heading of
#   what follows (seed: same 1.05-1.1; at 1.5, 28 facts lost, 35 gained)
BOTTOM_PAD = 1.0  # points: the last row boundary lies this far below the last text (seed:
#   same 0-5)


@dataclass(slots=True)
class _Line(WordBounds):
    words: list[Word]


def _lines(words: Sequence[Word]) -> list[_Line]:
    """Words grouped by their vertical middle (not by growing bands, which swallow the
    half-offset lines of wrapped cells)."""
    lines: list[_Line] = []
    for w in sorted(words, key=lambda w: (w.y_mid, w.x0)):
        if lines and abs(w.y_mid - lines[-1].y_mid) < SAME_LINE * (w.bottom - w.top):
            lines[-1].words.append(w)
        else:
            lines.append(_Line([w]))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


def _join_letter_spacing(line: _Line) -> _Line:
    """`合 计`, `公 务 用 车`: single characters spread over a cell become one word."""
    out: list[Word] = []
    for w in line.words:
        prev = out[-1] if out else None
        size = w.bottom - w.top
        if (
            prev is not None
            and (_CJK.match(w.text) or _CJK.match(prev.text[-1]))
            and (len(w.text) == 1 or len(prev.text) == 1)
            and not _NUMBER.match(w.text)
            and w.x0 - prev.x1 < LETTER_SPACING * size
        ):
            out[-1] = Word(
                prev.text + w.text, prev.x0, min(prev.top, w.top), w.x1, max(prev.bottom, w.bottom)
            )
        else:
            out.append(w)
    return _Line(out)


def _is_number(text: str) -> bool:
    return bool(_NUMBER.match(text))


def _is_data_line(line: _Line, vocab: StreamVocabulary) -> bool:
    """A body line: an amount with decimals or separators, or a code followed by a name."""
    texts = [w.text for w in line.words]
    if any(_DECIMAL.match(t) for t in texts):
        return True
    return any(
        vocab.code.match(t) and i + 1 < len(texts) and not _is_number(texts[i + 1])
        for i, t in enumerate(texts)
    )


def _is_layout_line(line: _Line, vocab: StreamVocabulary) -> bool:
    """A 栏次 line: `栏次 1 2 3` (a layout word and column numbers), or bare ascending
    column numbers."""
    texts = [w.text for w in line.words]
    nums = [t for t in texts if t.isdigit()]
    return (
        any(t in vocab.layout_words for t in texts)
        and len(nums) + LAYOUT_LINE_WORDS >= len(texts)
        or (
            len(nums) >= 2
            and len(nums) == len(texts)
            and [int(t) for t in nums] == sorted(int(t) for t in nums)
        )
    )


def _intervals(words: Sequence[Word], min_gap: float) -> list[list[float]]:
    spans = sorted([w.x0, w.x1] for w in words)
    merged: list[list[float]] = []
    for x0, x1 in spans:
        if merged and x0 - merged[-1][1] < min_gap:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    return merged


def _column_bounds(
    body: Sequence[Word], numbers: Sequence[Word], header: Sequence[Word], hint: Grid | None
) -> list[float]:
    """Column boundaries from the x-intervals of body text.

    A 栏次 column number centred over right-aligned amounts widens their interval; a column
    number or header word over empty space marks a column that no body row fills.
    """
    if hint is not None:
        return list(hint.xs)
    cols = _split_by_headings(_intervals(body, min_gap=COLUMN_GAP), body, header)
    for w in numbers:
        slack = NUMBER_REACH * (w.bottom - w.top)
        near = [c for c in cols if w.x0 - slack < c[1] and w.x1 + slack > c[0]]
        if len(near) == 1:
            near[0][0], near[0][1] = min(near[0][0], w.x0), max(near[0][1], w.x1)
        elif not near:
            cols.append([w.x0, w.x1])
    for w in header:
        if not _over_columns(w, cols) and not any(
            _over_columns(o, cols) for o in header if _wraps_with(w, o)
        ):
            cols.append([w.x0, w.x1])
    # only overlapping intervals merge: the columns found so far are kept apart
    cols = _intervals([Word("", c[0], 0, c[1], 0) for c in cols], min_gap=0.0)
    edges = [_edges(c, body, numbers) for c in cols]
    bounds = [edges[0][0] if edges[0][0] is not None else cols[0][0] - EDGE_PAD]
    for (a, b), (ea, eb) in zip(
        zip(cols, cols[1:], strict=False), zip(edges, edges[1:], strict=False), strict=True
    ):
        known = [e for e in (ea[1], eb[0]) if e is not None]
        bounds.append(sum(known) / len(known) if known else (a[1] + b[0]) / 2)
    bounds.append(edges[-1][1] if edges[-1][1] is not None else cols[-1][1] + EDGE_PAD)
    return _mirror_outer_columns(bounds, numbers)


def _over_columns(w: Word, cols: Sequence[list[float]]) -> bool:
    return any(w.x0 < c[1] and w.x1 > c[0] for c in cols)


def _wraps_with(w: Word, other: Word) -> bool:
    """Two lines of one wrapped heading: stacked close together on the same centre (a
    centred heading's short last line may lie outside a right-aligned column's amounts)."""
    size = w.bottom - w.top
    gap = max(w.top - other.bottom, other.top - w.bottom)
    return other is not w and (
        other is not w
        and abs(w.x_mid - other.x_mid) < WRAP_CENTRE * size
        and -STACK_OVERLAP < gap < WRAP_GAP * size
    )


def _mirror_outer_columns(bounds: list[float], numbers: Sequence[Word]) -> list[float]:
    """An outer column known only by its centred number extends as far past the centre as
    its inner edge lies before it (empty columns have no text to measure)."""
    for w in numbers:
        if bounds[-2] <= w.x_mid <= bounds[-1] + OUTER_NUMBER_REACH:
            bounds[-1] = max(bounds[-1], 2 * w.x_mid - bounds[-2])
        if bounds[0] - OUTER_NUMBER_REACH <= w.x_mid <= bounds[1]:
            bounds[0] = min(bounds[0], 2 * w.x_mid - bounds[1])
    return bounds


def _split_by_headings(
    cols: list[list[float]], body: Sequence[Word], header: Sequence[Word]
) -> list[list[float]]:
    """Two text columns printed close together merge into one interval; two headings over
    it, with a clear vertical lane between them that no body word crosses, split it."""
    heads = sorted(header, key=lambda w: w.x0)
    out: list[list[float]] = []
    for col in cols:
        inside = [
            h for h in heads if col[0] - HEADING_INSIDE <= h.x0 and h.x1 <= col[1] + HEADING_INSIDE
        ]
        cuts = []
        for left, right in zip(inside, inside[1:], strict=False):
            if abs(left.y_mid - right.y_mid) > SAME_HEADING_LINE or right.x0 <= left.x1:
                continue
            lane = _clear_lane(body, left.x1, right.x0)
            if lane is not None:
                cuts.append(lane)
        start = col[0]
        for cut in cuts:
            out.append([start, cut - LANE_MARGIN])
            start = cut + LANE_MARGIN
        out.append([start, col[1]])
    return out


def _clear_lane(body: Sequence[Word], lo: float, hi: float) -> float | None:
    """The x in [lo, hi] farthest from any body word that no body word crosses."""
    best, best_clear = None, 0.0
    steps = max(int(hi - lo), 1)
    for i in range(steps + 1):
        x = lo + (hi - lo) * i / steps
        if any(w.x0 < x < w.x1 for w in body):
            continue
        clear = min((min(abs(w.x0 - x), abs(w.x1 - x)) for w in body), default=hi - lo)
        if clear > best_clear:
            best, best_clear = x, clear
    return best


def _edges(
    col: list[float], body: Sequence[Word], numbers: Sequence[Word]
) -> tuple[float | None, float | None]:
    """A column's true edges where its 栏次 number gives its centre: amounts are
    right-aligned, so the right edge hugs them and the left edge mirrors it."""
    centre = next((w.x_mid for w in numbers if col[0] <= w.x_mid <= col[1]), None)
    right = max((w.x1 for w in body if col[0] <= w.x_mid <= col[1]), default=None)
    if centre is None or right is None or right <= centre:
        return None, None
    right += EDGE_PAD
    return 2 * centre - right, right


def _column_of(bounds: Sequence[float], x: float) -> int:
    for i in range(len(bounds) - 1):
        if x < bounds[i + 1]:
            return i
    return len(bounds) - 2


def _covered_columns(bounds: Sequence[float], w: Word) -> range:
    """The columns a word stands over: those holding a quarter of the word or of the column."""
    width = max(w.x1 - w.x0, MIN_WIDTH)
    cols = [
        c
        for c in range(len(bounds) - 1)
        if min(w.x1, bounds[c + 1]) - max(w.x0, bounds[c])
        >= MIN_SHARE * min(width, bounds[c + 1] - bounds[c])
    ]
    if not cols:
        cols = [_column_of(bounds, w.x_mid)]
    return range(cols[0], cols[-1] + 1)


@dataclass(slots=True)
class _HeaderCell(WordBounds):
    words: list[Word]
    cols: range

    @property
    def size(self) -> float:
        return min(w.bottom - w.top for w in self.words)


def _header_cells(words: Sequence[Word], bounds: Sequence[float]) -> list[_HeaderCell]:
    cells: list[_HeaderCell] = []
    for w in sorted(words, key=lambda w: (w.top, w.x0)):
        cols = _covered_columns(bounds, w)
        size = w.bottom - w.top
        for cell in cells:  # wrapped text continues the cell right above it
            if cell.cols == cols and 0 <= w.top - cell.bottom < WRAP_GAP * size:
                cell.words.append(w)
                break
        else:
            cells.append(_HeaderCell([w], cols))
    _settle_shared_columns(cells, bounds)
    n_cols = len(bounds) - 1
    for cell in cells:  # top to bottom: a parent is placed before the cells under it
        if any(_has_cell_below(cells, cell, c) for c in cell.cols):
            cell.cols = _centred_span(cells, cell, bounds, n_cols)
    return cells


def _settle_shared_columns(cells: Sequence[_HeaderCell], bounds: Sequence[float]) -> None:
    """Two headings of one header line never share a column: a shared column goes to the
    heading that covers more of it. A heading set right-aligned to its amounts reaches into
    the column on its left (`上缴上级支出 | 对附属单位补助支出` over amounts flush right: the
    second heading covered both columns, and 上缴上级支出 was lost; case 1ee2eab2)."""

    def share(cell: _HeaderCell, c: int) -> float:
        return min(cell.x1, bounds[c + 1]) - max(cell.x0, bounds[c])

    for a in cells:
        for b in cells:
            same_line = a is not b and a.top < b.bottom and b.top < a.bottom
            shared = [c for c in a.cols if c in b.cols] if same_line else []
            for c in shared:
                loser = a if share(a, c) < share(b, c) else b
                if len(loser.cols) > 1 and c in (loser.cols[0], loser.cols[-1]):
                    loser.cols = (
                        range(c + 1, loser.cols[-1] + 1)
                        if c == loser.cols[0]
                        else range(loser.cols[0], c)
                    )


def _has_cell_below(cells: Sequence[_HeaderCell], cell: _HeaderCell, col: int) -> bool:
    return any(
        o is not cell and col in o.cols and o.top >= cell.bottom - STACK_OVERLAP for o in cells
    )


def _nearest_below(cells: Sequence[_HeaderCell], cell: _HeaderCell, col: int) -> _HeaderCell | None:
    below = [
        o for o in cells if o is not cell and col in o.cols and o.top >= cell.bottom - STACK_OVERLAP
    ]
    return min(below, key=lambda o: o.top, default=None)


def _children_mid(cells: Sequence[_HeaderCell], cell: _HeaderCell) -> float:
    """The vertical middle of the highest heading under a parent in its own columns."""
    mids = [b.y_mid for c in cell.cols if (b := _nearest_below(cells, cell, c)) is not None]
    return min(mids, default=cell.bottom)


def _free_at(cells: Sequence[_HeaderCell], cell: _HeaderCell, col: int, children: float) -> bool:
    """Nothing printed in col at the cell's height, and a heading below it on the level of
    the parent's children: a sibling heading spanning both levels is centred higher."""
    beside = any(col in o.cols and o.top < cell.bottom and o.bottom > cell.top for o in cells)
    below = _nearest_below(cells, cell, col)
    return not beside and below is not None and below.y_mid >= children - CHILD_LEVEL * cell.size


def _parent_limits(cells: Sequence[_HeaderCell], cell: _HeaderCell, n_cols: int) -> tuple[int, int]:
    """The columns a heading may span: those of every heading printed above it."""
    lo, hi = 0, n_cols - 1
    for o in cells:
        if o is not cell and o.bottom <= cell.top + STACK_OVERLAP and set(o.cols) & set(cell.cols):
            lo, hi = max(lo, o.cols[0]), min(hi, o.cols[-1])
    return lo, hi


def _centred_span(
    cells: Sequence[_HeaderCell], cell: _HeaderCell, bounds: Sequence[float], n_cols: int
) -> range:
    """The widest run of free columns around a parent heading that it is centred on, inside
    the span of the heading above it."""
    first, last = cell.cols[0], cell.cols[-1]
    min_lo, max_hi = _parent_limits(cells, cell, n_cols)
    children = _children_mid(cells, cell)
    lo = first
    while lo > min_lo and _free_at(cells, cell, lo - 1, children):
        lo -= 1
    hi = last
    while hi < max_hi and _free_at(cells, cell, hi + 1, children):
        hi += 1
    spans = [
        (abs((bounds[a] + bounds[b + 1]) / 2 - cell.x_mid), a, b)
        for a in range(lo, first + 1)
        for b in range(last, hi + 1)
    ]
    best = min(off for off, _, _ in spans)
    _, a, b = max((b - a, a, b) for off, a, b in spans if off <= best + CENTRE_SLACK)
    return range(a, b + 1)


def _header_rows(cells: Sequence[_HeaderCell]) -> list[tuple[_HeaderCell, int, int]]:
    """(cell, row, rowspan): a cell's row is the number of cells stacked above it."""
    levels = []
    for cell in cells:
        above = {
            o.top
            for o in cells
            if o is not cell
            and set(o.cols) & set(cell.cols)
            and o.bottom <= cell.top + STACK_OVERLAP
        }
        levels.append(len(above))
    depth = max(levels, default=-1) + 1
    out = []
    for cell, level in zip(cells, levels, strict=True):
        below = any(
            o is not cell and set(o.cols) & set(cell.cols) and o.top >= cell.bottom - STACK_OVERLAP
            for o in cells
        )
        out.append((cell, level, 1 if below else depth - level))
    return out


def _header_ys(
    header: Sequence[tuple[_HeaderCell, int, int]], depth: int, top: float
) -> list[float]:
    tops = [
        min((hc.top for hc, r, _ in header if r == level), default=top) for level in range(depth)
    ]
    return [max(tops[: i + 1]) for i in range(depth)]


def _cell_text(words: Sequence[Word]) -> str:
    return "\n".join(" ".join(w.text for w in line.words) for line in _lines(words))


def _attach_fragments(lines: list[_Line], vocab: StreamVocabulary) -> list[list[_Line]]:
    """Each anchor line (one with a number or code) with the text lines wrapped around it."""
    anchors = [
        i
        for i, ln in enumerate(lines)
        if any(_is_number(w.text) or vocab.code.match(w.text) for w in ln.words)
    ]
    if not anchors:
        return [[ln] for ln in lines]
    rows: dict[int, list[_Line]] = {i: [lines[i]] for i in anchors}
    for i, line in enumerate(lines):
        if i in rows:
            continue
        nearest = min(anchors, key=lambda a: abs(lines[a].y_mid - line.y_mid))
        gap = abs(lines[nearest].y_mid - line.y_mid)
        if gap <= WRAP_REACH * max(line.height, lines[nearest].height):
            rows[nearest].append(line)
        else:
            rows[i] = [line]
    return [rows[i] for i in sorted(rows)]


def _font_size(line: _Line) -> float:
    return max(w.bottom - w.top for w in line.words)


def _table_lines(lines: list[_Line], width: float, vocab: StreamVocabulary) -> list[_Line]:
    """The lines up to where prose resumes: a long sentence, or, once the table has begun,
    text after a gap wider than three lines or text set larger than the body rows (a
    heading of the narrative that follows)."""
    out: list[_Line] = []
    body_sizes: list[float] = []
    for line in lines:
        widest = max(w.x1 - w.x0 for w in line.words)
        has_number = any(_is_number(w.text) for w in line.words)
        if widest > PROSE_WIDTH * width and not has_number:
            break
        if body_sizes and not has_number:
            if line.top - out[-1].bottom > PROSE_GAP * line.height:
                break
            if _font_size(line) > LARGER_FONT * sorted(body_sizes)[len(body_sizes) // 2]:
                break
        if _is_data_line(line, vocab):
            body_sizes.append(_font_size(line))
        out.append(line)
    return out


def _pull_up_fragments(lines: Sequence[_Line], first_data: int, vocab: StreamVocabulary) -> int:
    """Wrapped label lines printed above the first data row belong to it, not to the header:
    they sit closer to the row below than to the line above."""
    i = first_data
    while i >= 2 and not _is_layout_line(lines[i - 1], vocab):
        line, below, above = lines[i - 1], lines[i], lines[i - 2]
        if (
            below.y_mid - line.y_mid < line.y_mid - above.y_mid
            and below.y_mid - line.y_mid < WRAP_REACH * line.height
        ):
            i -= 1
        else:
            break
    return i


def infer_grid(
    page_number: int,
    words: Sequence[Word],
    region: BBox,
    hint: Grid | None,
    vocab: StreamVocabulary,
) -> Grid | None:
    """A grid from the words of a region, or None when the region holds no table.

    words: the page's words; region: (x0, top, x1, bottom) in PDF points, top-left origin;
    only words whose centre lies inside count. hint: the grid of the page before, when this
    region may continue it without a header: its column boundaries are kept and every line
    is a body line. vocab: what codes, 栏次 lines, page numbers and notes look like
    (`Knowledge.stream`); the table ends above a note line, page-number lines are dropped.
    The grid has ruled=False, header cells first (merged parents spanning the columns they
    are centred on), then the 栏次 line, then one row per anchor line.
    """
    x0, top, x1, bottom = region
    inside = [w for w in words if x0 <= w.x_mid <= x1 and top <= w.y_mid <= bottom]
    lines = [_join_letter_spacing(ln) for ln in _lines(inside)]
    kept: list[_Line] = []
    for line in lines:
        text = "".join(w.text for w in line.words)
        if vocab.note.match(text):
            break
        if not vocab.page_number.match(text):
            kept.append(line)
    kept = _table_lines(kept, x1 - x0, vocab)
    first_data = next((i for i, ln in enumerate(kept) if _is_data_line(ln, vocab)), None)
    if first_data is None:
        # An empty table (a template printed with no rows) still has its 栏次 line.
        first_data = next((i + 1 for i, ln in enumerate(kept) if _is_layout_line(ln, vocab)), None)
        if first_data is None or hint is not None:
            return None
    first_data = _pull_up_fragments(kept, first_data, vocab)
    header_lines = [] if hint is not None else kept[:first_data]
    if hint is None and not header_lines:
        return None
    body_lines = kept[first_data:] if hint is None else kept
    layout_lines = [ln for ln in header_lines if _is_layout_line(ln, vocab)]
    title_lines = [ln for ln in header_lines if ln not in layout_lines]
    body_words = [w for ln in body_lines for w in ln.words]
    bounds = _column_bounds(
        body_words,
        [w for ln in layout_lines for w in ln.words if w.text not in vocab.layout_words],
        [w for ln in title_lines for w in ln.words],
        hint,
    )
    n_cols = len(bounds) - 1
    cells: list[Cell] = []
    header = _header_rows(_header_cells([w for ln in title_lines for w in ln.words], bounds))
    depth = max((r + span for _, r, span in header), default=0)
    for hc, r, span in header:
        cells.append(
            Cell(
                _cell_text(hc.words),
                r,
                hc.cols[0],
                span,
                len(hc.cols),
                (bounds[hc.cols[0]], hc.top, bounds[hc.cols[-1] + 1], hc.bottom),
            )
        )
    ys = _header_ys(header, depth, top)
    row = depth
    for ln in layout_lines:
        for c in range(n_cols):
            ws = [w for w in ln.words if _column_of(bounds, w.x_mid) == c]
            cells.append(
                Cell(_cell_text(ws), row, c, 1, 1, (bounds[c], ln.top, bounds[c + 1], ln.bottom))
            )
        ys.append(ln.top)
        row += 1
    body_rows = _attach_fragments(body_lines, vocab)
    bottom_of_table = top
    for group in body_rows:
        ws = [w for ln in group for w in ln.words]
        row_top, row_bottom = min(w.top for w in ws), max(w.bottom for w in ws)
        for c in range(n_cols):
            in_col = [w for w in ws if _column_of(bounds, w.x_mid) == c]
            cells.append(
                Cell(
                    _cell_text(in_col),
                    row,
                    c,
                    1,
                    1,
                    (bounds[c], row_top, bounds[c + 1], row_bottom),
                )
            )
        ys.append(row_top)
        bottom_of_table = row_bottom
        row += 1
    ys.append(max(bottom_of_table, ys[-1] if ys else top) + BOTTOM_PAD)
    return Grid(page=page_number, xs=list(bounds), ys=ys, cells=cells, ruled=False)
