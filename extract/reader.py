"""Open a PDF through the chosen backend: pages of positioned text and ruled grids."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from budgetpdf.extract import pdfium, plumber
from budgetpdf.extract.page import PageLayout


def open_pages(path: Path) -> Iterator[PageLayout]:
    """Pages through the backend chosen by BUDGETPDF_BACKEND: `pdfium` (default; C speed,
    falling back to pdfminer on pages whose fonts pdfium cannot measure) or `pdfplumber`.
    Both give the same layouts; the corpus comparison is in the README. Pages are read
    lazily: a PDF that pdfminer cannot parse raises its error on iteration."""
    if os.environ.get("BUDGETPDF_BACKEND", "pdfium") == "pdfplumber":
        return plumber.read_pages(path)
    if not pdfium.can_open(path):
        return plumber.read_pages(path)  # pdfminer is more forgiving, and says why when it is not
    return pdfium.read_pages(path)
