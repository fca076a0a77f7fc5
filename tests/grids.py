"""Hand-built grids and pages for the unit tests: tables drawn as lists of rows of text."""

from __future__ import annotations

from budgetpdf.extract.grid import Cell, Grid
from budgetpdf.extract.layout import TextLine, Word
from budgetpdf.extract.page import PageLayout

COL_WIDTH, ROW_HEIGHT = 60.0, 20.0  # PDF points
LEFT = "<"  # covered by the cell to its left (a merged header cell)
ABOVE = "^"  # covered by the cell above it


def grid(rows: list[list[str]], page: int = 1, top: float = 100.0, left: float = 50.0) -> Grid:
    """A ruled grid: one cell per text, spanning right over LEFT marks and down over ABOVE
    marks; every column COL_WIDTH wide, every row ROW_HEIGHT high."""
    cells = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text in (LEFT, ABOVE):
                continue
            colspan = 1
            while c + colspan < len(row) and row[c + colspan] == LEFT:
                colspan += 1
            rowspan = 1
            while r + rowspan < len(rows) and rows[r + rowspan][c] == ABOVE:
                rowspan += 1
            box = (
                left + c * COL_WIDTH,
                top + r * ROW_HEIGHT,
                left + (c + colspan) * COL_WIDTH,
                top + (r + rowspan) * ROW_HEIGHT,
            )
            cells.append(Cell(text, r, c, rowspan, colspan, box))
    xs = [left + c * COL_WIDTH for c in range(len(rows[0]) + 1)]
    ys = [top + r * ROW_HEIGHT for r in range(len(rows) + 1)]
    return Grid(page, xs, ys, cells, True)


def line(text: str, top: float, left: float = 50.0, size: float = 12.0) -> TextLine:
    """A text line of one word per blank-separated run, each char `size` wide."""
    words, x = [], left
    for part in text.split(" "):
        words.append(Word(part, x, top, x + size * len(part), top + size))
        x += size * (len(part) + 1)
    return TextLine(tuple(words))


def page(number: int, lines: list[TextLine], grids: list[Grid]) -> PageLayout:
    """An A4 portrait page; chars are left empty except for one per line (a page with no
    chars is blank to the reader)."""
    from budgetpdf.extract.layout import Char

    chars = [Char(w.text[0], w.x0, w.top, w.x1, w.bottom) for ln in lines for w in ln.words[:1]]
    for g in grids:
        chars += [Char(c.text[:1], *c.bbox) for c in g.cells if c.text]
    return PageLayout(number, 595.0, 842.0, chars, lines, grids, 0)
