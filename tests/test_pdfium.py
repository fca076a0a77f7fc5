"""The pdfium backend yields the same layouts, hence the same facts, as the pdfplumber one."""

from __future__ import annotations

from collections import Counter

import budgetpdf.pipeline.document as pipeline
import pypdfium2
import pytest
from budgetpdf.extract import pdfium, plumber
from conftest import REAL, SEED, need
from gold import KEY, compare

# Real PDFs whose facts matched exactly between the backends when this was written: a
# university budget (WPS, 45 pages), a provincial one, a municipal one with fallback pages.
SAME_FACTS = [
    "410f2141_27_swu_2024_department_budget__download.jsp.pdf",
    "129d7714_2026年重庆市科学技术局部门预算.pdf",
    "e19d56ef_2026年烟台市审计局部门预算.pdf",
]


def _facts(path, backend: str, monkeypatch) -> Counter:
    monkeypatch.setenv("BUDGETPDF_BACKEND", backend)
    result = pipeline.process_document(path)
    return Counter(tuple(f[k] for k in KEY) for f in result.facts)


@pytest.mark.parametrize("name", ["seed_lattice", "seed_stream"])
def test_seed_gold_via_pdfium(name, monkeypatch):
    monkeypatch.setenv("BUDGETPDF_BACKEND", "pdfium")
    result = pipeline.process_document(need(SEED / f"{name}.pdf"))
    missing, extra = compare(result.facts, SEED / "gold_facts.csv")
    assert not missing and not extra
    assert result.document["status"] == "ok"


def test_layout_matches_pdfplumber_on_seed():
    path = need(SEED / "seed_lattice.pdf")
    ours, theirs = list(pdfium.read_pages(path)), list(plumber.read_pages(path))
    assert len(ours) == len(theirs) == pdfium.page_count(path)
    for a, b in zip(ours, theirs, strict=True):
        assert (a.width, a.height) == pytest.approx((b.width, b.height), abs=1e-3)
        assert sorted(c.text for c in a.chars) == sorted(c.text for c in b.chars)
        assert [g.xs for g in a.grids] == [pytest.approx(g.xs, abs=1e-3) for g in b.grids]
        assert [g.ys for g in a.grids] == [pytest.approx(g.ys, abs=1e-3) for g in b.grids]
    chars = sorted((c.top, c.x0, c.text) for c in ours[3].chars)
    reference = sorted((c.top, c.x0, c.text) for c in theirs[3].chars)
    assert [c[:2] for c in chars] == [pytest.approx(c[:2], abs=1e-3) for c in reference]


@pytest.mark.corpus
@pytest.mark.parametrize("name", SAME_FACTS)
def test_same_facts_as_pdfplumber(name, monkeypatch):
    path = need(REAL / name)
    ours = _facts(path, "pdfium", monkeypatch)
    theirs = _facts(path, "pdfplumber", monkeypatch)
    assert ours == theirs
    assert sum(ours.values()) > 0


def _both_backends(path, number):
    """Page `number` read by pdfium (with its pdfminer fallback) and pdfminer's chars of it:
    (pdfium's layout, pdfminer's chars, pages the fallback read, zero-width text objects)."""
    doc = pypdfium2.PdfDocument(path)
    fallback = pdfium.PlumberPages(path)
    try:
        page = doc[number - 1]
        zero_width = pdfium.page_objects(page, pdfium._Space(page))[1]
        ours = pdfium.read_page(page, number, fallback)
        used = fallback.used
        theirs = plumber.plumber_chars(fallback.page(number))
    finally:
        fallback.close()
        doc.close()
    return ours, theirs, used, zero_width


@pytest.mark.corpus
def test_zero_width_spaces_need_no_pdfminer():
    """A page whose zero-width text objects are glyphs without outline in an embedded font
    (spaces) is read by pdfium alone, with the same chars as pdfminer's."""
    ours, theirs, fallback_pages, zero_width = _both_backends(need(REAL / SAME_FACTS[1]), 9)
    assert zero_width and fallback_pages == 0
    assert Counter(c.text for c in ours.chars) == Counter(c.text for c in theirs)


@pytest.mark.corpus
def test_unmeasurable_font_falls_back_to_pdfminer():
    """Single CJK chars in a font neither embedded nor installed: pdfium's text page drops
    them unless made measurable, and would measure them through a substitute, so pdfminer
    reads that page."""
    path = need(REAL / "55f58289_2026年烟台市住房和城乡建设局部门预算.pdf")
    ours, theirs, fallback_pages, _ = _both_backends(path, 98)
    assert fallback_pages == 1
    assert [c.text for c in ours.chars] == [c.text for c in theirs]
    assert "天" in "".join(c.text for c in ours.chars)
