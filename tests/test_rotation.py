"""Rotated and sideways pages are read in their reading orientation, through the same grid and
table code as upright pages (case d8d35da5: a /Rotate 90 page whose table lost every column
but 合计).

The sideways renderings are made here from the case's own page with pypdf: its content stream
draws the table turned a quarter (text running up a portrait page) and /Rotate 90 turns it
upright, so the same content with /Rotate taken away, or turned half round, or shown under
another /Rotate, prints the same table every other way up."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from budgetpdf.pipeline.document import process_document
from budgetpdf.schemas.knowledge import Knowledge
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import NameObject, NumberObject

from tests.conftest import SEED, SHARED, need
from tests.gold import fact_keys, gold_keys

CASE = SHARED / "cases" / "d8d35da5_rotate_90_page.pdf"
SCANNED = SEED / "seed_scanned.pdf"

# The case README's values: (item_code or 合计, column) -> value, 33 facts in all
EXPECTED = {
    ("合计", "合计"): "1234.56",
    ("合计", "基本支出"): "1034.56",
    ("合计", "项目支出"): "200.00",
    ("201", "合计"): "1000.00",
    ("201", "基本支出"): "800.00",
    ("201", "项目支出"): "200.00",
    ("2010601", "合计"): "800.00",
    ("2010601", "基本支出"): "800.00",
    ("2210201", "合计"): "50.00",
    ("2210201", "基本支出"): "50.00",
}


def _facts(path: Path, knowledge: Knowledge) -> dict[tuple[str, str], Decimal]:
    result = process_document(path, knowledge)
    assert result.document["status"] == "ok", result.document["error"]
    facts = [f for f in result.facts if f["table_id"] == "budget_gpb_expenditure"]
    assert len(facts) == 33
    return {(f["item_code"] or f["item_name"], f["column_name"]): f["value"] for f in facts}


def _check(found: dict[tuple[str, str], Decimal]) -> None:
    for key, value in EXPECTED.items():
        assert found[key] == Decimal(value), key


@pytest.fixture(scope="module")
def upright_facts(knowledge):
    return _facts(need(CASE), knowledge)


def test_rotate_90_page_gives_every_column(upright_facts):
    _check(upright_facts)


def _variant(tmp_path: Path, content_half_turn: bool, rotate: int) -> Path:
    """Page 2 of the case on a portrait mediabox (the box its content is drawn in), its
    content turned half round or not, shown under /Rotate `rotate`."""
    writer = PdfWriter()
    page = writer.add_page(PdfReader(CASE).pages[1])
    width, height = float(page.mediabox.height), float(page.mediabox.width)
    page.mediabox.upper_right = (width, height)
    page.cropbox.upper_right = (width, height)
    if content_half_turn:
        page.add_transformation(Transformation((-1, 0, 0, -1, width, height)))
    page[NameObject("/Rotate")] = NumberObject(rotate)
    out = tmp_path / f"sideways_{int(content_half_turn)}_{rotate}.pdf"
    with out.open("wb") as fh:
        writer.write(fh)
    return out


@pytest.mark.parametrize(
    ("content_half_turn", "rotate", "how_it_shows"),
    [
        (False, 0, "text running up a portrait page"),
        (True, 0, "text running down a portrait page"),
        (False, 90, "upright landscape, /Rotate 90 on a portrait box"),
        (True, 270, "upright landscape, /Rotate 270"),
        (False, 270, "upside down: text turned half round by /Rotate 270"),
        (True, 180, "text running up under /Rotate 180"),
    ],
)
def test_sideways_renderings_give_the_same_facts(
    tmp_path, upright_facts, content_half_turn, rotate, how_it_shows, knowledge
):
    need(CASE)
    found = _facts(_variant(tmp_path, content_half_turn, rotate), knowledge)
    assert found == upright_facts, how_it_shows


def test_pdfplumber_backend_reads_sideways_too(tmp_path, monkeypatch, upright_facts, knowledge):
    need(CASE)
    monkeypatch.setenv("BUDGETPDF_BACKEND", "pdfplumber")
    assert _facts(_variant(tmp_path, False, 0), knowledge) == upright_facts


def _sideways_scans(number: int, folder: Path, knowledge: Knowledge) -> dict[str, list[dict]]:
    """Page `number` of the scanned seed as image-only pages turned a quarter each way (its
    text running up, or down, a page without /Rotate), each read by process_document in a
    fresh process (OpenCV and the OCR models never load into the test process): the facts,
    per turn."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_read_turned, number, folder, knowledge).result()


def _read_turned(number: int, folder: Path, knowledge: Knowledge) -> dict[str, list[dict]]:
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    page = pdfium.PdfDocument(SCANNED)[number - 1]
    image = page.render(scale=200 / 72, grayscale=True).to_numpy()
    out = {}
    for name, quarter in (("text running up", 1), ("text running down", -1)):
        path = folder / f"turned_{quarter}.pdf"
        Image.fromarray(np.ascontiguousarray(np.rot90(image, quarter))).save(path, resolution=200)
        result = process_document(path, knowledge)
        assert result.document["status"] == "ok", (name, result.document["error"])
        out[name] = result.facts
    return out


@pytest.mark.slow  # 7 CPU-s of OCR: python bench/ocr.py --sideways measures every page
def test_sideways_scan_is_read_upright(tmp_path, knowledge):
    """A scanned table drawn a quarter turned on the page, no /Rotate to say so (the
    scanned seed's 财政拨款"三公"经费支出决算表, p.14): its text boxes stand taller than
    wide, the direction classifier says which way is up, and the page turned upright gives
    the gold's 8 facts of the page, strictly, as the upright scan does (test_ocr)."""
    need(SCANNED)
    gold = {k[:-1]: n for k, n in gold_keys(SEED / "gold_facts.csv").items() if k[-1] == 14}
    assert sum(gold.values()) == 8
    for name, facts in _sideways_scans(14, tmp_path, knowledge).items():
        found = {k[:-1]: n for k, n in fact_keys(facts, {"three_public"}).items()}
        assert found == gold, name
        assert {f["text_source"] for f in facts} == {"ocr"}
