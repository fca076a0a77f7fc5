"""A table as a grid of cells with spans, whether its rules were printed or inferred."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from budgetpdf.extract.layout import BBox, Char, cell_text, char_runs, group_lines

SNAP = 2.0  # points: coordinates closer than this are the same rule
# × the median glyph size: a cell narrower than this with no char centre in it is a sliver
# (a rule drawn twice, an inner box); any cell narrower than one glyph is one too
EMPTY_SLIVER = 2.0


@dataclass(slots=True)
class Cell:
    """One cell: its text (lines joined by newlines, words by a space), its top-left grid
    position and spans (0-based, in rows and columns), and its box in PDF points (x0, top,
    x1, bottom; top-left origin)."""

    text: str
    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: BBox


@dataclass(slots=True)
class Grid:
    """A table on one page: n_cols + 1 column and n_rows + 1 row boundaries in PDF points
    (top-left origin), and the cells that cover them (a merged cell covers several
    positions). ruled: the boundaries are printed rules, not inferred from text."""

    page: int
    xs: list[float]  # column boundaries, left to right (n_cols + 1)
    ys: list[float]  # row boundaries, top to bottom (n_rows + 1)
    cells: list[Cell]
    ruled: bool
    _index: dict[tuple[int, int], Cell] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    self._index[(r, c)] = cell

    @property
    def n_rows(self) -> int:
        return len(self.ys) - 1

    @property
    def n_cols(self) -> int:
        return len(self.xs) - 1

    @property
    def bbox(self) -> BBox:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    def at(self, row: int, col: int) -> Cell | None:
        """The cell covering a 0-based position, merged or not; None where no cell is."""
        return self._index.get((row, col))

    def text(self, row: int, col: int) -> str:
        """Text of the cell that starts at this position; '' for covered or empty ones."""
        cell = self._index.get((row, col))
        if cell is None or cell.row != row or cell.col != col:
            return ""
        return cell.text


def snap(values: Iterable[float], tolerance: float = SNAP) -> list[float]:
    """The values sorted, each dropped that lies within tolerance (points) of the last kept."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tolerance:
            out.append(v)
    return out


def _index_of(bounds: Sequence[float], value: float) -> int:
    """Index of the boundary nearest to value."""
    i = bisect_right(bounds, value)
    if i == 0:
        return 0
    if i == len(bounds):
        return len(bounds) - 1
    return i if bounds[i] - value < value - bounds[i - 1] else i - 1


def _open_cell(
    row: int, col: int, owner: dict[tuple[int, int], int], spans: list, n_rows: int
) -> int:
    """A cell for text where no box is: one left open by a rule a page break cut off (a
    merged cell running on to the next page has no bottom rule here). It takes the run of
    positions no box owns above and below, in its column."""
    r0 = row
    while r0 > 0 and (r0 - 1, col) not in owner:
        r0 -= 1
    r1 = row + 1
    while r1 < n_rows and (r1, col) not in owner:
        r1 += 1
    k = len(spans)
    spans.append((r0, col, r1 - r0, 1))
    for r in range(r0, r1):
        owner[(r, col)] = k
    return k


def _median_size(chars: Sequence[Char]) -> float:
    """Median size of the chars (0 when there are none)."""
    sizes = sorted(ch.size for ch in chars)
    return sizes[len(sizes) // 2] if sizes else 0.0


def _drop_slivers(
    bounds: list[float],
    rules: Sequence[tuple[float, float, float]],
    centres: Sequence[float],
    glyph: float,
) -> list[float]:
    """Some tables draw each cell's rules twice, or an inner box inside some cells (the
    header's, or an amount's): the second rule cuts a sliver off the cell that holds no text
    of its own: narrower than a glyph (a heading wider than its inner box would be split
    across it, `因公出国|(境)费`), or narrower than EMPTY_SLIVER glyphs and empty. Of the
    sliver's two rules, the one that runs the shorter way through the table (the inner box's)
    is no boundary: cells are taken to the other; the table's outer rules stay.

    bounds: boundaries along one axis (points); rules: (position, start, end) of each box
    side along it; centres: the chars' centres along it; glyph: the median char size (0 keeps
    every boundary). Returns the boundaries kept."""
    out = list(bounds)
    while glyph > 0 and len(out) > 2:
        slivers = [
            (out[i + 1] - out[i], i)
            for i in range(len(out) - 1)
            if out[i + 1] - out[i] < glyph
            or (
                out[i + 1] - out[i] < EMPTY_SLIVER * glyph
                and not any(out[i] < c < out[i + 1] for c in centres)
            )
        ]
        if not slivers:
            break
        _, i = min(slivers)
        reach = [
            sum(end - start for pos, start, end in rules if abs(pos - out[j]) <= SNAP)
            for j in (i, i + 1)
        ]
        if i == 0 or (i + 1 < len(out) - 1 and reach[1] < reach[0]):
            del out[i + 1]
        else:
            del out[i]
    return out


def grid_from_boxes(page: int, boxes: Sequence[BBox], chars: Sequence[Char], ruled: bool) -> Grid:
    """A grid from cell boxes (x0, top, x1, bottom in PDF points, top-left origin) and the
    page's chars; each char goes to the cell holding its centre. Boundaries closer than SNAP
    are one; ruled: also drop the slivers a doubled rule cuts. Chars outside the boxes' extent
    are left out; a char where no box is opens a cell (`_open_cell`)."""
    xs = snap(v for b in boxes for v in (b[0], b[2]))
    ys = snap(v for b in boxes for v in (b[1], b[3]))
    held = [
        ch
        for ch in chars
        if xs[0] <= (ch.x0 + ch.x1) / 2 <= xs[-1] and ys[0] <= (ch.top + ch.bottom) / 2 <= ys[-1]
    ]
    if ruled:  # the outer rules stay, so `held` does not change
        glyph = _median_size(held)
        verticals = [(x, b[1], b[3]) for b in boxes for x in (b[0], b[2])]
        horizontals = [(y, b[0], b[2]) for b in boxes for y in (b[1], b[3])]
        xs = _drop_slivers(xs, verticals, [(c.x0 + c.x1) / 2 for c in held], glyph)
        ys = _drop_slivers(ys, horizontals, [(c.top + c.bottom) / 2 for c in held], glyph)
    spans = []
    for x0, top, x1, bottom in boxes:
        c0, c1 = _index_of(xs, x0), _index_of(xs, x1)
        r0, r1 = _index_of(ys, top), _index_of(ys, bottom)
        if c1 > c0 and r1 > r0:
            spans.append((r0, c0, r1 - r0, c1 - c0))
    owner: dict[tuple[int, int], int] = {}
    for k, (r0, c0, nr, nc) in enumerate(spans):
        for r in range(r0, r0 + nr):
            for c in range(c0, c0 + nc):
                owner.setdefault((r, c), k)
    placed: dict[int, int] = {}  # id(char) -> span index
    for ch in held:
        c = min(bisect_right(xs, (ch.x0 + ch.x1) / 2) - 1, len(xs) - 2)
        r = min(bisect_right(ys, (ch.top + ch.bottom) / 2) - 1, len(ys) - 2)
        k = owner.get((r, c))
        if k is None:
            k = _open_cell(r, c, owner, spans, len(ys) - 1)
        placed[id(ch)] = k
    _pull_back_overflow(held, placed)
    members: list[list[Char]] = [[] for _ in spans]
    for ch in held:
        members[placed[id(ch)]].append(ch)
    cells = [
        Cell(cell_text(members[k]), r0, c0, nr, nc, (xs[c0], ys[r0], xs[c0 + nc], ys[r0 + nr]))
        for k, (r0, c0, nr, nc) in enumerate(spans)
    ]
    return Grid(page=page, xs=xs, ys=ys, cells=cells, ruled=ruled)


_AMOUNT_START = frozenset("0123456789")
_AMOUNT_LEAD = frozenset("-+(.,")


def _pull_back_overflow(chars: Sequence[Char], placed: dict[int, int]) -> None:
    """Text too long for its cell runs on over the rule into the next cell
    (`其他社会保障和就业支|出 1090.22`): a word that starts in one cell and carries on,
    without a gap, into the next belongs to the cell it starts in, up to the first figure
    (an amount glued to the overflow, `缴费支出43608.96`, stays in its own cell). Only text
    continues this way: a word whose part before the rule ends in a digit (a code glued to
    its name) is left alone, and so is a word mostly past the rule (a heading centred on
    the next cell and too wide for it)."""
    for line in group_lines(chars):
        for word in char_runs(line, one_baseline=True):
            for i in range(1, len(word)):
                ka, kb = placed[id(word[i - 1])], placed[id(word[i])]
                if ka == kb:
                    continue
                if word[i - 1].text in _AMOUNT_START:
                    break
                end = i
                while end < len(word) and placed[id(word[end])] == kb:
                    ch, nxt = word[end].text, word[end + 1].text if end + 1 < len(word) else ""
                    if ch in _AMOUNT_START or (ch in _AMOUNT_LEAD and nxt in _AMOUNT_START):
                        break
                    end += 1
                if end - i <= i:  # a tail run over the rule, not text centred on the next cell
                    for ch in word[i:end]:
                        placed[id(ch)] = ka
                break
