"""Open a PDF through the chosen backend: pages of positioned text and ruled grids."""

from __future__ import annotations

import os
from collections.abc import Container, Iterator
from pathlib import Path

from budgetpdf.extract import pdfium, plumber
from budgetpdf.extract.page import PageLayout


def open_pages(path: Path, pages: Container[int] | None = None) -> Iterator[PageLayout]:
    """Pages through the backend chosen by BUDGETPDF_BACKEND: `pdfium` (default; C speed,
    falling back to pdfminer on pages whose fonts pdfium cannot measure) or `pdfplumber`.
    Both give the same layouts; the corpus comparison is in the README. Pages are read
    lazily: a PDF that pdfminer cannot parse raises its error on iteration. pages: the
    1-based page numbers to read (None: all); the others are not read at all."""
    if os.environ.get("BUDGETPDF_BACKEND", "pdfium") == "pdfplumber":
        return plumber.read_pages(path, pages)
    if not pdfium.can_open(path):
        # pdfminer is more forgiving, and says why when it is not
        return plumber.read_pages(path, pages)
    return pdfium.read_pages(path, pages)
