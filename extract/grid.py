"""A table as a grid of cells with spans, whether its rules were printed or inferred."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from extract.layout import BBox, Char, cell_text

SNAP = 2.0  # points: coordinates closer than this are the same rule


@dataclass(slots=True)
class Cell:
    text: str
    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: BBox


@dataclass(slots=True)
class Grid:
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
        """The cell covering a position, merged or not."""
        return self._index.get((row, col))

    def text(self, row: int, col: int) -> str:
        """Text of the cell that starts at this position; '' for covered or empty ones."""
        cell = self._index.get((row, col))
        if cell is None or cell.row != row or cell.col != col:
            return ""
        return cell.text


def snap(values: Iterable[float], tolerance: float = SNAP) -> list[float]:
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


def grid_from_boxes(page: int, boxes: Sequence[BBox], chars: Sequence[Char], ruled: bool) -> Grid:
    """Cells from their boxes; each char goes to the cell holding its centre."""
    xs = snap(v for b in boxes for v in (b[0], b[2]))
    ys = snap(v for b in boxes for v in (b[1], b[3]))
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
    members: list[list[Char]] = [[] for _ in spans]
    for ch in chars:
        xm, ym = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
        if not (xs[0] <= xm <= xs[-1] and ys[0] <= ym <= ys[-1]):
            continue
        c = min(bisect_right(xs, xm) - 1, len(xs) - 2)
        r = min(bisect_right(ys, ym) - 1, len(ys) - 2)
        k = owner.get((r, c))
        if k is not None:
            members[k].append(ch)
    cells = [
        Cell(cell_text(members[k]), r0, c0, nr, nc, (xs[c0], ys[r0], xs[c0 + nc], ys[r0 + nr]))
        for k, (r0, c0, nr, nc) in enumerate(spans)
    ]
    return Grid(page=page, xs=xs, ys=ys, cells=cells, ruled=ruled)
