"""The pdfium backend (the default) yields the same layouts, hence the same facts, as the
pdfplumber one."""

from __future__ import annotations

from collections import Counter
from itertools import islice

import budgetpdf.pipeline.document as pipeline
import pdfplumber
import pypdfium2
import pytest
from budgetpdf.extract import pdfium, plumber, reader
from budgetpdf.extract.layout import Char
from conftest import REAL, SEED, need, page_range
from faults import _FONT, _stream, raw_pdf
from gold import KEY

SLOW = pytest.mark.slow

# Real PDFs whose facts matched exactly between the backends when this was written: a
# university budget (WPS, 45 pages), a provincial one, a municipal one with fallback pages.
# pdfplumber reads a document several times slower than pdfium: the default set compares
# six table pages of the provincial one (收支总表 to 一般公共预算基本支出表, pp. 8-13);
# `-m slow` the other two whole.
PROVINCIAL = "129d7714_2026年重庆市科学技术局部门预算.pdf"
SAME_FACTS = [
    pytest.param("410f2141_27_swu_2024_department_budget__download.jsp.pdf", None, marks=SLOW),
    (PROVINCIAL, (8, 13)),
    pytest.param("e19d56ef_2026年烟台市审计局部门预算.pdf", None, marks=SLOW),
]


def _keys(result) -> Counter:
    return Counter(tuple(f[k] for k in KEY) for f in result.facts)


def test_the_seed_gold_is_read_through_pdfium(monkeypatch):
    # test_seed.py checks both seed renderings against their gold through the default
    # backend, pdfium; reading them again here would repeat it.
    monkeypatch.delenv("BUDGETPDF_BACKEND", raising=False)
    monkeypatch.setenv("BUDGETPDF_OCR", "0")  # the backend's pages, not OCR's wrapper of them
    pages = reader.open_pages(need(SEED / "seed_lattice.pdf"))
    try:
        assert pages.gi_code is pdfium.read_pages.__code__
    finally:
        pages.close()


# The seed's cover, 目录, notes and every standard table (公开01-09表, pp.6-14).
SEED_PAGES = 14


def test_layout_matches_pdfplumber_on_seed():
    path = need(SEED / "seed_lattice.pdf")
    ours = list(islice(pdfium.read_pages(path), SEED_PAGES))
    theirs = list(islice(plumber.read_pages(path), SEED_PAGES))
    assert len(ours) == len(theirs) == SEED_PAGES
    assert pdfium.page_count(path) == 50
    for a, b in zip(ours, theirs, strict=True):
        assert (a.width, a.height) == pytest.approx((b.width, b.height), abs=1e-3)
        assert sorted(c.text for c in a.chars) == sorted(c.text for c in b.chars)
        assert [g.xs for g in a.grids] == [pytest.approx(g.xs, abs=1e-3) for g in b.grids]
        assert [g.ys for g in a.grids] == [pytest.approx(g.ys, abs=1e-3) for g in b.grids]
    chars = sorted((c.top, c.x0, c.text) for c in ours[3].chars)
    reference = sorted((c.top, c.x0, c.text) for c in theirs[3].chars)
    assert [c[:2] for c in chars] == [pytest.approx(c[:2], abs=1e-3) for c in reference]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "pages"), SAME_FACTS)
def test_same_facts_as_pdfplumber(name, pages, corpus, monkeypatch, tmp_path, knowledge):
    path = need(REAL / name)
    if pages is not None:
        path = page_range(path, *pages, tmp_path)
    ours = _keys(corpus(name, *pages) if pages else corpus(name))  # pdfium, the default
    monkeypatch.setenv("BUDGETPDF_BACKEND", "pdfplumber")
    theirs = _keys(pipeline.process_document(path, knowledge))
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
        theirs = plumber.read_page(fallback.page(number)).chars
    finally:
        fallback.close()
        doc.close()
    return ours, theirs, used, zero_width


@pytest.mark.corpus
def test_zero_width_spaces_need_no_pdfminer():
    """A page whose zero-width text objects are glyphs without outline in an embedded font
    (spaces) is read by pdfium alone, with the same chars as pdfminer's."""
    ours, theirs, fallback_pages, zero_width = _both_backends(need(REAL / PROVINCIAL), 9)
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


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("box", [b"[0 0 612 792]", b"[100 200 712 992]", b"[-50 -80 562 712]"])
def test_chars_are_pdfplumbers_on_any_page_box(tmp_path, box, rotate):
    # plumber_chars reads pdfminer's objects itself: its boxes must stay page.chars' on a page
    # box away from the origin, turned, and for text drawn inside a form XObject
    text = b"BT /F1 12 Tf 150 400 Td (Hello 123) Tj ET q 1 0 0 1 50 50 cm /X1 Do Q"
    form = _stream(
        b"BT /F1 9 Tf 120 260 Td (in form 9.5) Tj ET",
        b"/Type/XObject/Subtype/Form/BBox[0 0 1000 1000]/Resources<</Font<</F1 3 0 R>>>>",
    )
    resources = b"/Resources<</Font<</F1 3 0 R>>/XObject<</X1 7 0 R>>>>"
    objects = {
        1: b"<</Type/Catalog/Pages 2 0 R>>",
        2: b"<</Type/Pages/Kids[5 0 R]/Count 1>>",
        3: _FONT,
        4: _stream(text),
        5: b"<</Type/Page/Parent 2 0 R/MediaBox%s/Rotate %d/Contents 4 0 R%s>>"
        % (box, rotate, resources),
        7: form,
    }
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(raw_pdf(objects))
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        ours = [c for c, _ in plumber.plumber_chars(page)]
        theirs = []
        for c in page.chars:
            if c["text"].strip():
                up = plumber._lift(c["matrix"], c["y0"], c["y1"])
                theirs.append(Char(c["text"], c["x0"], c["top"] - up, c["x1"], c["bottom"] - up))
    assert len(ours) == len("Hello123") + len("inform9.5")
    assert ours == theirs
