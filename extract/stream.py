"""Tables printed without ruling lines: columns and rows inferred from text positions."""

from __future__ import annotations

from extract.grid import Grid
from extract.pdf import PageLayout


def infer_grid(page: PageLayout, region: tuple[float, float, float, float], hint: Grid | None) -> Grid | None:
    return None
