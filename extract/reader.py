"""Open a PDF through the chosen backend: pages of positioned text and ruled grids."""

from __future__ import annotations

import os
from collections.abc import Container, Iterator
from pathlib import Path

from budgetpdf.extract import ocr, pdfium, plumber
from budgetpdf.extract.page import PageLayout


def ocr_enabled() -> bool:
    """Whether pages without a readable text layer are read by OCR: unless BUDGETPDF_OCR is
    `0` (`budgetpdf run --no-ocr`) or the OCR libraries are missing."""
    return os.environ.get("BUDGETPDF_OCR", "1") != "0" and ocr.available()


def open_pages(path: Path, pages: Container[int] | None = None) -> Iterator[PageLayout]:
    """Pages through the backend chosen by BUDGETPDF_BACKEND: `pdfium` (default; C speed,
    falling back to pdfminer on pages whose fonts pdfium cannot measure) or `pdfplumber`.
    Both give the same layouts; the corpus comparison is in the README. Pages are read
    lazily: a PDF that pdfminer cannot parse raises its error on iteration. pages: the
    1-based page numbers to read (None: all); the others are not read at all. A page whose
    text layer is missing or undecodable (ocr.needs_ocr) comes read from its image, an
    ocr.OcrLayout, where OCR is enabled (ocr_enabled); text pages cost what they cost."""
    if os.environ.get("BUDGETPDF_BACKEND", "pdfium") == "pdfplumber":
        read = plumber.read_pages(path, pages)
    elif not pdfium.can_open(path):
        read = plumber.read_pages(path, pages)  # pdfminer is more forgiving, and says why
    else:
        read = pdfium.read_pages(path, pages)
    return _with_ocr(path, read) if ocr_enabled() else read


def _with_ocr(path: Path, pages: Iterator[PageLayout]) -> Iterator[PageLayout]:
    """The pages, each that needs it read from its image (pdfium renders it: a file pdfium
    cannot open keeps its pages as they are)."""
    reader: ocr.OcrReader | None = None
    renderable: bool | None = None  # asked once, on the first page that needs OCR
    try:
        for page in pages:
            if ocr.needs_ocr(page):
                if renderable is None:
                    renderable = pdfium.can_open(path)
                if renderable:
                    reader = reader or ocr.OcrReader(path)
                    page = reader.read(page.number)
            yield page
    finally:
        if reader is not None:
            reader.close()
