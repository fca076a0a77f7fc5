"""Pages read from their image: the seed's scanned rendering (200 dpi grey JPEG, turned by 0.3
degrees, with noise) against its gold, the OCR geometry on drawn images, and OCR turned off.

One scanned page is read in the default set (a few CPU-seconds); the whole scanned document
against its 261 gold facts is `slow`."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from budgetpdf.extract import ocr
from budgetpdf.extract.layout import Char
from budgetpdf.extract.page import PageLayout
from budgetpdf.pipeline.document import process_document
from budgetpdf.schemas.knowledge import Knowledge
from pypdf import PdfReader, PdfWriter

from tests.conftest import SEED, SHARED, need
from tests.gold import compare, fact_keys, gold_keys

SCANNED = SEED / "seed_scanned.pdf"
GOLD = SEED / "gold_facts.csv"


def _page_of(path: Path, number: int, folder: Path) -> Path:
    writer = PdfWriter()
    writer.add_page(PdfReader(path).pages[number - 1])
    out = folder / f"{path.stem}_p{number}.pdf"
    writer.write(out)
    return out


@pytest.fixture(scope="module")
def own_process() -> Iterator[Callable[..., Any]]:
    """own_process(fn, *args): fn(*args) in one process forked for the module, as the runner
    forks its workers: OpenCV and the OCR models (some hundred MB) never load into the test
    process, whose forked runner workers other tests hold to a 200 MB limit. Forked, not
    spawned, and one for all: a fresh interpreter importing budgetpdf costs a CPU-second."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        yield lambda fn, *args: pool.submit(fn, *args).result()


@pytest.fixture(scope="module")
def three_public_page(tmp_path_factory, knowledge, own_process):
    """p.14 of the scanned seed (财政拨款"三公"经费支出决算表), alone, read once."""
    page = _page_of(need(SCANNED), 14, tmp_path_factory.mktemp("scan"))
    return own_process(process_document, page, knowledge)


def test_scanned_three_public_table_is_read_exactly(three_public_page):
    doc = three_public_page.document
    assert doc["status"] == "ok", doc["error"]
    facts = {
        f["column_name"]: f["value"]
        for f in three_public_page.facts
        if f["table_id"] == "three_public"
    }
    # the gold's 8 facts of p.14 (its 预算数/决算数 columns under the 三公 headings)
    assert facts == {
        "预算数/合计": Decimal("42.00"),
        "预算数/公务用车购置及运行维护费": Decimal("40.00"),
        "预算数/公务用车运行维护费": Decimal("40.00"),
        "预算数/公务接待费": Decimal("2.00"),
        "决算数/合计": Decimal("39.57"),
        "决算数/公务用车购置及运行维护费": Decimal("38.99"),
        "决算数/公务用车运行维护费": Decimal("38.99"),
        "决算数/公务接待费": Decimal("0.59"),
    }


def test_ocr_facts_say_where_their_text_came_from(three_public_page):
    facts = three_public_page.facts
    assert facts and {f["text_source"] for f in facts} == {"ocr"}
    assert all(0.5 < f["ocr_confidence"] <= 1 for f in facts)


def test_no_ocr_leaves_a_scan_unread_and_says_so(tmp_path, monkeypatch, knowledge):
    monkeypatch.setenv("BUDGETPDF_OCR", "0")
    doc = process_document(_page_of(need(SCANNED), 14, tmp_path), knowledge).document
    assert doc["status"] == "skipped"
    assert "OCR is turned off" in doc["error"]


def test_text_pages_are_not_read_by_ocr(sample):
    assert {f["text_source"] for f in sample.facts} == {"pdf"}
    assert all(f["ocr_confidence"] is None for f in sample.facts)


def _layout(texts: list[str]) -> PageLayout:
    chars = [Char(t, i * 10.0, 0.0, i * 10.0 + 9, 9.0) for i, t in enumerate(texts)]
    return PageLayout(1, 595.0, 842.0, chars, [], [], sum(t.startswith("(cid:") for t in texts))


def test_which_pages_need_ocr():
    assert ocr.needs_ocr(_layout([]))  # no text layer
    assert ocr.needs_ocr(_layout(["(cid:12)", "(cid:13)", "\ue001", "合"]))  # mostly undecodable
    assert not ocr.needs_ocr(_layout(["合", "计", "(cid:13)"]))


def _ruled_ink(angle: float) -> np.ndarray:
    """The ink mask of a white 200 dpi A4 page with a 4 × 3 ruled table, turned clockwise by
    angle degrees."""
    import cv2

    image = np.full((2339, 1654), 255, np.uint8)
    for y in (400, 500, 600, 700):
        cv2.line(image, (200, y), (1400, y), 0, 3)
    for x in (200, 600, 1000, 1400):
        cv2.line(image, (x, 400), (x, 700), 0, 3)
    matrix = cv2.getRotationMatrix2D((827, 1169), -angle, 1.0)
    image = cv2.warpAffine(image, matrix, (1654, 2339), borderValue=255)
    return (image < ocr.DARK).astype(np.uint8) * 255


def _skew_of_drawn_page(angle: float) -> float:
    return ocr.skew(_ruled_ink(angle))


def _rules_of_drawn_page() -> tuple[list[int], list[int]]:
    edges, _ = ocr.rules(_ruled_ink(0.0))
    horizontal = sorted(round(e["top"]) for e in edges if e["orientation"] == "h")
    vertical = sorted(round(e["x0"]) for e in edges if e["orientation"] == "v")
    return horizontal, vertical


def test_skew_is_measured_from_the_rules(own_process):
    assert own_process(_skew_of_drawn_page, 0.3) == pytest.approx(0.3, abs=0.03)


def test_rules_become_edges_in_points(own_process):
    horizontal, vertical = own_process(_rules_of_drawn_page)
    assert horizontal == [144, 180, 216, 252]  # 400, 500, 600, 700 px at 72/200
    assert vertical == [72, 216, 360, 504]


@pytest.mark.slow
def test_scanned_seed_against_gold(knowledge, own_process):
    """Every gold fact of the scanned seed, strictly (table, section, code, name, column,
    value, page), and nothing else in the gold's tables."""
    result = own_process(process_document, need(SCANNED), knowledge)
    assert result.document["status"] == "ok", result.document["error"]
    missing, extra = compare(result.facts, GOLD)
    assert sum(missing.values()) <= 1 and sum(extra.values()) <= 1, (missing, extra)


def _read_unruled_scan(pages: list[int], folder: Path, knowledge: Knowledge) -> list[dict]:
    """The pages of the scanned seed with their tables' rules painted over (the unruled
    seed itself cannot be rendered here: bench/ocr.py, unruled_scan), read."""
    from bench.ocr import unruled_scan

    return process_document(unruled_scan(SCANNED, pages, folder / "unruled.pdf"), knowledge).facts


@pytest.mark.slow  # 6 CPU-s of OCR: python bench/ocr.py --unruled measures all 12 pages
def test_unruled_scan_is_read_through_column_inference(tmp_path, knowledge, own_process):
    """An unruled scan (the scanned seed's 收入支出决算总表, p.6, two-sided, and
    一般公共预算财政拨款支出决算表, p.10, its rules painted over) goes through the text
    path's column inference and gives every gold fact of its pages, strictly, and no other
    (`2,030.89` and the label `一、社会保障和就业支出` a column gap after it were once one
    run of text and one cell)."""
    need(SCANNED)
    pages = [6, 10]
    facts = own_process(_read_unruled_scan, pages, tmp_path, knowledge)
    gold = {k: n for k, n in gold_keys(GOLD).items() if k[-1] in pages}
    found = fact_keys(facts, {k[0] for k in gold})
    ours = {k[:-1] + (pages[k[-1] - 1],): n for k, n in found.items()}  # page in the seed
    assert sum(gold.values()) == 55
    assert ours == gold
    values = {(f["item_code"] or f["item_name"], f["column_name"]): f["value"] for f in facts}
    assert values["2240402", "项目支出"] == Decimal("715.11")
    assert values["一般公共预算财政拨款收入", "决算数"] == Decimal("2030.89")


UNDECODABLE = SHARED / "cases" / "67fe8550_font_without_tounicode.pdf"


@pytest.mark.slow
def test_undecodable_text_layer_is_read_by_ocr(knowledge, own_process):
    """Case 67fe8550: a real 2019 budget whose only font has no usable ToUnicode map; read
    from its images, it gives the 163 facts of the same document with a working font."""
    result = own_process(process_document, need(UNDECODABLE), knowledge)
    assert result.document["status"] == "ok", result.document["error"]
    assert len(result.facts) == 163
    summary = {
        f["item_name"]: f["value"]
        for f in result.facts
        if f["table_id"] == "budget_summary" and f["page"] == 1
    }
    for name, value in {
        "财政拨款": "18330.37",
        "一般公共服务支出": "13907.78",
        "基本支出": "9312.90",
        "项目支出": "6459.58",
        "住房保障支出": "3301.20",
    }.items():
        assert summary[name] == Decimal(value), name
    assert {f["text_source"] for f in result.facts} == {"ocr"}
